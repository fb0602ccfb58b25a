"""The README's marked examples, run as written on the default world (30,000 guests, seed 42).

A fenced block right after a ``<!-- readme-test ... -->`` line is run: ``sh`` blocks line by
line through bash (``guestloyalty`` and ``.venv/bin/guestloyalty`` are this interpreter's),
with ``GUESTLOYALTY_DATA_DIR`` pointing at the world; a ``sql`` block marked
``readme-test: NAME`` is saved as ``NAME`` in the working folder first (the README feeds it to
``guestloyalty sql < NAME``). Every line must exit 0, so an id that is not in the default
world, a renamed option or a broken query fails here.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from guestloyalty.config import Settings
from guestloyalty.operations.pipeline import run_pipeline
from guestloyalty.warehouse import Layout

pytestmark = pytest.mark.integration

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCK = re.compile(
    r"<!-- readme-test(?::\s*(?P<name>[^ ]+?))?(?: [^>]*)?-->\n```(?P<lang>\w+)\n(?P<body>.*?)```",
    re.S,
)
COMMENT = re.compile(r"\s{2,}#.*$")


def blocks() -> list[tuple[str, str | None, str]]:
    return [
        (match["lang"], match["name"], match["body"])
        for match in BLOCK.finditer(README.read_text())
    ]


def shell_lines() -> list[str]:
    lines = []
    for lang, _, body in blocks():
        if lang == "sh":
            for line in body.splitlines():
                line = COMMENT.sub("", line).strip()
                if line and not line.startswith("#"):
                    lines.append(line)
    return lines


@pytest.fixture(scope="module")
def default_world(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("default_world")
    layout = Layout(data_dir)
    run_pipeline(
        layout,
        Settings(data_dir=data_dir, seed=42),
        generate=True,
        guests=30_000,
        report=lambda _: None,
    )
    return layout


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A folder where ``.venv/bin/guestloyalty`` and ``guestloyalty`` run this checkout."""
    work = tmp_path_factory.mktemp("readme_cwd")
    bin_dir = work / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    wrapper = bin_dir / "guestloyalty"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m guestloyalty "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)
    for lang, name, body in blocks():
        if lang == "sql" and name:
            (work / name).write_text(body)
    return work


def test_the_readme_marks_the_examples_an_analyst_and_operator_type():
    lines = shell_lines()
    assert len(lines) >= 12
    assert any("score-guest" in line for line in lines)
    assert any(line.endswith("sql < questions.sql") for line in lines)
    assert any(lang == "sql" and name == "questions.sql" for lang, name, _ in blocks())


@pytest.mark.parametrize("line", shell_lines())
def test_readme_line_runs_on_the_default_world(default_world, workdir, line):
    env = {
        **os.environ,
        "GUESTLOYALTY_DATA_DIR": str(default_world.data_dir),
        "PATH": f"{workdir / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    result = subprocess.run(
        ["bash", "-c", line],
        cwd=workdir,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"{line}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    assert "error" not in result.stderr.lower(), result.stderr
