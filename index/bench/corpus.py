"""The benchmark's corpora and questions, from real text.

Paragraphs are re-mixed from the sentences of real paragraphs (the SQuAD subset and the
extraction benchmark's articles in ``../shared/data``) and given names drawn from a
long-tailed distribution, so the vocabulary keeps growing with the corpus as it does in
years of news. The questions are real SQuAD questions.

Every library is given the same analysed paragraphs (this project's analyser). Their terms
are interned: a term shared by many paragraphs is then one string, which is what lets
three million analysed paragraphs fit in memory beside the indexes built from them.
"""

from __future__ import annotations

import json
import random
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from index.engine import Engine
from index.ingest.paste import fingerprint
from index.models import ArticleDraft
from index.search.analyzer import analyse

DEFAULT_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
ARTICLE_SIZE = 20
"""Paragraphs per article, wherever the benchmark adds articles."""
QUESTION_SEED = 11
"""The questions are shuffled with this seed, so every run asks the same ones."""

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"“])")
_SYLLABLES = "ka lo ra mi to su ne vi da po le zu ba ri ko ta me no sa hu".split()


def load_sources(data: Path) -> tuple[list[str], list[str]]:
    """Real paragraphs and real questions."""
    squad = json.loads(
        (data / "squad-train-subset" / "squad-train-subset-v1.1.json").read_text("utf-8")
    )
    paragraphs, questions = [], []
    for article in squad["data"]:
        for paragraph in article["paragraphs"]:
            paragraphs.append(paragraph["context"])
            questions += [qa["question"] for qa in paragraph["qas"]]
    truth_file = data / "aeb-dev" / "ground-truth.json"
    if truth_file.exists():
        for page in json.loads(truth_file.read_text("utf-8")).values():
            paragraphs += [p for p in page["articleBody"].split("\n") if len(p.split()) >= 8]
    return paragraphs, questions


def shuffled_questions(questions: list[str]) -> list[str]:
    """``questions`` in the benchmark's fixed order (seeded), so runs ask the same ones."""
    shuffled = list(questions)
    random.Random(QUESTION_SEED).shuffle(shuffled)
    return shuffled


def iter_corpus(paragraphs: list[str], size: int, seed: int = 7) -> Iterator[str]:
    """``size`` paragraphs re-mixed from real sentences, with a growing vocabulary of
    names, one at a time (a large corpus need not be held as text)."""
    rng = random.Random(seed)
    sentences = [s for p in paragraphs for s in _SENTENCE.split(p) if len(s.split()) >= 4]
    names = max(100, size // 3)
    for _ in range(size):
        picked = rng.sample(sentences, rng.randint(2, 5))
        for _ in range(rng.randint(0, 3)):
            # Zipf-like: a few names are everywhere, most appear a handful of times.
            rank = int(names ** rng.random())
            name = "".join(_SYLLABLES[(rank // 20**i) % 20] for i in range(3)).capitalize()
            at = rng.randrange(len(picked))
            picked[at] = f"{picked[at]} {name}{rank % 97} said so."
        yield " ".join(picked)


def build_corpus(paragraphs: list[str], size: int, seed: int = 7) -> list[str]:
    """``size`` paragraphs re-mixed from real sentences (see ``iter_corpus``)."""
    return list(iter_corpus(paragraphs, size, seed))


def analyse_interned(text: str) -> list[str]:
    """The terms of ``text``, each the one shared string for that term."""
    return [sys.intern(term) for term in analyse(text)]


def analyse_corpus(texts: Iterable[str]) -> list[list[str]]:
    """Every paragraph's terms (interned)."""
    return [analyse_interned(text) for text in texts]


def in_articles(tokens: Iterable[list[str]]) -> Iterator[list[tuple[int, list[str]]]]:
    """Analysed paragraphs, numbered from 0, cut into articles of ``ARTICLE_SIZE``."""
    article: list[tuple[int, list[str]]] = []
    for number, terms in enumerate(tokens):
        article.append((number, terms))
        if len(article) == ARTICLE_SIZE:
            yield article
            article = []
    if article:
        yield article


def corpus_articles(corpus: list[str]) -> list[ArticleDraft]:
    """``corpus`` as articles of ``ARTICLE_SIZE`` paragraphs."""
    drafts = []
    for first in range(0, len(corpus), ARTICLE_SIZE):
        paragraphs = tuple(corpus[first : first + ARTICLE_SIZE])
        drafts.append(ArticleDraft(f"Article {first}", paragraphs, fingerprint(paragraphs)))
    return drafts


async def fill_guild(engine: Engine, guild_id: int, corpus: list[str]) -> None:
    """Ingest ``corpus`` into the guild through the engine, article by article."""
    for draft in corpus_articles(corpus):
        if not (await engine.ingest_draft(guild_id, draft)).added:
            raise RuntimeError(f"{draft.title} was taken for a duplicate")
