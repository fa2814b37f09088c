"""Which ranked paragraphs are worth showing: the first, and those close enough to it.

BM25 gives a score to every paragraph holding any question word, so the passages after
the first were often padding: for "How many troops are stationed in Puerto Rico?" over
the seed article, passages 2 and 3 matched only "many", at 18% and 16% of the first's
score. A passage after the first is shown only when it is a real candidate: its score is
at least ``SHARE_OF_FIRST`` of the first's.

Measured with ``python -m index.eval retrieval --squad ... --share S`` on the SQuAD
subset (44 articles, 11,877 questions, answers of 3 passages; each question has one
gold paragraph), R@3 and mean passages shown, without the rule -> with it:

=====  ====================================  ====================================
S      whole corpus                          within the question's article
=====  ====================================  ====================================
0.4    R@3 0.8708 -> 0.8708, 3.00 -> 2.83    R@3 0.8975 -> 0.8975, 2.98 -> 2.67
0.5    R@3 0.8708 -> 0.8708, 3.00 -> 2.61    R@3 0.8975 -> 0.8972, 2.98 -> 2.44
0.6    R@3 0.8708 -> 0.8700, 3.00 -> 2.33    R@3 0.8975 -> 0.8957, 2.98 -> 2.17
0.7    R@3 0.8708 -> 0.8645, 3.00 -> 2.03    R@3 0.8975 -> 0.8889, 2.98 -> 1.89
=====  ====================================  ====================================

Half the first's score is where the cost starts: it leaves out about 4,600 passages
that were not the gold one (6,400 within articles) for 1 gold one (4 within articles),
on both halves of the articles alike, and it clears the seed questions' padding. Rules
on the question's words were tried on the same data and did worse: a passage matching
at least 25% (30%) of the question's total idf kept 2.92 (2.80) passages over the
whole corpus for R@3 0.8706 (0.8691); "matches a word other than the lowest-idf one"
kept 2.96, and left the seed's "many"-only passages in for questions whose weakest word
is another. R@1 cannot change: the first passage is always kept.

Scores come best first, so the kept passages are always the first ones of the ranking:
a page of a longer answer (``More``) is a slice of the same list.
"""

from __future__ import annotations

from collections.abc import Sequence

from index.search.bm25 import Hit

SHARE_OF_FIRST = 0.5


def real_candidates(hits: Sequence[Hit], share: float = SHARE_OF_FIRST) -> list[Hit]:
    """The leading ``hits`` (best first) that are worth showing.

    The first is always kept. When its score is not positive (BM25Okapi's idf can be
    negative in a corpus of a few paragraphs) there is nothing to compare with, and every
    hit is kept.
    """
    if not hits:
        return []
    first = hits[0].score
    if first <= 0:
        return list(hits)
    threshold = share * first
    kept = [hits[0]]
    for hit in hits[1:]:
        if hit.score < threshold:
            break
        kept.append(hit)
    return kept
