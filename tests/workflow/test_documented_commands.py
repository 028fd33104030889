"""Every shell command in a fenced block of README.md, config/README.md and docs/*.md works as
written: each Snakemake command is dry-run (``-n``: nothing trains) from the repository root with
the venv's Snakemake, each ``make`` target must exist (``make -n``). A command that stops working
(a target read as a config file, a renamed rule) fails here."""

import re
import shlex
import subprocess
import sys

import pytest

from conftest import ROOT

pytestmark = pytest.mark.workflow
DOCUMENTS = ["README.md", "config/README.md", *sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").glob("*.md"))]
COMMAND = re.compile(r"^(?:[A-Z_]+=\S+ )*(?:\.venv/bin/)?(snakemake|make)\b")


def documented_commands() -> list[tuple[str, str]]:
    """(document, command) of every snakemake/make line inside a fenced code block."""
    found = []
    for doc in DOCUMENTS:
        for block in re.findall(r"```(?:bash|sh|console)?\n(.*?)```", (ROOT / doc).read_text(encoding="utf-8"), re.S):
            for line in block.splitlines():
                command = line.split(" #")[0].strip()
                if COMMAND.match(command):
                    found.append((doc, command))
    return found


def test_the_documents_hold_the_commands_this_test_runs():
    commands = [c for _, c in documented_commands()]
    assert sum("snakemake" in c for c in commands) >= 8 and any(c.startswith("make demo") for c in commands)


@pytest.mark.parametrize("doc, command", documented_commands(), ids=lambda v: v[:60])
def test_a_documented_command_works_as_written(doc, command):
    words = shlex.split(command)
    while "=" in words[0] and not words[0].startswith("-"):
        words.pop(0)  # VAR=value before the command: not needed for a dry run
    if words[0] == "make":
        proc = subprocess.run(["make", "-n", *words[1:]], cwd=ROOT, capture_output=True, text=True, timeout=120)
    else:
        args = words[1:]
        if "--unlock" in args:
            args = [a for a in args if a != "--unlock"] + ["--list-target-rules"]  # parses the workflow, unlocks nothing
        elif "-n" not in args:
            args = ["-n", *args]
        proc = subprocess.run([sys.executable, "-m", "snakemake", *args, "--quiet", "rules"], cwd=ROOT,
                              capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"{doc}: `{command}` failed:\n{proc.stdout[-1500:]}\n{proc.stderr[-2500:]}"
