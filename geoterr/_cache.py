"""Every download goes through here: keyed on the URL, atomic writes, a progress bar,
failures never cached. Also the content digests that key built artefacts."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from pathlib import Path

from geoterr._atomic import atomic_path
from geoterr.errors import SourceUnavailableError
from geoterr.settings import Settings

log = logging.getLogger(__name__)


def url_key(url: str) -> str:
    """The cache file name of a URL: a short hash plus the URL's last path segment."""
    name = url.rstrip("/").rsplit("/", 1)[-1].split("?")[0] or "download"
    return f"{hashlib.sha256(url.encode()).hexdigest()[:16]}-{name}"


def download(url: str, *, settings: Settings, progress: bool = True) -> Path:
    """Download ``url`` into ``settings.cache_dir/downloads`` (once) and return the path.

    Raises
    ------
    SourceUnavailableError
        Offline mode, or the request failed (nothing is left in the cache).
    """
    target = Path(settings.cache_dir) / "downloads" / url_key(url)
    if target.exists():
        log.info("cache hit: %s", target)
        return target
    if settings.offline:
        raise SourceUnavailableError(f"offline (GEOTERR_OFFLINE=1): cannot download {url}")
    import requests  # imported here: no network machinery at import time
    from tqdm.auto import tqdm

    try:
        with atomic_path(target) as tmp, requests.get(
            url, stream=True, timeout=settings.timeout_s
        ) as resp:
            resp.raise_for_status()
            total = int(resp.headers.get("content-length", 0)) or None
            with open(tmp, "wb") as fh, tqdm(
                total=total, unit="B", unit_scale=True, desc=target.name, disable=not progress
            ) as bar:
                for chunk in resp.iter_content(chunk_size=1 << 20):
                    fh.write(chunk)
                    bar.update(len(chunk))
    except Exception as exc:
        raise SourceUnavailableError(f"download failed: {url} ({exc})") from exc
    log.info("downloaded %s (%d bytes)", url, target.stat().st_size)
    return target


def file_digest(path: Path, *, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file's content."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def digest(paths: Iterable[Path], *extra: str) -> str:
    """One digest for several input files (by content) plus options."""
    h = hashlib.sha256()
    for p in sorted(str(p) for p in paths):
        h.update(file_digest(Path(p)).encode())
    for e in extra:
        h.update(e.encode())
    return h.hexdigest()
