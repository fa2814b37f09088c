"""Answering a question: its operators and terms, the best paragraphs, and the passages
quoted from them.

A question is read once (``query``): operators become filters, the rest its terms. The
guild's index ranks its paragraphs by BM25Okapi, among the articles the filters keep
(found in the store, without reading a paragraph) and holding every word of a phrase and
none excluded; the best ``RERANK_DEPTH`` are read from the store, checked for the
phrases, and re-ordered (``rerank``; scores stay BM25Okapi's). Then, in this order:

1. the relevance rule (``relevance``): the first passage, and those whose score is at
   least a share of the best score;
2. near-duplicates fold into the first of their kind, as "also in" its other articles;
3. ``newest_first`` orders what is left by the date each article reports from;
4. the page (``offset``, ``limit``) and the minimum score are applied;
5. each kept paragraph is cut to the part around the matched words (off the event loop
   for a long paragraph), and a quote whose story has a newer article says so.

Every step before the page works on the same list whatever the page, so a page of a
longer answer (``More``) is a slice of the same answer.

Languages. Each article is indexed in its own language (its stemmer and stop words), so
a question is read in several: the guild's language it is most likely written in, then
the languages the guild expects, then those of its articles, at most
``MAX_QUESTION_LANGUAGES`` (readings that come out the same are searched once). Each
paragraph is scored with the reading in its article's language when there is one (so
its score is BM25Okapi's for that reading), else with its best reading; the quotes
highlight that reading's terms.

Nothing here waits for the store's writer: the only write an answer makes (the count of
answered questions) is noted in memory and written in the background.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import partial
from typing import TypeVar

from index.errors import ArticleNotFound
from index.models import Answer, ArticleFilter, ArticleInfo, Passage, StoredParagraph
from index.search import near_duplicates, stories
from index.search.analyzer import analyse, unique_terms
from index.search.bm25 import BM25Index, Hit
from index.search.guild_indexes import GuildIndexes
from index.search.language_detection import likely_language
from index.search.languages import DEFAULT_LANGUAGE
from index.search.query import ParsedQuery, contains_phrase, parse_query
from index.search.relevance import SHARE_OF_FIRST
from index.search.rerank import RERANK_DEPTH, Candidate, Reading, reorder_in_languages
from index.search.snippets import make_snippet
from index.store import Store
from index.store.background_writes import BackgroundWrites

MAX_QUESTION_CHARS = 2000
"""Characters of a question that are read; the rest is ignored."""
SNIPPET_OFF_LOOP_CHARS = 20_000
"""Quoting a paragraph longer than this takes milliseconds: done off the event loop (and
so is re-ordering or checking phrases in candidates that long together)."""
PHRASE_DEPTH = 200
"""Candidates read to find those holding a phrase: the index keeps only paragraphs with
all of its words, so the ones without it in order are few."""
QUESTIONS_ANSWERED = "questions_answered"
"""The guild counter of questions that were given at least one passage."""

_T = TypeVar("_T")


MAX_QUESTION_LANGUAGES = 4
"""Languages a question is read in at most (each reading is one search of the index)."""


def question_terms(question: str, language: str = DEFAULT_LANGUAGE) -> list[str]:
    """The distinct terms of a question read in ``language``, in order (the ranking
    counts each once)."""
    return unique_terms(analyse(question[:MAX_QUESTION_CHARS], language))


def stricter(*minimums: float | None) -> float | None:
    """The highest of the minimum scores that are set; None when none is."""
    given = [minimum for minimum in minimums if minimum is not None]
    return max(given) if given else None


@dataclass(frozen=True, slots=True)
class _Search:
    """A question read for searching in one language: what the index is asked, and what
    it filters."""

    language: str
    terms: list[str]
    query: ParsedQuery
    required: list[str]
    excluded: list[str]
    notes: list[str]
    written_in: str | None = None
    """The language the question is written in, when the guild has several and the
    detector could tell which of them (the same for every reading)."""

    @property
    def asks(self) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
        """What the index is asked: readings in two languages that ask the same are one."""
        return tuple(self.terms), tuple(self.required), tuple(self.excluded)


@dataclass(frozen=True, slots=True)
class _Ranked:
    """A ranked paragraph with its text and article, and the reading that found it."""

    hit: Hit
    paragraph: StoredParagraph
    article: ArticleInfo
    search: _Search
    reading: Reading
    """The search's terms with their idf, as the re-ordering weighed them."""


