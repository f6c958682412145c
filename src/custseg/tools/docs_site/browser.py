"""Open the static docs page the way a person would, in headless Chromium, offline: dump the
rendered DOM (after the single-page app has run) or take a screenshot."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Enough virtual time for the dbt docs app to load its embedded manifest and render.
VIRTUAL_TIME_BUDGET_MS = 10_000
FLAGS = (
    "--headless",
    "--no-sandbox",  # containers and root: the page is a local file this project generated
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    # No name resolves: the page must work offline, as a single file.
    "--host-resolver-rules=MAP * ~NOTFOUND",
)


def find_chromium() -> str | None:
    """The browser to use: $CHROMIUM, else the first Chromium or Chrome on PATH."""
    explicit = os.environ.get("CHROMIUM")
    if explicit:
        return explicit
    return next((found for name in CANDIDATES if (found := shutil.which(name))), None)


def page_url(page: Path, route: str | None = "overview") -> str:
    """The file URL of a page, opened at a dbt docs route (None: a plain page)."""
    return page.resolve().as_uri() + (f"#!/{route}" if route is not None else "")


def _run(arguments: list[str], *, timeout: float) -> subprocess.CompletedProcess[str]:
    binary = find_chromium()
    if binary is None:
        raise FileNotFoundError("Chromium is not installed (apt-get install chromium, or set CHROMIUM)")
    with tempfile.TemporaryDirectory(prefix="custseg-chromium-") as profile:
        command = [binary, *FLAGS, f"--user-data-dir={profile}", *arguments]
        completed = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"chromium failed ({completed.returncode}): {completed.stderr[-2000:]}")
    return completed


def dump_dom(page: Path, *, route: str | None = "overview", timeout: float = 180) -> str:
    """The page's DOM after its scripts ran (virtual time budget), as HTML text."""
    arguments = [f"--virtual-time-budget={VIRTUAL_TIME_BUDGET_MS}", "--dump-dom", page_url(page, route)]
    return _run(arguments, timeout=timeout).stdout


def screenshot(
    page: Path,
    out: Path,
    *,
    route: str | None = "overview",
    window: tuple[int, int] = (1400, 2400),
    timeout: float = 180,
) -> Path:
    """A PNG of the rendered page at the given window size (out is replaced only on success)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.resolve().with_name(f".{out.name}.partial.png")
    partial.unlink(missing_ok=True)
    arguments = [
        f"--virtual-time-budget={VIRTUAL_TIME_BUDGET_MS}",
        f"--window-size={window[0]},{window[1]}",
        f"--screenshot={partial}",
        page_url(page, route),
    ]
    _run(arguments, timeout=timeout)
    if not partial.is_file():
        raise RuntimeError(f"chromium wrote no screenshot for {page}")
    partial.replace(out)
    return out
