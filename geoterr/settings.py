"""Settings, in one place.

Every field can be set from a ``GEOTERR_*`` environment variable; :func:`get_settings`
reads them once per call (cheap) so tests can change the environment freely.

Fields
------
data_root : Path or None
    ``GEOTERR_DATA_ROOT``. A folder of local copies of the official files, laid out as the
    manifests' relative paths say (for example ``filosofi2017_200m_mel/…csv``). Looked up
    before any download. Default: unset.
cache_dir : Path
    ``GEOTERR_CACHE_DIR``. Where downloads and built artefacts are cached.
    Default: ``$XDG_CACHE_HOME/geoterr`` (``~/.cache/geoterr``).
packs_dir : Path
    ``GEOTERR_PACKS_DIR``. Where ``geoterr build NAME`` writes ``NAME.gpkg`` by default.
    Default: ``$XDG_DATA_HOME/geoterr/packs`` (``~/.local/share/geoterr/packs``).
crs : str
    ``GEOTERR_CRS``. The one metric CRS used inside. Default ``EPSG:2154`` (Lambert-93).
    Must be a projected CRS in metres.
timeout_s : float
    ``GEOTERR_TIMEOUT_S``. Network timeout for one HTTP request, in seconds. Default 60.
offline : bool
    ``GEOTERR_OFFLINE`` (1/true/yes). Never download; a missing file is an error. Default false.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from pyproj import CRS

from geoterr.errors import SettingsError

#: The metric CRS used everywhere inside geoterr (Lambert-93).
INTERNAL_CRS = "EPSG:2154"
#: The CRS of the INSEE 200 m grid (ETRS89-LAEA).
GRID_CRS = "EPSG:3035"
#: The CRS of web maps and of most published point files.
WGS84 = "EPSG:4326"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _xdg(var: str, fallback: str) -> Path:
    base = os.environ.get(var)
    return Path(base) if base else Path.home() / fallback


@dataclass(frozen=True)
class Settings:
    """geoterr settings; see the module docstring for each field."""

    data_root: Path | None = None
    cache_dir: Path = field(default_factory=lambda: _xdg("XDG_CACHE_HOME", ".cache") / "geoterr")
    packs_dir: Path = field(
        default_factory=lambda: _xdg("XDG_DATA_HOME", ".local/share") / "geoterr" / "packs"
    )
    crs: str = INTERNAL_CRS
    timeout_s: float = 60.0
    offline: bool = False

    def __post_init__(self) -> None:
        crs = CRS.from_user_input(self.crs)
        if not crs.is_projected or crs.axis_info[0].unit_name not in ("metre", "meter"):
            raise SettingsError(
                f"GEOTERR_CRS={self.crs!r} is not a projected CRS in metres; "
                "use EPSG:2154 (Lambert-93) or another metric CRS."
            )
        if self.timeout_s <= 0:
            raise SettingsError(f"GEOTERR_TIMEOUT_S must be > 0, got {self.timeout_s}.")
        if self.data_root is not None and not Path(self.data_root).is_dir():
            raise SettingsError(
                f"GEOTERR_DATA_ROOT={str(self.data_root)!r} is not a folder; "
                "point it to a folder of local copies of the official files or unset it."
            )

    def with_(self, **changes: object) -> Settings:
        """Return a copy with some fields changed (validated again)."""
        return replace(self, **changes)  # type: ignore[arg-type]


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise SettingsError(f"{name}={raw!r}: expected 1/0, true/false, yes/no.")


def get_settings() -> Settings:
    """Read the settings from the ``GEOTERR_*`` environment variables."""
    env = os.environ
    kwargs: dict[str, object] = {}
    if env.get("GEOTERR_DATA_ROOT"):
        kwargs["data_root"] = Path(env["GEOTERR_DATA_ROOT"]).expanduser().resolve()
    if env.get("GEOTERR_CACHE_DIR"):
        kwargs["cache_dir"] = Path(env["GEOTERR_CACHE_DIR"]).expanduser()
    if env.get("GEOTERR_PACKS_DIR"):
        kwargs["packs_dir"] = Path(env["GEOTERR_PACKS_DIR"]).expanduser()
    if env.get("GEOTERR_CRS"):
        kwargs["crs"] = env["GEOTERR_CRS"]
    if env.get("GEOTERR_TIMEOUT_S"):
        try:
            kwargs["timeout_s"] = float(env["GEOTERR_TIMEOUT_S"])
        except ValueError as exc:
            raise SettingsError(
                f"GEOTERR_TIMEOUT_S={env['GEOTERR_TIMEOUT_S']!r} is not a number of seconds."
            ) from exc
    kwargs["offline"] = _flag("GEOTERR_OFFLINE", False)
    return Settings(**kwargs)  # type: ignore[arg-type]
