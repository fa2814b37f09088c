from __future__ import annotations

import json
import subprocess
import sys

import pytest

from index.eval import main, score_ranks
from tests.conftest import (
    PROJECT,
    SEED_QUESTIONS,
    SHARED_SEED_QUESTIONS,
    SQUAD,
    read_seed_questions,
)


def run_eval(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "index.eval", *args],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_score_ranks():
    scores = score_ranks([1, 2, None, 4])
    assert scores.recall_at_1 == 0.25
    assert scores.recall_at_3 == 0.5
    assert scores.mrr_at_10 == pytest.approx((1 + 1 / 2 + 1 / 4) / 4)


def test_seed_questions_all_pass():
    result = run_eval("seed", "--questions", str(SEED_QUESTIONS))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "11/11 passed" in result.stdout
    assert "FAIL" not in result.stdout


@pytest.mark.skipif(
    not SHARED_SEED_QUESTIONS.is_file(),
    reason="the shared seed questions are not beside the project",
)
def test_shipped_seed_questions_are_the_shared_ones():
    assert read_seed_questions(SEED_QUESTIONS) == read_seed_questions(SHARED_SEED_QUESTIONS)


def test_seed_eval_fails_on_a_wrong_expectation(tmp_path):
    questions = tmp_path / "q.tsv"
    questions.write_text(
        "question\texpected\nHow many people were killed?\tsomething the article never says\n"
        "What is the capital of Australia?\tNO_ANSWER\n",
        encoding="utf-8",
    )
    assert main(["seed", "--questions", str(questions)]) == 1


def test_retrieval_on_a_small_squad_file(tmp_path, capsys):
    squad = {
        "data": [
            {
                "title": "Volcanoes",
                "paragraphs": [
                    {
                        "context": "The volcano erupted at dawn and ash covered the valley.",
                        "qas": [
                            {"question": "When did the volcano erupt?", "id": "1", "answers": []}
                        ],
                    },
                    {
                        "context": "Farmers moved their cattle to the northern pastures.",
                        "qas": [
                            {"question": "Where did farmers move cattle?", "id": "2", "answers": []}
                        ],
                    },
                ],
            },
            {
                "title": "Rivers",
                "paragraphs": [
                    {
                        "context": "The river flooded the town after weeks of rain.",
                        "qas": [
                            {"question": "What flooded the town?", "id": "3", "answers": []},
                            {"question": "Who won the chess final?", "id": "4", "answers": []},
                        ],
                    },
                ],
            },
        ]
    }
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(squad), encoding="utf-8")
    assert main(["retrieval", "--squad", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "whole R@1 0.750 R@3 0.750 MRR@10 0.750"
    assert lines[1] == "per-article R@1 0.750 R@3 0.750 MRR@10 0.750"
    # The volcano question's second hit (only the title's "volcano") is not shown.
    assert lines[2].startswith("answers of 3 passages, only real candidates")
    assert lines[3] == "whole R@1 0.750 R@3 0.7500 -> 0.7500 passages 1.00 -> 0.75"
    assert lines[4].startswith("whole first half ") and lines[5].startswith("whole second half ")


@pytest.mark.skipif(not SQUAD.exists(), reason="the SQuAD subset is not beside the project")
def test_squad_subset_meets_the_retrieval_targets():
    result = run_eval("retrieval", "--squad", str(SQUAD.parent))
    assert result.returncode == 0, result.stderr
    whole, per_article = (line.split() for line in result.stdout.splitlines()[:2])
    assert whole[0] == "whole" and per_article[0] == "per-article"
    r1, mrr = float(whole[2]), float(whole[6])
    assert r1 >= 0.71 and mrr >= 0.79
    assert float(per_article[2]) >= 0.75


@pytest.mark.skipif(not SQUAD.exists(), reason="the SQuAD subset is not beside the project")
def test_showing_only_real_candidates_costs_little_recall():
    result = run_eval("retrieval", "--squad", str(SQUAD.parent))
    assert result.returncode == 0, result.stderr
    shown = [line.split() for line in result.stdout.splitlines() if " passages " in line]
    assert len(shown) == 6  # whole and per-article, each whole and by halves
    for words in shown:
        at = words.index("R@3")
        ranked, kept = float(words[at + 1]), float(words[at + 3])
        passages_ranked, passages_shown = float(words[-3]), float(words[-1])
        assert kept >= ranked - 0.002
        assert passages_shown < 0.9 * passages_ranked
