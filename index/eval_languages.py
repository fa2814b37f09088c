"""Retrieval in each language, this engine beside peers that know no language.

python -m index.eval_languages --xquad DIR [--languages de,es,ru,zh,ar]
    [--squad FILE_FOR_ENGLISH] [--out bench-results/languages]

The engine reads each article in its language (its stemmer, its stop words, Chinese and
Japanese as character pairs). Whether that is worth its weight shows only beside search
that does none of it, on the same questions. For each language file (XQuAD:
``DIR/xquad.CODE.json``, SQuAD format; ``--squad`` adds an English row from any
SQuAD-format file) this measures:

- this index: ``index.eval.evaluate_retrieval`` with ``language=CODE`` (the articles'
  declared language and the guild's main language), the engine as the bot uses it;
- SQLite FTS5 with its ``unicode61`` tokenizer (``remove_diacritics 2``), words split
  on what is not a letter or a digit, no stemming;
- SQLite FTS5 with its ``trigram`` tokenizer: every three characters, any script;
- bm25s with its own tokenizer, no stop words and no stemmer (``bm25s`` is in the
  ``bench`` extra; without it that column says "not installed").

Every system answers over the whole corpus and is scored the same way: the gold
paragraph is the question's own, ranked among the first ``TOP_K`` (ties broken by
paragraph order), as Recall@1, Recall@3 and MRR@10 (``index.eval.score_ranks``). The
peers are given what the engine is given: each paragraph with its article's title in
front (the engine puts the title's terms in front of every paragraph).

Questions become FTS5 queries without FTS5's syntax ever reaching it: a question is cut
into runs of letters, digits and marks, each distinct run is quoted (a quote inside one
doubled) and the runs are joined with OR. The trigram tokenizer matches nothing shorter
than three characters, and a quoted run matches only as a whole substring, which a
Chinese question (no spaces) almost never is; so for it each run of three characters or
more becomes its distinct three-character substrings, each quoted, joined with OR (the
tokenizer's own view of the text, the same for every script), and shorter runs are left
out. A question left with nothing to ask finds nothing. bm25s returns ``k`` documents even
when fewer hold a question word; those scoring 0 are not counted as found.

A server shares news in several languages at once, so the engine is also measured on
one guild holding every file's articles (``--no-mixed`` leaves it out): each article's
language detected as the bot does (the guild's main language English), and each file's
questions asked over the whole guild, scored the same way. XQuAD's files are translations
of each other, so every question has a paragraph saying the same in each other language,
with the same names and numbers: a hard case for telling languages apart.

The tables are printed and written as ``OUT.md`` and ``OUT.json`` with the date, the
machine and the versions that decide the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import regex

from index.bench.report import machine, machine_line
from index.engine import Engine
from index.eval import RetrievalScores, evaluate_retrieval, load_squad, score_ranks
from index.ingest.paste import fingerprint
from index.models import ArticleDraft, Provenance
from index.search.analyzer import VERSION as ANALYSER_VERSION
from index.search.languages import normalise_code, settings_version
from index.store import open_store

TOP_K = 10
MIXED_GUILD = 1
DEFAULT_LANGUAGES = ("de", "es", "ru", "zh", "ar")
DEFAULT_OUT = Path("bench-results") / "languages"
ENGLISH = "en"

THIS_INDEX = "this index"
FTS5_UNICODE61 = "FTS5 unicode61"
FTS5_TRIGRAM = "FTS5 trigram"
BM25S = "bm25s, no stemmer"
SYSTEMS = (THIS_INDEX, FTS5_UNICODE61, FTS5_TRIGRAM, BM25S)
NOT_INSTALLED = "not installed"

UNICODE61_TOKENIZER = "unicode61 remove_diacritics 2"
TRIGRAM_TOKENIZER = "trigram"
TRIGRAM = 3

CALLS = {
    THIS_INDEX: (
        "index.eval.evaluate_retrieval(file, language=CODE, answers=False): every article "
        "ingested into a fresh SQLite store through Engine.ingest_draft(ArticleDraft(title, "
        f"paragraphs, language=CODE)) with the guild's language set to CODE; "
        f"Engine.rank(guild, question, k={TOP_K}); the whole-corpus ranks"
    ),
    FTS5_UNICODE61: (
        "sqlite3.connect(':memory:'); CREATE VIRTUAL TABLE p USING fts5(body, "
        f"tokenize='{UNICODE61_TOKENIZER}'); INSERT INTO p (rowid, body) VALUES (paragraph "
        "number, title + newline + paragraph); SELECT rowid FROM p WHERE p MATCH "
        '\'"run" OR "run" …\' (each distinct run of letters, digits and marks of the '
        f"question) ORDER BY rank, rowid LIMIT {TOP_K} (rank: bm25(p))"
    ),
    FTS5_TRIGRAM: (
        "as FTS5 unicode61, with tokenize='trigram' (case-insensitive, its default), and "
        'MATCH \'"abc" OR "bcd" …\': each distinct three-character substring of the '
        "question's runs of three characters or more"
    ),
    BM25S: (
        "bm25s.tokenize(documents, stopwords=None, stemmer=None); bm25s.BM25() (its default "
        "method and parameters); index(tokens); bm25s.tokenize(questions, stopwords=None, "
        f"stemmer=None); retrieve(question tokens, k={TOP_K}); results re-ordered by score, "
        "then paragraph number; results scoring 0 dropped"
    ),
}


# -- the corpus ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Corpus:
    """A SQuAD-format file as the peers see it."""

    documents: tuple[str, ...]
    """Each paragraph in file order, its article's title in front."""
    questions: tuple[str, ...]
    gold: tuple[int, ...]
    """The position in ``documents`` of each question's own paragraph."""


