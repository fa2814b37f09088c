"""BM25Index against the reference scores of ``rank_bm25.BM25Okapi``."""

from __future__ import annotations

import io
import math
import random
from collections.abc import Sequence
from unittest.mock import patch

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rank_bm25 import BM25Okapi

from index.search import bm25 as bm25_module
from index.search.analyzer import unique_terms
from index.search.bm25 import (
    BM25Index,
    BM25Params,
    Hit,
    IndexInconsistent,
    read_index,
    write_index,
)
from index.search.bm25_kernels import MAX_EPOCH

Paragraph = tuple[int, list[str]]
Article = tuple[int, list[Paragraph]]

ABSENT = ["zzabsent", "qqmissing"]


# -- helpers ------------------------------------------------------------------------------


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def build(
    articles: Sequence[Article], params: BM25Params | None = None, block: int | None = None
) -> BM25Index:
    index = BM25Index(params) if block is None else BM25Index(params, block=block)
    for article_id, paragraphs in articles:
        index.add_article(article_id, paragraphs)
    return index


def reference(corpus: list[list[str]], params: BM25Params) -> BM25Okapi:
    return BM25Okapi(corpus, k1=params.k1, b=params.b, epsilon=params.epsilon)


def assert_matches_reference(
    index: BM25Index,
    articles: Sequence[Article],
    query: list[str],
    params: BM25Params,
) -> None:
    """``index.scores(query)`` equals BM25Okapi's on the same paragraphs in slot order."""
    flat = [(pid, terms) for _aid, paragraphs in articles for pid, terms in paragraphs]
    corpus = [terms for _pid, terms in flat]
    got = index.scores(query)
    assert index.paragraph_count == len(flat)

    if not any(corpus):
        # BM25Okapi cannot compute here (no paragraphs, or avgdl == 0): nothing to compare,
        # but the index must not invent results.
        assert got == {}
        assert index.search(query, 10) == []
        return

    bm25 = reference(corpus, params)
    with np.errstate(all="ignore"):  # empty paragraphs with b == 1 give 0/0 in rank_bm25
        expected = bm25.get_scores(unique_terms(query))
    query_set = set(query)
    containing = {pid for pid, terms in flat if query_set & set(terms)}
    assert set(got) == containing
    for i, (pid, _terms) in enumerate(flat):
        if pid in containing:
            assert close(got[pid], float(expected[i])), (pid, got[pid], expected[i])


def assert_search_consistent(
    index: BM25Index, query: list[str], flat: list[Paragraph], k: int | None = None
) -> None:
    """search() ranks the scored paragraphs by score, distinct matches, then age, and its
    top ``k`` (all of them by default) are the first ``k`` of that ranking."""
    scores = index.scores(query)
    query_set = set(query)
    order = {pid: slot for slot, (pid, _terms) in enumerate(flat)}
    matched = {pid: len(query_set & set(terms)) for pid, terms in flat}
    ranked = sorted(scores, key=lambda pid: (-scores[pid], -matched[pid], order[pid]))
    k = len(flat) + 5 if k is None else k
    hits = index.search(query, k)
    assert [h.paragraph_id for h in hits] == ranked[:k]
    for hit in hits:
        assert hit.score == scores[hit.paragraph_id]
        assert hit.matched == matched[hit.paragraph_id]


# -- strategies ---------------------------------------------------------------------------


@st.composite
def corpora(draw: st.DrawFn) -> tuple[list[str], list[Article]]:
    """A vocabulary and a corpus of articles; paragraph ids and article ids are unique."""
    vocab = [f"w{i}" for i in range(draw(st.integers(2, 12)))]
    words = st.lists(st.sampled_from(vocab), min_size=0, max_size=8)
    corpus = draw(
        st.one_of(
            st.lists(words, min_size=1, max_size=3),
            st.lists(words, min_size=1, max_size=40),
        )
    )
    pids = draw(
        st.lists(
            st.integers(-(2**40), 2**40),
            min_size=len(corpus),
            max_size=len(corpus),
            unique=True,
        )
    )
    # Cut the paragraphs into articles, and sprinkle in a few articles without paragraphs.
    sizes = [1]
    for _ in corpus[1:]:
        if draw(st.booleans()):
            sizes.append(1)
        else:
            sizes[-1] += 1
    for _ in range(draw(st.integers(0, 2))):
        sizes.insert(draw(st.integers(0, len(sizes))), 0)
    aids = draw(
        st.lists(st.integers(0, 10**9), min_size=len(sizes), max_size=len(sizes), unique=True)
    )
    articles: list[Article] = []
    at = 0
    for aid, size in zip(aids, sizes, strict=True):
        articles.append((aid, [(pids[i], corpus[i]) for i in range(at, at + size)]))
        at += size
    return vocab, articles


