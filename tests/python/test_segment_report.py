"""The segment report as a marketer meets it: built from a published serving file, one card
per segment with the marts' figures in business units and no model jargon, the same bytes
from the same file, opened in headless Chromium (which also refreshes the README's
screenshot, docs/screenshots/segment_report.png)."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import PROJECT_ROOT, copy_of
from PIL import Image

from custseg.tools.docs_site import browser
from custseg.tools.publish import PublishSettings, publish
from custseg.tools.report import write_report

SCREENSHOT = PROJECT_ROOT / "docs" / "screenshots" / "segment_report.png"
JARGON = (
    "z-score",
    "z score",
    "silhouette",
    "centroid",
    "cluster",
    "standard deviation",
    "k-means",
    "inertia",
)


@pytest.fixture(scope="module")
def published(tmp_path_factory, sample_build):
    workdir = tmp_path_factory.mktemp("report")
    settings = PublishSettings(
        copy_of(sample_build, workdir), workdir / "serving.duckdb", workdir / "parquet"
    )
    result = publish(settings)
    return result


@pytest.fixture(scope="module")
def page(published, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report_target") / "segment_report.html"
    write_report(published.serving, out, published.campaign_dir / "index.csv")
    return out


def visible_text(markup: str) -> str:
    """What a reader sees: the page without its style, tags and attributes."""
    markup = re.sub(r"<style\b.*?</style>", " ", markup, flags=re.DOTALL)
    markup = re.sub(r"</?(?:strong|b|small|i|a|span)\b[^>]*>", "", markup)  # inline: no gap
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", markup)))


def cards(markup: str) -> dict[str, str]:
    """The visible text of every card, by its id (<source>-<segment id>)."""
    found = re.findall(r'<article class="card" id="([a-z_]+-\d+)">(.*?)</article>', markup, flags=re.DOTALL)
    return {card_id: visible_text(body) for card_id, body in found}


def marts(serving: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(serving), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def test_one_card_per_segment_with_the_marts_figures(published, page):
    shown = cards(page.read_text(encoding="utf-8"))
    segments = marts(
        published.serving,
        "select source, segment_id, segment_name, customers, customer_share, revenue_share, suggested_action"
        " from marts.segment_profiles order by source, segment_id",
    )
    assert sorted(shown) == sorted(f"{source}-{segment_id}" for source, segment_id, *_ in segments)
    for source, segment_id, name, customers, customer_share, revenue_share, action in segments:
        text = shown[f"{source}-{segment_id}"]
        assert name in text and action in text
        assert f"{customers:,} customers" in text and f"{customer_share:.1%} of customers" in text
        assert f"{revenue_share:.1%} of revenue" in text
    for source, segment_id, label, segment_text, overall_text in marts(
        published.serving,
        "select source, segment_id, label, segment_text, overall_text from marts.segment_report_figures",
    ):
        text = shown[f"{source}-{segment_id}"]
        assert label.capitalize() in text and segment_text in text and overall_text in text
    for source, segment_id, category, share_text in marts(
        published.serving,
        "select source, segment_id, category, segment_share_text from marts.segment_category_shares"
        " where sets_segment_apart",
    ):
        assert f"{category.capitalize()}: {share_text}" in shown[f"{source}-{segment_id}"]
    for source, segment_id, rfm_segment, share in marts(
        published.serving,
        "select source, segment_id, rfm_segment, share_of_segment from marts.segment_rfm_mix"
        " where rfm_rank = 1",
    ):
        assert f"{rfm_segment} {share:.0%}" in shown[f"{source}-{segment_id}"]
    for source, segment_id, high, customers in marts(
        published.serving,
        "select source, segment_id, high_risk_customers, customers from marts.segment_value_summary",
    ):
        assert "Churn risk" in shown[f"{source}-{segment_id}"]
        assert f"high {high / customers:.0%}" in shown[f"{source}-{segment_id}"]


def test_each_source_says_its_structure_in_plain_words(published, page):
    text = visible_text(page.read_text(encoding="utf-8"))
    for summary, customers in marts(
        published.serving, "select structure_summary, customers from marts.segment_report_sources"
    ):
        assert summary in text and f"{customers:,} customers in" in text


def test_the_page_speaks_business_not_model_jargon(page):
    text = visible_text(page.read_text(encoding="utf-8"))
    lowered = text.lower()
    assert not [word for word in JARGON if word in lowered]
    assert not re.findall(r"\b[a-z]+_[a-z0-9_]+\b", text), "snake_case names on the page"
    assert "GBP" in text and "days" in text and "% of spend" in text


def test_campaign_links_open_the_lists(page):
    links = re.findall(r"href='([^']+)'", page.read_text(encoding="utf-8"))
    assert links and len(links) % 2 == 0
    for link in links:
        assert (page.parent / link).resolve().is_file(), link


def test_same_serving_file_gives_the_same_page(published, page, tmp_path):
    again = tmp_path / page.name
    write_report(published.serving, again, published.campaign_dir / "index.csv")
    # The campaign links are relative to the page's folder; compare them resolved.
    first = re.sub(r"href='([^']+)'", lambda m: str((page.parent / m[1]).resolve()), page.read_text())
    second = re.sub(r"href='([^']+)'", lambda m: str((again.parent / m[1]).resolve()), again.read_text())
    assert first == second


def test_the_report_is_read_from_the_serving_file(published, tmp_path):
    """Renaming a segment in (a copy of) the serving file renames its card: nothing is cached
    or recomputed elsewhere."""
    serving = tmp_path / "serving.duckdb"
    shutil.copyfile(published.serving, serving)
    with duckdb.connect(str(serving)) as connection:
        connection.execute(
            "update marts.segment_profiles set segment_name = 'Renamed for the test'"
            " where source = 'smartcart' and segment_id = 1"
        )
    out = tmp_path / "segment_report.html"
    write_report(serving, out, None)
    assert "Renamed for the test" in cards(out.read_text(encoding="utf-8"))["smartcart-1"]


def test_a_missing_serving_file_is_one_clear_message(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no serving file at .*: run ./scripts/build.sh first"):
        write_report(tmp_path / "missing.duckdb", tmp_path / "out.html", None)


def _require_chromium() -> None:
    if browser.find_chromium() is None:
        pytest.skip("Chromium is not installed (scripts/setup.sh installs it as root with apt-get)")


def test_report_renders_in_a_browser(published, page):
    _require_chromium()
    dom = browser.dump_dom(page, route=None)
    assert re.search(r"<h1>\s*Segment report\s*</h1>", dom)
    segments = marts(published.serving, "select count(*) from marts.segment_profiles")[0][0]
    assert dom.count('<article class="card"') == segments


def test_screenshot_of_the_report(page, tmp_path):
    _require_chromium()
    shot = browser.screenshot(page, tmp_path / "segment_report.png", route=None, window=(1400, 2600))
    with Image.open(shot) as image:
        assert image.size == (1400, 2600)
        colours = image.convert("RGB").getcolors(maxcolors=1_000_000) or []
    assert len(colours) > 200, "the screenshot is (nearly) blank"
    card_blue = (0x2F, 0x6F, 0x9F)  # the headline figures and the first RFM colour
    assert any(colour == card_blue for _, colour in colours), "no card figures on screen"
    if not SCREENSHOT.is_file() or SCREENSHOT.read_bytes() != shot.read_bytes():
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, SCREENSHOT)
