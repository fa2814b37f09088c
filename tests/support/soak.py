"""A soak run: the real bot under steady load from simulated users, through a fake Discord.

    python -m tests.support.soak [--seconds 60] [--askers 20] [--posters 5] [--json]
                                 [--database URL]

Run it from the repository root: the Discord side is the project's test double
(``tests/support/fake_discord.py``), which serves the REST API and the gateway on
127.0.0.1, and the bot is the real ``NewsBot`` with the real discord.py, on a temporary
SQLite database, or on the empty database ``--database`` names (a ``postgresql://`` URL,
as ``DATABASE_URL`` takes it). The seed article is posted first (as Discord's
``message.txt``); then askers ask questions (``/ask``, ``/ask`` about one article,
mentions, and mentions replying to an article's message) and posters share new, distinct
articles (``message.txt`` attachments, pasted text, and links to a local web server),
each at their own pace, for a warm-up and then the measured time.

Questions come from real text: ``../shared/eval/seed-questions.tsv`` about the seed,
and the SQuAD questions of the paragraphs each posted article is made of (from
``../shared/data/squad-train-subset``). Without ``../shared``, articles are recombined
from the seed's paragraphs and questions are cut from their sentences.

The report counts questions asked and answered with reply latencies, ingests posted,
confirmed, deferred ("please wait") and failed, every error, and the resident memory.
Every post is checked against the engine at the end, not just against the reactions.
The run fails (exit status 1) on any error, any lost ingest, or memory that keeps
growing (see :func:`judge_memory`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import html
import itertools
import json
import logging
import math
import random
import re
import sys
import tempfile
import time
from array import array
from collections import Counter, deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import discord
from aiohttp import web

from bot.client import NewsBot, use_discord_endpoints
from bot.render_discord import ADDED, ALREADY, FAILED
from bot.settings import PROJECT_ROOT, Settings
from index import Engine, IngestRefused
from index.ingest.extract import Extractor
from index.ingest.fetch import Fetcher, FetchLimits
from index.ingest.netpolicy import AddressPolicy
from index.ingest.paste import parse_paste
from index.ingest.urls import canonical_url
from index.store import without_password
from tests.support.engines import open_engine

try:
    from tests.support.fake_discord import LOADING, ErrorCapture, FakeDiscord, Mark
except ImportError:  # pragma: no cover - depends on where it is started from
    sys.exit("Run the soak from the repository root: it uses tests/support/fake_discord.py.")

log = logging.getLogger(__name__)

SHARED = PROJECT_ROOT.parent / "shared"
SEED_QUESTIONS = Path("eval") / "seed-questions.tsv"
SQUAD = Path("data") / "squad-train-subset" / "squad-train-subset-v1.1.json"

APP_ID, BOT_ID, TOKEN = 900, 901, "soak-token"
GUILD, NEWS, CHAT, OWNER = 10, 11, 12, 20
ASKER_IDS, POSTER_IDS = 1000, 2000
SEED_POSTER = POSTER_IDS - 1

WAYS = ("/ask", "/ask article", "mention", "reply mention")
"""How a question is asked: ``/ask``; ``/ask`` with its ``article`` option; a message
mentioning the bot; such a message sent as a reply to an article's message (which
scopes the question to that article)."""
WAY_WEIGHTS = (0.45, 0.15, 0.25, 0.15)
KINDS = ("attachment", "paste", "link")
"""How an article is shared: Discord's ``message.txt``, text pasted into the message, or
a link to a page on the local web server."""
KIND_WEIGHTS = (0.45, 0.35, 0.2)
PASTE_LIMIT = 2000
"""Characters a Discord message may hold; longer pastes become ``message.txt``."""
REMARKS = ("", "Worth a read", "New update my fellas", "Interesting", "FYI", "big if true")
LOGGERS = ("discord", "fake_discord", "bot", "index", "asyncio", "aiohttp")
"""Loggers whose ERROR records count as errors of the run."""
MiB = 1024 * 1024

MEMORY_FLOOR_MIB = 8.0
"""Growth over the second half of the run that counts as noise rather than a trend
(allocator arenas, caches reaching their size, garbage awaiting collection)."""
ARTICLE_ALLOWANCE_KIB = 32.0
"""Growth allowed for each article stored during that window: the index holds every
article's postings (about 10 KiB for four SQuAD paragraphs, measured), so a growing
corpus is expected to cost memory."""


# ------------------------------------------------------------------------------------
# Options
# ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SoakOptions:
    seconds: float = 60.0
    """The measured time, after the warm-up."""
    warmup: float = 5.0
    """Load before the memory baseline is taken (first questions build caches)."""
    askers: int = 20
    posters: int = 5
    seed: int | None = None
    """Random seed of the run (a fresh one when None; the report shows it)."""
    shared: Path = SHARED
    ask_pause: tuple[float, float] = (0.2, 1.2)
    """Seconds an asker waits between getting an answer and asking again."""
    post_pause: tuple[float, float] = (0.5, 2.0)
    """Seconds a poster waits between a confirmation and the next post."""
    more_share: float = 0.1
    """Share of answers whose "More" button the asker presses."""
    action_timeout: float = 30.0
    """Seconds a question may wait for its answer, a post for its confirmation."""
    questions_per_minute: int = 10_000
    """The bot's per-member question limit (high: the askers are many and quick)."""
    sample_every: float | None = None
    """Seconds between memory samples (default: a 60th of the run, within 0.25-5 s)."""
    forget_after: float = 5.0
    """Seconds after which the fake's records of settled actions are dropped."""
    database: str | None = None
    """The store to run on, as ``DATABASE_URL`` names it; it must be empty (every article
    in it is accounted for). None: a SQLite file in a temporary folder."""

    def validate(self) -> None:
        if self.seconds <= 0 or self.warmup < 0:
            raise ValueError("seconds must be positive and warmup not negative")
        if self.askers < 1 or self.posters < 1:
            raise ValueError("there must be at least one asker and one poster")
        for low, high in (self.ask_pause, self.post_pause):
            if not 0 <= low <= high:
                raise ValueError("a pause range must be 0 <= low <= high")

    @property
    def sample_interval(self) -> float:
        if self.sample_every is not None:
            return self.sample_every
        return min(5.0, max(0.25, (self.warmup + self.seconds) / 60))


