"""The docs site as a person meets it: one dbt build of the bundled sample, the pictures and the
overview written from the warehouse, `dbt docs generate --static`, and the single offline page
opened in headless Chromium (which also refreshes docs/screenshots/overview.png)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import PROJECT_ROOT, SAMPLE_DIR, DbtRun, copy_of, invoke_dbt
from PIL import Image

from custseg.integration.manifest import load_manifest
from custseg.tools.docs_site import browser
from custseg.tools.docs_site.descriptions import Undescribed, check_target, undescribed
from custseg.tools.docs_site.figures import CHOSEN_COLOUR
from custseg.tools.docs_site.overview import write_site_images

# The segmentation's four per source, churn risk and predicted value by segment per source, and
# the retailer's last-period migrations (the source with a segment history).
SOURCES = ("smartcart", "online_retail")
PICTURES = 4 * len(SOURCES) + 2 * len(SOURCES) + 1
SCREENSHOT = PROJECT_ROOT / "docs" / "screenshots" / "overview.png"
# What a fresh clone does not have: dbt's and the build's outputs, and the generated overview.
NOT_COPIED = shutil.ignore_patterns(
    ".git", ".venv", "target", "logs", "warehouse", "bench", "dbt_packages", ".pytest_cache",
    ".ruff_cache", "__pycache__", "*.egg-info", "overview.md", "screenshots",
)  # fmt: skip
RENDERED_IMAGE = '<img src="data:image/png;base64,'


@dataclass
class Site:
    """One build of the sample and the docs site generated from it, in a copy of the project."""

    project: Path
    build: DbtRun
    images_output: str
    target: Path

    @property
    def overview(self) -> Path:
        return self.project / "docs" / "overview.md"

    @property
    def page(self) -> Path:
        return self.target / "static_index.html"


def _sample_env() -> dict[str, str]:
    return {
        "SMARTCART_CUSTOMERS_PATH": str(SAMPLE_DIR / "smartcart_customers.csv"),
        "ONLINE_RETAIL_TRANSACTIONS_PATH": str(SAMPLE_DIR / "online_retail_transactions.csv.gz"),
    }


@pytest.fixture(scope="module")
def site(tmp_path_factory, sample_build: DbtRun) -> Site:
    """The shared build -> python -m custseg.tools.docs_site images -> dbt docs generate --static, as
    build.sh does, in a fresh copy of the project (so the project's own docs/overview.md is
    left alone) and on a copy of the build's warehouse."""
    workdir = tmp_path_factory.mktemp("docs_site")
    project = workdir / "project"
    shutil.copytree(PROJECT_ROOT, project, ignore=NOT_COPIED)
    assert not (project / "docs" / "overview.md").exists()
    dbt_args = ("--project-dir", str(project))
    build = DbtRun(0, sample_build.output, copy_of(sample_build, workdir), sample_build.target)
    manifest = sample_build.target / "manifest.json"
    images = subprocess.run(
        [
            sys.executable,
            "-m",
            "custseg.tools.docs_site",
            "images",
            "--project-dir",
            str(project),
            "--manifest",
            str(manifest),
        ],
        env={**os.environ, "CUSTSEG_DUCKDB_PATH": str(build.warehouse)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert images.returncode == 0, images.stdout + images.stderr
    docs = invoke_dbt(
        "docs",
        "generate",
        "--static",
        *dbt_args,
        workdir=workdir,
        env=_sample_env(),
        warehouse=build.warehouse,
    )
    assert docs.returncode == 0, docs.output[-5000:]
    return Site(project, build, images.stdout, workdir / "target")


def _chosen_k(site: Site) -> dict[str, int]:
    return dict(site.build.query("select source, k from marts.segment_model_selection where is_chosen"))


def _rendered(dom: str) -> str:
    """The DOM without its scripts (the static page also embeds the manifest as JSON)."""
    return re.sub(r"<script\b.*?</script>", "", dom, flags=re.DOTALL)


def test_the_project_parses_without_the_generated_overview(site):
    # A fresh copy has no docs/overview.md until `images` writes it; the shared build parsed
    # the project without it.
    assert site.build.returncode == 0
    assert "docs/overview.md" in site.images_output


def test_overview_block_embeds_every_picture_with_numbers_from_the_warehouse(site):
    text = site.overview.read_text(encoding="utf-8")
    assert text.count("{% docs __overview__ %}") == 1 and "{% enddocs %}" in text
    assert "${" not in text, "a template placeholder was left unfilled"
    assert text.count("](data:image/png;base64,") == PICTURES
    for source, k in _chosen_k(site).items():
        assert f"The rule chose **k = {k}**" in text, f"chosen k of {source} missing from the captions"
    for source, label in (("smartcart", "SmartCart"), ("online_retail", "Online retailer")):
        high, customers = site.build.query(
            "select count(*) filter (where churn_risk = 'high'), count(*) from marts.customer_value"
            f" where source = '{source}'"
        )[0]
        assert f"**{label}: churn risk by segment.** {high:,} of {customers:,} customers" in text, source
    changed = site.build.scalar(
        "select sum(customers) from marts.segment_transitions where segment_kind = 'cluster'"
        " and from_segment_id is not null and not is_same_segment"
        " and as_of_date = (select max(as_of_date) from marts.segment_transitions)"
    )
    assert f"{changed:,} customers changed segment" in text
    images = sorted(path.name for path in (site.project / "target" / "docs_images").glob("*.png"))
    assert len(images) == PICTURES, images


def test_pictures_are_deterministic_and_small(site, tmp_path):
    again = write_site_images(
        site.build.warehouse,
        project_dir=site.project,
        images_dir=tmp_path,
        overview=tmp_path / "overview.md",
        manifest=load_manifest(site.build.target / "manifest.json"),
    )
    assert (tmp_path / "overview.md").read_bytes() == site.overview.read_bytes()
    total = 0
    for path in again.images:
        png = path.read_bytes()
        assert png == (site.project / "target" / "docs_images" / path.name).read_bytes(), path.name
        assert png.startswith(b"\x89PNG") and b"Software" not in png and b"Creation Time" not in png
        assert len(png) < 200_000, f"{path.name} is {len(png) // 1024} KB"
        total += len(png)
    assert total < 800_000, f"{total // 1024} KB of pictures"


def test_static_site_is_one_file_with_the_overview(site):
    html = site.page.read_text(encoding="utf-8")
    assert "__overview__" in html
    assert html.count("data:image/png;base64,") >= PICTURES


def test_every_model_seed_source_and_column_is_described(site):
    missing = check_target(site.target)
    assert not missing, f"{len(missing)} without a description:\n" + "\n".join(map(str, missing))


def _require_chromium() -> None:
    if browser.find_chromium() is None:
        pytest.skip(
            "Chromium is not installed: scripts/setup.sh installs it when run as root with apt-get "
            "(or apt-get install chromium, or set CHROMIUM=/path/to/chrome)"
        )


def test_overview_renders_with_its_pictures_in_a_browser(site):
    _require_chromium()
    dom = _rendered(browser.dump_dom(site.page))
    assert re.search(r"<h1[^>]*>\s*Customer segmentation warehouse\s*</h1>", dom), "no overview heading"
    assert dom.count(RENDERED_IMAGE) == PICTURES
    for model in ("customer_segments", "segment_profiles"):
        assert f'data-nav-unique-id="model.custseg.{model}"' in dom, f"{model} missing from the navigation"


def test_screenshot_of_the_overview_shows_the_pictures(site, tmp_path):
    _require_chromium()
    shot = browser.screenshot(site.page, tmp_path / "overview.png", window=(1400, 2400))
    with Image.open(shot) as image:
        assert image.size == (1400, 2400)
        pixels = image.convert("RGB")
        colours = pixels.getcolors(maxcolors=1_000_000) or []
    assert len(colours) > 1000, "the screenshot is (nearly) blank"
    chosen_red = tuple(int(CHOSEN_COLOUR[i : i + 2], 16) for i in (1, 3, 5))
    assert any(colour == chosen_red for _, colour in colours), "the k-selection picture is not on screen"
    if not SCREENSHOT.is_file() or SCREENSHOT.read_bytes() != shot.read_bytes():
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, SCREENSHOT)


def test_description_check_lists_what_is_missing():
    manifest = {
        "metadata": {"project_name": "demo"},
        "nodes": {
            "model.demo.a": {
                "resource_type": "model",
                "package_name": "demo",
                "name": "a",
                "description": "A model.",
                "columns": {"x": {"name": "x", "description": ""}, "y": {"name": "y", "description": "Y."}},
            },
            "seed.demo.s": {"resource_type": "seed", "package_name": "demo", "name": "s", "description": ""},
            "model.other.b": {
                "resource_type": "model",
                "package_name": "other",
                "name": "b",
                "description": "",
            },
            "test.demo.t": {"resource_type": "test", "package_name": "demo", "name": "t", "description": ""},
        },
        "sources": {
            "source.demo.raw.c": {
                "package_name": "demo",
                "source_name": "raw",
                "name": "c",
                "description": "Raw.",
                "columns": {"id": {"name": "id", "description": " "}},
            }
        },
    }
    catalog = {"nodes": {"model.demo.a": {"columns": {"X": {"name": "X"}, "Z": {"name": "Z"}}}}}
    assert undescribed(manifest, catalog) == [
        Undescribed("model", "a", "x"),
        Undescribed("model", "a", "Z", "in the warehouse but not in the YAML"),
        Undescribed("seed", "s"),
        Undescribed("source", "raw.c", "id"),
    ]


def _project_nodes(site: Site, resource_type: str) -> list[dict]:
    manifest = load_manifest(site.build.target / "manifest.json")
    return [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == resource_type and node["package_name"] == "custseg"
    ]


def test_every_model_and_seed_has_an_owner(site):
    nodes = _project_nodes(site, "model") + _project_nodes(site, "seed")
    assert len(nodes) > 40
    missing = [node["name"] for node in nodes if not (node.get("meta") or {}).get("owner")]
    assert not missing, f"without meta.owner: {missing}"


def test_seed_descriptions_reach_the_warehouse(site):
    seeds = {node["name"]: node for node in _project_nodes(site, "seed")}
    comments = {
        (table, column): comment
        for table, column, comment in site.build.query(
            "select table_name, column_name, comment from duckdb_columns() where schema_name = 'seeds'"
        )
    }
    for name, node in seeds.items():
        for column, spec in node["columns"].items():
            assert comments.get((name, column)) == spec["description"].strip(), (name, column)


def _quotes_unbalanced(raw_code: str) -> list[str]:
    """Lines of the model's Jinja comments with an odd number of ' or ": the docs site's SQL
    highlighter (Prism) then opens a string that runs on into the next lines."""
    return [
        line.strip()
        for comment in re.findall(r"\{#(.*?)#\}", raw_code, flags=re.DOTALL)
        for line in comment.splitlines()
        if line.count("'") % 2 or line.count('"') % 2
    ]


def test_code_view_comments_do_not_open_strings(site):
    """The marts and the semantic layer, the models BI users read about on the docs site."""
    models = [
        node
        for node in _project_nodes(site, "model")
        if node.get("group") == "marketing_analytics"
        or node["original_file_path"].startswith("models/semantic/")
    ]
    assert len(models) >= 25
    broken = {node["name"]: lines for node in models if (lines := _quotes_unbalanced(node["raw_code"]))}
    assert not broken, broken
    assert _quotes_unbalanced("{#\n    the segment's centre\n#}\nselect 1") == ["the segment's centre"]


def test_code_view_of_segment_profiles_reads_cleanly_in_a_browser(site):
    _require_chromium()
    dom = _rendered(browser.dump_dom(site.page, route="model/model.custseg.segment_profiles"))
    code = re.search(r'<code class="source-code[^"]*language-sql"[^>]*>(.*?)</code>', dom, flags=re.DOTALL)
    assert code, "no code view on the model page"
    strings = re.findall(r'<span class="token string">(.*?)</span>', code[1], flags=re.DOTALL)
    assert strings and not [text for text in strings if "\n" in text], "a string token runs over lines"
    assert "One row per segment" in re.sub(r"<[^>]+>", "", code[1])
