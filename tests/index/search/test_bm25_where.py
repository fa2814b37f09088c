"""``BM25Index.search_where``: the best paragraphs among those an article filter, required
terms and excluded terms keep, against a brute-force filter of ``scores`` and
rank_bm25's BM25Okapi scores, before and after removals (dead postings) and compaction."""

from __future__ import annotations

import threading
from collections.abc import Collection, Sequence
from contextlib import nullcontext
from unittest.mock import patch

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.search.analyzer import unique_terms
from index.search.bm25 import BM25Index, BM25Params, Hit
from tests.index.search.test_bm25 import (
    ABSENT,
    Article,
    build,
    close,
    corpora,
    params_strategy,
    queries,
    reference,
)


def brute_force(
    index: BM25Index,
    live: Sequence[Article],
    terms: list[str],
    k: int,
    articles: Collection[int] | None,
    required: Sequence[str],
    excluded: Sequence[str],
) -> list[Hit]:
    """Every scored paragraph, filtered one by one in Python, ranked as ``search`` ranks."""
    scores = index.scores(terms)
    question = set(terms)
    kept = []
    for slot, (article_id, pid, words) in enumerate(
        (aid, pid, set(words)) for aid, paragraphs in live for pid, words in paragraphs
    ):
        if pid not in scores:
            continue
        if articles is not None and article_id not in articles:
            continue
        if not set(required) <= words or set(excluded) & words:
            continue
        matched = len(question & words)
        kept.append((-scores[pid], -matched, slot, Hit(pid, article_id, scores[pid], matched)))
    kept.sort(key=lambda row: row[:3])
    return [row[3] for row in kept[:k]]


def assert_scores_are_bm25okapis(
    hits: list[Hit], live: Sequence[Article], terms: list[str], params: BM25Params
) -> None:
    corpus = [words for _aid, paragraphs in live for _pid, words in paragraphs]
    if not hits or not any(corpus):
        return
    with np.errstate(all="ignore"):
        expected = reference(corpus, params).get_scores(unique_terms(terms))
    position = {pid: i for i, (pid, _w) in enumerate(p for _a, ps in live for p in ps)}
    for hit in hits:
        assert close(hit.score, float(expected[position[hit.paragraph_id]]))


@st.composite
def filters(
    draw: st.DrawFn, vocab: list[str], articles: Sequence[Article]
) -> tuple[Collection[int] | None, list[str], list[str]]:
    ids = [aid for aid, _paragraphs in articles]
    chosen = draw(st.one_of(st.none(), st.sets(st.sampled_from([*ids, -7]))))
    words = st.sampled_from(vocab + ABSENT)
    required = draw(st.lists(words, max_size=2))
    excluded = draw(st.lists(words, max_size=2))
    return chosen, required, excluded


def check(
    index: BM25Index,
    live: Sequence[Article],
    vocab: list[str],
    data: st.DataObject,
    k: int,
    params: BM25Params,
) -> None:
    for _ in range(3):
        terms = data.draw(queries(vocab), label="terms")
        articles, required, excluded = data.draw(filters(vocab, live), label="filters")
        hits = index.search_where(terms, k, articles=articles, required=required, excluded=excluded)
        assert hits == brute_force(index, live, terms, k, articles, required, excluded)
        assert_scores_are_bm25okapis(hits, live, terms, params)
        unfiltered = index.search_where(terms, k)
        assert unfiltered == index.search(terms, k)


_CANDIDATES = BM25Index._candidates


def candidates_whatever_their_number(index, runs, required, _most):
    return _CANDIDATES(index, runs, required, 2**62)


WAYS = {
    # As the index chooses, by the question's postings and the filters' paragraphs.
    "chosen": nullcontext,
    # Always the filters' paragraphs first when a filter names them, then scored.
    "filtered first": lambda: patch.object(
        BM25Index, "_candidates", candidates_whatever_their_number
    ),
    # Always every paragraph holding a question word scored, then filtered.
    "scored first": lambda: patch.object(BM25Index, "_candidates", return_value=None),
}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.data(),
    corpus=corpora(),
    params=params_strategy,
    block=st.sampled_from([1, 3, 8, 64]),
    k=st.integers(1, 8),
    way=st.sampled_from(sorted(WAYS)),
)
def test_search_where_is_the_brute_force_filter_of_every_score(
    data: st.DataObject,
    corpus: tuple[list[str], list[Article]],
    params: BM25Params,
    block: int,
    k: int,
    way: str,
) -> None:
    """Fresh, then after removals left as dead postings, then after a compaction; each
    of the two ways ``search_where`` can take, and the one it chooses."""
    with WAYS[way]():
        check_through_changes(data, corpus, params, block, k)