def load_corpus(path: Path) -> Corpus:
    articles, questions = load_squad(path)
    documents: list[str] = []
    first_of_article: list[int] = []
    for title, paragraphs in articles:
        first_of_article.append(len(documents))
        documents += [f"{title}\n{paragraph}" for paragraph in paragraphs]
    return Corpus(
        documents=tuple(documents),
        questions=tuple(q.text for q in questions),
        gold=tuple(first_of_article[q.article] + q.paragraph for q in questions),
    )


def rank_of(gold: int, ranked: Sequence[int]) -> int | None:
    """The 1-based position of ``gold`` among the first ``TOP_K`` of ``ranked``, or None."""
    top = list(ranked[:TOP_K])
    return top.index(gold) + 1 if gold in top else None


# -- FTS5 queries -------------------------------------------------------------------------

_RUN = regex.compile(r"[\p{L}\p{N}\p{M}\p{Co}]+")
"""Letters, digits and marks (FTS5's unicode61 splits on everything else)."""


def fts5_string(text: str) -> str:
    """``text`` as an FTS5 string: whatever it holds is read as text, not as syntax."""
    return '"' + text.replace('"', '""') + '"'


def _distinct(items: Sequence[str]) -> list[str]:
    """``items`` without repeats (ignoring case), in their order."""
    seen: set[str] = set()
    kept = []
    for item in items:
        key = item.lower()
        if key not in seen:
            seen.add(key)
            kept.append(item)
    return kept


def question_runs(question: str) -> list[str]:
    """The question's distinct runs of letters, digits and marks."""
    return _distinct(_RUN.findall(question))


def unicode61_query(question: str) -> str | None:
    """``"run" OR "run" …`` over the question's runs; None when it has none."""
    runs = question_runs(question)
    return " OR ".join(fts5_string(run) for run in runs) if runs else None


def trigrams(question: str) -> list[str]:
    """The distinct three-character substrings of the question's runs (a shorter run has
    none: the trigram tokenizer cannot match it)."""
    pieces = [
        run[start : start + TRIGRAM]
        for run in question_runs(question)
        for start in range(len(run) - TRIGRAM + 1)
    ]
    return _distinct(pieces)


def trigram_query(question: str) -> str | None:
    """``"abc" OR "bcd" …`` over the question's trigrams; None when it has none."""
    pieces = trigrams(question)
    return " OR ".join(fts5_string(piece) for piece in pieces) if pieces else None


# -- the peers ----------------------------------------------------------------------------

QueryBuilder = Callable[[str], str | None]


def fts5_ranks(corpus: Corpus, tokenizer: str, build_query: QueryBuilder) -> list[int | None]:
    """The gold paragraph's rank for each question, from an FTS5 table of the documents."""
    with closing(sqlite3.connect(":memory:")) as db:
        db.execute(f"CREATE VIRTUAL TABLE p USING fts5(body, tokenize={fts5_string(tokenizer)})")
        db.executemany("INSERT INTO p (rowid, body) VALUES (?, ?)", enumerate(corpus.documents))
        ranks = []
        for question, gold in zip(corpus.questions, corpus.gold, strict=True):
            query = build_query(question)
            rows = (
                db.execute(
                    "SELECT rowid FROM p WHERE p MATCH ? ORDER BY rank, rowid LIMIT ?",
                    (query, TOP_K),
                ).fetchall()
                if query
                else []
            )
            ranks.append(rank_of(gold, [row[0] for row in rows]))
    return ranks