params_strategy = st.builds(
    BM25Params,
    k1=st.floats(0.5, 2.5),
    b=st.floats(0.0, 1.0),
    epsilon=st.floats(0.0, 0.5),
)


def queries(vocab: list[str]) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(vocab + ABSENT), min_size=0, max_size=7)


# -- properties ---------------------------------------------------------------------------


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), corpus=corpora(), params=params_strategy)
def test_scores_equal_bm25okapi(
    data: st.DataObject, corpus: tuple[list[str], list[Article]], params: BM25Params
) -> None:
    vocab, articles = corpus
    query = data.draw(queries(vocab), label="query")
    index = build(articles, params)
    assert_matches_reference(index, articles, query, params)
    flat = [p for _aid, paragraphs in articles for p in paragraphs]
    assert_search_consistent(index, query, flat)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.data(),
    corpus=corpora(),
    params=params_strategy,
    block=st.sampled_from([1, 2, 3, 8, 64]),
    k=st.integers(1, 6),
)
def test_top_k_is_exact_across_blocks(
    data: st.DataObject,
    corpus: tuple[list[str], list[Article]],
    params: BM25Params,
    block: int,
    k: int,
) -> None:
    """Small blocks spread a few paragraphs over many; the top k kept from block to
    block must be exactly the first k of the full ranking."""
    vocab, articles = corpus
    index = build(articles, params, block=block)
    flat = [p for _aid, paragraphs in articles for p in paragraphs]
    for _ in range(3):
        query = data.draw(queries(vocab), label="query")
        assert_search_consistent(index, query, flat, k)
    if articles:
        victim = articles[data.draw(st.integers(0, len(articles) - 1), label="victim")]
        index.remove_article(*victim)
        live = [a for a in articles if a is not victim]
        flat = [p for _aid, paragraphs in live for p in paragraphs]
        query = data.draw(queries(vocab), label="query after removal")
        assert_matches_reference(index, live, query, params)
        assert_search_consistent(index, query, flat, k)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.data(),
    corpus=corpora(),
    params=st.builds(
        BM25Params, k1=st.floats(-0.5, 2.5), b=st.floats(0.0, 1.6), epsilon=st.floats(-0.5, 0.5)
    ),
    k=st.integers(1, 6),
)
def test_top_k_is_exact_whatever_the_parameters(
    data: st.DataObject, corpus: tuple[list[str], list[Article]], params: BM25Params, k: int
) -> None:
    """Outside k1 >= 0 and 0 <= b <= 1 a share is not bounded by its idf, and a negative
    epsilon makes idfs negative: the top k must still be the first k of the ranking."""
    vocab, articles = corpus
    index = build(articles, params, block=4)
    flat = [p for _aid, paragraphs in articles for p in paragraphs]
    for _ in range(3):
        query = data.draw(queries(vocab), label="query")
        assert_search_consistent(index, query, flat, k)


def test_top_k_skips_common_words_without_losing_a_hit() -> None:
    """Common words carry most postings and the least weight; once the top k is full
    their postings are not walked for candidates. The top k must not change."""
    rng = random.Random(4)
    common = [f"c{i}" for i in range(3)]
    rare = [f"r{i}" for i in range(400)]
    articles = []
    for aid in range(150):
        paragraphs = []
        for j in range(8):
            terms = rng.choices(common, k=rng.randint(3, 12)) + rng.choices(
                rare, k=rng.randint(0, 3)
            )
            paragraphs.append((aid * 100 + j, terms))
        articles.append((aid, paragraphs))
    flat = [p for _aid, ps in articles for p in ps]
    for block in (16, 256, 4096):
        index = build(articles, block=block)
        for _ in range(40):
            query = rng.sample(common, 2) + rng.sample(rare, rng.randint(1, 3))
            rng.shuffle(query)
            for k in (1, 3, 10):
                assert_search_consistent(index, query, flat, k)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(corpus=corpora(), params=params_strategy)
def test_idf_equals_bm25okapi(corpus: tuple[list[str], list[Article]], params: BM25Params) -> None:
    _vocab, articles = corpus
    index = build(articles, params)
    corpus_terms = [terms for _aid, ps in articles for _pid, terms in ps]
    for absent in ABSENT:
        assert index.idf(absent) == 0.0
    if not any(corpus_terms):
        assert index.vocabulary_size == 0
        return
    bm25 = reference(corpus_terms, params)
    assert set(bm25.idf) == {t for terms in corpus_terms for t in terms}
    assert index.vocabulary_size == len(bm25.idf)
    for term, expected in bm25.idf.items():
        assert close(index.idf(term), expected), (term, index.idf(term), expected)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), corpus=corpora(), params=params_strategy)
