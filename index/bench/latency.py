"""Query time of each library, in two modes, because each alone tells half the truth.

- In rotation, every question goes to all the libraries, in an order shuffled for each
  question (seeded): background load hits them alike and no library always follows the
  same one (a library run right after another's thread pool or large scan pays for it).
  But each library then finds its caches evicted by the others, as it would not in a
  process that only runs it.
- Alone, each library answers all the questions by itself, in two rounds with the
  libraries in opposite orders (L1..Ln, then Ln..L1), so none is always measured first
  or last; its figures pool both rounds. Its caches stay warm, as in real use.

Every timed call includes the analyser (the same for all), as a real question would.
Each library first answers a few questions that are not timed (compilation, first-use
allocations). A library whose median over its first ``SLOW_PROBE`` questions in rotation
is above ``SLOW_MEDIAN_MS`` answers only the first ``SLOW_QUESTIONS`` in each mode, so
slow peers cannot stretch a run to hours; the report says so.
"""

from __future__ import annotations

import gc
import math
import random
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from index.bench.peers import SLOW_QUESTIONS, Library
from index.search.analyzer import analyse

SLOW_PROBE = 30
SLOW_MEDIAN_MS = 20.0
WARM_UP_QUESTIONS = 3
ROTATION_SEED = 13

Analyser = Callable[[str], list[str]]


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank ``q`` quantile (0 < q <= 1): a value that was measured."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


@dataclass
class Spread:
    """Median, 95th and 99th percentiles of a library's query times in one mode."""

    median_ms: float
    p95_ms: float
    p99_ms: float
    runs: int


def spread(values: Sequence[float]) -> Spread:
    return Spread(
        statistics.median(values), percentile(values, 0.95), percentile(values, 0.99), len(values)
    )


def rotation_orders(questions: int, libraries: int, seed: int = ROTATION_SEED) -> list[list[int]]:
    """For each question, the order the libraries answer it in (shuffled, seeded)."""
    rng = random.Random(seed)
    orders = []
    for _ in range(questions):
        order = list(range(libraries))
        rng.shuffle(order)
        orders.append(order)
    return orders


def alone_rounds(libraries: int) -> list[list[int]]:
    """The two rounds of the alone mode: the libraries in order, then in reverse."""
    forward = list(range(libraries))
    return [forward, forward[::-1]]


@dataclass
class Latencies:
    """Every timed question, by library, in each mode."""

    rotation: dict[str, list[float]] = field(default_factory=dict)
    alone: dict[str, list[float]] = field(default_factory=dict)
    questions: dict[str, int] = field(default_factory=dict)
    """Questions each library answered per round."""
    slow: list[str] = field(default_factory=list)
    """Libraries held to ``SLOW_QUESTIONS`` because their first answers were slow."""


def timed_answer(library: Library, question: str, analyser: Analyser) -> float:
    """Milliseconds for ``library`` to answer ``question``, the analyser included."""
    started = time.perf_counter()
    library.search(analyser(question))
    return (time.perf_counter() - started) * 1000


def warm_up(libraries: Sequence[Library], questions: Sequence[str], analyser: Analyser) -> None:
    """Each library answers ``questions`` untimed (compilation, first-use allocations)."""
    for library in libraries:
        for question in questions:
            library.search(analyser(question))


def measure(
    libraries: Sequence[Library],
    questions: Sequence[str],
    *,
    warm_up_with: Sequence[str] = (),
    analyser: Analyser = analyse,
    seed: int = ROTATION_SEED,
) -> Latencies:
    """Both modes over ``questions``: rotation first (which finds the slow libraries),
    then alone."""
    names = [library.name for library in libraries]
    if len(set(names)) != len(names):
        raise ValueError("every library needs its own name")
    warm_up(libraries, warm_up_with, analyser)
    result = Latencies(
        rotation={name: [] for name in names},
        alone={name: [] for name in names},
        questions={
            library.name: min(len(questions), library.max_questions or len(questions))
            for library in libraries
        },
    )
    gc.collect()
    for number, (question, order) in enumerate(
        zip(questions, rotation_orders(len(questions), len(libraries), seed), strict=True)
    ):
        if number == SLOW_PROBE:
            _hold_slow_libraries(result)
        for position in order:
            library = libraries[position]
            if number < result.questions[library.name]:
                result.rotation[library.name].append(timed_answer(library, question, analyser))
    for order in alone_rounds(len(libraries)):
        for position in order:
            library = libraries[position]
            gc.collect()
            for question in questions[: result.questions[library.name]]:
                result.alone[library.name].append(timed_answer(library, question, analyser))
    return result


def _hold_slow_libraries(result: Latencies) -> None:
    """Libraries whose first ``SLOW_PROBE`` answers took over ``SLOW_MEDIAN_MS`` (median)
    answer only ``SLOW_QUESTIONS`` from now on, in both modes."""
    for name, times in result.rotation.items():
        if statistics.median(times) > SLOW_MEDIAN_MS and result.questions[name] > SLOW_QUESTIONS:
            result.questions[name] = SLOW_QUESTIONS
            result.slow.append(name)
