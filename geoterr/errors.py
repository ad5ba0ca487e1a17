"""Typed errors. Each says what was expected, what was found, where, and the fix.

Every error subclasses :class:`GeoterrError` and the nearest built-in exception, so callers
can catch either (``except ValueError`` keeps working).
"""

from __future__ import annotations


class GeoterrError(Exception):
    """Base class of every error geoterr raises on purpose."""


class SettingsError(ValueError, GeoterrError):
    """A ``GEOTERR_*`` setting has a bad value."""


class ManifestError(ValueError, GeoterrError):
    """A territory manifest (``data/territories/*.toml``) is missing or malformed."""


class TerritoryError(ValueError, GeoterrError):
    """A territory selects no commune, or an unknown one."""


class InputFileError(ValueError, GeoterrError):
    """An input file cannot be read as the official format (base of the file errors)."""


class EmptyFileError(InputFileError):
    """An input file has no data rows."""


class ArchiveError(InputFileError):
    """A zip archive is truncated, corrupt, or holds no usable member."""


class MissingColumnError(InputFileError):
    """Required columns are missing (or renamed) in an input file."""


class InvalidValueError(InputFileError):
    """A value cannot be parsed (bad number, bad code, bad date)."""


class DuplicateIdError(InputFileError):
    """Identifiers that must be unique are repeated."""


class CoordinateError(InputFileError):
    """Coordinates are missing, swapped (lat/lon) or outside any plausible area."""


class CRSError(InputFileError):
    """A layer's CRS is missing, wrong, or not what the format says."""


class SourceUnavailableError(OSError, GeoterrError):
    """A file is neither given, nor in the data root, nor downloadable."""


class PackError(ValueError, GeoterrError):
    """A territory pack is missing, not a pack, or lacks a layer."""