def test_scores_equal_bm25okapi_after_removals_and_readditions(
    data: st.DataObject, corpus: tuple[list[str], list[Article]], params: BM25Params
) -> None:
    vocab, articles = corpus
    index = build(articles, params)
    live: list[Article] = list(articles)  # in slot order
    removed: list[Article] = []
    next_pid = 2**41
    next_aid = 2 * 10**9

    steps = data.draw(st.integers(1, 12), label="steps")
    for _ in range(steps):
        choices = ["add"]
        if live:
            choices.append("remove")
        if removed:
            choices.append("readd")
        action = data.draw(st.sampled_from(choices), label="action")
        if action == "remove":
            victim = live.pop(data.draw(st.integers(0, len(live) - 1), label="victim"))
            index.remove_article(*victim)
            removed.append(victim)
        elif action == "readd":
            article = removed.pop(data.draw(st.integers(0, len(removed) - 1), label="readd"))
            index.add_article(*article)
            live.append(article)
        else:
            size = data.draw(st.integers(0, 4), label="new size")
            paragraphs = []
            for _ in range(size):
                terms = data.draw(st.lists(st.sampled_from(vocab), max_size=8), label="terms")
                paragraphs.append((next_pid, terms))
                next_pid += 1
            article = (next_aid, paragraphs)
            next_aid += 1
            index.add_article(*article)
            live.append(article)

        assert index.article_count == len(live)
        query = data.draw(queries(vocab), label="query")
        assert_matches_reference(index, live, query, params)
        flat = [p for _aid, paragraphs in live for p in paragraphs]
        assert_search_consistent(index, query, flat)

    corpus_terms = [terms for _aid, ps in live for _pid, terms in ps]
    if any(corpus_terms):
        bm25 = reference(corpus_terms, params)
        assert index.vocabulary_size == len(bm25.idf)
        for term, expected in bm25.idf.items():
            assert close(index.idf(term), expected)
    else:
        assert index.vocabulary_size == 0


def _random_articles(
    rng: random.Random, n_articles: int, per_article: int, first_aid: int, first_pid: int
) -> list[Article]:
    vocab = [f"t{i}" for i in range(30)]
    articles = []
    pid = first_pid
    for aid in range(first_aid, first_aid + n_articles):
        paragraphs = []
        for _ in range(per_article):
            length = rng.randint(0, 12)
            paragraphs.append((pid, [rng.choice(vocab) for _ in range(length)]))
            pid += 1
        articles.append((aid, paragraphs))
    return articles


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_compaction_keeps_scores_and_search(seed: int) -> None:
    rng = random.Random(seed)
    params = BM25Params(k1=rng.uniform(0.5, 2.5), b=rng.uniform(0, 1), epsilon=rng.uniform(0, 0.5))
    articles = _random_articles(rng, n_articles=110, per_article=10, first_aid=1, first_pid=1000)
    index = build(articles, params)
    assert index.paragraph_count == 1100

    doomed = rng.sample(range(len(articles)), 60)  # 600 of 1100 paragraphs go
    for i in sorted(doomed):
        index.remove_article(*articles[i])
    live = [a for i, a in enumerate(articles) if i not in set(doomed)]
    assert index.paragraph_count == 500
    # The removals above must really have triggered a compaction (it happens
    # once the live paragraphs drop below half of the 1100 slots).
    assert index.slot_count < 1100

    vocab = [f"t{i}" for i in range(30)]
    flat = [p for _aid, ps in live for p in ps]
    for _ in range(25):
        query = [rng.choice(vocab + ABSENT) for _ in range(rng.randint(1, 5))]
        assert_matches_reference(index, live, query, params)
        assert_search_consistent(index, query, flat)

    # Article scoping still works on the renumbered slots.
    aid, paragraphs = live[7]
    hits = index.search(vocab, 100, article_id=aid)
    assert {h.paragraph_id for h in hits} == {pid for pid, terms in paragraphs if terms}
    assert all(h.article_id == aid for h in hits)

    # Removing and adding keep working after the compaction.
    index.remove_article(*live[0])
    removed_first = live.pop(0)
    extra = _random_articles(rng, n_articles=3, per_article=5, first_aid=10_000, first_pid=10**6)
    for article in [*extra, removed_first]:
        index.add_article(*article)
        live.append(article)
    for _ in range(10):
        query = [rng.choice(vocab) for _ in range(rng.randint(1, 4))]
        assert_matches_reference(index, live, query, params)
    corpus_terms = [terms for _aid, ps in live for _pid, terms in ps]
    bm25 = reference(corpus_terms, params)
    for term, expected in bm25.idf.items():
        assert close(index.idf(term), expected)


