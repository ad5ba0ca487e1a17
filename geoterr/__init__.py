"""geoterr: French open data → evidence for territorial planning.

Nothing heavy happens at import; the public modules are imported on demand:

- :mod:`geoterr.build` — ``build_pack`` (territory packs from official files)
- :mod:`geoterr.store` — read, describe and export packs
- :mod:`geoterr.sources` — one loader per official dataset
- :mod:`geoterr.territory`, :mod:`geoterr.grid`, :mod:`geoterr.changes`
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
