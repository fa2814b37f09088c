"""What search operators cost (``python -m index.bench --operators``).

A question's filters (``site:``, ``from:``, ``in:``, dates) become a set of article ids,
a quoted phrase becomes required terms (its words must all be in a paragraph before the
phrase itself is checked), and ``-word`` an excluded term; all go to
``BM25Index.search_where``. That scores only the paragraphs the filters leave when they
are fewer than the question's postings (a rare required word, a few articles), and
otherwise every paragraph holding a question word before dropping the others: either way
its cost follows the question's postings and the filters, never the whole guild. This
measures it beside a plain ``search``, per question, on the benchmark's corpus
(``corpus``), built as the main benchmark builds it:

- plain: ``search(terms, k)``;
- articles 10% / 1%: ``search_where`` with a fixed random tenth (hundredth) of the
  articles;
- required: the question's rarest word required, as a phrase's rarest word would be;
- excluded: the question's most common word excluded (the longest postings an excluded
  word of the question can cost).

Only the index's call is timed: the question is analysed and the article set made
beforehand (the store makes that set in the engine). Results are written as
``operators.md`` and ``operators.json`` (``operators-quick.*`` with ``--quick``).
"""

from __future__ import annotations

import gc
import json
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from index.bench.corpus import ARTICLE_SIZE, analyse_interned, iter_corpus
from index.bench.latency import Spread, spread
from index.bench.peers import TOP_K, build_this_index
from index.bench.report import machine_line, ms
from index.search.analyzer import analyse
from index.search.bm25 import BM25Index, BM25Params, Hit

FILTER_SEED = 5
"""The article filters' random choice of articles is seeded, so runs keep the same ones."""
WARM_UP = 3
MODES = (
    "plain search",
    "articles, 10% kept",
    "articles, 1% kept",
    "rarest word required",
    "most common word excluded",
)
TABLE_HEADER = "| question | median ms | p95 ms | p99 ms | × plain (median) | mean hits |"


@dataclass
class ModeResult:
    mode: str
    spread: Spread
    mean_hits: float
    """Results per question, of ``k``: a filter that empties answers would look cheap."""


@dataclass
class OperatorsRun:
    started_utc: str
    machine: dict[str, str]
    paragraphs: int
    articles: int
    k: int
    questions: int
    """Questions measured: those with at least one word the index holds."""
    build_s: float
    modes: list[ModeResult] = field(default_factory=list)
    settings: dict[str, str] = field(default_factory=dict)


Ask = Callable[[list[str]], list[Hit]]


def article_sample(articles: int, share: float, seed: int = FILTER_SEED) -> set[int]:
    """A fixed random ``share`` of the benchmark's article ids (the first paragraph id of
    each run of ``ARTICLE_SIZE``), at least one."""
    ids = range(0, articles * ARTICLE_SIZE, ARTICLE_SIZE)
    return set(random.Random(seed).sample(ids, max(1, round(share * articles))))


def mode_calls(index: BM25Index, articles: int, k: int) -> list[tuple[str, Ask]]:
    """How each mode asks, given a question's terms."""
    tenth, hundredth = article_sample(articles, 0.10), article_sample(articles, 0.01)

    def by_rarity(terms: list[str]) -> list[str]:
        """The question's words the index holds, rarest first (highest idf)."""
        idfs = index.idfs(terms)
        return sorted((t for t in dict.fromkeys(terms) if idfs[t] != 0.0), key=lambda t: -idfs[t])

    return [
        (MODES[0], lambda terms: index.search(terms, k)),
        (MODES[1], lambda terms: index.search_where(terms, k, articles=tenth)),
        (MODES[2], lambda terms: index.search_where(terms, k, articles=hundredth)),
        (MODES[3], lambda terms: index.search_where(terms, k, required=by_rarity(terms)[:1])),
        (MODES[4], lambda terms: index.search_where(terms, k, excluded=by_rarity(terms)[-1:])),
    ]