# ------------------------------------------------------------------------------------
# Text: the seed, its questions, and material for new articles
# ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Question:
    text: str
    expected: tuple[str, ...] = ()
    """Phrases one of which the first quoted passage should contain (seed questions)."""
    no_answer: bool = False
    """The seed has nothing about it: asked about the seed alone, nothing is found."""


@dataclass(frozen=True, slots=True)
class Source:
    """A paragraph new articles can be made of, with the questions it answers."""

    text: str
    questions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Topic:
    title: str
    sources: tuple[Source, ...]


@dataclass(frozen=True, slots=True)
class Corpus:
    seed_name: str
    seed_data: bytes
    seed_questions: tuple[Question, ...]
    topics: tuple[Topic, ...]
    description: str


_SENTENCES = re.compile(r"(?<=[.!?])\s+")
_TITLE_END = " .,;:!?-—–\"'“”‘’()"
_TEMPLATES = (
    "What does the article say about {}?",
    "What happened with {}?",
    "Tell me about {}",
    "{}?",
)


def questions_from_text(text: str, rng: random.Random, count: int = 2) -> tuple[str, ...]:
    """Questions cut from the text's own sentences: a few consecutive words of one."""
    sentences = [s for s in _SENTENCES.split(text) if len(s.split()) >= 6]
    questions = []
    for sentence in rng.sample(sentences, min(count, len(sentences))):
        words = sentence.split()
        size = rng.randint(3, min(6, len(words)))
        start = rng.randint(0, len(words) - size)
        span = " ".join(words[start : start + size]).strip(_TITLE_END)
        if span:
            questions.append(rng.choice(_TEMPLATES).format(span))
    return tuple(questions)


def load_corpus(shared: Path, rng: random.Random, seeds_dir: Path | None = None) -> Corpus:
    """The seed (shipped in ``seeds/``), its questions, and the paragraphs to recombine."""
    seeds = sorted((seeds_dir or PROJECT_ROOT / "seeds").glob("*.txt"))
    if not seeds:
        raise FileNotFoundError("no seed article in seeds/")
    seed_data = seeds[0].read_bytes()
    seed = parse_paste(seed_data.decode("utf-8"))
    seed_sources = tuple(Source(p, questions_from_text(p, rng)) for p in seed.paragraphs)

    tsv = shared / SEED_QUESTIONS
    if not tsv.is_file():  # the project ships a copy beside the seed
        tsv = (seeds_dir or PROJECT_ROOT / "seeds") / SEED_QUESTIONS.name
    if tsv.is_file():
        questions = []
        for row in tsv.read_text(encoding="utf-8").splitlines()[1:]:
            if not row.strip():
                continue
            text, _, expected = row.partition("\t")
            if expected.strip() == "NO_ANSWER":
                questions.append(Question(text.strip(), no_answer=True))
            else:
                phrases = tuple(p for p in expected.strip().split("|") if p)
                questions.append(Question(text.strip(), phrases))
        seed_questions = tuple(questions)
        about_seed = f"{len(seed_questions)} seed questions from {tsv}"
    else:
        seed_questions = tuple(Question(q) for s in seed_sources for q in s.questions)
        about_seed = f"{len(seed_questions)} questions cut from the seed's sentences"

    squad = shared / SQUAD
    if squad.is_file():
        topics = load_squad(squad)
        count = sum(len(t.sources) for t in topics)
        material = f"{count} SQuAD paragraphs in {len(topics)} topics with their questions"
    else:
        topics = (Topic(seed.title, seed_sources),)
        material = f"the seed's {len(seed_sources)} paragraphs (no SQuAD data)"
    return Corpus(
        seeds[0].name, seed_data, seed_questions, topics, f"{about_seed}; articles from {material}"
    )


def load_squad(path: Path, questions_per_paragraph: int = 3) -> tuple[Topic, ...]:
    data = json.loads(path.read_text(encoding="utf-8"))
    topics = []
    for article in data["data"]:
        sources = []
        for paragraph in article["paragraphs"]:
            text = " ".join(paragraph["context"].split())
            questions = tuple(
                " ".join(qa["question"].split())
                for qa in paragraph["qas"][:questions_per_paragraph]
                if qa["question"].strip()
            )
            if text:
                sources.append(Source(text, questions))
        if sources:
            topics.append(Topic(article["title"].replace("_", " "), tuple(sources)))
    return tuple(topics)


@dataclass(frozen=True, slots=True)
class Article:
    key: str
    title: str
    text: str
    """The text as posted (title line, one paragraph per line, maybe a glued link)."""
    paragraphs: tuple[str, ...]
    """The paragraphs as the engine parses them."""
    fingerprint: str
    questions: tuple[str, ...]


class ArticleMaker:
    """Distinct articles recombined from the corpus: a title and two to five paragraphs,
    mostly of one topic, sometimes with the source link and a remark glued on the end
    (the shape of Discord's ``message.txt``). Each is parsed as the engine parses it, so
    the paragraphs and fingerprint are the engine's."""

    def __init__(self, corpus: Corpus, rng: random.Random) -> None:
        self.corpus = corpus
        self.rng = rng
        self.fingerprints: set[str] = set()

    def make(self, key: str, *, max_chars: int | None = None, glue_link: bool = False) -> Article:
        rng = self.rng
        for _ in range(100):
            topic = rng.choice(self.corpus.topics)
            sources = list(topic.sources)
            if len(self.corpus.topics) > 1 and rng.random() < 0.3:
                sources += rng.choice(self.corpus.topics).sources
            chosen = rng.sample(sources, min(len(sources), rng.randint(2, 5)))
            title = self._title(topic.title, chosen[0].text)
            text = self._text(key, title, chosen, glue_link)
            while max_chars is not None and len(text) > max_chars and len(chosen) > 1:
                chosen.pop()
                text = self._text(key, title, chosen, glue_link)
            if max_chars is not None and len(text) > max_chars:
                continue
            try:
                draft = parse_paste(text)
            except IngestRefused:
                continue
            if draft.title != title or len(draft.paragraphs) != len(chosen):
                continue  # the parser read it differently (a link inside a paragraph, ...)
            if draft.fingerprint in self.fingerprints:
                continue
            self.fingerprints.add(draft.fingerprint)
            questions = tuple(q for s in chosen for q in s.questions) or questions_from_text(
                " ".join(draft.paragraphs), rng
            )
            return Article(key, title, text, draft.paragraphs, draft.fingerprint, questions)
        raise RuntimeError("the corpus is too small to make another distinct article")

    def _title(self, topic: str, first: str) -> str:
        words = first.split()[: self.rng.randint(4, 9)]
        return f"{topic}: {' '.join(words)}".rstrip(_TITLE_END)[:150]

    def _text(self, key: str, title: str, chosen: Sequence[Source], glue_link: bool) -> str:
        lines = [title, *(s.text for s in chosen)]
        if glue_link:
            slug = re.sub(r"\W+", "-", title.lower()).strip("-")[:40]
            remark = self.rng.choice(REMARKS[1:])
            lines[-1] += f"https://news.example.com/2025/{slug}-{key} {remark}"
        return "\n".join(lines)


