"""A web worker starts without the heavy libraries only some pages use (worker memory, issue 13)."""
from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("reportlab", "openpyxl", "PIL", "qrcode", "alembic", "flask_migrate", "pypdf")


def test_serving_imports_no_report_or_migration_libraries(tmp_path: Path) -> None:
    code = ("import json, sys; import wsgi; "
            f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({list(HEAVY)!r}))))")
    env = {**os.environ, "EVENTSVC_ENV": "production", "SECRET_KEY": secrets.token_hex(32),
           "EVENTSVC_INSTANCE_PATH": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
