"""`make serve` without configuration says what to set, before anything starts (issue 8 §5)."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _serve_config(**env: str) -> subprocess.CompletedProcess[str]:
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run(["make", "--no-print-directory", "serve-config"], cwd=ROOT, env={**base, **env},
                          capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_serve_without_a_key_says_what_to_set() -> None:
    result = _serve_config()
    assert result.returncode != 0
    for expected in ("SECRET_KEY", "32", "EVENTSVC_ENV=production", "DATABASE_URL"):
        assert expected in result.stdout, (expected, result.stdout)
    assert _serve_config(SECRET_KEY="short").returncode != 0


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_serve_with_a_long_key_passes_the_check() -> None:
    assert _serve_config(SECRET_KEY="x" * 64).returncode == 0