def article_html(article: Article) -> str:
    paragraphs = "\n".join(f"<p>{html.escape(p)}</p>" for p in article.paragraphs)
    title = html.escape(article.title)
    return (
        '<!doctype html><html><head><meta charset="utf-8">'
        f"<title>{title} - Soak Gazette</title>"
        '<meta property="og:site_name" content="Soak Gazette"></head>'
        '<body><nav><a href="/">Home</a> <a href="/news">News</a></nav>'
        f"<article><h1>{title}</h1>\n{paragraphs}\n</article>"
        "<footer>Copyright Soak Gazette</footer></body></html>"
    )


class ArticlePages:
    """A local web server with a page for each article shared as a link."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        self.base = ""
        self.hits = 0
        self._runner: web.AppRunner | None = None

    async def start(self) -> ArticlePages:
        app = web.Application()
        app.router.add_get("/news/{key}", self._page)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.base = f"http://{host}:{port}"
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def add(self, article: Article) -> str:
        self.pages[article.key] = article_html(article)
        return f"{self.base}/news/{article.key}"

    def remove(self, key: str) -> None:
        self.pages.pop(key, None)

    async def _page(self, request: web.Request) -> web.Response:
        self.hits += 1
        page = self.pages.get(request.match_info["key"])
        if page is None:
            raise web.HTTPNotFound()
        return web.Response(text=page, content_type="text/html")


# ------------------------------------------------------------------------------------
# Memory
# ------------------------------------------------------------------------------------


def resident_kib() -> tuple[int, int]:
    """VmRSS and its anonymous part (RssAnon) of this process, in KiB; zeros where /proc
    is not available."""
    values = {"VmRSS": 0, "RssAnon": 0}
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                key, _, value = line.partition(":")
                if key in values:
                    values[key] = int(value.split()[0])
    except OSError:
        pass
    return values["VmRSS"], values["RssAnon"]


@dataclass(frozen=True, slots=True)
class MemorySample:
    at: float
    """Seconds since the load started."""
    rss_kib: int
    articles: int
    """Articles stored so far by the run (the seed included)."""
    anon_kib: int = 0
    """The anonymous part of ``rss_kib`` (the heap, not mapped files)."""


@dataclass(frozen=True, slots=True)
class MemoryVerdict:
    start_mib: float
    """At the end of the warm-up."""
    end_mib: float
    peak_mib: float
    start_anon_mib: float
    end_anon_mib: float
    samples: int
    window_seconds: float
    """The second half of the measured time, where the trend is judged."""
    slope_mib_per_min: float
    """Least-squares slope of the resident memory over the window."""
    growth_mib: float
    """The slope times the window: the growth the trend accounts for."""
    articles_in_window: int
    allowance_mib: float
    second_quarter_median_mib: float
    last_quarter_median_mib: float
    growing: bool
    criterion: str


def judge_memory(
    samples: Sequence[MemorySample],
    start: float,
    end: float,
    *,
    floor_mib: float = MEMORY_FLOOR_MIB,
    per_article_kib: float = ARTICLE_ALLOWANCE_KIB,
) -> MemoryVerdict:
    """Whether memory keeps growing over the measured time ``start``..``end``.

    A straight line is fitted (least squares) to the samples of the second half of the
    measured time, after the warm-up and after the first half has let caches fill. The
    memory keeps growing when the line rises, over that half, by more than
    ``floor_mib`` plus ``per_article_kib`` for each article stored in that half: a leak
    grows with the work done, while noise does not and the index grows only with the
    articles it holds.
    """
    measured = [s for s in samples if start <= s.at <= end]
    if len(measured) < 2:
        raise ValueError("at least two memory samples are needed within the measured time")
    middle = start + (end - start) / 2
    window = [s for s in measured if s.at >= middle]
    if len(window) < 2:
        window = measured[-2:]
    xs = [s.at for s in window]
    ys = [s.rss_kib / 1024 for s in window]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread
    window_seconds = xs[-1] - xs[0]
    growth = slope * window_seconds
    articles = window[-1].articles - window[0].articles
    allowance = floor_mib + articles * per_article_kib / 1024

    def median_between(low: float, high: float) -> float:
        values = sorted(
            s.rss_kib / 1024
            for s in measured
            if start + low * (end - start) <= s.at and s.at <= start + high * (end - start)
        )
        return values[len(values) // 2] if values else float("nan")

    return MemoryVerdict(
        start_mib=measured[0].rss_kib / 1024,
        end_mib=measured[-1].rss_kib / 1024,
        peak_mib=max(s.rss_kib for s in measured) / 1024,
        start_anon_mib=measured[0].anon_kib / 1024,
        end_anon_mib=measured[-1].anon_kib / 1024,
        samples=len(measured),
        window_seconds=window_seconds,
        slope_mib_per_min=slope * 60,
        growth_mib=growth,
        articles_in_window=articles,
        allowance_mib=allowance,
        second_quarter_median_mib=median_between(0.25, 0.5),
        last_quarter_median_mib=median_between(0.75, 1.0),
        growing=growth > allowance,
        criterion=(
            f"least-squares growth over the second half > {floor_mib:g} MiB "
            f"+ {per_article_kib:g} KiB per article stored in it"
        ),
    )


# ------------------------------------------------------------------------------------
# The report
# ------------------------------------------------------------------------------------


def percentile(values: Sequence[float], share: float) -> float | None:
    """The nearest-rank percentile (``share`` in 0..1), None without values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


