"""Shared helpers of the benchmark scripts: data root, machine line, timing, JSON output."""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def data_root() -> Path:
    env = os.environ.get("GEOTERR_DATA_ROOT")
    root = Path(env) if env else REPO.parent / "shared" / "opendata"
    if not root.is_dir():
        sys.exit("benchmarks need the real extracts: set GEOTERR_DATA_ROOT")
    return root.resolve()


def machine() -> dict:
    return {"python": platform.python_version(), "cpus": os.cpu_count(),
            "machine": platform.machine(), "date": time.strftime("%Y-%m-%d")}


@contextmanager
def timer(store: dict, key: str):
    t0 = time.perf_counter()
    yield
    store[key] = round(time.perf_counter() - t0, 4)


def peak_rss_mb() -> float:
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def emit(result: dict) -> None:
    """Print the final JSON line (the last line of every benchmark's output)."""
    print(json.dumps(result, ensure_ascii=False, default=str))


def offline_settings(tmp: Path):
    """geoterr settings reading the data root, caching and writing only under ``tmp``."""
    from geoterr.settings import Settings

    return Settings(data_root=data_root(), cache_dir=Path(tmp) / "cache",
                    packs_dir=Path(tmp) / "packs", offline=True)
