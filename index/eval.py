"""Measuring the engine with the same code the bot uses.

python -m index.eval retrieval --squad PATH [--share S] [--no-answers]
    Index every paragraph of a SQuAD-format file, ask every question, and print
    Recall@1, Recall@3 and MRR@10 over the whole corpus and within each question's
    own article. Then what answers of three passages show once only real candidates
    are kept (``index.search.relevance``; ``--share`` tries another share of the first's
    score): R@1 (unchanged by construction), R@3 and the mean number of passages,
    ranked and shown, for the whole and for each half of the articles (by position).
    Last, answer@1 and answer@3: the share of questions whose answer (SQuAD's first
    answer text, as whole words, any case) is in the first / first three passages as
    the answer quotes them (``engine.ask``, passages cut to their sentences: a quote
    cut so that it loses the answer is a miss). Asking for the quotes is most of the
    time taken; ``--no-answers`` leaves them out.

python -m index.eval seed [--questions PATH] [--seeds DIR]
    Ingest the seed articles into a fresh store, ask each question, and check that
    the first quoted passage holds the expected phrase (or that nothing is quoted
    for NO_ANSWER). Exits 1 if any question fails.

python -m index.eval extraction --aeb DIR
    Extract the article from every page of an article-extraction-benchmark folder
    (DIR/html/*.html.gz, DIR/ground-truth.json) and score it against the ground truth
    as the benchmark does: word 4-shingles, precision and recall per page, averaged
    over pages, and the F1 of those averages; for the whole and for each half of the
    pages (sorted by file name). Also prints the share of ground-truth paragraphs
    reproduced exactly and the time per page.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import gzip
import json
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from index.engine import Engine, EngineConfig
from index.errors import IngestRefused
from index.ingest.extract import decode_html, extract_article
from index.ingest.paste import fingerprint
from index.models import ArticleDraft, Provenance
from index.search.bm25 import BM25Params
from index.search.relevance import SHARE_OF_FIRST, real_candidates
from index.store import open_store

PROJECT_SEEDS = Path(__file__).resolve().parent.parent / "seeds"
NO_ANSWER = "NO_ANSWER"
EVAL_GUILD = 1
ANSWER_PASSAGES = 3
"""Passages in an answer, as the bot shows them by default."""


# -- retrieval ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RetrievalScores:
    questions: int
    recall_at_1: float
    recall_at_3: float
    mrr_at_10: float

    def line(self, label: str) -> str:
        return (
            f"{label} R@1 {self.recall_at_1:.3f} R@3 {self.recall_at_3:.3f} "
            f"MRR@10 {self.mrr_at_10:.3f}"
        )


@dataclass(frozen=True, slots=True)
class SquadQuestion:
    text: str
    article: int
    paragraph: int
    answer: str = ""
    """SQuAD's first answer text ("" when the question has none)."""


def load_squad(path: Path) -> tuple[list[tuple[str, list[str]]], list[SquadQuestion]]:
    """Articles as (title, paragraphs) and the questions with their gold paragraph."""
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    articles = []
    questions = []
    for a, article in enumerate(data):
        paragraphs = []
        for p, paragraph in enumerate(article["paragraphs"]):
            paragraphs.append(paragraph["context"])
            questions += [
                SquadQuestion(qa["question"], a, p, _first_answer(qa)) for qa in paragraph["qas"]
            ]
        articles.append((article.get("title", f"article {a}").replace("_", " "), paragraphs))
    return articles, questions


def _first_answer(qa: dict) -> str:
    answers = qa.get("answers") or []
    return str(answers[0].get("text", "")) if answers else ""


def answer_position(answer: str, passages: Sequence[str]) -> int | None:
    """The 1-based position of the first passage holding ``answer`` as whole words, in
    any case; None when none does (or there is no answer to look for)."""
    if not answer.strip():
        return None
    pattern = re.compile(rf"(?<!\w){re.escape(answer.strip())}(?!\w)", re.IGNORECASE)
    for position, text in enumerate(passages, start=1):
        if pattern.search(text):
            return position
    return None