@dataclass(frozen=True, slots=True)
class Latency:
    """Milliseconds from sending to the bot's answer (or confirmation)."""

    count: int
    p50_ms: float | None
    p95_ms: float | None
    max_ms: float | None

    @classmethod
    def of(cls, values: Sequence[float]) -> Latency:
        return cls(
            len(values),
            percentile(values, 0.5),
            percentile(values, 0.95),
            max(values, default=None),
        )

    def __str__(self) -> str:
        return f"p50 {_ms(self.p50_ms)}, p95 {_ms(self.p95_ms)}, max {_ms(self.max_ms)}"


NO_LATENCY = Latency(0, None, None, None)


@dataclass(slots=True)
class QuestionCounts:
    asked: int = 0
    answered: int = 0
    with_passages: int = 0
    nothing_found: int = 0
    rate_limited: int = 0
    unanswered: int = 0
    mismatched: int = 0
    """Answers that quote another question than the one asked."""
    by_way: dict[str, int] = field(default_factory=dict)
    pages_asked: int = 0
    pages_shown: int = 0
    pages_exhausted: int = 0
    seed_checked: int = 0
    seed_as_expected: int = 0
    latency: Latency = NO_LATENCY
    latency_by_way: dict[str, Latency] = field(default_factory=dict)
    engine_counter: int | None = None
    """The engine's own count of questions answered with passages."""


@dataclass(slots=True)
class IngestCounts:
    posted: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    confirmed: int = 0
    duplicates: int = 0
    deferred: int = 0
    failed: int = 0
    unconfirmed: int = 0
    """Posts the poster heard nothing about in time (stored or not)."""
    stored: int = 0
    """Posts found in the engine at the end (by their message; a 🔁 by its article)."""
    lost: int = 0
    """Posts neither in the engine nor reported failed or deferred to the poster."""
    engine_articles: int = 0
    expected_articles: int = 0
    failures: list[str] = field(default_factory=list)
    latency: Latency = NO_LATENCY
    latency_by_kind: dict[str, Latency] = field(default_factory=dict)


STALL = 0.25
"""Seconds of event-loop lag that count as a stall in the report."""


@dataclass(slots=True)
class LoopLag:
    worst_ms: float = 0.0
    worst_at: float = 0.0
    """Seconds since the load started."""
    stalls: int = 0
    """Wake-ups more than ``STALL`` seconds late."""


@dataclass(slots=True)
class SoakReport:
    options: dict[str, Any]
    seed: int
    corpus: str
    load_seconds: float = 0.0
    questions: QuestionCounts = field(default_factory=QuestionCounts)
    ingests: IngestCounts = field(default_factory=IngestCounts)
    memory: MemoryVerdict | None = None
    memory_samples: list[tuple[float, float]] = field(default_factory=list)
    """(seconds since the load started, MiB) for every sample."""
    loop: LoopLag = field(default_factory=LoopLag)
    errors: list[str] = field(default_factory=list)
    error_count: int = 0
    warnings: list[str] = field(default_factory=list)
    warning_count: int = 0
    fake_records_forgotten: int = 0

    @property
    def failures(self) -> list[str]:
        reasons = []
        if self.error_count:
            reasons.append(f"{self.error_count} error(s)")
        if self.ingests.lost:
            reasons.append(f"{self.ingests.lost} lost ingest(s)")
        if self.memory is None:
            reasons.append("no memory verdict")
        elif self.memory.growing:
            reasons.append("memory keeps growing")
        return reasons

    @property
    def passed(self) -> bool:
        return not self.failures

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["passed"] = self.passed
        data["failures"] = self.failures
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, default=str)

    def format(self) -> str:
        o, q, i, m = self.options, self.questions, self.ingests, self.memory
        lines = [
            f"Soak: {o['seconds']:g} s measured after {o['warmup']:g} s warm-up "
            f"({self.load_seconds:.1f} s of load), {o['askers']} askers, "
            f"{o['posters']} posters, seed {self.seed}",
            f"Text: {self.corpus}",
            "",
            f"Questions: {q.asked} asked, {q.answered} answered "
            f"({q.with_passages} with passages, {q.nothing_found} found nothing, "
            f"{q.rate_limited} told to wait), {q.unanswered} unanswered, "
            f"{q.mismatched} answering another question",
            "  ways: " + ", ".join(f"{w} {n}" for w, n in q.by_way.items()),
            f"  reply latency: {q.latency}",
            *(f"    {way}: {latency}" for way, latency in q.latency_by_way.items()),
            f"  More pressed {q.pages_asked} times: {q.pages_shown} next pages, "
            f"{q.pages_exhausted} 'no more passages'",
            f"  seed questions asked about the seed alone: {q.seed_as_expected} of "
            f"{q.seed_checked} quoted the expected passage first",
            f"  engine's questions-answered counter: {q.engine_counter} "
            f"(answers with passages seen: {q.with_passages})",
            "",
            f"Ingests: {i.posted} posted ("
            + ", ".join(f"{k} {n}" for k, n in i.by_kind.items())
            + f"), {i.confirmed} confirmed ({i.duplicates} as already indexed), "
            f"{i.deferred} deferred, {i.failed} failed, {i.unconfirmed} unconfirmed",
            f"  confirmation latency: {i.latency}",
            *(f"    {kind}: {latency}" for kind, latency in i.latency_by_kind.items()),
            f"  checked against the engine: {i.stored} stored, {i.lost} lost; the engine "
            f"holds {i.engine_articles} articles, {i.expected_articles} expected "
            "(the seed and every stored post)",
        ]
        lines += [f"  failed: {reason}" for reason in i.failures[:10]]
        lines.append("")
        if m is None:
            lines.append("Memory: not judged")
        else:
            lines += [
                f"Memory (VmRSS): start {m.start_mib:.1f} MiB (after warm-up), "
                f"end {m.end_mib:.1f} MiB, peak {m.peak_mib:.1f} MiB, {m.samples} samples; "
                f"anonymous part {m.start_anon_mib:.1f} -> {m.end_anon_mib:.1f} MiB",
                f"  second half ({m.window_seconds:.0f} s): slope "
                f"{m.slope_mib_per_min:+.2f} MiB/min, fitted growth {m.growth_mib:+.2f} MiB, "
                f"allowed {m.allowance_mib:.2f} MiB ({m.articles_in_window} articles stored "
                "in it)",
                f"  medians: second quarter {m.second_quarter_median_mib:.1f} MiB, "
                f"last quarter {m.last_quarter_median_mib:.1f} MiB",
                "  curve (s: MiB): " + _curve(self.memory_samples),
                f"  criterion: {m.criterion} -> "
                + ("KEEPS GROWING" if m.growing else "not growing"),
            ]
        lines.append(f"  fake Discord records dropped along the way: {self.fake_records_forgotten}")
        lines.append(
            f"Event loop: worst stall {self.loop.worst_ms:.0f} ms at "
            f"{self.loop.worst_at:.1f} s into the load; {self.loop.stalls} stall(s) over "
            f"{STALL * 1000:.0f} ms"
        )
        lines.append("")
        lines.append(f"Errors: {self.error_count}")
        lines += [f"  {_one_line(e)}" for e in self.errors[:20]]
        if self.warning_count:
            lines.append(f"Warnings: {self.warning_count}")
            lines += [f"  {_one_line(w)}" for w in self.warnings[:10]]
        lines.append("")
        verdict = "PASS" if self.passed else "FAIL: " + "; ".join(self.failures)
        lines.append(f"Result: {verdict}")
        return "\n".join(lines)


