"""The web app through its factory and Flask's test client, on the real MEL pack: every
route (status, JSON shapes, errors) and each security rule (CSRF, escaping, size limits,
login, headers, no path from user input)."""

import re
import shutil

import pytest

from geoterr import analysis
from webapp import create_app

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def web_pack(real_packs, real_settings, tmp_path_factory):
    """A copy of the MEL pack with the analyses the app shows."""
    pack = tmp_path_factory.mktemp("web") / "mel.gpkg"
    shutil.copyfile(real_packs["mel"], pack)
    analysis.run_defaults(analysis.open_territory(pack, settings=real_settings))
    return pack


def make_app(pack, tmp_path, **extra):
    from werkzeug.security import generate_password_hash

    return create_app({"TESTING": True, "PACK": str(pack), "SECRET_KEY": "test",
                       "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
                       "MODERATOR_PASSWORD_HASH": generate_password_hash(PASSWORD), **extra})


@pytest.fixture
def client(web_pack, tmp_path):
    return make_app(web_pack, tmp_path).test_client()


@pytest.fixture
def open_client(web_pack, tmp_path):
    """CSRF off, to test the other rules one at a time."""
    return make_app(web_pack, tmp_path, WTF_CSRF_ENABLED=False).test_client()


@pytest.mark.parametrize("url", ["/", "/?lang=en", "/map", "/access", "/poverty", "/demand",
                                 "/site",
                                 "/initiatives/", "/initiatives/?theme=mobilite",
                                 "/initiatives/handimap-rennes", "/initiatives/submit",
                                 "/moderation/login"])
def test_pages(client, url):
    r = client.get(url)
    assert r.status_code == 200
    assert b"geoterr" in r.data


def test_dashboard_figures(client):
    html = client.get("/").get_data(as_text=True)
    assert "Métropole Européenne de Lille" in html
    assert "1 170 630" in html  # communes' population
    assert "france_services" in html and "estimate" in html  # access shares, labelled
    assert 'lang="fr"' in html
    assert 'lang="en"' in client.get("/?lang=en").get_data(as_text=True)


def test_map_never_ships_the_grid_as_polygons(client):
    html = client.get("/map").get_data(as_text=True)
    assert "/overlay/poverty_cells/" in html
    assert "CRS3035RES200m" not in html  # no cell in the page itself
    png = client.get("/overlay/poverty_cells/poor_households_share_smoothed.png")
    assert png.status_code == 200 and png.mimetype == "image/png" and png.data[:4] == b"\x89PNG"
    legend = client.get("/overlay/poverty_cells/ind.json").get_json()
    assert legend["crs"] == "EPSG:3857" and len(legend["classes"]) == 5


def test_api_layers_and_paging(client):
    names = [x["name"] for x in client.get("/api/layers").get_json()["layers"]]
    assert {"communes", "grid", "services", "poverty_cells", "qpv_candidates"} <= set(names)
    r = client.get("/api/layers/grid?per_page=100&page=2").get_json()
    assert r["type"] == "FeatureCollection" and len(r["features"]) == 100
    assert r["total"] == 9096 and r["pages"] == 91
    r = client.get("/api/layers/grid?bbox=3.05,50.62,3.08,50.64&format=json").get_json()
    assert 0 < r["total"] < 9096 and "geometry" not in r["items"][0]
    r = client.get("/api/layers/services?zone=59350&format=csv")
    assert r.mimetype == "text/csv" and r.headers["X-Total-Count"] != "0"
    assert r.get_data(as_text=True).splitlines()[0].startswith("service_id")


@pytest.mark.parametrize("url, status, needle", [
    ("/api/layers/nope", 404, "no layer"),
    ("/api/layers/grid?bbox=1,2", 400, "bbox"),
    ("/api/layers/grid?bbox=50.6,3.0,50.7,3.1", 400, "longitude first"),
    ("/api/layers/grid?per_page=999999", 400, "per_page"),
    ("/api/layers/grid?page=zero", 400, "page"),
    ("/api/layers/grid?format=xml", 400, "format"),
    ("/api/cell?lat=50.6", 400, "lon"),
    ("/api/cell?lat=500&lon=3", 400, "out of range"),
    ("/overlay/grid/nope.png", 404, ""),
    ("/overlay/communes/population.png", 404, ""),
])
def test_api_errors(client, url, status, needle):
    r = client.get(url)
    assert r.status_code == status
    if needle:
        assert needle in r.get_json()["error"]


def test_cell_values(client):
    r = client.get("/api/cell?lat=50.6293&lon=3.0635").get_json()
    assert r["cell_id"].startswith("CRS3035RES200m")
    assert "poverty_cells" in r["layers"] and r["layers"]["poverty_cells"]["ind"] > 0
    empty = client.get("/api/cell?lat=45.0&lon=1.0").get_json()
    assert empty["layers"] == {}


def test_openapi_and_analyses(client):
    doc = client.get("/api/openapi.json").get_json()
    assert doc["openapi"].startswith("3.") and "/api/layers/{name}" in doc["paths"]
    a = client.get("/api/analyses").get_json()["analyses"]
    assert "poverty" in a and "qpv_candidates" in a and "access_poste_car" in a