def measure_modes(calls: list[tuple[str, Ask]], questions: list[list[str]]) -> list[ModeResult]:
    """Each question asked in every mode, the modes in an order that turns from one
    question to the next, so none is always first after the previous question."""
    times: dict[str, list[float]] = {name: [] for name, _ask in calls}
    hits: dict[str, int] = dict.fromkeys(times, 0)
    for terms in questions[:WARM_UP]:
        for _name, ask in calls:
            ask(terms)
    gc.collect()
    for number, terms in enumerate(questions):
        turn = number % len(calls)
        for name, ask in calls[turn:] + calls[:turn]:
            started = time.perf_counter()
            found = ask(terms)
            times[name].append((time.perf_counter() - started) * 1000)
            hits[name] += len(found)
    return [ModeResult(name, spread(times[name]), hits[name] / len(questions)) for name, _ in calls]


def run_operators(
    paragraphs: list[str],
    questions: Iterable[str],
    *,
    size: int,
    question_count: int,
    machine: dict[str, str],
    started_utc: str,
    k: int = TOP_K,
) -> OperatorsRun:
    """Build the index of ``size`` paragraphs and measure every mode."""
    started = time.perf_counter()
    index = build_this_index(
        (analyse_interned(text) for text in iter_corpus(paragraphs, size)), BM25Params()
    )
    build_s = time.perf_counter() - started
    print(f"{size:,} paragraphs analysed and indexed in {build_s:.1f} s", flush=True)
    asked = []
    for question in questions:
        terms = analyse(question)
        if any(index.idfs(terms).values()):
            asked.append(terms)
            if len(asked) == question_count:
                break
    run = OperatorsRun(started_utc, machine, size, index.article_count, k, len(asked), build_s)
    if not asked:
        return run
    gc.collect()
    gc.freeze()
    try:
        run.modes = measure_modes(mode_calls(index, index.article_count, k), asked)
    finally:
        gc.unfreeze()
    for result in run.modes:
        print(
            f"{result.mode}: median {ms(result.spread.median_ms)} ms, p95 "
            f"{ms(result.spread.p95_ms)}, p99 {ms(result.spread.p99_ms)}; "
            f"{result.mean_hits:.2f} hits per question",
            flush=True,
        )
    return run


def markdown(run: OperatorsRun) -> str:
    lines = [
        "# What search operators cost",
        "",
        f"{run.paragraphs:,} paragraphs in {run.articles:,} articles of {ARTICLE_SIZE} "
        f"(analysed and indexed in {run.build_s:.0f} s), top {run.k}, {run.questions:,} "
        f"real SQuAD questions, each asked in every mode; only the index's call is timed. "
        f"Started {run.started_utc} UTC on {machine_line(run.machine)}.",
        "",
    ]
    if not run.modes:
        return "\n".join([*lines, "No question had a word the index holds.", ""])
    plain = run.modes[0].spread.median_ms
    lines += [TABLE_HEADER, "|---|---|---|---|---|---|"]
    for result in run.modes:
        times = result.spread
        ratio = times.median_ms / plain if plain else float("nan")
        lines.append(
            f"| {result.mode} | {ms(times.median_ms)} | {ms(times.p95_ms)} | "
            f"{ms(times.p99_ms)} | {ratio:.1f} | {result.mean_hits:.2f} |"
        )
    lines += [
        "",
        "A filtered question scores only the paragraphs its filters leave when they are "
        "fewer than its postings (a rare required word, a few articles), each question "
        "word's postings skipped through to them; otherwise it scores every paragraph "
        "holding one of its words and drops those the filters leave out. Plain search "
        "skips the paragraphs that cannot make the top k, which a filter's answer cannot "
        "count on.",
        "",
    ]
    return "\n".join(lines)


def write_operator_reports(run: OperatorsRun, out: Path, name: str) -> list[Path]:
    """``name``.md and ``name``.json in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    report, data = out / f"{name}.md", out / f"{name}.json"
    report.write_text(markdown(run), encoding="utf-8")
    data.write_text(json.dumps(asdict(run), indent=1) + "\n", encoding="utf-8")
    return [report, data]