def unicode61_ranks(corpus: Corpus) -> list[int | None]:
    return fts5_ranks(corpus, UNICODE61_TOKENIZER, unicode61_query)


def trigram_ranks(corpus: Corpus) -> list[int | None]:
    return fts5_ranks(corpus, TRIGRAM_TOKENIZER, trigram_query)


def bm25s_installed() -> bool:
    try:
        import bm25s  # noqa: F401
    except ImportError:
        return False
    return True


def bm25s_ranks(corpus: Corpus) -> list[int | None]:
    """The gold paragraph's rank for each question, from bm25s without stop words or a
    stemmer. Needs bm25s (``bm25s_installed``)."""
    import bm25s

    if not corpus.documents or not corpus.questions:
        return [None] * len(corpus.questions)
    retriever = bm25s.BM25()
    retriever.index(
        bm25s.tokenize(list(corpus.documents), stopwords=None, stemmer=None, show_progress=False),
        show_progress=False,
    )
    asked = bm25s.tokenize(
        list(corpus.questions), stopwords=None, stemmer=None, show_progress=False
    )
    documents, scores = retriever.retrieve(
        asked, k=min(TOP_K, len(corpus.documents)), show_progress=False
    )
    ranks = []
    for gold, found, scored in zip(corpus.gold, documents, scores, strict=True):
        kept = sorted(
            (-float(score), int(number))
            for number, score in zip(found, scored, strict=True)
            if score > 0
        )
        ranks.append(rank_of(gold, [number for _score, number in kept]))
    return ranks


# -- this engine --------------------------------------------------------------------------


def engine_scores(path: Path, code: str) -> RetrievalScores:
    """The engine's whole-corpus figures, the file read as ``code``."""
    report = asyncio.run(evaluate_retrieval(path, language=code, answers=False))
    return report.ranks(report.whole)


@dataclass(frozen=True, slots=True)
class MixedResult:
    """One file's questions in the guild of every language."""

    scores: RetrievalScores
    ms_per_question: float
    """``Engine.rank`` there, per question (each read in up to four languages)."""
    alone_ms_per_question: float
    """The same questions in a guild of their own file alone (one reading)."""


async def _add_file(engine: Engine, guild_id: int, path: Path) -> list[tuple[str, int]]:
    """The file's articles added to the guild (languages detected); each question with
    the id of its paragraph."""
    articles, questions = load_squad(path)
    paragraph_ids = []
    for title, paragraphs in articles:
        draft = ArticleDraft(title, tuple(paragraphs), fingerprint(paragraphs))
        result = await engine.ingest_draft(guild_id, draft, Provenance(poster_name="eval"))
        if result.article is None or result.status != "added":
            raise ValueError(f"{path.name}: {title!r} was not added ({result.status})")
        stored = await engine.article_paragraphs(guild_id, result.article.id)
        paragraph_ids.append([paragraph.id for paragraph in stored])
    return [(q.text, paragraph_ids[q.article][q.paragraph]) for q in questions]


async def _ranks(
    engine: Engine, guild_id: int, asked: Sequence[tuple[str, int]]
) -> tuple[list[int | None], float]:
    """Each question's gold rank in the guild, and the seconds the ranking took."""
    ranks = []
    started = time.perf_counter()
    for question, gold in asked:
        hits = await engine.rank(guild_id, question, k=TOP_K)
        ranks.append(rank_of(gold, [hit.paragraph_id for hit in hits]))
    return ranks, time.perf_counter() - started


async def _mixed_guild(files: Sequence[tuple[str, Path]]) -> dict[str, MixedResult]:
    with tempfile.TemporaryDirectory() as folder:
        store = await open_store(Path(folder) / "mixed.sqlite3")
        async with await Engine.open(store) as engine:
            mixed = {code: await _add_file(engine, MIXED_GUILD, path) for code, path in files}
            results = {}
            for number, (code, path) in enumerate(files, start=MIXED_GUILD + 1):
                alone = await _add_file(engine, number, path)
                await _ranks(engine, number, alone[:20])  # loads the index
                _alone_ranks, alone_seconds = await _ranks(engine, number, alone)
                await engine.unload(number)
                ranks, seconds = await _ranks(engine, MIXED_GUILD, mixed[code])
                results[code] = MixedResult(
                    score_ranks(ranks),
                    1000 * seconds / max(len(ranks), 1),
                    1000 * alone_seconds / max(len(alone), 1),
                )
            return results