def test_security_headers(client):
    r = client.get("/map")
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in csp and "frame-ancestors 'none'" in csp
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    html = r.get_data(as_text=True)
    inline = re.findall(r"<script(?![^>]*src=)[^>]*>", html)
    assert inline and all(f'nonce="{nonce}"' in tag for tag in inline)
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["X-Frame-Options"] == "DENY"


def _form(**over):
    data = {"name": "Jardin partagé des Hauts-Champs", "commune": "Roubaix",
            "theme": "participation_citoyenne", "scale": "commune", "year_start": "2021",
            "description": "Un jardin cultivé par les habitants du quartier, ouvert à tous.",
            "contact": "jardin@example.org"}
    data.update(over)
    return data


def test_csrf_on_every_form(client):
    assert client.post("/initiatives/submit", data=_form()).status_code == 400
    assert client.post("/moderation/login", data={"password": PASSWORD}).status_code == 400
    html = client.get("/initiatives/submit").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    r = client.post("/initiatives/submit", data={**_form(), "csrf_token": token})
    assert r.status_code == 302


def test_validation_and_size_limits(open_client):
    r = open_client.post("/initiatives/submit", data=_form(description="x" * 2001))
    assert r.status_code == 400 and "2000" in r.get_data(as_text=True)
    r = open_client.post("/initiatives/submit", data=_form(commune="Saint-Martin"))
    assert r.status_code == 400 and "ambiguous" in r.get_data(as_text=True)
    r = open_client.post("/initiatives/submit", data=_form(theme="<b>x</b>"))
    assert r.status_code == 400
    r = open_client.post("/initiatives/submit", data=_form(name="x" * 100_000))
    assert r.status_code == 413  # MAX_CONTENT_LENGTH


def test_moderation_needs_login(open_client):
    for url in ("/moderation/", "/moderation/1/edit"):
        r = open_client.get(url)
        assert r.status_code == 302 and "/moderation/login" in r.headers["Location"]
    assert open_client.post("/moderation/1/approve").status_code == 302
    r = open_client.post("/moderation/login?next=//evil.example", data={"password": "wrong"})
    assert r.status_code == 401


XSS = "<script>alert('x')</script><img src=x onerror=alert(1)>"


def test_submit_moderate_publish_and_escape(open_client):
    r = open_client.post("/initiatives/submit",
                         data=_form(name=f"Atelier vélo {XSS}", description=f"Description {XSS} ok",
                                    contact=XSS[:150]))
    assert r.status_code == 302
    assert "Atelier vélo" not in open_client.get("/initiatives/").get_data(as_text=True)
    r = open_client.post("/moderation/login?next=//evil.example", data={"password": PASSWORD})
    assert r.status_code == 302 and r.headers["Location"] == "/moderation/"
    queue = open_client.get("/moderation/").get_data(as_text=True)
    assert "&lt;script&gt;" in queue and "<script>alert" not in queue
    item = re.search(r'id="item-(\d+)"', queue).group(1)
    assert open_client.post(f"/moderation/{item}/approve").status_code == 302
    page = open_client.get("/initiatives/").get_data(as_text=True)
    assert "Atelier vélo &lt;script&gt;" in page and "<script>alert" not in page
    assert "onerror=alert" not in page.replace("&lt;img src=x onerror=alert(1)&gt;", "")
    sheet = open_client.get(f"/initiatives/S-{item}").get_data(as_text=True)
    assert "&lt;img src=x onerror=alert(1)&gt;" in sheet
    api = open_client.get("/api/initiatives?format=json&per_page=5000").get_json()
    mine = [x for x in api["items"] if x["id"] == f"S-{item}"][0]
    assert mine["commune_code"] == "59512" and mine["name"].startswith("Atelier vélo <script>")


def test_edit_and_reject(open_client):
    open_client.post("/initiatives/submit", data=_form(name="À corriger"))
    open_client.post("/moderation/login", data={"password": PASSWORD})
    queue = open_client.get("/moderation/").get_data(as_text=True)
    item = re.search(r'id="item-(\d+)"', queue).group(1)
    assert open_client.get(f"/moderation/{item}/edit").status_code == 200
    r = open_client.post(f"/moderation/{item}/edit", data={**_form(name="Corrigé"),
                                                          "note": "typo"})
    assert r.status_code == 302
    assert "Corrigé" in open_client.get("/moderation/").get_data(as_text=True)
    assert open_client.post(f"/moderation/{item}/reject").status_code == 302
    assert "Corrigé" not in open_client.get("/initiatives/").get_data(as_text=True)
    assert open_client.post("/moderation/99999/approve").status_code == 404


def test_demand_and_siting_pages(client):
    html = client.get("/demand").get_data(as_text=True)
    assert 'id="demand-variants"' in html and "central" in html
    r = client.get("/site?run=1&stops=4&minutes=15&days=4")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'id="site-timetable"' in html
    assert client.get("/site?stops=500").status_code == 400
    assert client.get("/site?days=abc").status_code == 400
