"""The operators' benchmark (``python -m index.bench --operators``): its article samples,
what each mode asks, and a small run on made-up text whose report must have every mode
with numbers. No timing is asserted."""

from __future__ import annotations

import json

from index.bench.__main__ import main
from index.bench.corpus import ARTICLE_SIZE
from index.bench.operators import MODES, TABLE_HEADER, article_sample, mode_calls
from index.bench.peers import build_this_index
from index.search.analyzer import analyse
from index.search.bm25 import BM25Params

PARAGRAPHS = [
    "The harbour reopened on Tuesday after the storm. Boats returned to the docks at dawn. "
    "Cranes moved grain from two ships while the port authority counted the damage.",
    "A volcano erupted at dawn near the village. Ash covered the valley for three days. "
    "Farmers moved their cattle to the hills and schools stayed closed until Friday.",
    "The council voted on the budget last night. Schools will get new roofs this summer. "
    "Buses will run later on weekends, and the library opens on Sundays again.",
]
QUESTIONS = [
    "When did the harbour reopen after the storm?",
    "What covered the valley after the volcano erupted?",
    "What will schools get this summer?",
    "Where did the farmers move their cattle?",
]


def test_article_samples_are_seeded_shares_of_the_benchmarks_article_ids():
    tenth = article_sample(1000, 0.10)
    assert len(tenth) == 100 and tenth == article_sample(1000, 0.10)
    assert all(aid % ARTICLE_SIZE == 0 and 0 <= aid < 1000 * ARTICLE_SIZE for aid in tenth)
    assert article_sample(1000, 0.10, seed=1) != tenth
    assert len(article_sample(30, 0.01)) == 1  # never empty


def test_each_mode_asks_what_its_name_says():
    paragraphs = [PARAGRAPHS[i % 3] + f" Item{i}." for i in range(40 * ARTICLE_SIZE)]
    index = build_this_index([analyse(text) for text in paragraphs], BM25Params())
    calls = dict(mode_calls(index, index.article_count, 50))
    assert list(calls) == list(MODES)
    terms = analyse("schools harbour dawn")
    assert calls[MODES[0]](terms) == index.search(terms, 50)
    for mode, share in ((MODES[1], 0.10), (MODES[2], 0.01)):
        hits = calls[mode](terms)
        assert hits and {hit.article_id for hit in hits} <= article_sample(40, share)
    idfs = index.idfs(terms)
    rarest, commonest = max(terms, key=idfs.get), min(terms, key=idfs.get)
    assert all(rarest in analyse(paragraphs[hit.paragraph_id]) for hit in calls[MODES[3]](terms))
    excluded = calls[MODES[4]](terms)
    assert excluded
    assert all(commonest not in analyse(paragraphs[hit.paragraph_id]) for hit in excluded)


def test_the_quick_run_writes_its_report(tmp_path, capsys):
    squad = tmp_path / "data" / "squad-train-subset"
    squad.mkdir(parents=True)
    qas = [{"question": question} for question in QUESTIONS]
    paragraphs = [{"context": p, "qas": qas} for p in PARAGRAPHS]
    data = {"data": [{"title": "t", "paragraphs": paragraphs}]}
    (squad / "squad-train-subset-v1.1.json").write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "out"
    sizes = ["--paragraphs", "400", "--questions", "10"]
    paths = ["--data", str(tmp_path / "data"), "--out", str(out)]
    status = main(["--operators", "--quick", *sizes, *paths])
    assert status == 0, capsys.readouterr()
    report = (out / "operators-quick.md").read_text(encoding="utf-8")
    assert "400 paragraphs in 20 articles" in report
    assert TABLE_HEADER in report
    for mode in MODES:
        row = next(line for line in report.splitlines() if line.startswith(f"| {mode} |"))
        median, p95 = (float(cell) for cell in row.split("|")[2:4])
        assert 0 < median <= p95
    result = json.loads((out / "operators-quick.json").read_text(encoding="utf-8"))
    assert result["paragraphs"] == 400 and result["questions"] == 10  # 12 asked, 10 kept
    assert [mode["mode"] for mode in result["modes"]] == list(MODES)
    for mode in result["modes"]:
        assert mode["spread"]["runs"] == 10
        assert 0 < mode["mean_hits"] <= result["k"]