class Asker:
    """Questions over ``indexes`` and ``store``. ``min_score`` applies to every guild;
    ``snippet_chars`` is the most a quoted passage holds."""

    def __init__(
        self,
        indexes: GuildIndexes,
        store: Store,
        writes: BackgroundWrites,
        *,
        snippet_chars: int,
        min_score: float | None = None,
    ) -> None:
        self._indexes = indexes
        self._store = store
        self._writes = writes
        self._snippet_chars = snippet_chars
        self._min_score = min_score

    async def rank(
        self,
        guild_id: int,
        question: str,
        *,
        k: int,
        article_id: int | None = None,
        languages: Sequence[str] = (DEFAULT_LANGUAGE,),
    ) -> list[Hit]:
        """The ``k`` best paragraphs for ``question``, best first, as an answer orders
        them before the relevance rule (for measuring the ranking itself)."""
        index = await self._indexes.index(guild_id)
        searches = self._read_in_languages(guild_id, question, languages)
        found = await self._ranked(guild_id, index, searches, max(k, RERANK_DEPTH), article_id)
        return _at_least([f.hit for f in found], self._min_score)[:k]

    async def ask(
        self,
        guild_id: int,
        question: str,
        *,
        limit: int,
        offset: int = 0,
        article_id: int | None = None,
        min_score: float | None = None,
        newest_first: bool = False,
        channels: Mapping[str, int] | None = None,
        languages: Sequence[str] = (DEFAULT_LANGUAGE,),
    ) -> Answer:
        """Up to ``limit`` passages after the first ``offset`` of the answer to
        ``question``; ``min_score`` is the guild's own minimum, if it has one;
        ``channels`` maps the guild's channel names to ids, for ``in:#name``;
        ``languages`` those the guild expects, its main language first (the question is
        read in these and in those of its articles). Raises ``ArticleNotFound`` when
        ``article_id`` is not one of the guild's."""
        if article_id is not None and await self._store.get_article(guild_id, article_id) is None:
            raise ArticleNotFound(guild_id, article_id)
        index = await self._indexes.index(guild_id)
        searches = self._read_in_languages(guild_id, question, languages)
        search = searches[0]
        depth = max(RERANK_DEPTH, 2 * (offset + limit))
        found = await self._ranked(guild_id, index, searches, depth, article_id, channels)
        found = _real_candidates(found)
        shown = _fold_near_duplicates(found)
        newest_first = newest_first or search.query.newest_first
        if newest_first:
            shown.sort(key=lambda s: s[0].article.reported_at, reverse=True)
        shown = shown[offset : offset + limit]
        floor = stricter(self._min_score, min_score)
        shown = [s for s in shown if floor is None or s[0].hit.score >= floor]
        passages = await self._passages(guild_id, shown)
        if passages and offset == 0:
            # Counted in memory and written in the background (never waits for the store).
            self._writes.count(guild_id, QUESTIONS_ANSWERED)
        return Answer(
            question,
            tuple(passages),
            tuple(unique_terms([term for reading in searches for term in reading.terms])),
            article_id,
            notes=tuple(search.notes),
            newest_first=newest_first,
        )

    # -- reading the question -------------------------------------------------------------

    def _read_in_languages(
        self, guild_id: int, question: str, expected: Sequence[str]
    ) -> list[_Search]:
        """The question read in the languages it may be written in
        (``MAX_QUESTION_LANGUAGES`` at most): the one of the guild's it is most likely
        written in, then those the guild expects, then those of its indexed articles,
        the most articles first."""
        candidates = list(dict.fromkeys([*expected, *self._indexes.languages_of(guild_id)]))
        likely = likely_language(question[:MAX_QUESTION_CHARS], candidates)
        if likely is not None:
            candidates = list(dict.fromkeys([likely, *candidates]))
        return self._read(question, candidates[:MAX_QUESTION_LANGUAGES], written_in=likely)

    @staticmethod
    def _read(
        question: str, languages: Sequence[str], written_in: str | None = None
    ) -> list[_Search]:
        """The question read in each of ``languages`` (the first one's notes are the
        answer's), those that would ask the index the same left out; ``written_in`` the
        language it was told to be written in, if any."""
        query = parse_query(question[:MAX_QUESTION_CHARS])
        notes = list(query.notes)
        phrase_words = [" ".join(phrase) for phrase in query.phrases]
        searches: dict[tuple, _Search] = {}
        for language in languages or (DEFAULT_LANGUAGE,):
            required = [term for words in phrase_words for term in analyse(words, language)]
            excluded = [term for word in query.excluded for term in analyse(word, language)]
            search = _Search(
                language,
                question_terms(query.words, language),
                query,
                unique_terms(required),
                unique_terms(excluded),
                notes,
                written_in,
            )
            searches.setdefault(search.asks, search)
        return list(searches.values())

    async def _filter(
        self,
        guild_id: int,
        search: _Search,
        article_id: int | None,
        channels: Mapping[str, int] | None,
    ) -> set[int] | None:
        """The articles the search may quote; None for all of them."""
        query = search.query
        channel_ids, names = [], []
        for channel in query.channels:
            if isinstance(channel, int):
                channel_ids.append(channel)
            elif channels is not None and channel.lower() in channels:
                channel_ids.append(channels[channel.lower()])
            else:
                names.append(channel)
        for name in names:
            search.notes.append(f"there is no channel called #{name} here: it was not used")
        wanted = ArticleFilter(
            sites=query.sites,
            poster_ids=tuple(p for p in query.posters if isinstance(p, int)),
            poster_names=tuple(p for p in query.posters if isinstance(p, str)),
            channel_ids=tuple(channel_ids),
            after=_start_of(query.after),
            before=_start_of(query.before),
        )
        if wanted.empty:
            return None if article_id is None else {article_id}
        allowed = await self._store.filter_articles(guild_id, wanted)
        if article_id is not None:
            allowed &= {article_id}
        return allowed

    # -- ranking --------------------------------------------------------------------------

    async def _ranked(
        self,
        guild_id: int,
        index: BM25Index,
        searches: Sequence[_Search],
        depth: int,
        article_id: int | None,
        channels: Mapping[str, int] | None = None,
    ) -> list[_Ranked]:
        """The best ``depth`` paragraphs that pass the search's filters and phrases, with
        their text, re-ordered. With the question read in several languages, each
        paragraph is scored with the reading in its article's language (BM25Okapi for
        that reading), or with its best reading when its language is not among them."""
        first = searches[0]
        allowed = await self._filter(guild_id, first, article_id, channels)
        if allowed is not None and not allowed:
            first.notes.append("no article here matches those filters")
            return []
        phrases = first.query.phrases
        hits = [await self._hits(index, search, depth, allowed, article_id) for search in searches]
        readings = {}
        for search in searches:
            weights = await _without_waiting(index.try_idfs, index.idfs, search.terms)
            readings[search.language] = Reading(search.terms, weights)
        found = await self._with_text(guild_id, searches, hits, readings)
        if phrases:
            found = await _off_loop_if_long(_holding_phrases, found, phrases)
        found = found[:depth]
        candidates = [
            Candidate(f.hit, f.paragraph.text, f.article.title, f.search.language) for f in found
        ]
        order = await _off_loop_if_long(
            _reordered, candidates, readings, first.query.words, first.written_in
        )
        by_paragraph = {f.hit.paragraph_id: f for f in found}
        return [by_paragraph[c.hit.paragraph_id] for c in order]

    @staticmethod
    async def _hits(
        index: BM25Index,
        search: _Search,
        depth: int,
        allowed: set[int] | None,
        article_id: int | None,
    ) -> list[Hit]:
        """The index's best paragraphs for one reading of the question."""
        only_article = allowed is None or allowed == {article_id}
        if only_article and not (search.required or search.excluded):
            return await _search(index, search.terms, depth, article_id)
        where = {"articles": allowed, "required": search.required, "excluded": search.excluded}
        return await _without_waiting(
            partial(index.try_search_where, **where),
            partial(index.search_where, **where),
            search.terms,
            PHRASE_DEPTH if search.query.phrases else depth,
        )

    async def _with_text(
        self,
        guild_id: int,
        searches: Sequence[_Search],
        hits: Sequence[Sequence[Hit]],
        readings: Mapping[str, Reading],
    ) -> list[_Ranked]:
        """Each paragraph found, once, with its text and article and the reading it is
        scored with (see ``_ranked``), best score first."""
        every = [hit for found in hits for hit in found]
        if not every:
            return []
        paragraphs = await self._store.paragraphs(guild_id, [hit.paragraph_id for hit in every])
        articles = await self._store.articles_by_id(guild_id, [hit.article_id for hit in every])
        read_in = {search.language for search in searches}
        chosen: dict[int, _Ranked] = {}
        for search, found in zip(searches, hits, strict=True):
            for hit in found:
                paragraph = paragraphs.get(hit.paragraph_id)
                article = articles.get(hit.article_id)
                if paragraph is None or article is None:
                    continue  # removed since
                own = article.analysis_language
                if own in read_in and own != search.language:
                    continue  # scored with the reading in its own language
                held = chosen.get(hit.paragraph_id)
                if held is None or hit.score > held.hit.score:
                    chosen[hit.paragraph_id] = _Ranked(
                        hit, paragraph, article, search, readings[search.language]
                    )
        order = {hit.paragraph_id: position for position, hit in enumerate(every)}
        return sorted(chosen.values(), key=lambda f: (-f.hit.score, order[f.hit.paragraph_id]))

    # -- quoting --------------------------------------------------------------------------

    async def _passages(
        self, guild_id: int, shown: Sequence[tuple[_Ranked, list[ArticleInfo]]]
    ) -> list[Passage]:
        if not shown:
            return []
        newer = await stories.newer_reports(
            self._store, guild_id, list({f.article.id: f.article for f, _ in shown}.values())
        )
        passages = []
        for found, also_in in shown:
            text = found.paragraph.text
            search = found.search
            choose = partial(
                make_snippet,
                text,
                search.terms,
                found.reading.weights,
                self._snippet_chars,
                language=search.language,
            )
            if len(text) > SNIPPET_OFF_LOOP_CHARS:
                snippet = await asyncio.to_thread(choose)
            else:
                snippet = choose()
            passages.append(
                Passage(
                    article=found.article,
                    paragraph_id=found.paragraph.id,
                    position=found.paragraph.position,
                    text=snippet.text,
                    highlights=snippet.highlights,
                    score=found.hit.score,
                    trimmed_start=snippet.trimmed_start,
                    trimmed_end=snippet.trimmed_end,
                    also_in=tuple(also_in),
                    newer=newer.get(found.article.id),
                )
            )
        return passages


