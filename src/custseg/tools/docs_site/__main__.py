"""The docs site with pictures, from the command line (run from the project folder).

    python -m custseg.tools.docs_site images              # after dbt build: PNGs + docs/overview.md
    python -m custseg.tools.docs_site check-descriptions  # after dbt docs generate: what lacks a description
    python -m custseg.tools.docs_site screenshot          # after dbt docs generate --static: the overview PNG

``images`` reads the built warehouse (--warehouse, else CUSTSEG_DUCKDB_PATH, else
warehouse/build.duckdb) read-only, writes the pictures to target/docs_images/ and the dbt
``__overview__`` docs block to docs/overview.md (from docs/overview.md.template) with the
pictures embedded, so that ``dbt docs generate --static`` gives one offline page with them.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import duckdb

from custseg.integration.manifest import load_manifest
from custseg.tools.docs_site import browser
from custseg.tools.docs_site.descriptions import check_target
from custseg.tools.docs_site.overview import IMAGES_DIR, OVERVIEW, TEMPLATE, write_site_images
from custseg.tools.docs_site.warehouse import warehouse_path

STATIC_PAGE = Path("target/static_index.html")
SCREENSHOT = Path("docs/screenshots/overview.png")


def _images(arguments: argparse.Namespace) -> int:
    started = time.monotonic()
    project_dir = Path(arguments.project_dir)
    manifest = project_dir / arguments.manifest
    result = write_site_images(
        warehouse_path(arguments.warehouse),
        project_dir=project_dir,
        images_dir=project_dir / arguments.images_dir,
        overview=project_dir / arguments.overview,
        template=project_dir / arguments.template,
        manifest=load_manifest(manifest) if manifest.is_file() else None,
    )
    if arguments.verbose:
        for path in result.images:
            print(f"docs_site: {path} ({path.stat().st_size // 1024} KB)")
    print(
        f"docs_site: wrote {result.overview} with {len(result.images)} pictures "
        f"({result.total_png_bytes // 1024} KB embedded; PNGs in {result.images[0].parent}/) "
        f"in {time.monotonic() - started:.1f} s"
    )
    return 0


def _check_descriptions(arguments: argparse.Namespace) -> int:
    missing = check_target(Path(arguments.target_path))
    for item in missing:
        print(f"undescribed: {item}")
    print(f"docs_site: {len(missing)} undescribed model(s), seed(s), source(s) or column(s)")
    return 1 if missing else 0


def _screenshot(arguments: argparse.Namespace) -> int:
    width, height = (int(value) for value in arguments.window_size.split(","))
    page = Path(arguments.page)
    if not page.is_file():
        print(f"docs_site: no {page}: run dbt docs generate --static first", file=sys.stderr)
        return 1
    out = browser.screenshot(page, Path(arguments.out), window=(width, height))
    print(f"docs_site: wrote {out}")
    return 0


def parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    root = argparse.ArgumentParser(
        prog="python -m custseg.tools.docs_site", description=__doc__.splitlines()[0]
    )
    commands = root.add_subparsers(dest="command", required=True)

    images = commands.add_parser("images", help="render the pictures and write docs/overview.md")
    images.add_argument(
        "--warehouse", help="DuckDB file (default: $CUSTSEG_DUCKDB_PATH or warehouse/build.duckdb)"
    )
    images.add_argument("--project-dir", default=".", help="the dbt project folder (default: .)")
    images.add_argument("--images-dir", default=str(IMAGES_DIR), help="PNG folder, relative to the project")
    images.add_argument(
        "--overview", default=str(OVERVIEW), help="docs block written, relative to the project"
    )
    images.add_argument("--template", default=str(TEMPLATE), help="its template, relative to the project")
    images.add_argument(
        "--manifest",
        default="target/manifest.json",
        help="dbt's manifest, for the settings shown (relative to the project; default target/manifest.json)",
    )
    images.add_argument("--verbose", action="store_true", help="list every picture written")
    images.set_defaults(run=_images)

    check = commands.add_parser(
        "check-descriptions", help="list models, seeds, sources, columns without docs"
    )
    check.add_argument("--target-path", default="target", help="dbt target folder after dbt docs generate")
    check.set_defaults(run=_check_descriptions)

    shot = commands.add_parser("screenshot", help="screenshot the static site's overview (headless Chromium)")
    shot.add_argument("--page", default=str(STATIC_PAGE), help="the static docs page")
    shot.add_argument("--out", default=str(SCREENSHOT), help="PNG to write")
    shot.add_argument("--window-size", default="1400,2400", help="width,height in pixels")
    shot.set_defaults(run=_screenshot)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; the exit status is non-zero when it failed or found something missing."""
    arguments = parser().parse_args(argv)
    try:
        return arguments.run(arguments)
    except (FileNotFoundError, ValueError, RuntimeError) as error:
        print(f"docs_site: {error}", file=sys.stderr)
        return 2
    except duckdb.Error as error:  # e.g. the segment marts are not built yet, or dbt holds the file
        print(
            f"docs_site: the warehouse cannot be read ({error}); run a full dbt build first", file=sys.stderr
        )
        return 2


if __name__ == "__main__":
    sys.exit(main())
