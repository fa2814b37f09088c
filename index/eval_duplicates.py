"""How well near-duplicate detection separates re-published text from different text.

    python -m index.eval_duplicates --aeb DIR [--squad DIR]

``--aeb`` is a directory of the article-extraction-benchmark (its ``ground-truth.json``
holds each page's article text); ``--squad`` a directory holding a SQuAD v1.1 JSON file.

Known-same pairs are built from the real articles the way an outlet re-publishes a wire
story: other quote marks and spacing, a dateline or byline, an "Updated:" line, a sentence
added or dropped, a paragraph cut short. Known-different pairs are every pair of distinct
paragraphs of the pages (those of one article share names and subject), the paragraphs of
each SQuAD article (one subject each), and every pair of distinct articles. The command
prints the similarity distributions of both, how many pairs the thresholds of
``index.search.near_duplicates`` merge, the candidate recall of its LSH bands, and the
time a signature takes.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import regex

from index.search import near_duplicates as nd

_SENTENCE_BREAK = regex.compile(r"(?<=[.!?][\"'”’)]?)\s+(?=[\"'“‘(]?[A-Z0-9])")
_ADDED_SENTENCE = "The company did not immediately respond to a request for comment on Tuesday."
_DATELINE = "LONDON (Reuters) — "
_BYLINE = "By Alex Moreno, Associated Press"
_UPDATED = "Updated: December 3, 2026 10:32 AM ET"
_STRAIGHT = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "—": "--", "–": "-"})
_ELIGIBLE_FLOOR = 0.3
_ANSWER_PARAGRAPHS = 30
"""About as many paragraphs as an answer reads."""
_QUANTILES = (0.0, 0.01, 0.05, 0.5, 0.95, 0.99, 0.999, 1.0)


# -- loading -------------------------------------------------------------------------------


def load_aeb(directory: Path) -> list[list[str]]:
    """The ground-truth paragraphs of each page, pages in file-name order."""
    truth = json.loads((directory / "ground-truth.json").read_text(encoding="utf-8"))
    articles = []
    for name in sorted(truth):
        lines = (line.strip() for line in truth[name]["articleBody"].split("\n"))
        paragraphs = [line for line in lines if line]
        if paragraphs:
            articles.append(paragraphs)
    return articles


def load_squad(directory: Path) -> list[list[str]]:
    """The paragraphs of each SQuAD article."""
    path = next(iter(sorted(directory.glob("*.json"))))
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    return [[p["context"].strip() for p in article["paragraphs"]] for article in data]


# -- variants ------------------------------------------------------------------------------


def sentences(paragraph: str) -> list[str]:
    return _SENTENCE_BREAK.split(paragraph)


def requoted(text: str) -> str:
    """Straight quotes, ASCII dashes, doubled spaces."""
    return text.translate(_STRAIGHT).replace(" ", "  ")


def truncated(paragraph: str) -> str:
    """The paragraph cut after two thirds of its words, as a teaser is."""
    parts = paragraph.split()
    return " ".join(parts[: max(1, 2 * len(parts) // 3)]) + "…"


def without_last_sentence(paragraph: str) -> str | None:
    parts = sentences(paragraph)
    return " ".join(parts[:-1]) if len(parts) > 1 else None


PARAGRAPH_VARIANTS: dict[str, Callable[[str], str | None]] = {
    "quotes and spacing": requoted,
    "dateline added": lambda p: _DATELINE + p,
    "sentence added": lambda p: f"{p} {_ADDED_SENTENCE}",
    "last sentence dropped": without_last_sentence,
    "last third cut": truncated,
}


def _longest_with_sentences(paragraphs: Sequence[str]) -> int | None:
    candidates = [i for i, p in enumerate(paragraphs) if len(sentences(p)) > 1]
    return max(candidates, key=lambda i: len(paragraphs[i])) if candidates else None


def _replaced(paragraphs: Sequence[str], index: int | None, text: str | None) -> list[str]:
    result = list(paragraphs)
    if index is not None and text is not None:
        result[index] = text
    return result


def article_variants(paragraphs: Sequence[str]) -> dict[str, list[str]]:
    """The article as other outlets re-publish it, one change at a time and all at once."""
    middle = len(paragraphs) // 2
    longest = _longest_with_sentences(paragraphs)
    dropped = without_last_sentence(paragraphs[longest]) if longest is not None else None
    variants = {
        "byline": [_BYLINE, *paragraphs],
        "dateline": [_DATELINE + paragraphs[0], *paragraphs[1:]],
        "updated line": [_UPDATED, *paragraphs],
        "quotes and spacing": [requoted(p) for p in paragraphs],
        "sentence added": _replaced(paragraphs, middle, f"{paragraphs[middle]} {_ADDED_SENTENCE}"),
        "sentence dropped": _replaced(paragraphs, longest, dropped),
        "last paragraph cut": [*paragraphs[:-1], truncated(paragraphs[-1])],
    }
    combined = [_BYLINE, _UPDATED, *variants["sentence dropped"]]
    combined[2] = _DATELINE + combined[2]
    combined[2 + middle] = f"{combined[2 + middle]} {_ADDED_SENTENCE}"
    combined[-1] = truncated(combined[-1])
    variants["all of these"] = [requoted(p) for p in combined]
    return variants


# -- measuring -----------------------------------------------------------------------------


def signature_matrix(signatures: Sequence[nd.Signature]) -> np.ndarray:
    return np.array([s.hashvalues for s in signatures], dtype=np.uint32)


def pairwise_similarities(matrix: np.ndarray) -> np.ndarray:
    """The similarity of every pair (i < j) of the signatures in ``matrix``, in row order."""
    results = [
        (matrix[i + 1 :] == matrix[i]).mean(axis=1, dtype=np.float64)
        for i in range(len(matrix) - 1)
    ]
    return np.concatenate(results) if results else np.empty(0)


def _pair_indices(count: int) -> Iterable[tuple[int, int]]:
    for i in range(count - 1):
        for j in range(i + 1, count):
            yield i, j


@dataclass(frozen=True, slots=True)
class DifferentPairs:
    """Pairs of distinct paragraphs, with what the grouping rule does with them."""

    label: str
    similarities: np.ndarray
    merged: list[tuple[float, str, str]]
    eligible: list[float]
    """The similarities of the pairs the rule would merge at a low enough threshold (same
    numbers, both long enough), from ``_ELIGIBLE_FLOOR`` up: the margin below the threshold."""


def distinct_paragraph_pairs(label: str, paragraphs: Iterable[str]) -> DifferentPairs:
    """Every pair of paragraphs whose words differ: their similarities, and the pairs that
    ``group_near_duplicates`` would put together (there should be none)."""
    unique: dict[tuple[str, ...], str] = {}
    for paragraph in paragraphs:
        unique.setdefault(tuple(nd.words(paragraph)), paragraph)
    texts = list(unique.values())
    similarities = pairwise_similarities(
        signature_matrix([nd.paragraph_signature(t) for t in texts])
    )
    merged, eligible = [], []
    # Pairs far below the threshold cannot merge; the rule is checked on the others alone.
    for position in np.flatnonzero(similarities >= _ELIGIBLE_FLOOR):
        i, j = _nth_pair(len(texts), int(position))
        similarity = float(similarities[position])
        if _eligible(texts[i], texts[j]):
            eligible.append(similarity)
        if similarity >= nd.PARAGRAPH_THRESHOLD and nd.paragraphs_match(texts[i], texts[j]):
            merged.append((similarity, texts[i], texts[j]))
    return DifferentPairs(label, similarities, merged, eligible)


def _eligible(a: str, b: str) -> bool:
    """Whether only the similarity threshold keeps ``a`` and ``b`` apart."""
    words_a, words_b = nd.words(a), nd.words(b)
    return min(len(words_a), len(words_b)) >= nd.MIN_SHINGLED_WORDS and nd.numbers(
        words_a
    ) == nd.numbers(words_b)


def _nth_pair(count: int, position: int) -> tuple[int, int]:
    i = 0
    while position >= count - 1 - i:
        position -= count - 1 - i
        i += 1
    return i, i + 1 + position


def within_groups(label: str, groups: Sequence[Sequence[str]]) -> DifferentPairs:
    """Distinct paragraph pairs taken within each group only (one article's paragraphs)."""
    parts = [distinct_paragraph_pairs(label, group) for group in groups]
    similarities = np.concatenate([p.similarities for p in parts]) if parts else np.empty(0)
    return DifferentPairs(
        label,
        similarities,
        [m for p in parts for m in p.merged],
        [e for p in parts for e in p.eligible],
    )


def _quantiles(values: Sequence[float] | np.ndarray) -> str:
    if len(values) == 0:
        return "no pairs"
    marks = np.quantile(np.asarray(values, dtype=np.float64), _QUANTILES)
    return "  ".join(
        f"{'min' if q == 0 else 'max' if q == 1 else f'p{q * 100:g}'}={v:.3f}"
        for q, v in zip(_QUANTILES, marks, strict=True)
    )


def candidate_probability(similarity: float) -> float:
    """The chance that two signatures of this similarity share at least one band key."""
    return 1 - (1 - similarity**nd.ROWS) ** nd.BANDS


def _shares_band(a: nd.Signature, b: nd.Signature) -> bool:
    return any(x == y for x, y in zip(nd.band_keys(a), nd.band_keys(b), strict=True))


# -- the report ----------------------------------------------------------------------------


def paragraph_report(articles: Sequence[Sequence[str]], squad: Sequence[Sequence[str]]) -> int:
    """Prints the paragraph figures; returns how many different pairs were merged."""
    print("\n== Paragraphs ==")
    print(
        f"shingles of {nd.SHINGLE_WORDS} words, {nd.NUM_PERM} permutations; "
        f"PARAGRAPH_THRESHOLD={nd.PARAGRAPH_THRESHOLD}; under {nd.MIN_SHINGLED_WORDS} words "
        "a paragraph only matches the same words; matching paragraphs state the same numbers"
    )
    print("known-same (a paragraph and its re-published variant):")
    for name, make in PARAGRAPH_VARIANTS.items():
        sims, merged, short_total, short_merged = [], 0, 0, 0
        for paragraph in (p for article in articles for p in article):
            variant = make(paragraph)
            if variant is None:
                continue
            if len(nd.words(paragraph)) < nd.MIN_SHINGLED_WORDS:
                short_total += 1
                short_merged += nd.paragraphs_match(paragraph, variant)
                continue
            sims.append(
                nd.similarity(nd.paragraph_signature(paragraph), nd.paragraph_signature(variant))
            )
            merged += nd.paragraphs_match(paragraph, variant)
        print(f"  {name:22} {_quantiles(sims)}")
        print(
            f"  {'':22} merged {merged}/{len(sims)} ({merged / max(len(sims), 1):.1%}); "
            f"short paragraphs merged {short_merged}/{short_total}"
        )

    print("known-different (pairs of distinct paragraphs):")
    sets = [
        distinct_paragraph_pairs("all pages, every pair", [p for a in articles for p in a]),
        within_groups("within one page", articles),
    ]
    if squad:
        sets.append(within_groups("within one SQuAD article", squad))
    merged_total = 0
    for pairs in sets:
        print(f"  {pairs.label:30} {len(pairs.similarities):>9} pairs")
        print(f"    {_quantiles(pairs.similarities)}")
        top = np.sort(pairs.similarities)[-5:][::-1]
        print(f"    highest: {', '.join(f'{v:.3f}' for v in top)}")
        at_threshold = int((pairs.similarities >= nd.PARAGRAPH_THRESHOLD).sum())
        eligible = ", ".join(f"{v:.3f}" for v in sorted(pairs.eligible, reverse=True)[:5])
        print(
            f"    highest with the same numbers, both of {nd.MIN_SHINGLED_WORDS}+ words: {eligible}"
        )
        print(f"    at the threshold: {at_threshold}; merged by the rule: {len(pairs.merged)}")
        for similarity, a, b in pairs.merged:
            print(f"      {similarity:.3f}  {a[:70]!r}\n             {b[:70]!r}")
        if pairs.label != "within one page":  # a subset of "all pages"
            merged_total += len(pairs.merged)
    return merged_total


def article_report(articles: Sequence[Sequence[str]], squad: Sequence[Sequence[str]]) -> int:
    """Prints the article figures; returns how many different pairs were merged."""
    print("\n== Articles ==")
    print(
        f"ARTICLE_THRESHOLD={nd.ARTICLE_THRESHOLD}; LSH: {nd.BANDS} bands x {nd.ROWS} rows; "
        "chance of being candidates at similarity "
        + ", ".join(f"{s}: {candidate_probability(s):.4f}" for s in (0.2, 0.3, 0.5, 0.7, 0.8, 0.9))
    )
    originals = [nd.article_signature(a) for a in articles]
    print("known-same (an article and its re-published variant):")
    found = total = 0
    for name in article_variants(articles[0]):
        sims, candidates = [], 0
        for article, signature in zip(articles, originals, strict=True):
            variant = nd.article_signature(article_variants(article)[name])
            similarity = nd.similarity(signature, variant)
            sims.append(similarity)
            shares_band = _shares_band(signature, variant)
            candidates += shares_band
            if similarity >= nd.ARTICLE_THRESHOLD:
                total += 1
                found += shares_band
        merged = sum(s >= nd.ARTICLE_THRESHOLD for s in sims)
        print(f"  {name:20} {_quantiles(sims)}")
        print(f"  {'':20} merged {merged}/{len(sims)}; LSH candidates {candidates}/{len(sims)}")
    print(
        "  LSH candidate recall of the variant pairs at the threshold: "
        f"{found}/{total} ({found / max(total, 1):.2%})"
    )

    print("known-different (pairs of distinct articles):")
    merged_total = 0
    for label, group in (("aeb pages", articles), ("SQuAD articles", squad)):
        if not group:
            continue
        signatures = originals if group is articles else [nd.article_signature(a) for a in group]
        sims = pairwise_similarities(signature_matrix(signatures))
        candidates = sum(
            _shares_band(signatures[i], signatures[j]) for i, j in _pair_indices(len(group))
        )
        merged = int((sims >= nd.ARTICLE_THRESHOLD).sum())
        merged_total += merged
        print(f"  {label:16} {len(sims):>6} pairs  {_quantiles(sims)}")
        print(f"  {'':16} merged {merged}; LSH candidates {candidates}")
    return merged_total


def timing_report(articles: Sequence[Sequence[str]]) -> None:
    paragraphs = [p for a in articles for p in a]
    started = time.perf_counter()
    for paragraph in paragraphs:
        nd.paragraph_signature(paragraph)
    per_paragraph = (time.perf_counter() - started) / len(paragraphs)
    started = time.perf_counter()
    for article in articles:
        nd.article_signature(article)
    per_article = (time.perf_counter() - started) / len(articles)
    starts = range(0, max(len(paragraphs) - _ANSWER_PARAGRAPHS, 0) + 1, _ANSWER_PARAGRAPHS)
    started = time.perf_counter()
    for start in starts:
        nd.group_near_duplicates(paragraphs[start : start + _ANSWER_PARAGRAPHS])
    per_grouping = (time.perf_counter() - started) / len(starts)
    words = sum(len(nd.words(p)) for p in paragraphs) / len(paragraphs)
    print("\n== Time ==")
    print(f"paragraph signature: {per_paragraph * 1e6:.0f} µs (paragraphs of {words:.0f} words)")
    print(
        f"article signature: {per_article * 1e3:.2f} ms; grouping {_ANSWER_PARAGRAPHS} paragraphs: "
        f"{per_grouping * 1e3:.2f} ms"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m index.eval_duplicates", description=__doc__)
    parser.add_argument("--aeb", type=Path, required=True, help="article-extraction-benchmark")
    parser.add_argument("--squad", type=Path, help="directory with a SQuAD v1.1 JSON file")
    args = parser.parse_args(argv)
    articles = load_aeb(args.aeb)
    squad = load_squad(args.squad) if args.squad else []
    print(
        f"{len(articles)} pages, {sum(map(len, articles))} paragraphs; "
        f"{len(squad)} SQuAD articles, {sum(map(len, squad))} paragraphs"
    )
    merged_paragraphs = paragraph_report(articles, squad)
    merged_articles = article_report(articles, squad)
    timing_report(articles)
    print(
        f"\nknown-different pairs merged: {merged_paragraphs} paragraph pairs, "
        f"{merged_articles} article pairs"
    )
    return 0 if merged_paragraphs == merged_articles == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