def mixed_guild_results(files: Sequence[tuple[str, Path]]) -> dict[str, MixedResult]:
    """The engine's figures for each file's questions in one guild of every file."""
    return asyncio.run(_mixed_guild(files))


# -- a run --------------------------------------------------------------------------------


@dataclass
class LanguageRow:
    language: str
    file: str
    paragraphs: int
    questions: int
    scores: dict[str, RetrievalScores | None] = field(default_factory=dict)
    """Each system's figures; None for a system that could not run."""
    notes: dict[str, str] = field(default_factory=dict)
    """Why a system has no figures."""
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass
class LanguagesRun:
    started_utc: str
    machine: dict[str, str]
    versions: dict[str, str]
    k: int = TOP_K
    calls: dict[str, str] = field(default_factory=lambda: dict(CALLS))
    rows: list[LanguageRow] = field(default_factory=list)
    mixed: dict[str, MixedResult] = field(default_factory=dict)
    """The engine's figures per language in one guild of every language (may be empty)."""


def versions() -> dict[str, str]:
    """What decides the terms besides the machine's libraries."""
    found = {"analyser": f"version {ANALYSER_VERSION}; {settings_version()}"}
    for package in ("py3langid", "regex"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = NOT_INSTALLED
    return found


Ranker = Callable[[Corpus], list[int | None]]
PEER_RANKERS: dict[str, Ranker] = {
    FTS5_UNICODE61: unicode61_ranks,
    FTS5_TRIGRAM: trigram_ranks,
    BM25S: bm25s_ranks,
}


def measure_language(
    code: str, path: Path, *, with_engine: bool = True, progress: Callable[[str], None] = print
) -> LanguageRow:
    """Every system's figures on one file."""
    corpus = load_corpus(path)
    row = LanguageRow(code, path.name, len(corpus.documents), len(corpus.questions))
    if with_engine:
        started = time.perf_counter()
        row.scores[THIS_INDEX] = engine_scores(path, code)
        row.seconds[THIS_INDEX] = time.perf_counter() - started
    for name, ranker in PEER_RANKERS.items():
        if name == BM25S and not bm25s_installed():
            row.scores[name] = None
            row.notes[name] = NOT_INSTALLED
            continue
        started = time.perf_counter()
        row.scores[name] = score_ranks(ranker(corpus))
        row.seconds[name] = time.perf_counter() - started
    for name in SYSTEMS:
        progress(f"{code} {name}: {cell(row, name)}")
    return row


# -- the report ---------------------------------------------------------------------------


def cell(row: LanguageRow, name: str) -> str:
    scores = row.scores.get(name)
    if scores is None:
        return row.notes.get(name, "not run")
    return f"{scores.recall_at_1:.3f} / {scores.recall_at_3:.3f} / {scores.mrr_at_10:.3f}"


def table(rows: Sequence[LanguageRow]) -> list[str]:
    lines = [
        "| language | paragraphs | questions | " + " | ".join(SYSTEMS) + " |",
        "|---|---|---|" + "---|" * len(SYSTEMS),
    ]
    for row in rows:
        cells = " | ".join(cell(row, name) for name in SYSTEMS)
        lines.append(f"| {row.language} | {row.paragraphs} | {row.questions} | {cells} |")
    return lines


def _figures(scores: RetrievalScores) -> str:
    return f"{scores.recall_at_1:.3f} / {scores.recall_at_3:.3f} / {scores.mrr_at_10:.3f}"


def mixed_table(run: LanguagesRun) -> list[str]:
    alone = {row.language: row.scores.get(THIS_INDEX) for row in run.rows}
    lines = [
        "| language | one guild of every language | its file alone | ms per question, "
        "one guild / alone |",
        "|---|---|---|---|",
    ]
    for code, result in run.mixed.items():
        own = alone.get(code)
        lines.append(
            f"| {code} | {_figures(result.scores)} | "
            f"{'not run' if own is None else _figures(own)} | "
            f"{result.ms_per_question:.2f} / {result.alone_ms_per_question:.2f} |"
        )
    return lines


def markdown(run: LanguagesRun) -> str:
    lines = [
        "# Retrieval in each language",
        "",
        f"Measured {run.started_utc} (UTC) on {machine_line(run.machine)}. Analyser "
        f"{run.versions['analyser']}; py3langid {run.versions['py3langid']}.",
        "",
        f"Each cell: Recall@1 / Recall@3 / MRR@{run.k}, over the whole corpus of the "
        "language's file; the gold paragraph is the question's own, ties broken by "
        "paragraph order. Every peer indexes each paragraph with its article's title in "
        "front, as the engine does.",
        "",
        *table(run.rows),
        "",
        "Calls:",
        "",
        *[f"- {name}: {calls}" for name, calls in run.calls.items()],
        "",
        "A question becomes an FTS5 query of its distinct runs of letters, digits and "
        "marks, each quoted, joined with OR. The trigram tokenizer matches nothing shorter "
        "than three characters and a quoted run only as a whole substring (which a Chinese "
        "question, written without spaces, almost never is), so for it each run of three "
        "characters or more becomes its distinct three-character substrings, and shorter "
        "runs are left out. bm25s returns k paragraphs even when fewer hold a question "
        "word; those scoring 0 are not counted as found.",
        "",
    ]
    if run.mixed:
        paragraphs = sum(row.paragraphs for row in run.rows if row.language in run.mixed)
        lines += [
            "## One guild of every language",
            "",
            f"Every file's articles in one guild ({paragraphs} paragraphs), each article's "
            "language detected as the bot does (the guild's main language English); each "
            "file's questions asked over the whole guild. The files are translations of "
            "each other: every question has a paragraph saying the same, with the same "
            "names and numbers, in each other language. Milliseconds per question: "
            "Engine.rank in that guild (each question read in up to four languages) and "
            "in a guild of the file alone (one reading), its index loaded.",
            "",
            *mixed_table(run),
            "",
        ]
    return "\n".join(lines)


def write_language_reports(run: LanguagesRun, out: Path) -> list[Path]:
    """``out`` with ``.md`` and with ``.json``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    report, data = out.with_name(f"{out.name}.md"), out.with_name(f"{out.name}.json")
    report.write_text(markdown(run), encoding="utf-8")
    data.write_text(json.dumps(asdict(run), indent=1, ensure_ascii=False) + "\n", "utf-8")
    return [report, data]


# -- command line -------------------------------------------------------------------------


def language_files(
    xquad: Path, codes: Sequence[str], english: Path | None
) -> list[tuple[str, Path]]:
    """(code, file) for each language asked for; a missing file raises ValueError."""
    files = []
    if english is not None:
        if not english.is_file():
            raise ValueError(f"{english} is not a file")
        files.append((ENGLISH, english))
    for code in codes:
        path = xquad / f"xquad.{code}.json"
        if not path.is_file():
            raise ValueError(f"{xquad} holds no xquad.{code}.json")
        files.append((code, path))
    return files


def parse_languages(text: str) -> list[str]:
    """``de,es`` -> ["de", "es"]; a code that is not one raises ValueError."""
    codes = []
    for part in text.split(","):
        if not part.strip():
            continue
        code = normalise_code(part)
        if code is None:
            raise ValueError(f"{part.strip()!r} is not a language code (two or three letters)")
        if code not in codes:
            codes.append(code)
    if not codes:
        raise ValueError("name at least one language")
    return codes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m index.eval_languages",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--xquad", type=Path, required=True, help="folder of xquad.CODE.json")
    parser.add_argument("--languages", default=",".join(DEFAULT_LANGUAGES))
    parser.add_argument("--squad", type=Path, help="an English SQuAD-format file, for an en row")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="OUT.md and OUT.json")
    parser.add_argument(
        "--no-mixed", action="store_true", help="leave out the guild of every language"
    )
    args = parser.parse_args(argv)
    try:
        files = language_files(args.xquad, parse_languages(args.languages), args.squad)
    except ValueError as problem:
        parser.error(str(problem))

    run = LanguagesRun(
        started_utc=datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
        machine=machine(),
        versions=versions(),
    )
    for code, path in files:
        run.rows.append(measure_language(code, path, progress=lambda line: print(line, flush=True)))
    if not args.no_mixed and len(files) > 1:
        run.mixed = mixed_guild_results(files)
    print()
    print("\n".join(table(run.rows)))
    if run.mixed:
        print()
        print("\n".join(mixed_table(run)))
    for path in write_language_reports(run, args.out):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
