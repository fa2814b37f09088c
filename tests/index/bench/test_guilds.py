"""The many-guild simulation: its plan (sizes, popularity, questions) and a small run
through ``python -m index.bench --guilds --quick`` on made-up text, whose report must
have every part. Its numbers are not checked, only what must hold whatever the timing."""

from __future__ import annotations

import json
import random

import pytest

from index.bench.__main__ import main
from index.bench.guilds import (
    FIRST_GUILD_ID,
    ask_plan,
    guild_sizes,
    parse_budgets,
    popular_ranks,
    question_from,
    tail_factor,
)
from index.bench.guilds_report import PAPER_HEADER, TABLE_HEADER

PARAGRAPHS = [
    "The harbour reopened on Tuesday after the storm. Boats returned to the docks at dawn. "
    "Cranes moved grain from two ships while the port authority counted the damage.",
    "A volcano erupted at dawn near the village. Ash covered the valley for three days. "
    "Farmers moved their cattle to the hills and schools stayed closed until Friday.",
    "The council voted on the budget last night. Schools will get new roofs this summer. "
    "Buses will run later on weekends, and the library opens on Sundays again.",
]


def test_guild_sizes_keep_the_largest_and_scale_the_tail_to_the_total():
    sizes = guild_sizes(1000, 1_000_000, 2_000_000)
    assert len(sizes) == 1000 and sizes[0] == 1_000_000
    assert sizes == sorted(sizes, reverse=True)
    assert abs(sum(sizes) - 2_000_000) < 1000
    factor = tail_factor(1000, 1_000_000, 2_000_000)
    assert 0.15 < factor < 0.16  # far below pure Zipf's 1
    assert sizes[1] == round(factor * 1_000_000 / 2) and sizes[9] == round(factor * 100_000)
    with pytest.raises(ValueError):
        guild_sizes(10, 5000, 1000)


def test_popular_guilds_are_asked_more_and_questions_come_from_their_text():
    ranks = popular_ranks(50, 5000, random.Random(1))
    counts = [ranks.count(rank) for rank in range(50)]
    assert counts[0] > 3 * counts[10] > 0 and counts[0] > counts[1]
    rng = random.Random(2)
    for _ in range(50):
        question = question_from(PARAGRAPHS[0], rng)
        assert question.endswith("?") and 3 <= len(question.split()) <= 7
        assert question[:-1].split()[0] in PARAGRAPHS[0]
    warm, measured = ask_plan([[PARAGRAPHS[0]], [PARAGRAPHS[1]]], 10, 30)
    assert len(warm) == 10 and len(measured) == 30
    assert {guild for guild, _ in warm + measured} <= {FIRST_GUILD_ID, FIRST_GUILD_ID + 1}


def test_budgets_are_mib_or_unlimited():
    assert parse_budgets("256, 1024,unlimited") == [256 * 1024**2, 1024**3, None]
    with pytest.raises(ValueError):
        parse_budgets("lots")


def test_the_quick_simulation_writes_its_report(tmp_path, capsys):
    """8 guilds, 600 paragraphs, a budget of a quarter MiB (less than two indexes: each
    keeps its question scratch) and none."""
    squad = tmp_path / "data" / "squad-train-subset"
    squad.mkdir(parents=True)
    data = {"data": [{"title": "t", "paragraphs": [{"context": p, "qas": []} for p in PARAGRAPHS]}]}
    (squad / "squad-train-subset-v1.1.json").write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "out"
    sizes = "--guild-count 8 --largest-guild 200 --guild-paragraphs 600 --guild-questions 40"
    sizes += " --guild-warm-up 10 --guild-budgets 0.25,unlimited"
    paths = ["--data", str(tmp_path / "data"), "--out", str(out)]
    paths += ["--guild-dir", str(tmp_path / "guilds")]
    status = main(["--guilds", "--quick", *paths, *sizes.split()])
    assert status == 0, capsys.readouterr()
    report = (out / "guilds-quick.md").read_text(encoding="utf-8")
    run = json.loads((out / "guilds-quick.json").read_text(encoding="utf-8"))

    assert report.startswith("### Many guilds in one process, under a memory budget")
    assert TABLE_HEADER in report and PAPER_HEADER in report
    assert "#### 100,000 guilds, on paper" in report
    assert "Every load was from a snapshot" in report
    for name in ("0.25 MiB", "unlimited"):
        assert sum(line.startswith(f"| {name} | ") for line in report.splitlines()) == 2

    assert run["sizes"][0] == 200 and len(run["sizes"]) == 8
    assert len(run["index_bytes"]) == 8 and min(run["index_bytes"]) > 0
    assert (run["warm_up"], run["questions"]) == (10, 40)
    small, unlimited = run["budgets"]
    assert (small["budget"], unlimited["budget"]) == (1024**2 // 4, None)
    for result in (small, unlimited):
        assert result["problem"] == "" and result["questions"] == 40
        assert len(result["ms"]) == len(result["cold"]) == 40
        assert result["answered"] > 20  # the questions are the guilds' own words
        assert result["loads_from_store"] == 0  # every index from its snapshot
        assert result["rss_peak_mib"] >= result["rss_imports_mib"] > 0
    assert small["evictions"] > 0 and small["guilds_held_end"] == 1
    assert sum(small["cold"]) == small["loads_from_snapshot"] > sum(unlimited["cold"])
    assert unlimited["evictions"] == 0
    assert unlimited["held_end"] >= small["held_end"]
    assert run["build_reused"] is False

    # Run again in the same folder: the guilds filled before are used again.
    assert main(["--guilds", "--quick", *paths, *sizes.split()]) == 0
    again = json.loads((out / "guilds-quick.json").read_text(encoding="utf-8"))
    assert again["build_reused"] is True
    assert (again["build_s"], again["index_bytes"]) == (run["build_s"], run["index_bytes"])
    reused = (out / "guilds-quick.md").read_text(encoding="utf-8")
    assert "by an earlier run whose guilds are used again here" in reused
