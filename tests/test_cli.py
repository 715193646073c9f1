import json
import subprocess
import sys

from click.testing import CliRunner

from conftest import CORPUS
from indexer.cli import main


def test_parse_json_contract():
    result = CliRunner().invoke(main, ["parse", str(CORPUS / "000_a17ca67a3d6ef935.txt"), "--json"])
    assert result.exit_code == 0
    (notice,) = json.loads(result.output)
    assert notice["meeting_date"] == "2021-07-08"
    assert notice["presiding"] == {"name": "Lâm Minh Thế", "position": "Ủy viên Thường vụ trực Thị ủy"}
    assert set(notice["items"][0]) >= {"number", "section", "text", "sub_items", "addressees", "deadline"}
    for key in ("doc_type", "number", "issuer", "issuer_canonical", "body_level", "locality", "issue_date",
                "period", "meeting", "title", "recipients", "signer", "warnings"):
        assert key in notice


def test_parse_human_readable():
    result = CliRunner().invoke(main, ["parse", str(CORPUS / "001_tb_thi_uy_ben_cat.txt")])
    assert result.exit_code == 0 and "Thị ủy Bến Cát" in result.output and "2021-09-30" in result.output


def test_unreadable_file_is_one_line_on_stderr_exit_1(tmp_path):
    blob = tmp_path / "blob.txt"
    blob.write_bytes(bytes(range(256)) * 4)
    proc = subprocess.run([sys.executable, "-m", "indexer.cli", "parse", str(blob)], capture_output=True, text=True)
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "binary" in proc.stderr


def test_usage_error_exit_2():
    assert CliRunner().invoke(main, ["parse"]).exit_code == 2
    assert CliRunner().invoke(main, ["nosuchcommand"]).exit_code == 2
