"""Reading official files as published: zips (nested folders, ``__MACOSX``), encodings
(UTF-8 with or without BOM, else cp1252/latin-1), separators (``;`` or ``,``), all as text.

Everything is read as strings so that INSEE codes keep their leading zeros; numbers are
converted explicitly, with errors that name the row (see :mod:`geoterr._validate`).
"""

from __future__ import annotations

import csv
import io
import logging
import zipfile
from pathlib import Path

import pandas as pd

from geoterr.errors import ArchiveError, EmptyFileError, InputFileError

log = logging.getLogger(__name__)

_ENCODINGS = ("utf-8-sig", "cp1252")


def _is_junk(name: str) -> bool:
    parts = name.split("/")
    return (
        name.endswith("/")
        or "__MACOSX" in parts
        or parts[-1].startswith("._")
        or parts[-1].startswith(".")
    )


def zip_members(path: Path, *, suffixes: tuple[str, ...]) -> list[str]:
    """Names of the usable members of a zip whose name ends with one of ``suffixes``.

    Skips folders, ``__MACOSX/`` resource forks and hidden files, wherever they are nested.

    Raises
    ------
    ArchiveError
        The zip is truncated or corrupt, or holds no member with those suffixes.
    """
    try:
        with zipfile.ZipFile(path) as zf:
            names = [n for n in zf.namelist() if not _is_junk(n)]
            bad = zf.testzip()
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise ArchiveError(
            f"{path}: not a readable zip ({exc}). The file is probably truncated: "
            "download it again (delete it from the cache) or supply a complete copy."
        ) from exc
    if bad is not None:
        raise ArchiveError(f"{path}: member {bad!r} is corrupt (CRC error). Download it again.")
    hits = [n for n in names if n.lower().endswith(suffixes)]
    if not hits:
        raise ArchiveError(
            f"{path}: no member ending with {', '.join(suffixes)} (found: {names[:10]}). "
            "Supply the archive of the official format, or the extracted file."
        )
    return sorted(hits, key=lambda n: (n.count("/"), n))


def read_bytes(path: Path, *, suffixes: tuple[str, ...], member: str | None = None) -> bytes:
    """The bytes of ``path``, or of its (single best) member when ``path`` is a zip."""
    path = Path(path)
    if path.suffix.lower() != ".zip":
        return path.read_bytes()
    names = zip_members(path, suffixes=suffixes)
    name = member or names[0]
    if len(names) > 1 and member is None:
        log.info("%s: %d candidate members, reading %s", path.name, len(names), name)
    try:
        with zipfile.ZipFile(path) as zf:
            return zf.read(name)
    except (zipfile.BadZipFile, EOFError, KeyError, OSError) as exc:
        raise ArchiveError(f"{path}: cannot read member {name!r} ({exc}).") from exc


def decode(raw: bytes, *, source: str) -> str:
    """Decode text as UTF-8 (BOM allowed), else cp1252 (Windows exports of INSEE files)."""
    for enc in _ENCODINGS:
        try:
            text = raw.decode(enc)
        except UnicodeDecodeError:
            continue
        if enc != "utf-8-sig":
            log.info("%s: not UTF-8, read as %s", source, enc)
        return text
    raise InputFileError(f"{source}: cannot decode as UTF-8 or cp1252.")  # pragma: no cover


def read_table(
    path: Path | str,
    *,
    sep: str | None = None,
    member: str | None = None,
    skip_dbf_header: bool = False,
) -> pd.DataFrame:
    """Read a CSV (or a CSV inside a zip) as a DataFrame of strings.

    Parameters
    ----------
    path
        A ``.csv``/``.txt`` file or a ``.zip`` holding one.
    sep
        Field separator; sniffed between ``;``, ``,``, tab and ``|`` when None.
    member
        The zip member to read; default the shallowest ``.csv``.
    skip_dbf_header
        Drop a first line of dbf field definitions (``NAME,TYPE,LEN,DEC``), as found in
        some municipal exports.

    Raises
    ------
    EmptyFileError, ArchiveError, InputFileError
    """
    path = Path(path)
    source = str(path) if member is None else f"{path}!{member}"
    raw = read_bytes(path, suffixes=(".csv", ".txt"), member=member)
    text = decode(raw, source=source)
    if skip_dbf_header:
        text = text.split("\n", 1)[1] if "\n" in text else ""
    if not text.strip():
        raise EmptyFileError(f"{source}: the file is empty. Supply the complete official file.")
    if sep is None:
        head = text[:20000]
        try:
            sep = csv.Sniffer().sniff(head.split("\n", 1)[0], delimiters=";,\t|").delimiter
        except csv.Error:
            sep = ","
    try:
        df = pd.read_csv(
            io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, na_values=[],
            quotechar='"', engine="c",
        )
    except pd.errors.EmptyDataError as exc:
        raise EmptyFileError(f"{source}: no header line. Supply the official file.") from exc
    except pd.errors.ParserError as exc:
        raise InputFileError(
            f"{source}: not a well-formed '{sep}'-separated file ({exc}). "
            "Check the separator and quoting, or re-download the file."
        ) from exc
    df.columns = [str(c).strip() for c in df.columns]
    if df.empty:
        raise EmptyFileError(f"{source}: header only, no data rows. Supply the complete file.")
    df.attrs["source"] = source
    return df
