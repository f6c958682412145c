"""Every file of the generated input corpus (input_corpus.py) has the outcome it must have.

A file that loads: the build passes, the data-quality report's raw, clean and rejected rows are
the expected ones, raw = clean + rejected, the rejected rows by reason are the expected ones, and
each check returns its value. A file that cannot be understood: the build stops, at the stage
expected, with a message that holds every expected fragment (the file's path, the column, the
setting to use), and without a Python traceback.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import PROJECT_ROOT
from input_corpus import CASES, Fails, Loads

DRIVER = Path(__file__).with_name("corpus_driver.py")


@pytest.fixture(scope="module")
def corpus_results(tmp_path_factory) -> dict:
    workdir = tmp_path_factory.mktemp("corpus")
    completed = subprocess.run(
        [sys.executable, str(DRIVER), str(workdir)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=1800,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    return json.loads((workdir / "results.json").read_text(encoding="utf-8"))


def test_the_corpus_is_large_and_varied():
    assert len(CASES) >= 30
    assert len({case.name for case in CASES}) == len(CASES)
    assert sum(isinstance(case.outcome, Fails) for case in CASES) >= 10
    assert {case.source for case in CASES} == {"transactions", "customers"}


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_case_has_its_outcome(case, corpus_results):
    result = corpus_results[case.name]
    output = result["output"]
    if isinstance(case.outcome, Fails):
        assert not result["passed"], f"{case.name} built, but must fail"
        for fragment in case.outcome.message:
            assert fragment.format(path=result["path"]) in output, (fragment, output[-3000:])
        stage = "check" if "Bad raw input for source" in output else "build"
        assert stage == case.outcome.stage, output[-3000:]
        assert "Traceback" not in output
        return
    assert isinstance(case.outcome, Loads)
    assert result["passed"], output[-5000:]
    counts = result["counts"]
    assert (counts["raw"], counts["clean"], counts["rejected"]) == (
        case.outcome.raw,
        case.outcome.clean,
        case.outcome.raw - case.outcome.clean,
    )
    assert counts["raw"] == counts["clean"] + counts["rejected"]
    assert result["rejected"] == case.outcome.rejected
    for sql, expected in case.outcome.checks.items():
        assert result["checks"][sql] == expected, sql
