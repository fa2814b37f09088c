"""A finished file gets its name whole, and never over another file."""

from __future__ import annotations

import pytest

from index.new_files import give_name


def test_the_finished_file_gets_its_name(tmp_path):
    temporary, target = tmp_path / ".report.partial", tmp_path / "report.json"
    temporary.write_bytes(b"{}")
    give_name(temporary, target)
    assert target.read_bytes() == b"{}"


def test_a_file_already_there_is_never_replaced(tmp_path):
    temporary, target = tmp_path / ".report.partial", tmp_path / "report.json"
    temporary.write_bytes(b"new")
    target.write_bytes(b"old")
    with pytest.raises(FileExistsError):
        give_name(temporary, target)
    assert target.read_bytes() == b"old"
