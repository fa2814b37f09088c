"""The two latency modes and the percentiles, with fake libraries that record their
calls: who answered what, in which order. No timing is asserted."""

from __future__ import annotations

import itertools

import pytest

from index.bench import latency
from index.bench.latency import (
    SLOW_PROBE,
    alone_rounds,
    measure,
    percentile,
    rotation_orders,
    spread,
)
from index.bench.peers import SLOW_QUESTIONS, Library


def recording_libraries(names: list[str], calls: list[tuple[str, str]]) -> list[Library]:
    def library(name: str, max_questions: int | None = None) -> Library:
        def search(terms: list[str]) -> list[int]:
            calls.append((name, terms[0]))
            return [0]

        return Library(name, search, 0.0, "fake", max_questions=max_questions)

    return [library(name) for name in names]


def identity(question: str) -> list[str]:
    return [question]


def test_percentile_is_a_measured_value_by_nearest_rank():
    values = [float(i) for i in range(1, 101)]
    assert percentile(values, 0.95) == 95.0
    assert percentile(values, 0.99) == 99.0
    assert percentile(list(reversed(values)), 0.99) == 99.0
    assert percentile([3.0], 0.99) == 3.0
    assert percentile([float(i) for i in range(1, 1001)], 0.99) == 990.0


def test_spread_has_the_median_and_both_tails():
    result = spread([float(i) for i in range(1, 201)])
    assert (result.median_ms, result.p95_ms, result.p99_ms, result.runs) == (100.5, 190, 198, 200)


def test_each_question_gets_a_permutation_of_the_libraries_that_changes_between_questions():
    orders = rotation_orders(200, 5)
    assert len(orders) == 200
    assert all(sorted(order) == [0, 1, 2, 3, 4] for order in orders)
    assert sum(a != b for a, b in itertools.pairwise(orders)) > 150
    assert len({order[0] for order in orders}) == 5  # every library is sometimes first
    assert rotation_orders(200, 5) == orders  # seeded
    assert rotation_orders(200, 5, seed=1) != orders


def test_alone_rounds_run_the_libraries_in_opposite_orders():
    assert alone_rounds(4) == [[0, 1, 2, 3], [3, 2, 1, 0]]


def test_rotation_asks_every_library_each_question_before_the_next_question():
    calls: list[tuple[str, str]] = []
    names = ["a", "b", "c", "d"]
    questions = [f"q{i}" for i in range(20)]
    measure(recording_libraries(names, calls), questions, analyser=identity)
    rotation = calls[: len(names) * len(questions)]
    for number, question in enumerate(questions):
        block = rotation[number * len(names) : (number + 1) * len(names)]
        assert {q for _, q in block} == {question}
        assert sorted(name for name, _ in block) == names
    orders = {tuple(name for name, _ in rotation[i : i + 4]) for i in range(0, len(rotation), 4)}
    assert len(orders) > 1


def test_alone_mode_runs_every_library_on_every_question_twice_in_opposite_orders():
    calls: list[tuple[str, str]] = []
    names = ["a", "b", "c"]
    questions = [f"q{i}" for i in range(10)]
    warm = ["w0", "w1"]
    result = measure(
        recording_libraries(names, calls), questions, warm_up_with=warm, analyser=identity
    )
    assert calls[:6] == [(name, q) for name in names for q in warm]  # untimed, first
    alone = calls[6 + len(names) * len(questions) :]
    expected = [(name, q) for name in [*names, *reversed(names)] for q in questions]
    assert alone == expected
    for name in names:
        assert len(result.rotation[name]) == len(questions)
        assert len(result.alone[name]) == 2 * len(questions)
        assert result.questions[name] == len(questions)
    assert result.slow == []


def test_a_slow_library_answers_only_the_first_questions_in_both_modes(monkeypatch):
    """The library's answers are given fixed durations: only the rule is tested."""
    durations = {"quick": 0.1, "slow": 50.0}
    monkeypatch.setattr(
        latency, "timed_answer", lambda library, question, analyser: durations[library.name]
    )
    calls: list[tuple[str, str]] = []
    questions = [f"q{i}" for i in range(SLOW_QUESTIONS + 40)]
    capped = Library("capped", lambda terms: [], 0.0, "fake", max_questions=7)
    libraries = [*recording_libraries(["quick", "slow"], calls), capped]
    durations["capped"] = 0.1
    result = measure(libraries, questions, analyser=identity)
    assert result.slow == ["slow"]
    assert result.questions == {"quick": len(questions), "slow": SLOW_QUESTIONS, "capped": 7}
    assert len(result.rotation["slow"]) == SLOW_QUESTIONS > SLOW_PROBE
    assert len(result.alone["slow"]) == 2 * SLOW_QUESTIONS
    assert len(result.rotation["quick"]) == len(questions)
    assert len(result.alone["capped"]) == 14


def test_libraries_need_names_of_their_own():
    calls: list[tuple[str, str]] = []
    with pytest.raises(ValueError):
        measure(recording_libraries(["a", "a"], calls), ["q"], analyser=identity)