def test_compaction_down_to_nothing() -> None:
    rng = random.Random(5)
    articles = _random_articles(rng, n_articles=60, per_article=20, first_aid=1, first_pid=1)
    index = build(articles)
    for article in articles:
        index.remove_article(*article)
    assert index.paragraph_count == 0
    assert index.article_count == 0
    assert index.vocabulary_size == 0
    assert index.search(["t1"], 5) == []
    assert index.scores(["t1"]) == {}
    # And the index is usable again afterwards.
    index.add_article(1, [(1, ["t1", "t2"]), (2, ["t2"])])
    assert [h.paragraph_id for h in index.search(["t1"], 5)] == [1]


# -- traps --------------------------------------------------------------------------------


def test_empty_index() -> None:
    index = BM25Index()
    assert index.search(["anything"], 5) == []
    assert index.search([], 5) == []
    assert index.scores(["anything"]) == {}
    assert index.scores([]) == {}
    assert index.idf("anything") == 0.0
    assert index.paragraph_count == 0
    assert index.article_count == 0


def test_index_of_only_empty_paragraphs() -> None:
    index = build([(1, [(1, []), (2, [])])])
    assert index.paragraph_count == 2
    assert index.search(["a"], 5) == []
    assert index.scores(["a"]) == {}


TINY_CORPORA = [
    # One paragraph: idf = log(0.5) - log(1.5) < 0, floored to epsilon * mean (negative).
    [["a", "b"]],
    # Two paragraphs, both with "a" (negative idf) and one with "b" (idf exactly 0).
    [["a"], ["a", "b"]],
    # Three paragraphs: "a" in two (negative idf, mean 0), "b" in one.
    [["a"], ["a", "c"], ["b"]],
    [["a", "a", "a"], [], ["b", "c"]],
]


@pytest.mark.parametrize("corpus", TINY_CORPORA)
@pytest.mark.parametrize("epsilon", [0.0, 0.25, 0.5])
@pytest.mark.parametrize("query", [["a"], ["b"], ["c"], ["a", "b"], ["a", "zz"]])
def test_tiny_corpus_returns_exactly_the_containing_paragraphs(
    corpus: list[list[str]], epsilon: float, query: list[str]
) -> None:
    params = BM25Params(epsilon=epsilon)
    articles = [(1, [(100 + i, terms) for i, terms in enumerate(corpus)])]
    index = build(articles, params)
    containing = {100 + i for i, terms in enumerate(corpus) if set(query) & set(terms)}
    hits = index.search(query, 10)
    assert {h.paragraph_id for h in hits} == containing
    assert len(hits) == len(containing)
    assert_matches_reference(index, articles, query, params)


def test_tiny_corpus_negative_and_zero_scores_still_returned() -> None:
    index = build([(1, [(1, ["a", "b"])])])
    [hit] = index.search(["a"], 5)
    assert hit.paragraph_id == 1
    assert hit.score < 0  # BM25Okapi's negative floor on a one-paragraph corpus

    index = build([(1, [(1, ["a"]), (2, ["b"])])])
    [hit] = index.search(["a"], 5)
    assert hit == Hit(paragraph_id=1, article_id=1, score=0.0, matched=1)


def test_ties_broken_by_distinct_matched_words_then_age() -> None:
    # All paragraphs have length 2. "b" is in 3 of 6 paragraphs, so idf(b) == 0 exactly and
    # paragraphs 1 and 2 get exactly the same score for the question ("a", "b").
    paragraphs = [
        (1, ["a", "x"]),
        (2, ["a", "b"]),
        (3, ["b", "y"]),
        (4, ["b", "z"]),
        (5, ["c", "w"]),
        (6, ["c", "v"]),
    ]
    index = build([(1, paragraphs)])
    assert index.idf("b") == 0.0
    scores = index.scores(["a", "b"])
    assert scores[1] == scores[2] > 0
    assert scores[3] == scores[4] == 0.0
    hits = index.search(["a", "b"], 10)
    assert [h.paragraph_id for h in hits] == [2, 1, 3, 4]
    assert [h.matched for h in hits] == [2, 1, 1, 1]
    # k cuts after ranking.
    assert [h.paragraph_id for h in index.search(["a", "b"], 1)] == [2]


def test_repeated_query_word_counts_once() -> None:
    articles = [(1, [(1, ["a", "b", "a"]), (2, ["b", "c"]), (3, ["a", "c", "d"]), (4, ["e"])])]
    index = build(articles)
    assert index.search(["a", "a"], 10) == index.search(["a"], 10)
    assert index.scores(["a", "a", "a"]) == index.scores(["a"])
    assert index.search(["a", "b", "a", "b"], 10) == index.search(["a", "b"], 10)
    assert index.scores(["c", "a", "c"]) == index.scores(["c", "a"])
    assert all(h.matched <= 2 for h in index.search(["a", "b", "a", "b"], 10))