def _curve(samples: Sequence[tuple[float, float]], points: int = 12) -> str:
    step = max(1, math.ceil(len(samples) / points))
    shown = list(samples[::step])
    if samples and round(shown[-1][0]) != round(samples[-1][0]):
        shown.append(samples[-1])
    return ", ".join(f"{at:.0f}: {mib:.1f}" for at, mib in shown)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} ms"


def _one_line(text: str, limit: int = 300) -> str:
    first = " | ".join(line for line in text.splitlines() if line.strip())
    return first if len(first) <= limit else first[: limit - 1] + "…"


# ------------------------------------------------------------------------------------
# The run
# ------------------------------------------------------------------------------------


@dataclass(slots=True)
class Target:
    """An article askers ask about: its message (for replies) and its questions."""

    article_id: int
    message: dict[str, Any]
    questions: tuple[Question, ...]
    is_seed: bool = False


@dataclass(slots=True)
class Post:
    key: str
    kind: str
    message_id: int
    fingerprint: str
    url: str | None
    outcome: str = "pending"
    """added, duplicate, failed, deferred, or pending (no word from the bot in time)."""
    reason: str | None = None


class _Timeout(Exception):
    pass


def _plain(text: str) -> str:
    """Text as shown, without markdown escapes, zero-width spaces and spacing differences."""
    text = text.replace("\\", "").replace("\u200b", "").replace("**", "")
    return " ".join(text.split()).casefold()


def _is_deferral(text: str) -> bool:
    return text.lstrip().startswith("⏳") or "wait" in text.casefold()