def check_through_changes(
    data: st.DataObject,
    corpus: tuple[list[str], list[Article]],
    params: BM25Params,
    block: int,
    k: int,
) -> None:
    vocab, articles = corpus
    index = build(articles, params, block=block)
    live = list(articles)
    check(index, live, vocab, data, k, params)
    for _ in range(data.draw(st.integers(0, 3), label="removals")):
        if not live:
            break
        victim = live.pop(data.draw(st.integers(0, len(live) - 1), label="victim"))
        index.remove_article(*victim, compact=False)
    check(index, live, vocab, data, k, params)
    index = index.compacted()
    assert index.slot_count == sum(len(paragraphs) for _aid, paragraphs in live)
    check(index, live, vocab, data, k, params)


ARTICLES: list[Article] = [
    (10, [(1, ["white", "house", "press"]), (2, ["house", "white"]), (3, ["white"])]),
    (20, [(4, ["white", "house"]), (5, ["house", "sale"])]),
    (30, [(6, ["white", "wine"])]),
]


def test_a_required_term_no_paragraph_has_empties_the_answer():
    index = build(ARTICLES)
    assert index.search_where(["white"], 10, required=["zzabsent"]) == []
    assert index.search_where(["white"], 10, required=["house", "zzabsent"]) == []


def test_required_excluded_and_articles_combine():
    index = build(ARTICLES)
    hits = index.search_where(["white", "house"], 10, required=["house"])
    assert {hit.paragraph_id for hit in hits} == {1, 2, 4, 5}
    hits = index.search_where(["white", "house"], 10, required=["house"], excluded=["press"])
    assert {hit.paragraph_id for hit in hits} == {2, 4, 5}
    hits = index.search_where(["white"], 10, articles={20, 30}, excluded=["wine"])
    assert [hit.paragraph_id for hit in hits] == [4]
    assert index.search_where(["white"], 10, articles=set()) == []
    assert index.search_where(["white"], 10, articles=[999]) == []
    # An unknown excluded term leaves everything; scores stay the unfiltered ones.
    scores = index.scores(["white", "house"])
    for hit in index.search_where(["white", "house"], 10, excluded=["zzabsent"]):
        assert hit.score == scores[hit.paragraph_id]


def test_removed_paragraphs_are_never_results_nor_counted_by_a_filter():
    index = build(ARTICLES)
    index.remove_article(*ARTICLES[1], compact=False)
    assert index.search_where(["house"], 10, required=["sale"]) == []
    hits = index.search_where(["white"], 10, excluded=["house"])
    assert {hit.paragraph_id for hit in hits} == {3, 6}
    assert index.search_where(["white"], 10, articles={20}) == []


def test_non_positive_k_returns_nothing():
    index = build(ARTICLES)
    assert index.search_where(["white"], 0, articles={10}) == []
    assert index.try_search_where(["white"], -1, required=["house"]) == []


def test_try_search_where_gives_up_while_the_lock_is_held():
    index = build(ARTICLES, BM25Params())
    expected = index.search_where(["white"], 10, articles={10}, excluded=["press"])
    assert index.try_search_where(["white"], 10, articles={10}, excluded=["press"]) == expected
    acquired = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with index.lock:
            acquired.set()
            release.wait()

    holder = threading.Thread(target=hold)
    holder.start()
    acquired.wait()
    try:
        assert index.try_search_where(["white"], 10, articles={10}) is None
    finally:
        release.set()
        holder.join()
    assert [hit.paragraph_id for hit in expected] == [3, 2]  # the shorter first


def test_filters_over_more_paragraphs_than_the_best_buffer_holds():
    """Past the index's best 64: a filter keeping enough of them answers from those, one
    keeping few falls back to every score; both equal the brute force."""
    rng = np.random.default_rng(7)
    vocabulary = ["storm", "flood", "river", "bridge", "mayor", "rain", "wind", "coast"]
    articles: list[Article] = []
    for article_id in range(1, 41):
        paragraphs = []
        for position in range(5):
            words = list(rng.choice(vocabulary, size=int(rng.integers(3, 12))))
            paragraphs.append((article_id * 100 + position, ["storm", *words]))
        articles.append((article_id, paragraphs))
    index = build(articles)
    terms = ["storm", "flood", "river"]
    for wanted in (
        {"articles": set(range(1, 41, 2))},  # half of them: answered from the best
        {"articles": {40}},  # few of the best: every score
        {"excluded": ["bridge"]},
        {"required": ["coast", "mayor"]},
        {"articles": set(range(1, 11)), "excluded": ["wind"], "required": ["rain"]},
    ):
        for k in (1, 5, 30):
            expected = brute_force(
                index,
                articles,
                terms,
                k,
                wanted.get("articles"),
                wanted.get("required", ()),
                wanted.get("excluded", ()),
            )
            assert index.search_where(terms, k, **wanted) == expected, (wanted, k)
