"""Shared fixtures: settings isolated in tmp folders, offline; the real-data root."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from geoterr.settings import Settings

REPO = Path(__file__).resolve().parent.parent


def pytest_collection_modifyitems(config, items):
    if os.environ.get("GEOTERR_ONLINE_TESTS") == "1":
        return
    skip = pytest.mark.skip(reason="online test: set GEOTERR_ONLINE_TESTS=1 to run")
    for item in items:
        if "online" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def settings(tmp_path, monkeypatch) -> Settings:
    """Offline settings whose cache and packs live in a tmp folder."""
    monkeypatch.setenv("GEOTERR_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("GEOTERR_PACKS_DIR", str(tmp_path / "packs"))
    monkeypatch.setenv("GEOTERR_OFFLINE", "1")
    return Settings(cache_dir=tmp_path / "cache", packs_dir=tmp_path / "packs", offline=True)


def _data_root() -> Path | None:
    env = os.environ.get("GEOTERR_DATA_ROOT")
    root = Path(env) if env else REPO.parent / "shared" / "opendata"
    return root.resolve() if root.is_dir() else None


@pytest.fixture(scope="session")
def data_root() -> Path:
    """The folder of real open-data extracts (skip, or fail in CI, when absent)."""
    root = _data_root()
    if root is None:
        if os.environ.get("GEOTERR_REQUIRE_DATA") == "1":
            pytest.fail("GEOTERR_REQUIRE_DATA=1 but no data root (set GEOTERR_DATA_ROOT)")
        pytest.skip("no real-data root: set GEOTERR_DATA_ROOT")
    return root


@pytest.fixture(scope="session")
def real_settings(data_root, tmp_path_factory) -> Settings:
    tmp = tmp_path_factory.mktemp("real")
    return Settings(data_root=data_root, cache_dir=tmp / "cache", packs_dir=tmp / "packs",
                    offline=True)


@pytest.fixture(scope="session")
def real_packs(real_settings) -> dict[str, Path]:
    """The four shipped territories, built once per session from the real extracts."""
    from geoterr.build import build_pack

    return {name: build_pack(name, settings=real_settings, progress=False)
            for name in ("mel", "rennes", "riviera", "montpellier")}
