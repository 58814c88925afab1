"""`plan import` through click's runner on the group itself (the app wires it into `flask` later)."""
from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from eventsvc.imports.plan_cli import plan

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "plan-2027-plain.txt"


def test_json_prints_one_document() -> None:
    result = CliRunner().invoke(plan, ["import", str(FIXTURE), "--year", "2027", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["year"] == 2027 and len(data["items"]) == 6
    assert data["items"][0]["targets"][1]["value"] == 10000


def test_dry_run_lists_programs_and_targets() -> None:
    result = CliRunner().invoke(plan, ["import", str(FIXTURE), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "2027 年工作要点：6 个条目，9 个目标数字（仅预览，未写入）" in result.output
    assert "[3] 做好困难职工帮扶" in result.output
    assert "目标：780 万元 · 金额 ← “780 万元”" in result.output
    assert "目标：2 个 · 填报成果（平湖街道总工会）" in result.output
    assert "! 单位“人事科”未对应到组织" in result.output


def test_without_a_flag_it_refuses_to_write(tmp_path: Path) -> None:
    result = CliRunner().invoke(plan, ["import", str(FIXTURE)])
    assert result.exit_code == 2 and "--dry-run" in result.output


def test_bad_files_give_a_message(tmp_path: Path) -> None:
    broken = tmp_path / "plan.docx"
    broken.write_bytes(b"not a zip")
    result = CliRunner().invoke(plan, ["import", str(broken), "--json"])
    assert result.exit_code == 1 and "无法读取 .docx 文件" in result.output
    untitled = tmp_path / "plan.txt"
    untitled.write_text("1．开展宣讲。全年 3 场。（责任部门：办公室）", encoding="utf-8")
    result = CliRunner().invoke(plan, ["import", str(untitled), "--json"])
    assert result.exit_code == 1 and "--year" in result.output
    assert CliRunner().invoke(plan, ["import", str(untitled), "--json", "--year", "2026"]).exit_code == 0
