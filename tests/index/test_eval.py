from __future__ import annotations

import json
import subprocess
import sys

import pytest

from index.eval import Asked, answer_position, main, score_answers, score_ranks
from tests.conftest import (
    PROJECT,
    SEED_QUESTIONS,
    SHARED_SEED_QUESTIONS,
    SQUAD,
    read_seed_questions,
)


def run_eval(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "index.eval", *args],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=timeout,
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
                            {
                                "question": "When did the volcano erupt?",
                                "id": "1",
                                "answers": [{"text": "Dawn", "answer_start": 23}],
                            }
                        ],
                    },
                    {
                        "context": "Farmers moved their cattle to the northern pastures.",
                        "qas": [
                            {
                                "question": "Where did farmers move cattle?",
                                "id": "2",
                                "answers": [{"text": "northern pastures", "answer_start": 35}],
                            }
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
                            {
                                "question": "What flooded the town?",
                                "id": "3",
                                "answers": [{"text": "the river", "answer_start": 0}],
                            },
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
    # Three of the four answers are in the first passage quoted; the chess question gets none.
    assert lines[9].startswith("the answer's text in the passages quoted")
    assert lines[10] == "whole answer@1 0.750 answer@3 0.750"
    assert lines[11] == "whole first half answer@1 1.000 answer@3 1.000"
    assert lines[12] == "whole second half answer@1 0.500 answer@3 0.500"
    assert lines[13] == "per-article answer@1 0.750 answer@3 0.750"


def test_answer_position_is_word_bounded_and_ignores_case():
    passages = ["The troops left in 1998.", "At least 83 people died; the US said so."]
    assert answer_position("83", passages) == 2
    assert answer_position("the us", passages) == 2
    assert answer_position("troops", passages) == 1
    assert answer_position("troop", passages) is None  # a part of a word is not the answer
    assert answer_position("8", passages) is None
    assert answer_position("", passages) is None
    assert answer_position("1998", []) is None


def test_a_quote_cut_before_the_answer_is_a_miss():
    asked = [
        Asked(article=0, rank=1, ranked=3, shown=3, answer_at=None),  # gold first, answer cut
        Asked(article=0, rank=2, ranked=3, shown=3, answer_at=2),
        Asked(article=1, rank=1, ranked=3, shown=1, answer_at=1),
        Asked(article=1, rank=None, ranked=0, shown=0, answer_at=None),
    ]
    scores = score_answers(asked)
    assert scores.answer_at_1 == 0.25
    assert scores.answer_at_3 == 0.5


@pytest.fixture(scope="module")
def squad_retrieval() -> str:
    if not SQUAD.exists():
        pytest.skip("the SQuAD subset is not beside the project")
    # 11,877 questions asked twice each (whole corpus, own article): minutes on a busy machine.
    result = run_eval("retrieval", "--squad", str(SQUAD.parent), "--no-answers", timeout=1200)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_squad_subset_meets_the_retrieval_targets(squad_retrieval):
    whole, per_article = (line.split() for line in squad_retrieval.splitlines()[:2])
    assert whole[0] == "whole" and per_article[0] == "per-article"
    r1, mrr = float(whole[2]), float(whole[6])
    assert r1 >= 0.745 and mrr >= 0.815
    assert float(per_article[2]) >= 0.775
    assert " answer@1 " not in squad_retrieval  # left out on request


def test_showing_only_real_candidates_costs_little_recall(squad_retrieval):
    shown = [line.split() for line in squad_retrieval.splitlines() if " passages " in line]
    assert len(shown) == 6  # whole and per-article, each whole and by halves
    for words in shown:
        at = words.index("R@3")
        ranked, kept = float(words[at + 1]), float(words[at + 3])
        passages_ranked, passages_shown = float(words[-3]), float(words[-1])
        assert kept >= ranked - 0.002
        assert passages_shown < 0.9 * passages_ranked
