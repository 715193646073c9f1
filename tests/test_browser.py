"""A real browser (Debian's Chromium driven by Playwright) uses the search page the
way an official would: types without diacritics, clicks a facet, opens a notice at
the item and sees it highlighted."""
import shutil
import threading

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def server(app):
    from werkzeug.serving import make_server
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM:
        pytest.skip("no Chromium on this machine: `make test` installs Debian's chromium when run as root with apt")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def test_search_facet_notice_anchor(server, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(server + "/")
    page.fill("#q", "giai phong mat bang")
    page.press("#q", "Enter")
    page.wait_for_selector("article.hit")
    assert "giai+phong+mat+bang" in page.url
    assert page.locator("article.hit mark").first.inner_text() == "giải phóng mặt bằng"  # marked as a phrase
    first = page.locator("article.hit").first
    assert first.locator("ol.matched li").count() >= 1  # the notice's matching items, under it
    assert first.locator("ol.matched li a.itemno").first.get_attribute("href").split("#")[1].startswith("item-")
    total = int(page.locator("p.count strong").inner_text().replace(".", ""))
    page.screenshot(path=str(tmp_path / "results.png"), full_page=True)

    facet = page.locator('section.facet[data-facet="topic"] a', has_text="Đầu tư công")
    facet.click()
    page.wait_for_url("**topic=dau-tu-cong**")
    assert page.locator("a.chip", has_text="Chủ đề: Đầu tư công").count() == 1
    filtered = int(page.locator("p.count strong").inner_text().replace(".", ""))
    assert 0 < filtered < total

    link = page.locator("article.hit h3 a").first
    href = link.get_attribute("href")
    anchor = href.split("#")[1]
    link.click()
    page.wait_for_url("**/notices/**")
    target = page.locator(f"#{anchor}")
    assert target.evaluate("el => el.matches(':target')")
    assert "current" in target.get_attribute("class")
    background = target.evaluate("el => getComputedStyle(el).backgroundColor")
    assert background == "rgb(251, 234, 234)"  # --accent-soft: the item arrived at is highlighted
    assert target.locator("mark").count() >= 1
    page.screenshot(path=str(tmp_path / "notice.png"), full_page=True)
    page.close()


def test_phone_width_has_no_horizontal_scroll(server, browser):
    page = browser.new_page(viewport={"width": 390, "height": 800})
    page.goto(server + "/?q=dang+vien")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.close()


def test_phone_width_facets_are_one_collapsible_block_below_the_results(server, browser):
    page = browser.new_page(viewport={"width": 390, "height": 800})
    page.goto(server + "/?q=dang+vien")
    block = page.locator("details.facets")
    results = page.locator("section.results").bounding_box()
    facets = block.bounding_box()
    assert facets["y"] >= results["y"] + results["height"] - 1  # below the results, not a sideways strip
    for card in page.locator("details.facets section.facet").all():
        box = card.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390 + 1  # no card cut off
    block.locator("summary").click()
    assert not block.evaluate("el => el.open")  # it folds away
    page.close()


def test_an_error_keeps_the_search_form_to_fix_in_place(server, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    response = page.goto(server + "/?q=giai+phong&from=2022-13-45")
    assert response.status == 400
    assert page.locator("section.error .message").inner_text().startswith("Ngày '2022-13-45' không hợp lệ")
    assert page.locator("#q").input_value() == "giai phong"  # the query is still there
    page.locator("details.filters summary").click() if not page.locator("details.filters").evaluate("d => d.open") else None
    page.fill('input[name="from"]', "2021-01-01")
    page.press("#q", "Enter")
    page.wait_for_selector("article.hit")
    assert "from=2021-01-01" in page.url and page.locator("section.error").count() == 0
    page.close()