def _real_candidates(found: list[_Ranked], share: float = SHARE_OF_FIRST) -> list[_Ranked]:
    """The first, and those scoring at least ``share`` of the best score (the relevance
    rule, in the re-ordered order). When the best score is not positive (BM25Okapi's idf
    can be negative in a corpus of a few paragraphs) every one is kept."""
    if not found:
        return []
    best = max(f.hit.score for f in found)
    if best <= 0:
        return found
    return [found[0], *(f for f in found[1:] if f.hit.score >= share * best)]


def _fold_near_duplicates(found: list[_Ranked]) -> list[tuple[_Ranked, list[ArticleInfo]]]:
    """Each group of nearly equal paragraphs as its first, with the other articles that
    hold it ("also in")."""
    groups = near_duplicates.group_near_duplicates([f.paragraph.text for f in found])
    shown = []
    for group in groups:
        first = found[group[0]]
        others: dict[int, ArticleInfo] = {}
        for member in group[1:]:
            article = found[member].article
            if article.id != first.article.id:
                others.setdefault(article.id, article)
        shown.append((first, list(others.values())))
    return shown


def _holding_phrases(found: list[_Ranked], phrases: Sequence[Sequence[str]]) -> list[_Ranked]:
    return [f for f in found if all(contains_phrase(f.paragraph.text, p) for p in phrases)]