def score_ranks(ranks: Sequence[int | None]) -> RetrievalScores:
    """``ranks`` holds the 1-based rank of each question's gold paragraph, or None."""
    n = len(ranks) or 1
    return RetrievalScores(
        questions=len(ranks),
        recall_at_1=sum(1 for r in ranks if r is not None and r <= 1) / n,
        recall_at_3=sum(1 for r in ranks if r is not None and r <= 3) / n,
        mrr_at_10=sum(1 / r for r in ranks if r is not None and r <= 10) / n,
    )


@dataclass(frozen=True, slots=True)
class Asked:
    """One question's outcome in one scope."""

    article: int
    """The position of the question's article in the file."""
    rank: int | None
    """The 1-based rank of the gold paragraph in the top 10, or None."""
    ranked: int
    """Passages an answer would hold without the relevance rule (at most three)."""
    shown: int
    """Passages it holds with the rule: always the first ``shown`` of the ranking."""
    answer_at: int | None = None
    """The 1-based position of the first quoted passage holding the answer, or None."""


@dataclass(frozen=True, slots=True)
class ShownScores:
    """What the relevance rule does to answers of ``ANSWER_PASSAGES`` passages."""

    questions: int
    recall_at_1: float
    recall_at_3_ranked: float
    recall_at_3_shown: float
    passages_ranked: float
    passages_shown: float

    def line(self, label: str) -> str:
        return (
            f"{label} R@1 {self.recall_at_1:.3f} "
            f"R@3 {self.recall_at_3_ranked:.4f} -> {self.recall_at_3_shown:.4f} "
            f"passages {self.passages_ranked:.2f} -> {self.passages_shown:.2f}"
        )


def score_shown(asked: Sequence[Asked]) -> ShownScores:
    n = len(asked) or 1
    found = [a for a in asked if a.rank is not None]
    return ShownScores(
        questions=len(asked),
        recall_at_1=sum(1 for a in found if a.rank <= 1) / n,
        recall_at_3_ranked=sum(1 for a in found if a.rank <= min(3, a.ranked)) / n,
        recall_at_3_shown=sum(1 for a in found if a.rank <= min(3, a.shown)) / n,
        passages_ranked=sum(a.ranked for a in asked) / n,
        passages_shown=sum(a.shown for a in asked) / n,
    )


@dataclass(frozen=True, slots=True)
class AnswerScores:
    """Whether the answer text is in what an answer quotes."""

    questions: int
    answer_at_1: float
    answer_at_3: float

    def line(self, label: str) -> str:
        return f"{label} answer@1 {self.answer_at_1:.3f} answer@3 {self.answer_at_3:.3f}"


def score_answers(asked: Sequence[Asked]) -> AnswerScores:
    n = len(asked) or 1
    found = [a.answer_at for a in asked if a.answer_at is not None]
    return AnswerScores(
        questions=len(asked),
        answer_at_1=sum(1 for at in found if at <= 1) / n,
        answer_at_3=sum(1 for at in found if at <= 3) / n,
    )


@dataclass(frozen=True, slots=True)
class RetrievalReport:
    articles: int
    whole: tuple[Asked, ...]
    per_article: tuple[Asked, ...]
    answers: bool = True
    """Whether the answers' quotes were asked for (``Asked.answer_at``)."""

    def ranks(self, scope: Sequence[Asked]) -> RetrievalScores:
        return score_ranks([a.rank for a in scope])

    def halves(self, scope: Sequence[Asked]) -> tuple[list[Asked], list[Asked]]:
        """The questions of the first and of the second half of the articles."""
        half = self.articles // 2
        return [a for a in scope if a.article < half], [a for a in scope if a.article >= half]


