"""The web app in a real browser: Playwright driving Debian's chromium against the app
served by waitress on the MEL pack. Screenshots go to ``test-output/``."""

import os
import shutil
import socket
import threading
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
OUT = Path(__file__).resolve().parent.parent / "test-output"
PASSWORD = "browser test password"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(real_packs, real_settings, tmp_path_factory):
    if not Path(CHROMIUM).exists():
        if os.environ.get("GEOTERR_REQUIRE_BROWSER") == "1":
            pytest.fail("GEOTERR_REQUIRE_BROWSER=1 but no chromium (apt-get install chromium)")
        pytest.skip("no chromium: apt-get install chromium")
    from waitress.server import create_server
    from werkzeug.security import generate_password_hash

    from geoterr import analysis
    from webapp import create_app

    tmp = tmp_path_factory.mktemp("browser")
    pack = tmp / "mel.gpkg"
    shutil.copyfile(real_packs["mel"], pack)
    analysis.run_defaults(analysis.open_territory(pack, settings=real_settings))
    app = create_app({"PACK": str(pack), "SECRET_KEY": "browser",
                      "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite'}",
                      "MODERATOR_PASSWORD_HASH": generate_password_hash(PASSWORD)})
    port = _free_port()
    srv = create_server(app, host="127.0.0.1", port=port, threads=4)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    srv.close()


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM,
                              args=["--no-sandbox", "--disable-gpu", "--headless=new"])
        yield b
        b.close()


@pytest.fixture
def page(browser):
    OUT.mkdir(exist_ok=True)
    ctx = browser.new_context(viewport={"width": 1400, "height": 900})
    pg = ctx.new_page()
    pg.alerts = []
    pg.on("dialog", lambda d: (pg.alerts.append(d.message), d.dismiss()))
    pg.errors = []
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    yield pg
    ctx.close()


def test_dashboard(server, page):
    page.goto(server + "/")
    assert page.locator("#fig-population").inner_text().replace(" ", "").replace(
        "\u202f", "") == "1170630"
    assert "france_services" in page.locator("#shares ~ table, section").last.inner_text()
    # keyboard: the skip link is the first tab stop and moves focus to the content
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.screenshot(path=str(OUT / "dashboard.png"), full_page=True)


def test_map_toggle_layer_and_click_a_cell(server, page):
    page.goto(server + "/map")
    page.wait_for_selector("img.leaflet-image-layer")
    page.wait_for_function(
        "Array.from(document.querySelectorAll('img.leaflet-image-layer'))"
        ".some(i => i.complete && i.naturalWidth > 0)")
    assert page.errors == []
    # toggle the post offices on and off from the layer control (it opens on hover)
    page.hover(".leaflet-control-layers")
    before = page.locator("path.leaflet-interactive").count()
    label = page.locator(".leaflet-control-layers-overlays label",
                         has_text="services: poste")
    label.locator("input").uncheck()
    after = page.locator("path.leaflet-interactive").count()
    assert after < before
    label.locator("input").check()
    assert page.locator("path.leaflet-interactive").count() == before
    # click the cell of Lille's town hall and read its values
    x, y = page.evaluate("""() => {
        const m = window.geoterrMap, p = m.latLngToContainerPoint([50.6293, 3.0635]);
        const r = m.getContainer().getBoundingClientRect();
        return [r.left + p.x, r.top + p.y]; }""")
    for layer in page.locator(".leaflet-control-layers-overlays input").all():
        layer.uncheck()  # nothing interactive over the cell: the click reaches the map
    box = page.locator(".folium-map").bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + box["height"] - 20)  # the control folds away
    page.wait_for_function("!document.querySelector('.leaflet-control-layers-expanded')")
    page.mouse.click(x, y)
    popup = page.wait_for_selector(".leaflet-popup-content")
    text = popup.inner_text()
    assert "CRS3035RES200m" in text and "poor_households_share" in text
    assert page.locator("#cell-values").inner_text().startswith("CRS3035RES200m")
    page.screenshot(path=str(OUT / "map.png"))


def test_analysis_pages(server, page):
    for path, name in (("/access", "access.png"), ("/poverty", "poverty.png")):
        page.goto(server + path)
        page.wait_for_selector(".leaflet-container")
        assert page.errors == []
        page.screenshot(path=str(OUT / name))
    assert "QPVC-001" in page.content()


def test_submit_moderate_and_see_it_on_the_map(server, page):
    name = "Repair café <script>alert('xss')</script>"
    page.goto(server + "/initiatives/submit")
    page.fill("#name", name)
    page.fill("#commune", "Tourcoing")
    page.select_option("#theme", "economie_sociale_solidaire")
    page.fill("#year_start", "2022")
    page.fill("#description", "Des bénévoles réparent les objets du quartier chaque samedi.")
    page.fill("#contact", "repair@example.org")
    page.screenshot(path=str(OUT / "submit.png"), full_page=True)
    page.click("button[type=submit]")
    page.wait_for_selector("p[role=status]")
    page.goto(server + "/moderation/")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    card = page.locator("article.card", has_text="Repair café")
    card.locator("button", has_text="Publier").click()
    page.goto(server + "/initiatives/?theme=economie_sociale_solidaire")
    page.wait_for_selector(".leaflet-container")
    assert name in page.locator("#initiative-list").inner_text()  # shown as text
    # its marker is on the map: hover shows the tooltip with the escaped name
    markers = page.locator("path.leaflet-interactive")
    found = False
    for i in range(markers.count()):
        markers.nth(i).hover(force=True)
        tip = page.locator(".leaflet-tooltip")
        if tip.count() and "Repair café" in tip.last.inner_text():
            found = True
            break
    assert found
    assert page.alerts == []  # the script in the name never ran
    page.screenshot(path=str(OUT / "initiatives.png"))