class Soak:
    """One soak run over a started fake Discord, bot and engine."""

    def __init__(
        self,
        options: SoakOptions,
        corpus: Corpus,
        rng: random.Random,
        fake: FakeDiscord,
        engine: Engine,
        pages: ArticlePages,
        report: SoakReport,
    ) -> None:
        self.options = options
        self.corpus = corpus
        self.rng = rng
        self.fake = fake
        self.engine = engine
        self.pages = pages
        self.report = report
        self.maker = ArticleMaker(corpus, random.Random(rng.random()))
        self.stopping = asyncio.Event()
        self.finished = asyncio.Event()
        self.started = time.monotonic()
        self.warm = 0.0
        """Seconds from the start of the load to the end of the warm-up."""
        self.load_end = 0.0
        self.seed_target: Target | None = None
        self.targets: deque[Target] = deque(maxlen=64)
        self.posts: list[Post] = []
        self.stored = 1
        """Articles the run has seen confirmed as new (the seed included)."""
        self.samples: list[MemorySample] = []
        self.in_flight: dict[int, float] = {}
        self._tokens = itertools.count()
        self.ask_latencies: dict[str, array[float]] = {way: array("d") for way in WAYS}
        self.post_latencies: dict[str, array[float]] = {kind: array("d") for kind in KINDS}
        self.ways: Counter[str] = Counter()
        self.kinds: Counter[str] = Counter()

    # -- bookkeeping -------------------------------------------------------------------

    def error(self, text: str) -> None:
        self.report.error_count += 1
        if len(self.report.errors) < 200:
            self.report.errors.append(text)

    @contextlib.contextmanager
    def _action(self) -> Iterator[None]:
        """Marks an action as under way, so the fake keeps its records."""
        token = next(self._tokens)
        self.in_flight[token] = time.monotonic()
        try:
            yield
        finally:
            del self.in_flight[token]

    async def _pause(self, bounds: tuple[float, float], rng: random.Random) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), rng.uniform(*bounds))

    async def _wait(self, probe: Callable[[], Any], what: str, timeout: float | None = None) -> Any:
        try:
            return await self.fake.wait_until(
                probe, what, timeout=self.options.action_timeout if timeout is None else timeout
            )
        except AssertionError as timeout_error:
            raise _Timeout(str(timeout_error).splitlines()[0]) from None

    def kept_messages(self) -> list[int]:
        """Messages the askers may still reply to: the fake must not forget them."""
        kept = [int(t.message["id"]) for t in self.targets]
        if self.seed_target is not None:
            kept.append(int(self.seed_target.message["id"]))
        return kept

    # -- the seed --------------------------------------------------------------------

    async def post_seed(self) -> None:
        attachment = self.fake.add_attachment("message.txt", self.corpus.seed_data, None)
        message = await self.fake.user_message(GUILD, NEWS, SEED_POSTER, "", [attachment])
        await self._wait(
            lambda: any(r.added and r.emoji == ADDED for r in self.fake.reactions_on(message)),
            "the seed to be indexed",
        )
        info = await self.engine.find_by_message(GUILD, int(message["id"]))
        if info is None:
            raise RuntimeError("the seed was confirmed but is not in the engine")
        self.seed_target = Target(info.id, message, self.corpus.seed_questions, is_seed=True)

    # -- askers ----------------------------------------------------------------------

    async def asker(self, index: int) -> None:
        user = ASKER_IDS + index
        await self._act_in_turns(
            f"asker {index}",
            index,
            WAYS,
            WAY_WEIGHTS,
            self.options.ask_pause,
            lambda _turn, way, rng: self.ask(user, way, rng),
        )

    async def _act_in_turns(
        self,
        who: str,
        index: int,
        choices: Sequence[str],
        weights: Sequence[float],
        pause: tuple[float, float],
        act: Callable[[int, str, random.Random], Awaitable[None]],
    ) -> None:
        """Act, then pause, until the run stops. The first turns go every way in
        ``choices``, so a short run covers them all; a failure is counted, not fatal."""
        rng = random.Random(self.rng.random())
        first = [choices[(index + n) % len(choices)] for n in range(len(choices))]
        for turn in itertools.count():
            if self.stopping.is_set():
                return
            choice = first[turn] if turn < len(first) else rng.choices(choices, weights)[0]
            try:
                with self._action():
                    await act(turn, choice, rng)
            except Exception as crash:  # a fault of the run itself: count it, go on
                self.error(f"{who} failed: {crash!r}")
            await self._pause(pause, rng)

    def _pick(self, rng: random.Random) -> tuple[Question, Target]:
        assert self.seed_target is not None
        target = self.seed_target
        if self.targets and rng.random() < 0.6:
            target = rng.choice(self.targets)
        return rng.choice(target.questions), target

    async def ask(self, user: int, way: str, rng: random.Random) -> None:
        question, target = self._pick(rng)
        counts = self.report.questions
        counts.asked += 1
        self.ways[way] += 1
        channel = NEWS if way == "reply mention" or rng.random() < 0.5 else CHAT
        sent = time.monotonic()
        try:
            if way.startswith("/ask"):
                options: dict[str, Any] = {"question": question.text}
                if way == "/ask article":
                    options["article"] = target.article_id
                if rng.random() < 0.2:
                    options["results"] = rng.randint(1, 5)
                interaction = await self.fake.slash(GUILD, channel, user, "ask", options)
                response = await self._wait(
                    lambda: next(
                        (
                            r
                            for r in interaction.responses
                            if r.message is not None
                            and not int(r.message.get("flags") or 0) & LOADING
                        ),
                        None,
                    ),
                    f"the answer to /ask {question.text!r}",
                )
                reply, replied_at = response.message, response.at
            else:
                reply_to = target.message if way == "reply mention" else None
                message = await self.fake.user_message(
                    GUILD, channel, user, question.text, mentions_bot=True, reply_to=reply_to
                )
                reply = await self._wait(
                    lambda: next(iter(self.fake.replies_to(message)), None),
                    f"the answer to the mention {question.text!r}",
                )
                replied_at = self.fake.posted_at(reply) or time.monotonic()
        except _Timeout as timeout:
            counts.unanswered += 1
            self.error(f"unanswered question ({way}): {timeout}")
            return
        counts.answered += 1
        self.ask_latencies[way].append((replied_at - sent) * 1000)
        content = reply.get("content") or ""
        embeds = reply.get("embeds") or []
        if embeds:
            counts.with_passages += 1
            if _plain(question.text)[:40] not in _plain(content):
                counts.mismatched += 1
                self.error(f"the answer to {question.text!r} ({way}) is headed {content!r}")
        elif "wait" in content.casefold():
            counts.rate_limited += 1
        else:
            counts.nothing_found += 1
        scoped = way in ("/ask article", "reply mention")
        if target.is_seed and scoped and (question.expected or question.no_answer):
            counts.seed_checked += 1
            if question.no_answer:
                counts.seed_as_expected += not embeds
            elif embeds:
                first = _plain(embeds[0].get("description") or "")
                counts.seed_as_expected += any(_plain(p) in first for p in question.expected)
        if embeds and reply.get("components") and rng.random() < self.options.more_share:
            await self.press_more(user, channel, reply)

    async def press_more(self, user: int, channel: int, reply: dict[str, Any]) -> None:
        counts = self.report.questions
        custom_id = reply["components"][0]["components"][0]["custom_id"]
        counts.pages_asked += 1
        clicked = await self.fake.click(GUILD, channel, user, reply, custom_id)
        try:
            response = await self._wait(
                lambda: next(
                    (r for r in clicked.responses if r.kind in ("edit", "followup")), None
                ),
                "the next page of an answer",
            )
        except _Timeout as timeout:
            self.error(f"'More' was not answered: {timeout}")
            return
        if response.kind == "edit":
            counts.pages_shown += 1
        else:
            counts.pages_exhausted += 1

    # -- posters ---------------------------------------------------------------------

    async def poster(self, index: int) -> None:
        user = POSTER_IDS + index
        await self._act_in_turns(
            f"poster {index}",
            index,
            KINDS,
            KIND_WEIGHTS,
            self.options.post_pause,
            lambda turn, kind, rng: self.post(user, f"{index}-{turn}", kind, rng),
        )

    async def post(self, user: int, key: str, kind: str, rng: random.Random) -> None:
        url = None
        if kind == "attachment":
            article = self.maker.make(key, glue_link=rng.random() < 0.5)
            content_type = rng.choice((None, "text/plain; charset=utf-8"))
            attachment = self.fake.add_attachment(
                "message.txt", article.text.encode(), content_type
            )
            remark = rng.choice(REMARKS)
            sent = time.monotonic()
            message = await self.fake.user_message(GUILD, NEWS, user, remark, [attachment])
        elif kind == "paste":
            article = self.maker.make(key, max_chars=PASTE_LIMIT)
            sent = time.monotonic()
            message = await self.fake.user_message(GUILD, NEWS, user, article.text)
        else:
            article = self.maker.make(key)
            url = self.pages.add(article)
            remark = rng.choice(REMARKS)
            sent = time.monotonic()
            message = await self.fake.user_message(GUILD, NEWS, user, f"{remark} {url}".strip())
        self.kinds[kind] += 1
        post = Post(key, kind, int(message["id"]), article.fingerprint, url)
        self.posts.append(post)
        try:
            outcome, reason, at = await self._wait(
                lambda: self._post_outcome(message), f"word on the {kind} post {key}"
            )
        except _Timeout:
            # A ❌ may come without a reply; anything else is silence.
            failed = [r for r in self.fake.reactions_on(message) if r.added and r.emoji == FAILED]
            if not failed:
                return  # left "pending": counted as unconfirmed, then checked for loss
            outcome, reason, at = "failed", "no reason given", failed[0].at
        finally:
            self.pages.remove(article.key)
        post.outcome, post.reason = outcome, reason
        self.post_latencies[kind].append((at - sent) * 1000)
        if outcome != "added":
            return
        self.stored += 1
        info = await self.engine.find_by_message(GUILD, post.message_id)
        if info is not None:
            questions = tuple(Question(q) for q in article.questions)
            self.targets.append(Target(info.id, message, questions))

    def _post_outcome(self, message: dict[str, Any]) -> tuple[str, str | None, float] | None:
        """What the bot has told the poster so far, if it is conclusive."""
        for reply in self.fake.replies_to(message):
            text = reply.get("content") or ""
            if _is_deferral(text):
                return "deferred", text, self.fake.posted_at(reply) or time.monotonic()
        failed = None
        for reaction in self.fake.reactions_on(message):
            if not reaction.added:
                continue
            if reaction.emoji == ADDED:
                return "added", None, reaction.at
            if reaction.emoji == ALREADY:
                return "duplicate", None, reaction.at
            if reaction.emoji == FAILED:
                failed = reaction
        if failed is not None:
            replies = self.fake.replies_to(message)
            if replies:  # the ❌ comes first, then the reply saying why
                return "failed", replies[0].get("content") or "", failed.at
        return None

    # -- background ------------------------------------------------------------------

    def sample_memory(self) -> None:
        at = time.monotonic() - self.started
        rss, anon = resident_kib()
        self.samples.append(MemorySample(at, rss, self.stored, anon))

    async def loop_monitor(self) -> None:
        """Measures how late the event loop wakes a sleeper: the bot, the fake and the
        users share it, so a stall delays every answer (and can miss Discord's
        3-second interaction deadline)."""
        lag = self.report.loop
        tick = 0.05
        while not self.finished.is_set():
            before = time.monotonic()
            await asyncio.sleep(tick)
            late = time.monotonic() - before - tick
            if late > lag.worst_ms / 1000:
                lag.worst_ms = late * 1000
                lag.worst_at = before - self.started
            if late > STALL:
                lag.stalls += 1

    async def sampler(self) -> None:
        while not self.finished.is_set():
            self.sample_memory()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.finished.wait(), self.options.sample_interval)

    async def housekeeping(self) -> None:
        """Drops the fake's records of settled actions, so that the fake does not grow."""
        marks: deque[Mark] = deque()
        while not self.finished.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.finished.wait(), 1.0)
            marks.append(self.fake.mark())
            oldest = min(self.in_flight.values(), default=math.inf)
            horizon = time.monotonic() - self.options.forget_after
            cutoff = None
            while marks and marks[0].time < horizon and marks[0].time < oldest:
                cutoff = marks.popleft()
            if cutoff is not None:
                forgotten = self.fake.forget_before(cutoff, keep=self.kept_messages())
                self.report.fake_records_forgotten += forgotten

    # -- the whole run ---------------------------------------------------------------

    async def run(self) -> None:
        options = self.options
        self.started = time.monotonic()
        background = [
            asyncio.create_task(self.sampler(), name="soak-sampler"),
            asyncio.create_task(self.loop_monitor(), name="soak-loop-monitor"),
            asyncio.create_task(self.housekeeping(), name="soak-housekeeping"),
        ]
        workers = [
            asyncio.create_task(self.asker(n), name=f"soak-asker-{n}")
            for n in range(options.askers)
        ] + [
            asyncio.create_task(self.poster(n), name=f"soak-poster-{n}")
            for n in range(options.posters)
        ]
        try:
            await asyncio.sleep(options.warmup)
            self.warm = time.monotonic() - self.started
            self.sample_memory()
            await asyncio.sleep(options.seconds)
            self.stopping.set()
            self.load_end = time.monotonic() - self.started
            self.sample_memory()
            await asyncio.gather(*workers)
        finally:
            self.stopping.set()
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            self.finished.set()
            await asyncio.gather(*background, return_exceptions=True)
        self.report.load_seconds = self.load_end

    async def verify(self) -> None:
        """Every post against the engine: stored, or reported failed or deferred."""
        counts = self.report.ingests
        counts.posted = len(self.posts)
        counts.by_kind = dict(self.kinds)
        for post in self.posts:
            stored = await self.engine.find_by_message(GUILD, post.message_id) is not None
            if not stored and post.outcome == "duplicate":
                existing = await self.engine.store.find_duplicate(
                    GUILD, canonical_url(post.url) if post.url else None, post.fingerprint
                )
                stored = existing is not None
            if post.outcome in ("added", "duplicate"):
                counts.confirmed += 1
                counts.duplicates += post.outcome == "duplicate"
            elif post.outcome == "deferred":
                counts.deferred += 1
            elif post.outcome == "failed":
                counts.failed += 1
                counts.failures.append(f"{post.kind} post {post.key}: {post.reason}")
            else:
                counts.unconfirmed += 1
                self.error(
                    f"{post.kind} post {post.key} got no reaction or reply within "
                    f"{self.options.action_timeout:g} s (stored: {stored})"
                )
            if stored:
                counts.stored += 1
                if post.outcome == "failed":
                    self.error(f"{post.kind} post {post.key} was reported failed but is stored")
            elif post.outcome not in ("failed", "deferred"):
                counts.lost += 1
                self.error(
                    f"{post.kind} post {post.key} is lost: not in the engine although the "
                    f"bot's last word was {post.outcome!r}"
                )
        stats = await self.engine.stats(GUILD)
        counts.engine_articles = stats.articles
        counts.expected_articles = 1 + counts.stored - counts.duplicates
        if stats.articles != counts.expected_articles:
            self.error(
                f"the engine holds {stats.articles} articles; the seed and the "
                f"{counts.stored - counts.duplicates} new posts stored make "
                f"{counts.expected_articles}"
            )
        self.report.questions.engine_counter = stats.questions_answered

    def summarise(self) -> None:
        q, i = self.report.questions, self.report.ingests
        q.by_way = {way: self.ways[way] for way in WAYS}
        q.latency = Latency.of([v for values in self.ask_latencies.values() for v in values])
        q.latency_by_way = {way: Latency.of(v) for way, v in self.ask_latencies.items()}
        i.latency = Latency.of([v for values in self.post_latencies.values() for v in values])
        i.latency_by_kind = {kind: Latency.of(v) for kind, v in self.post_latencies.items()}
        self.report.memory_samples = [
            (round(s.at, 2), round(s.rss_kib / 1024, 2)) for s in self.samples
        ]
        try:
            self.report.memory = judge_memory(self.samples, self.warm, self.load_end)
        except ValueError as error:
            self.error(f"memory could not be judged: {error}")