async def evaluate_retrieval(
    squad: Path,
    config: EngineConfig | None = None,
    workdir: Path | None = None,
    share: float = SHARE_OF_FIRST,
    answers: bool = True,
    language: str | None = None,
) -> RetrievalReport:
    """Every question of a SQuAD-format file, over the whole corpus and its own article.
    ``language``: the articles' language and the guild's main language (otherwise each
    article's language is detected, English when unclear)."""
    articles, questions = load_squad(squad)
    whole: list[Asked] = []
    scoped: list[Asked] = []
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        async with await Engine.open(
            await open_store(Path(tmp) / "eval.sqlite3"), config
        ) as engine:
            if language is not None:
                await engine.update_guild_config(EVAL_GUILD, language=language)
            article_ids: list[int] = []
            paragraph_ids: list[list[int]] = []
            for title, paragraphs in articles:
                draft = ArticleDraft(
                    title=title,
                    paragraphs=tuple(paragraphs),
                    fingerprint=fingerprint(paragraphs),
                    language=language,
                )
                result = await engine.ingest_draft(
                    EVAL_GUILD, draft, Provenance(poster_name="eval")
                )
                stored = await engine.article_paragraphs(EVAL_GUILD, result.article.id)
                article_ids.append(result.article.id)
                paragraph_ids.append([p.id for p in stored])

            for question in questions:
                gold = paragraph_ids[question.article][question.paragraph]
                for scope, article_id in ((whole, None), (scoped, article_ids[question.article])):
                    hits = await engine.rank(EVAL_GUILD, question.text, k=10, article_id=article_id)
                    top = hits[:ANSWER_PASSAGES]
                    quoted = []
                    if answers:
                        answer = await engine.ask(
                            EVAL_GUILD, question.text, limit=ANSWER_PASSAGES, article_id=article_id
                        )
                        quoted = [passage.text for passage in answer.passages]
                    scope.append(
                        Asked(
                            article=question.article,
                            rank=_rank_of(gold, [h.paragraph_id for h in hits]),
                            ranked=len(top),
                            shown=len(real_candidates(top, share)),
                            answer_at=answer_position(question.answer, quoted),
                        )
                    )
    return RetrievalReport(len(articles), tuple(whole), tuple(scoped), answers)


def print_retrieval(report: RetrievalReport, share: float) -> None:
    print(report.ranks(report.whole).line("whole"))
    print(report.ranks(report.per_article).line("per-article"))
    print(
        f"answers of {ANSWER_PASSAGES} passages, only real candidates "
        f"(score at least {share:g} of the first's), ranked -> shown:"
    )
    for label, scope in (("whole", report.whole), ("per-article", report.per_article)):
        first, second = report.halves(scope)
        print(score_shown(scope).line(label))
        print(score_shown(first).line(f"{label} first half"))
        print(score_shown(second).line(f"{label} second half"))
    if not report.answers:
        return
    print(f"the answer's text in the passages quoted (answers of {ANSWER_PASSAGES}):")
    for label, scope in (("whole", report.whole), ("per-article", report.per_article)):
        first, second = report.halves(scope)
        print(score_answers(scope).line(label))
        print(score_answers(first).line(f"{label} first half"))
        print(score_answers(second).line(f"{label} second half"))


def _rank_of(gold: int, ranked: list[int]) -> int | None:
    return ranked.index(gold) + 1 if gold in ranked else None


# -- seed questions -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SeedOutcome:
    question: str
    expected: str
    passed: bool
    got: str


def read_seed_questions(path: Path) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [(row["question"].strip(), row["expected"].strip()) for row in rows]


