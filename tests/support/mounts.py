"""Real read-only folders and real full disks for tests.

Commands run in a mount namespace of their own (``unshare --mount``), where a folder is
bind-mounted read-only or a small tmpfs is mounted: the mounts exist only for those
commands and vanish with them, whatever happens. Root ignores file permissions, so a
``chmod`` cannot make a file read-only for it; a read-only mount can. Needs the right to
create mount namespaces (root, as in CI): tests using it skip with a reason otherwise.
"""

from __future__ import annotations

import functools
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Result:
    returncode: int
    stdout: str
    stderr: str


@functools.cache
def can_mount() -> bool:
    if shutil.which("unshare") is None or shutil.which("mount") is None:
        return False
    with tempfile.TemporaryDirectory() as folder:
        try:
            run_in_mounts([small_disk(Path(folder), "64k")], [["true"]])
        except (OSError, subprocess.SubprocessError, AssertionError):
            return False
    return True


def read_only_view(source: Path, view: Path) -> str:
    """A shell line that shows ``source`` at ``view`` (an empty folder), read-only."""
    return (
        f"mount --bind {shlex.quote(str(source))} {shlex.quote(str(view))} && "
        f"mount -o remount,bind,ro {shlex.quote(str(view))}"
    )


def small_disk(folder: Path, size: str) -> str:
    """A shell line that puts ``folder`` on a file system of ``size`` ("400k"), with
    what ``folder`` holds copied onto it."""
    quoted = shlex.quote(str(folder))
    kept = shlex.quote(f"{folder}.contents")
    return (
        f"cp -a {quoted} {kept} && mount -t tmpfs -o size={size} tmpfs {quoted} && "
        f"cp -a {kept}/. {quoted}/ && rm -rf {kept}"
    )


def run_in_mounts(
    mounts: Sequence[str],
    commands: Sequence[Sequence[str]],
    *,
    env: dict[str, str] | None = None,
) -> list[Result]:
    """Run ``commands`` one after the other with ``mounts`` in place (each a line from
    the functions above); returns what each printed and its exit status."""
    with tempfile.TemporaryDirectory() as outputs:
        lines = ["set -e", *mounts, "set +e"]
        for number, command in enumerate(commands):
            out, err, status = (shlex.quote(f"{outputs}/{number}.{kind}") for kind in "oes")
            lines.append(f"{shlex.join(command)} < /dev/null > {out} 2> {err}; echo $? > {status}")
        setup = subprocess.run(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c", "\n".join(lines)],
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
            cwd=PROJECT,
            check=False,
        )
        assert setup.returncode == 0, f"the mounts failed: {setup.stderr}"
        folder = Path(outputs)
        return [
            Result(
                int((folder / f"{number}.s").read_text()),
                (folder / f"{number}.o").read_text(encoding="utf-8"),
                (folder / f"{number}.e").read_text(encoding="utf-8"),
            )
            for number in range(len(commands))
        ]


def python(*args: str) -> list[str]:
    return [sys.executable, *args]


def environment(**values: str) -> dict[str, str]:
    """This process's environment without a Discord token, with ``values`` added."""
    environ = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    environ.update(values)
    return environ


needs_mounts = pytest.mark.skipif(
    not can_mount(), reason="needs the right to mount file systems (unshare --mount, as root)"
)
