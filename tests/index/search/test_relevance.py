"""The rule for passages after the first: only real candidates are shown."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from index.search.bm25 import Hit
from index.search.relevance import SHARE_OF_FIRST, real_candidates


def hits(*scores: float) -> list[Hit]:
    return [Hit(paragraph_id=i, article_id=1, score=s, matched=1) for i, s in enumerate(scores)]


def test_the_first_is_always_kept_and_weak_ones_are_left_out():
    assert real_candidates(hits(13.24, 2.38, 2.11)) == hits(13.24)  # the Puerto Rico padding
    assert [h.score for h in real_candidates(hits(7.31, 4.01, 3.84, 2.59))] == [7.31, 4.01, 3.84]


def test_a_passage_at_exactly_the_share_is_kept():
    assert len(real_candidates(hits(10.0, 10.0 * SHARE_OF_FIRST))) == 2
    assert len(real_candidates(hits(10.0, 10.0 * SHARE_OF_FIRST - 1e-9))) == 1


def test_nothing_to_compare_with_keeps_everything():
    assert real_candidates([]) == []
    assert real_candidates(hits(0.0, -0.5, -1.0)) == hits(0.0, -0.5, -1.0)
    assert real_candidates(hits(-0.2, -0.3)) == hits(-0.2, -0.3)


@given(st.lists(st.floats(-5, 50, allow_nan=False), min_size=1, max_size=30))
def test_kept_passages_are_the_leading_ones(scores: list[float]):
    ranked = hits(*sorted(scores, reverse=True))
    kept = real_candidates(ranked)
    assert kept == ranked[: len(kept)] and kept[0] == ranked[0]
    # Paging: the rule over a longer ranking keeps the same leading passages.
    assert real_candidates(ranked[:3]) == kept[:3]