def test_article_scoping() -> None:
    articles = [
        (10, [(1, ["a", "b"]), (2, ["c"]), (3, ["a"])]),
        (20, [(4, ["a"]), (5, ["b", "a"])]),
        (30, [(6, ["d"])]),
    ]
    index = build(articles)
    hits = index.search(["a"], 10, article_id=20)
    assert {h.paragraph_id for h in hits} == {4, 5}
    assert all(h.article_id == 20 for h in hits)
    hits = index.search(["a", "b"], 10, article_id=10)
    assert {h.paragraph_id for h in hits} == {1, 3}
    assert index.search(["a"], 10, article_id=30) == []
    assert index.search(["a"], 10, article_id=999) == []
    # Scoped results keep the global scores.
    scores = index.scores(["a", "b"])
    for hit in index.search(["a", "b"], 10, article_id=20):
        assert hit.score == scores[hit.paragraph_id]
    # k applies after scoping.
    assert len(index.search(["a"], 1, article_id=20)) == 1
    assert index.search(["a"], 1, article_id=20)[0].article_id == 20


@pytest.mark.parametrize("k", [0, -1, -100])
def test_non_positive_k_returns_nothing(k: int) -> None:
    index = build([(1, [(1, ["a"]), (2, ["a", "b"])])])
    assert index.search(["a"], k) == []
    assert index.search(["a"], k, article_id=1) == []


def _snapshot(index: BM25Index, vocab: list[str]) -> tuple:
    return (
        index.paragraph_count,
        index.article_count,
        index.vocabulary_size,
        {t: index.idf(t) for t in vocab},
        index.scores(vocab),
        index.search(vocab, 100),
        [index.scores([t]) for t in vocab],
    )


WRONG_REMOVALS = [
    pytest.param([(1, ["a", "b", "x"]), (2, ["b", "c"])], id="term-not-in-paragraph"),
    pytest.param([(1, ["a", "b", "c"]), (2, ["b", "c"])], id="term-elsewhere-same-length"),
    pytest.param([(1, ["a", "b"]), (2, ["b", "c"])], id="shorter"),
    pytest.param([(1, ["a", "b", "a", "a"]), (2, ["b", "c"])], id="longer"),
    pytest.param([(1, ["a", "b", "b"]), (2, ["b", "c"])], id="wrong-counts"),
    pytest.param([(1, ["a", "a", "b"]), (2, ["b", "c"]), (3, ["a"])], id="extra-paragraph"),
    pytest.param([(1, ["a", "a", "b"])], id="missing-paragraph"),
    pytest.param([(1, ["a", "a", "b"]), (99, ["b", "c"])], id="unknown-paragraph-id"),
    pytest.param([(1, ["a", "a", "b"]), (3, ["a", "d"])], id="other-articles-paragraph"),
    pytest.param([(1, ["a", "a", "b"]), (1, ["a", "a", "b"])], id="same-paragraph-twice"),
    pytest.param([(1, ["a", "a", "b"]), (2, ["b", "zz"])], id="second-paragraph-wrong"),
]


@pytest.mark.parametrize("given_paragraphs", WRONG_REMOVALS)
def test_remove_with_wrong_tokens_raises_and_changes_nothing(
    given_paragraphs: list[Paragraph],
) -> None:
    articles = [
        (10, [(1, ["a", "a", "b"]), (2, ["b", "c"])]),
        (20, [(3, ["a", "d"]), (4, ["c", "c"])]),
    ]
    vocab = ["a", "b", "c", "d", "x", "zz"]
    index = build(articles)
    before = _snapshot(index, vocab)
    with pytest.raises(IndexInconsistent):
        index.remove_article(10, given_paragraphs)
    assert _snapshot(index, vocab) == before
    assert 10 in index
    # The right description still removes it, and the rest matches BM25Okapi.
    index.remove_article(*articles[0])
    assert 10 not in index
    assert_matches_reference(index, articles[1:], ["a", "c", "d"], index.params)


def test_remove_unknown_article_raises() -> None:
    index = build([(10, [(1, ["a"])])])
    before = _snapshot(index, ["a"])
    with pytest.raises(IndexInconsistent):
        index.remove_article(11, [(1, ["a"])])
    assert _snapshot(index, ["a"]) == before


def test_remove_with_terms_in_another_order_is_accepted() -> None:
    index = build([(10, [(1, ["a", "b", "a"])]), (20, [(2, ["b"])])])
    index.remove_article(10, [(1, ["b", "a", "a"])])
    assert index.paragraph_count == 1
    assert index.scores(["a"]) == {}


def test_duplicate_article_id_raises_and_changes_nothing() -> None:
    vocab = ["a", "b", "c"]
    index = build([(10, [(1, ["a", "b"])])])
    before = _snapshot(index, vocab)
    with pytest.raises(IndexInconsistent):
        index.add_article(10, [(2, ["c"])])
    assert _snapshot(index, vocab) == before


