"""The README's Python example runs as written (section "From C and Python")."""

import contextlib
import io
import os
import pathlib
import re
import shutil
import subprocess

from conftest import CORPUS

README = pathlib.Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_python_block_runs(tmp_path, monkeypatch):
    text = README.read_text(encoding="utf-8")
    section = text.split("## From C and Python", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 1
    shutil.copy(CORPUS / "office/expected/msoffcrypto__example.docx", tmp_path / "report.docx")
    subprocess.run(["qpdf", "--empty", "--pages", str(CORPUS / "pdf/qpdf__c-r6-in.pdf"),
                    "--password=user4", "--", str(tmp_path / "in.pdf")], check=True)
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(blocks[0], "README.md", "exec"), {})
    printed = out.getvalue().splitlines()
    assert printed[0].startswith("wrong_password ") and printed[1] == "AES-256"
    assert os.path.exists("locked.pdf") and os.path.exists("locked.docx")