@contextlib.asynccontextmanager
async def _restored_discord_endpoints() -> AsyncIterator[None]:
    saved = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
    try:
        yield
    finally:
        discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = saved


async def run_soak(options: SoakOptions, *, seeds_dir: Path | None = None) -> SoakReport:
    """Start the fake Discord, a web server and the bot, run the load, and report."""
    options.validate()
    seed = options.seed if options.seed is not None else random.SystemRandom().randrange(10**9)
    rng = random.Random(seed)
    corpus = load_corpus(options.shared, rng, seeds_dir)
    shown = dataclasses.asdict(options)
    if options.database is not None:
        shown["database"] = without_password(options.database)
    report = SoakReport(
        options={k: str(v) if isinstance(v, Path) else v for k, v in shown.items()},
        seed=seed,
        corpus=corpus.description,
    )
    errors = ErrorCapture(LOGGERS, level=logging.ERROR)
    warnings = ErrorCapture(LOGGERS, level=logging.WARNING)
    bot_user = {"id": str(BOT_ID), "username": "newsbot"}
    with tempfile.TemporaryDirectory(prefix="newsbot-soak-") as tmp:
        async with contextlib.AsyncExitStack() as stack:
            stack.enter_context(errors)
            stack.enter_context(warnings)
            await stack.enter_async_context(_restored_discord_endpoints())
            fake = await stack.enter_async_context(
                FakeDiscord(app_id=APP_ID, bot_user=bot_user, token=TOKEN, timeout=30)
            )
            _define_world(fake, options)
            pages = await ArticlePages().start()
            stack.push_async_callback(pages.close)
            fetcher = Fetcher(
                AddressPolicy.allowing(["127.0.0.1/32"], any_port=True),
                FetchLimits(total_seconds=10),
            )
            stack.push_async_callback(fetcher.close)
            extractor = await stack.enter_async_context(Extractor())
            engine = await open_engine(
                options.database or Path(tmp) / "soak.sqlite3",
                fetcher=fetcher,
                extractor=extractor,
                index_dir=Path(tmp) / "index",
            )
            stack.push_async_callback(engine.close)
            settings = Settings(
                discord_token=TOKEN,
                discord_api_base=fake.rest_base,
                discord_gateway_url=str(fake.gateway_url),
                questions_per_minute=options.questions_per_minute,
                data_dir=Path(tmp),
            )
            settings.validate()
            use_discord_endpoints(settings)
            bot = NewsBot(settings, engine=engine, guild_ready_timeout=0.1)
            await stack.enter_async_context(fake.run_bot(bot, TOKEN, timeout=30))
            soak = Soak(options, corpus, rng, fake, engine, pages, report)
            await soak.post_seed()
            await soak.run()
            await soak.verify()
            soak.summarise()
    for record in errors.records:
        report.error_count += 1
        if len(report.errors) < 200:
            report.errors.append(f"{record.levelname} {record.name}: {_record_text(record)}")
    for record in warnings.records:
        if record.levelno < logging.ERROR:
            report.warning_count += 1
            if len(report.warnings) < 50:
                report.warnings.append(f"{record.name}: {record.getMessage()}")
    return report