def test_duplicate_paragraph_id_from_another_article_raises_and_changes_nothing() -> None:
    vocab = ["a", "b", "c"]
    index = build([(10, [(1, ["a", "b"])])])
    before = _snapshot(index, vocab)
    with pytest.raises(IndexInconsistent):
        index.add_article(11, [(2, ["c"]), (1, ["c"])])
    assert _snapshot(index, vocab) == before
    assert 11 not in index


def test_duplicate_paragraph_id_within_one_article_raises() -> None:
    index = BM25Index()
    with pytest.raises(IndexInconsistent):
        index.add_article(1, [(10, ["a"]), (10, ["b"])])
    # Had it been accepted, the index would be corrupt: N counts one paragraph while two
    # slots are live, and the article could never be removed again.
    assert index.paragraph_count == 0
    assert 1 not in index


def test_paragraphs_too_long_to_pack_score_exactly() -> None:
    """A paragraph over 65,535 terms, or a word repeated over 32,767 times, does not fit
    a packed posting; its postings go through the overflow table with the same scores,
    and survive removals and compaction."""
    rng = random.Random(9)
    vocab = [f"t{i}" for i in range(12)]
    articles = _random_articles(rng, n_articles=120, per_article=10, first_aid=1, first_pid=1)
    huge = [
        (5000, [(50_000, ["t1"] * 40_000 + ["t2"] * 30_000)]),  # tf and length overflow
        (5001, [(50_001, ["t3"] * 33_000), (50_002, vocab * 6_000)]),
    ]
    index = build([*articles, *huge])
    assert index.overflow_count == 15  # 3 + 12 postings overflow
    live = [*articles, *huge]
    for query in (["t1"], ["t2", "t3"], ["t1", "t3", "t7"], vocab):
        assert_matches_reference(index, live, query, index.params)
    for article in articles[:70]:  # enough to compact: the overflow table is rebuilt
        index.remove_article(*article)
    live = live[70:]
    assert index.slot_count < 1203
    for query in (["t1"], ["t2", "t3"], vocab):
        assert_matches_reference(index, live, query, index.params)
    index.remove_article(*huge[0])
    live.remove(huge[0])
    assert_matches_reference(index, live, ["t1", "t2", "t3"], index.params)
    flat = [p for _aid, ps in live for p in ps]
    assert_search_consistent(index, ["t3", "t5"], flat, 5)


def test_an_infinite_share_does_not_poison_later_blocks() -> None:
    """With k1 < 0, tf + norm can be exactly 0: rank_bm25 scores that paragraph inf. The
    next block (and question) must not inherit it: inf times a zero weight is NaN."""
    params = BM25Params(k1=-0.5, b=1.0)
    articles = [
        (1, [(0, ["a", "x", "x", "x"]), (1, ["y"]), (2, ["y"]), (3, ["y"])]),
        (2, [(4, ["a", "z", "z"])]),
    ]
    index = build(articles, params, block=4)
    for _ in range(2):
        assert_matches_reference(index, articles, ["a"], params)
        assert_search_consistent(index, ["a"], [p for _a, ps in articles for p in ps], 2)


def test_article_scope_holds_for_negative_article_ids() -> None:
    index = build([(-5, [(1, ["a", "b"])]), (7, [(2, ["a"])]), (-1, [(3, ["a", "a"])])])
    for k in (1, 5, 100):
        assert [h.paragraph_id for h in index.search(["a"], k, article_id=-5)] == [1]
        assert [h.paragraph_id for h in index.search(["a"], k, article_id=-1)] == [3]


def test_questions_and_changes_from_two_threads() -> None:
    """Changes and questions take one lock, and no view of the index's arrays outlives
    it: an append while a question ran would fail, or worse, move the memory read."""
    import threading

    rng = random.Random(12)
    articles = _random_articles(rng, n_articles=300, per_article=5, first_aid=1, first_pid=1)
    index = build(articles[:50])
    errors: list[BaseException] = []
    done = threading.Event()

    def ask() -> None:
        try:
            while not done.is_set():
                index.search(["t1", "t2", "t3"], 5)
                index.scores(["t4"])
        except BaseException as error:  # reported below
            errors.append(error)

    asker = threading.Thread(target=ask)
    asker.start()
    try:
        for article in articles[50:]:
            index.add_article(*article)
        for article in articles[:100]:
            index.remove_article(*article)
    finally:
        done.set()
        asker.join()
    assert errors == []
    live = articles[100:]
    flat = [p for _aid, ps in live for p in ps]
    assert_matches_reference(index, live, ["t1", "t5"], index.params)
    assert_search_consistent(index, ["t1", "t2", "t3"], flat, 5)


