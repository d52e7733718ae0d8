"""docs/tutorial.md, verbatim: every block in order, in a throw-away project in a temporary folder.

Shell blocks run line by line (``cd`` moves the working directory), ``write``/``append`` blocks
become the files they name, ``pycon`` sessions run in ``manage.py shell`` as doctests, and the
Mermaid chart must be what ``workflows graph`` prints. See tests/docblocks.py for the markers.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.docblocks import Block, blocks

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL = ROOT / "docs" / "tutorial.md"
_DOCTEST = (
    "import doctest, sys\n"
    "text = open({path!r}).read()\n"
    "test = doctest.DocTestParser().get_doctest(text, {{}}, 'tutorial', {path!r}, 0)\n"
    "runner = doctest.DocTestRunner()\n"
    "runner.run(test)\n"
    "sys.exit(1 if runner.failures else 0)\n"
)


class Project:
    """The reader's terminal: a working directory and the commands typed into it."""

    def __init__(self, folder: Path) -> None:
        self.cwd = folder
        bin_dir = str(Path(sys.executable).parent)
        self.env = {key: value for key, value in os.environ.items()
                    if key not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "PYTHONPATH")}
        self.env["PATH"] = bin_dir + os.pathsep + self.env.get("PATH", "")
        self.pycon: list[str] = []

    def sh(self, line: str, where: str) -> str:
        if line.startswith("cd "):
            self.cwd = self.cwd / line[3:].strip()
            return ""
        done = subprocess.run(line, shell=True, cwd=self.cwd, env=self.env, text=True,
                              capture_output=True, timeout=300)
        assert done.returncode == 0, f"{where}: `{line}` failed:\n{done.stdout}{done.stderr}"
        return done.stdout

    def flush_shell_session(self) -> None:
        """Run the pycon blocks read so far as one ``manage.py shell`` session."""
        if not self.pycon:
            return
        session = self.cwd.parent / "session.txt"
        session.write_text("\n".join(self.pycon))
        self.pycon = []
        code = _DOCTEST.format(path=str(session))
        self.sh(f"python manage.py shell -c {quote(code)}", "shell session")

    def apply(self, block: Block) -> None:
        if block.lang == "pycon":
            self.pycon.append(block.code)
            return
        self.flush_shell_session()
        if block.directive in ("write", "append"):
            target = self.cwd / block.argument
            mode = "a" if block.directive == "append" else "w"
            with target.open(mode) as handle:
                handle.write(("\n" if mode == "a" else "") + block.code)
        elif block.directive == "output":
            printed = self.sh(block.argument, block.where)
            assert printed.strip() == block.code.strip(), f"{block.where}: the doc shows\n" \
                f"{block.code}\nbut `{block.argument}` prints\n{printed}"
        elif block.lang == "bash":
            for line in block.code.splitlines():
                if line.strip() and not line.lstrip().startswith("#"):
                    self.sh(line.strip(), block.where)
        else:
            raise AssertionError(f"{block.where}: a {block.lang} block in the tutorial needs a "
                                 "docs-test marker (write, append, output or skip)")


def quote(text: str) -> str:
    import shlex

    return shlex.quote(text)


def test_the_tutorial_runs_verbatim(tmp_path):
    project = Project(tmp_path)
    ran = 0
    for block in blocks(TUTORIAL):
        if block.directive == "skip":
            continue
        project.apply(block)
        ran += 1
    project.flush_shell_session()
    assert ran >= 10
    # The reader's own tests (leave/tests.py) ran in `manage.py test leave`; the project is real.
    assert (tmp_path / "mysite" / "leave" / "workflows.py").exists()
