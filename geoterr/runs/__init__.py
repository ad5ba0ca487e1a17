"""Runs of the engine on a territory, one module per feature: :mod:`~geoterr.runs.access`
(times to services, what-ifs), :mod:`~geoterr.runs.poverty` (indicators, QPV candidates),
:mod:`~geoterr.runs.routes` (reduced mobility), :mod:`~geoterr.runs.services` (itinerant
siting, volunteer-driver demand). Each opens the territory (:mod:`geoterr.analysis`), calls
the pure functions and writes results to the pack."""
