"""Downloads through the cache, against a server on loopback (no internet)."""

import http.server
import threading
from functools import partial

import pytest

from geoterr import _cache
from geoterr.errors import SourceUnavailableError
from geoterr.settings import Settings
from geoterr.sources.registry import DATASETS, resolve


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    (root / "file.csv").write_text("idcar_200m;ind\n")
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a, **k: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_download_is_cached_and_atomic(server, tmp_path):
    s = Settings(cache_dir=tmp_path / "cache", timeout_s=5)
    p = _cache.download(f"{server}/file.csv", settings=s, progress=False)
    assert p.read_text() == "idcar_200m;ind\n"
    assert list(p.parent.glob(".*tmp*")) == []
    assert _cache.download(f"{server}/file.csv", settings=s.with_(offline=True)) == p


def test_failed_download_is_not_cached(server, tmp_path):
    s = Settings(cache_dir=tmp_path / "cache", timeout_s=5)
    with pytest.raises(SourceUnavailableError, match="404"):
        _cache.download(f"{server}/missing.csv", settings=s, progress=False)
    assert list((tmp_path / "cache" / "downloads").iterdir()) == []


def test_resolution_order(tmp_path):
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "f.csv").write_text("x")
    s = Settings(data_root=root, cache_dir=tmp_path / "c", offline=True)
    explicit = tmp_path / "mine.csv"
    explicit.write_text("y")
    assert resolve("laposte", vintage="2020", settings=s, path=explicit,
                   relpath="sub/f.csv") == explicit
    assert resolve("laposte", vintage="2020", settings=s, relpath="sub/f.csv") == root / "sub/f.csv"
    with pytest.raises(SourceUnavailableError, match=r"offline.*--input laposte=PATH"):
        resolve("laposte", vintage="latest", settings=s, relpath="nope.csv")


@pytest.mark.online
@pytest.mark.parametrize("key,vintage", [(k, v) for k, d in DATASETS.items() for v in d.urls])
def test_official_urls_answer(key, vintage, tmp_path):
    import requests

    url = DATASETS[key].urls[vintage]
    resp = requests.head(url, allow_redirects=True, timeout=30)
    assert resp.status_code < 400, url