def test_a_compacted_copy_ranks_like_the_original() -> None:
    rng = random.Random(21)
    articles = _random_articles(rng, n_articles=120, per_article=10, first_aid=1, first_pid=1)
    index = build(articles)
    for article in articles[:70]:
        index.remove_article(*article, compact=False)
    assert index.wants_compaction and index.slot_count == 1200
    copy = index.compacted()
    assert copy.slot_count == copy.paragraph_count == 500
    live = articles[70:]
    flat = [p for _aid, ps in live for p in ps]
    for query in (["t1", "t2"], ["t3"], [f"t{i}" for i in range(20)]):
        assert copy.scores(query) == index.scores(query)
        assert copy.search(query, 7) == index.search(query, 7)
        assert_search_consistent(copy, query, flat, 5)
    copy.remove_article(*live[0])
    copy.add_article(*articles[0])
    assert 1 in copy and live[0][0] not in copy and live[0][0] in index


def test_integer_parameters_score_like_float_ones() -> None:
    articles = [(1, [(1, ["a", "b"]), (2, ["a"])]), (2, [(3, ["b", "b", "c"])])]
    as_ints, as_floats = (
        build(articles, BM25Params(k1=1, b=1)),
        build(articles, BM25Params(1.0, 1.0)),
    )
    assert as_ints.search(["a", "b"], 3) == as_floats.search(["a", "b"], 3)
    assert_matches_reference(as_ints, articles, ["b", "c"], as_ints.params)


def test_remove_with_paragraphs_in_another_order_is_accepted() -> None:
    articles = [
        (10, [(1, ["a", "b"]), (2, ["b", "c"]), (3, ["a", "c", "c"])]),
        (20, [(4, ["a", "d"]), (5, ["b"])]),
    ]
    index = build(articles)
    index.remove_article(10, list(reversed(articles[0][1])))
    assert 10 not in index
    assert_matches_reference(index, articles[1:], ["a", "b", "c", "d"], index.params)


def test_try_search_and_try_idfs_do_not_wait_for_a_change() -> None:
    import threading

    index = build([(10, [(1, ["a", "b"]), (2, ["b", "c"])]), (20, [(3, ["c"])])])
    assert index.try_search(["a", "c"], 5) == index.search(["a", "c"], 5)
    assert (
        index.try_idfs(["a", "zz"])
        == index.idfs(["a", "zz"])
        == {
            "a": index.idf("a"),
            "zz": 0.0,
        }
    )
    assert index.try_search(["a"], 0) == []
    index.lock.acquire()  # as a change running in another thread does
    try:
        assert index.try_search(["a", "c"], 5) is None
        assert index.try_idfs(["a"]) is None
        waiting: list[list[Hit]] = []
        asker = threading.Thread(target=lambda: waiting.append(index.search(["a"], 5)))
        asker.start()
        asker.join(0.05)
        assert waiting == []  # search itself waits
    finally:
        index.lock.release()
    asker.join()
    assert [h.paragraph_id for h in waiting[0]] == [1]