async def evaluate_seed(
    questions: list[tuple[str, str]], seeds: Path, config: EngineConfig | None = None
) -> list[SeedOutcome]:
    outcomes = []
    with tempfile.TemporaryDirectory() as tmp:
        async with await Engine.open(
            await open_store(Path(tmp) / "seed.sqlite3"), config
        ) as engine:
            for path in sorted(seeds.glob("*.txt")):
                await engine.ingest_file(EVAL_GUILD, path.name, path.read_bytes())
            for question, expected in questions:
                answer = await engine.ask(EVAL_GUILD, question)
                first = answer.passages[0].text if answer.passages else ""
                if expected == NO_ANSWER:
                    passed = not answer.passages
                else:
                    passed = any(phrase in first for phrase in expected.split("|"))
                outcomes.append(SeedOutcome(question, expected, passed, first))
    return outcomes


# -- extraction ---------------------------------------------------------------------------

SHINGLE_WORDS = 4
_SHINGLE_TOKEN = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class ExtractionScores:
    pages: int
    precision: float
    recall: float

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0

    def line(self, label: str = "") -> str:
        prefix = f"{label} " if label else ""
        return f"{prefix}F1 {self.f1:.3f} precision {self.precision:.3f} recall {self.recall:.3f}"


@dataclass(frozen=True, slots=True)
class ExtractionReport:
    whole: ExtractionScores
    first_half: ExtractionScores
    second_half: ExtractionScores
    exact_paragraphs: int
    truth_paragraphs: int
    milliseconds: tuple[float, ...]


def shingles(text: str, n: int = SHINGLE_WORDS) -> Counter[tuple[str, ...]]:
    """Word n-grams of ``text``, counted; words are lower-cased ``\\w+`` runs.

    A text of fewer than ``n`` words is a single, shorter shingle, so it matches only a
    text of exactly the same words.
    """
    words = _SHINGLE_TOKEN.findall(text.lower())
    if len(words) < n:
        return Counter([tuple(words)]) if words else Counter()
    return Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1))


def shingle_scores(extracted: str, truth: str) -> tuple[float, float]:
    """Precision and recall of the extracted text's shingles against the truth's.

    Shingles are a multiset: one repeated in the extraction matches only as often as it
    occurs in the truth. An empty side scores 0, unless both are empty (1 and 1).
    """
    got, want = shingles(extracted), shingles(truth)
    if not got and not want:
        return 1.0, 1.0
    matched = sum((got & want).values())
    precision = matched / got.total() if got else 0.0
    recall = matched / want.total() if want else 0.0
    return precision, recall


def average_scores(pairs: Sequence[tuple[float, float]]) -> ExtractionScores:
    n = len(pairs) or 1
    return ExtractionScores(
        pages=len(pairs),
        precision=sum(p for p, _ in pairs) / n,
        recall=sum(r for _, r in pairs) / n,
    )


def evaluate_extraction(aeb: Path) -> ExtractionReport:
    """Score ``extract_article`` on every page of the benchmark folder that has a truth."""
    truth = json.loads((aeb / "ground-truth.json").read_text(encoding="utf-8"))
    suffix = ".html.gz"
    names = sorted(
        path.name[: -len(suffix)]
        for path in (aeb / "html").glob(f"*{suffix}")
        if path.name[: -len(suffix)] in truth
    )
    pairs: list[tuple[float, float]] = []
    milliseconds: list[float] = []
    exact = total = 0
    for name in names:
        data = gzip.decompress((aeb / "html" / f"{name}{suffix}").read_bytes())
        started = time.perf_counter()
        try:
            paragraphs = extract_article(decode_html(data, None), truth[name].get("url")).paragraphs
        except IngestRefused:
            paragraphs = ()
        milliseconds.append((time.perf_counter() - started) * 1000)
        body = truth[name]["articleBody"]
        pairs.append(shingle_scores("\n".join(paragraphs), body))
        wanted = [line.strip() for line in body.split("\n") if line.strip()]
        exact += sum(1 for line in wanted if line in set(paragraphs))
        total += len(wanted)
    half = len(names) // 2
    return ExtractionReport(
        whole=average_scores(pairs),
        first_half=average_scores(pairs[:half]),
        second_half=average_scores(pairs[half:]),
        exact_paragraphs=exact,
        truth_paragraphs=total,
        milliseconds=tuple(milliseconds),
    )