def _reordered(
    candidates: list[Candidate],
    readings: Mapping[str, Reading],
    question: str,
    written_in: str | None,
) -> list[Candidate]:
    return reorder_in_languages(candidates, readings, question, written_in)


async def _off_loop_if_long(work: Callable[..., _T], found: Sequence, *args: object) -> _T:
    """``work(found, *args)``, in a worker thread when the texts are long together."""
    chars = sum(
        len(item.text if isinstance(item, Candidate) else item.paragraph.text) for item in found
    )
    if chars > SNIPPET_OFF_LOOP_CHARS:
        return await asyncio.to_thread(work, found, *args)
    return work(found, *args)


def _start_of(day: date | None) -> datetime | None:
    """The first moment of ``day``, in UTC (dates in questions are whole days)."""
    return None if day is None else datetime.combine(day, time(), tzinfo=UTC)


async def _search(index: BM25Index, terms: list[str], k: int, article_id: int | None) -> list[Hit]:
    return await _without_waiting(index.try_search, index.search, terms, k, article_id)


def _at_least(hits: list[Hit], min_score: float | None) -> list[Hit]:
    if min_score is None:
        return hits
    return [hit for hit in hits if hit.score >= min_score]


async def _without_waiting(
    try_read: Callable[..., _T | None], read: Callable[..., _T], *args: object
) -> _T:
    """``try_read`` on the event loop, or ``read`` in a worker thread when the index is
    held by a change (which runs in a thread): the loop never waits for the index."""
    found = try_read(*args)
    if found is None:
        found = await asyncio.to_thread(read, *args)
    return found
