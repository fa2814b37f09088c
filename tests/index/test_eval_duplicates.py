"""Tests for index.eval_duplicates, on a small benchmark written here."""

from __future__ import annotations

import json
import re
from pathlib import Path

from index import eval_duplicates
from index.search import near_duplicates as nd

ARTICLES = {
    "first": (
        "The harbour authority said on Monday that the flood barrier at the mouth of the river "
        "would stay closed until engineers finish checking the gates.\n\n"
        "Ferry crossings to the island will leave from the north pier in the meantime, and "
        "the operator has added three evening sailings.\n\n"
        "Shop owners along the quay said the closure came at the worst time of the year."
    ),
    "second": (
        "A new library opened in the old grain store on Saturday, with a reading room for "
        "children and a café on the top floor overlooking the square.\n\n"
        "The building had stood empty for twenty years before the town bought it in a "
        "public auction, and volunteers cleared it over two summers."
    ),
}
SQUAD = {
    "version": "1.1",
    "data": [
        {
            "title": "Bridges",
            "paragraphs": [
                {
                    "context": "A suspension bridge hangs its deck from cables held by towers, "
                    "and can span far greater distances than an arch.",
                    "qas": [],
                },
                {
                    "context": "An arch bridge carries its load outwards to supports at each "
                    "end, which is why stone arches have stood for centuries.",
                    "qas": [],
                },
            ],
        }
    ],
}


def write_benchmark(tmp_path: Path) -> tuple[Path, Path]:
    aeb = tmp_path / "aeb"
    aeb.mkdir()
    truth = {
        name: {"articleBody": body, "url": f"https://example.com/{name}"}
        for name, body in ARTICLES.items()
    }
    (aeb / "ground-truth.json").write_text(json.dumps(truth), encoding="utf-8")
    squad = tmp_path / "squad"
    squad.mkdir()
    (squad / "squad.json").write_text(json.dumps(SQUAD), encoding="utf-8")
    return aeb, squad


def test_the_command_prints_distributions_thresholds_and_merges(tmp_path, capsys):
    aeb, squad = write_benchmark(tmp_path)
    assert eval_duplicates.main(["--aeb", str(aeb), "--squad", str(squad)]) == 0
    out = capsys.readouterr().out
    assert "2 pages, 5 paragraphs; 1 SQuAD articles, 2 paragraphs" in out
    assert f"PARAGRAPH_THRESHOLD={nd.PARAGRAPH_THRESHOLD}" in out
    assert f"ARTICLE_THRESHOLD={nd.ARTICLE_THRESHOLD}" in out
    recall = re.search(
        r"LSH candidate recall of the variant pairs at the threshold: (\d+)/(\d+)", out
    )
    assert recall is not None and recall.group(1) == recall.group(2) != "0"
    assert "known-different pairs merged: 0 paragraph pairs, 0 article pairs" in out


def test_variants_change_what_they_say_they_change():
    paragraph = "First sentence here. Second one follows it."
    assert eval_duplicates.without_last_sentence(paragraph) == "First sentence here."
    assert eval_duplicates.without_last_sentence("Only one.") is None
    assert eval_duplicates.truncated("one two three four five six") == "one two three four…"
    variants = eval_duplicates.article_variants(["A b c. D e f.", "G h i.", "J k l m n o."])
    assert variants["byline"][1:] == ["A b c. D e f.", "G h i.", "J k l m n o."]
    assert variants["sentence dropped"] == ["A b c.", "G h i.", "J k l m n o."]
    assert variants["all of these"][0].startswith("By ")


def test_distinct_pairs_leave_out_repeats_and_find_every_pair():
    texts = ["alpha beta gamma delta epsilon zeta eta theta"] * 2 + [
        "one two three four five six seven eight",
        "nine ten eleven twelve thirteen fourteen fifteen sixteen",
    ]
    pairs = eval_duplicates.distinct_paragraph_pairs("t", texts)
    assert len(pairs.similarities) == 3  # three distinct texts
    assert pairs.merged == []
    assert [eval_duplicates._nth_pair(4, n) for n in range(6)] == [
        (0, 1),
        (0, 2),
        (0, 3),
        (1, 2),
        (1, 3),
        (2, 3),
    ]