def _news_like_articles(seed: int, paragraphs: int) -> list[Article]:
    """A few words in nearly every paragraph, some in many, most in a handful: the shape
    under which a question's common words become weak and are skipped through."""
    rng = random.Random(seed)
    common = [f"c{i}" for i in range(4)]
    middling = [f"m{i}" for i in range(40)]
    rare = [f"r{i}" for i in range(2000)]
    articles = []
    for aid in range(paragraphs // 10):
        items = []
        for j in range(10):
            terms = (
                rng.choices(common, k=rng.randint(1, 8))
                + rng.choices(middling, k=rng.randint(0, 4))
                + rng.choices(rare, k=rng.randint(0, 3))
            )
            items.append((aid * 10 + j, terms))
        articles.append((aid, items))
    return articles


@pytest.mark.parametrize("long_list", [4, 256])
def test_top_k_is_exact_when_weak_terms_are_skipped_through(long_list: int) -> None:
    """Thousands of paragraphs over many blocks: once the top k is full, the common and
    middling words are weak, added only to the paragraphs that could still make it (read
    through, or skipped through when those are few). With ``_LONG`` small every list gets
    the tight bound on its shares. The top k must equal the full ranking's, scores too,
    also after removals."""
    articles = _news_like_articles(9, 3000)
    flat = [p for _aid, ps in articles for p in ps]
    rng = random.Random(long_list)
    with patch.object(bm25_module, "_LONG", long_list):
        for block in (64, 512):
            index = build(articles, block=block)
            for _ in range(30):
                query = (
                    rng.sample([f"c{i}" for i in range(4)], rng.randint(0, 3))
                    + rng.sample([f"m{i}" for i in range(40)], rng.randint(0, 3))
                    + rng.sample([f"r{i}" for i in range(2000)], rng.randint(1, 3))
                )
                rng.shuffle(query)
                for k in (1, 5, 20):
                    assert_search_consistent(index, query, flat, k)
            for victim in articles[::7]:
                index.remove_article(*victim)
            live = [a for i, a in enumerate(articles) if i % 7]
            live_flat = [p for _aid, ps in live for p in ps]
            for _ in range(10):
                query = [*rng.sample([f"c{i}" for i in range(4)], 2), f"r{rng.randrange(2000)}"]
                assert_search_consistent(index, query, live_flat, 5)


def _weak_and_rare_query(rng: random.Random) -> list[str]:
    """Common and middling words (weak once the top k fills) beside a rare one or two."""
    query = (
        rng.sample([f"c{i}" for i in range(4)], rng.randint(1, 3))
        + rng.sample([f"m{i}" for i in range(40)], rng.randint(0, 3))
        + rng.sample([f"r{i}" for i in range(2000)], rng.randint(1, 2))
    )
    rng.shuffle(query)
    return query


@pytest.mark.parametrize(
    "params",
    [
        BM25Params(),
        BM25Params(k1=0.0),
        BM25Params(b=0.0),
        BM25Params(b=1.0),
        BM25Params(k1=2.5, b=0.3),
        BM25Params(epsilon=-0.5),  # the common words' idfs turn negative
    ],
)
def test_weak_terms_are_exact_for_any_bounded_parameters(params: BM25Params) -> None:
    """Every parameter set under which a share is bounded (k1 >= 0, 0 <= b <= 1), each
    term's bound made from its summary (``_LONG`` small): the top k and its scores equal
    the full ranking's."""
    articles = _news_like_articles(11, 1500)
    flat = [p for _aid, ps in articles for p in ps]
    rng = random.Random(3)
    with patch.object(bm25_module, "_LONG", 4):
        index = build(articles, params, block=64)
        for _ in range(25):
            query = _weak_and_rare_query(rng)
            for k in (1, 5):
                assert_search_consistent(index, query, flat, k)


def test_weak_terms_within_one_article() -> None:
    """Scoped to one article, the weak-term walk keeps that article's best paragraphs,
    ranked as the full ranking ranks them."""
    articles = _news_like_articles(12, 2000)
    index = build(articles, block=64)
    scores_of = index.scores
    rng = random.Random(5)
    for _ in range(20):
        aid, paragraphs = articles[rng.randrange(len(articles))]
        query = _weak_and_rare_query(rng)
        scores = scores_of(query)
        wanted = set(query)
        order = {pid: slot for slot, (pid, _terms) in enumerate(paragraphs)}
        matched = {pid: len(wanted & set(terms)) for pid, terms in paragraphs}
        inside = [pid for pid, _terms in paragraphs if pid in scores]
        ranked = sorted(inside, key=lambda pid: (-scores[pid], -matched[pid], order[pid]))
        hits = index.search(query, 3, article_id=aid)
        assert [h.paragraph_id for h in hits] == ranked[:3]
        assert all(h.score == scores[h.paragraph_id] for h in hits)


def test_share_bounds_survive_a_snapshot_and_a_compaction() -> None:
    """The summaries bounding each long list's shares are the same whether kept up by
    additions or made when the index is read; a compacted copy keeps bounds that still
    hold (and its own, not shared with the original); questions stay exact on both."""
    articles = _news_like_articles(13, 1500)
    with patch.object(bm25_module, "_LONG", 8):
        index = build(articles, block=64)
        buffer = io.BytesIO()
        write_index(index, buffer)
        buffer.seek(0)
        loaded = read_index(buffer, BM25Params())
        long_terms = [t for t, p in index._postings.items() if len(p) >= 8]
        assert long_terms
        for term in long_terms:
            assert loaded._postings[term].shortest == index._postings[term].shortest
        for victim in articles[::2]:
            index.remove_article(*victim, compact=False)
        copy = index.compacted()
        live = [a for i, a in enumerate(articles) if i % 2]
        flat = [p for _aid, ps in live for p in ps]
        rng = random.Random(6)
        for _ in range(15):
            query = _weak_and_rare_query(rng)
            assert_search_consistent(copy, query, flat, 5)
        for term in long_terms:
            if term in copy._postings and copy._postings[term].shortest is not None:
                assert copy._postings[term].shortest is not index._postings[term].shortest


def test_questions_stay_exact_across_the_tags_epoch_wrap() -> None:
    """Tags carry their block's epoch from one question to the next; when the epochs run
    out they start over from clean tags, and no stale total may count then."""
    articles = _news_like_articles(14, 600)
    flat = [p for _aid, ps in articles for p in ps]
    index = build(articles, block=4)
    rng = random.Random(7)
    for start in (MAX_EPOCH - 1, MAX_EPOCH - 40):
        index._scratch.state[0] = start
        for _ in range(6):
            query = _weak_and_rare_query(rng)
            assert_search_consistent(index, query, flat, 5)
        assert index._scratch.state[0] < start  # the epochs wrapped