def _percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def print_extraction(report: ExtractionReport) -> None:
    print(report.whole.line())
    print(report.first_half.line("first half"))
    print(report.second_half.line("second half"))
    share = report.exact_paragraphs / (report.truth_paragraphs or 1)
    print(
        f"exact paragraphs {share:.3f} "
        f"({report.exact_paragraphs} of {report.truth_paragraphs} ground-truth paragraphs)"
    )
    median = statistics.median(report.milliseconds) if report.milliseconds else 0.0
    print(
        f"ms per page median {median:.0f} p95 {_percentile(report.milliseconds, 0.95):.0f} "
        f"({report.whole.pages} pages)"
    )


# -- command line -------------------------------------------------------------------------


def _config(args: argparse.Namespace) -> EngineConfig:
    return EngineConfig(bm25=BM25Params(k1=args.k1, b=args.b, epsilon=args.epsilon))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m index.eval",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    defaults = BM25Params()
    parser.add_argument("--k1", type=float, default=defaults.k1)
    parser.add_argument("--b", type=float, default=defaults.b)
    parser.add_argument("--epsilon", type=float, default=defaults.epsilon)
    commands = parser.add_subparsers(dest="command", required=True)
    retrieval = commands.add_parser("retrieval", help="Recall@k and MRR on SQuAD-format data")
    retrieval.add_argument("--squad", type=Path, required=True)
    retrieval.add_argument(
        "--language",
        help="ISO 639-1 code of the file's language (default: detected for each article)",
    )
    retrieval.add_argument(
        "--share",
        type=float,
        default=SHARE_OF_FIRST,
        help="share of the first passage's score a later passage needs to be shown",
    )
    retrieval.add_argument(
        "--no-answers",
        action="store_true",
        help="leave out answer@1 and answer@3 (asking for the quotes takes most of the time)",
    )
    seed = commands.add_parser("seed", help="check the answers to the seed questions")
    seed.add_argument("--questions", type=Path, default=PROJECT_SEEDS / "seed-questions.tsv")
    seed.add_argument("--seeds", type=Path, default=PROJECT_SEEDS)
    extraction = commands.add_parser(
        "extraction", help="article extraction scores on an article-extraction-benchmark folder"
    )
    extraction.add_argument("--aeb", type=Path, required=True)
    args = parser.parse_args(argv)

    if args.command == "extraction":
        if not (args.aeb / "ground-truth.json").is_file() or not (args.aeb / "html").is_dir():
            parser.error(f"{args.aeb} must hold ground-truth.json and html/")
        print_extraction(evaluate_extraction(args.aeb))
        return 0

    if args.command == "retrieval":
        path = args.squad
        if path.is_dir():
            candidates = sorted(path.glob("*.json"))
            if len(candidates) != 1:
                parser.error(f"{path} must hold exactly one .json file, or pass the file")
            path = candidates[0]
        started = time.perf_counter()
        report = asyncio.run(
            evaluate_retrieval(
                path,
                _config(args),
                share=args.share,
                answers=not args.no_answers,
                language=args.language,
            )
        )
        print_retrieval(report, args.share)
        print(f"{len(report.whole)} questions in {time.perf_counter() - started:.1f} s")
        return 0

    outcomes = asyncio.run(
        evaluate_seed(read_seed_questions(args.questions), args.seeds, _config(args))
    )
    for outcome in outcomes:
        mark = "PASS" if outcome.passed else "FAIL"
        print(f"{mark}  {outcome.question}")
        if not outcome.passed:
            print(f"      expected: {outcome.expected}")
            print(f"      first passage: {outcome.got or '(none)'}")
    failed = sum(not o.passed for o in outcomes)
    print(f"{len(outcomes) - failed}/{len(outcomes)} passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