def _record_text(record: logging.LogRecord) -> str:
    text = record.getMessage()
    if record.exc_info and record.exc_info[1] is not None:
        text += f" ({record.exc_info[1]!r})"
    return text


def _define_world(fake: FakeDiscord, options: SoakOptions) -> None:
    fake.add_guild(GUILD, "Soak Guild", OWNER)
    fake.add_channel(GUILD, NEWS, "news")
    fake.add_channel(GUILD, CHAT, "chat")
    fake.add_member(GUILD, OWNER, "owner")
    fake.add_member(GUILD, SEED_POSTER, "seed-poster")
    for n in range(options.askers):
        fake.add_member(GUILD, ASKER_IDS + n, f"asker{n}")
    for n in range(options.posters):
        fake.add_member(GUILD, POSTER_IDS + n, f"poster{n}")


# ------------------------------------------------------------------------------------
# Command line
# ------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.support.soak",
        description="Drive the real bot through a fake Discord with simulated users.",
    )
    parser.add_argument("--seconds", type=float, default=60.0, help="measured time (60)")
    parser.add_argument("--warmup", type=float, default=5.0, help="warm-up before it (5)")
    parser.add_argument("--askers", type=int, default=20, help="users asking questions (20)")
    parser.add_argument("--posters", type=int, default=5, help="users posting articles (5)")
    parser.add_argument("--seed", type=int, default=None, help="random seed, to repeat a run")
    parser.add_argument(
        "--shared", type=Path, default=SHARED, help="the shared data folder (../shared)"
    )
    parser.add_argument(
        "--database",
        default=None,
        help="an empty store to run on, as DATABASE_URL names it (a temporary SQLite file)",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    options = SoakOptions(
        seconds=args.seconds,
        warmup=args.warmup,
        askers=args.askers,
        posters=args.posters,
        seed=args.seed,
        shared=args.shared,
        database=args.database,
    )
    try:
        options.validate()
    except ValueError as error:
        parser.error(str(error))
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    report = asyncio.run(run_soak(options))
    print(report.to_json() if args.json else report.format())
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
