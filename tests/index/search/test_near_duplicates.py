"""Tests for index.search.near_duplicates: MinHash signatures of paragraphs and articles."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from index import eval_duplicates
from index.search import near_duplicates as nd
from tests.conftest import PROJECT, SHARED

AEB = SHARED / "data" / "aeb-dev"
SQUAD_DIR = SHARED / "data" / "squad-train-subset"

# A short wire story of our own, and the ways other outlets re-publish its paragraphs.
LEAD = (
    "The harbour authority said on Monday that the flood barrier at the mouth of the river "
    "would stay closed until engineers finish checking the gates, a job expected to take "
    "at least two weeks."
)
SECOND = (
    "Ferry crossings to the island will leave from the north pier in the meantime, and the "
    "operator has added three evening sailings to make up for the longer route."
)
THIRD = (
    "Shop owners along the quay said the closure came at the worst time of year, with the "
    "autumn festival due to open on the same weekend the barrier was shut."
)
FOURTH = (
    '"We were told it would be a few days," said Mara Quint, who runs a bakery beside the '
    'lock. "Now nobody can tell us when the boats will be back."'
)
STORY = [LEAD, SECOND, THIRD, FOURTH]

LEAD_VARIANTS = {
    "dateline": "PORT ELLEN (Wire) — " + LEAD,
    "quotes and spacing": LEAD.replace(",", " ,").replace(" ", "  ").upper(),
    "sentence added": LEAD + " A spokesman declined to comment further.",
    "accents": LEAD.replace("harbour", "hárbour").replace("engineers", "engineérs"),
}

# Paragraphs of the same story that share its names and subject, but say other things.
SAME_STORY_OTHERS = [
    "The harbour authority closed the flood barrier at the mouth of the river last month "
    "after a storm damaged two of its gates.",
    "The harbour authority said the barrier gates were last checked by engineers two years "
    "ago, and that no fault was found then.",
    "Engineers at the mouth of the river said on Monday that the flood barrier gates had "
    "been built to last at least fifty years.",
]


def test_variants_of_a_paragraph_group_with_it():
    for name, variant in LEAD_VARIANTS.items():
        assert nd.paragraphs_match(LEAD, variant), name
    texts = [LEAD, SECOND, *LEAD_VARIANTS.values()]
    assert nd.group_near_duplicates(texts) == [[0, 2, 3, 4, 5], [1]]


def test_different_paragraphs_of_one_story_do_not_group():
    texts = [*STORY, *SAME_STORY_OTHERS]
    assert nd.group_near_duplicates(texts) == [[i] for i in range(len(texts))]
    for other in SAME_STORY_OTHERS:
        assert nd.similarity(nd.paragraph_signature(LEAD), nd.paragraph_signature(other)) < 0.3


def test_a_paragraph_that_states_other_numbers_is_another_fact():
    updated = LEAD.replace("two weeks", "3 weeks")
    earlier = LEAD.replace("two weeks", "2 weeks")
    similar = nd.similarity(nd.paragraph_signature(updated), nd.paragraph_signature(earlier))
    assert similar >= nd.PARAGRAPH_THRESHOLD
    assert not nd.paragraphs_match(updated, earlier)
    assert nd.paragraphs_match(earlier, earlier.replace("Monday", "Monday morning"))


def test_short_paragraphs_group_only_with_the_same_words():
    texts = ["Advertisement", "ADVERTISEMENT.", "Photo: Mara Quint", "Photo: Mara Quint / Wire"]
    assert nd.group_near_duplicates(texts) == [[0, 1], [2], [3]]
    # Not even with a long paragraph that begins with the same words.
    assert not nd.paragraphs_match("The harbour authority said", LEAD)
    assert (
        nd.similarity(nd.paragraph_signature("Advertisement"), nd.paragraph_signature("Ad")) < 0.1
    )


def test_groups_are_in_input_order_and_a_chain_of_edits_does_not_merge_its_ends():
    words = LEAD.split()
    # Each step changes a few more words: the first and last differ too much.
    steps = [" ".join(words[:n] + ["altered"] * (len(words) - n)) for n in (36, 30, 24, 18)]
    groups = nd.group_near_duplicates(steps)
    assert sorted(i for group in groups for i in group) == [0, 1, 2, 3]
    assert all(group == sorted(group) for group in groups)
    assert [group[0] for group in groups] == sorted(group[0] for group in groups)
    for group in groups:
        assert all(nd.paragraphs_match(steps[group[0]], steps[i]) for i in group)
    assert nd.group_near_duplicates([]) == []


def test_an_article_republished_with_small_changes_matches_and_another_does_not():
    original = nd.article_signature(STORY)
    republished = nd.article_signature(
        [
            "By Alex Moreno, Wire Service",
            "Updated: December 3, 2025 10:32 AM ET",
            "PORT ELLEN (Wire) — " + LEAD,
            SECOND.replace(", and", " and"),
            THIRD + " The festival organisers said it would go ahead.",
            FOURTH.replace('"', "“", 1),
        ]
    )
    other = nd.article_signature(SAME_STORY_OTHERS)
    assert nd.similarity(original, republished) >= nd.ARTICLE_THRESHOLD
    assert nd.similarity(original, other) < 0.2
    shared = set(nd.band_keys(original)) & set(nd.band_keys(republished))
    assert shared  # found by the store's lookup
    assert not set(nd.band_keys(original)) & set(nd.band_keys(other))


def test_an_article_split_into_other_paragraphs_keeps_its_signature():
    joined = nd.article_signature([f"{LEAD} {SECOND}", f"{THIRD} {FOURTH}"])
    assert nd.similarity(nd.article_signature(STORY), joined) == 1.0


def test_signatures_round_trip_through_bytes():
    signature = nd.paragraph_signature(LEAD)
    data = nd.signature_bytes(signature)
    assert isinstance(data, bytes)
    assert len(data) == 1 + 4 * nd.NUM_PERM
    restored = nd.signature_from_bytes(data)
    assert nd.similarity(signature, restored) == 1.0
    assert list(restored.hashvalues) == list(signature.hashvalues)
    assert nd.band_keys(restored) == nd.band_keys(signature)


@pytest.mark.parametrize(
    "data",
    [b"", b"\x01" + b"\x00" * 4, bytes([99]) + b"\x00" * 4 * nd.NUM_PERM],
    ids=["empty", "too short", "other version"],
)
def test_bytes_of_another_shape_are_refused(data):
    with pytest.raises(ValueError):
        nd.signature_from_bytes(data)


# Signatures are stored: these values may only change with SIGNATURE_VERSION.
PINNED_TEXT = (
    "The river authority said on Monday that the flood barrier near the harbour would stay "
    "closed until engineers finish checking its gates."
)
PINNED_VALUES = [164067369, 66668088, 17156226, 21688282, 12347312, 383709129]
PINNED_BAND_KEYS = [851180063295687564, 262215291485115958]


def test_a_known_signature_is_stable():
    assert nd.SIGNATURE_VERSION == 1
    signature = nd.paragraph_signature(PINNED_TEXT)
    assert [int(v) for v in signature.hashvalues[:6]] == PINNED_VALUES
    assert nd.band_keys(signature)[:2] == PINNED_BAND_KEYS


def test_signatures_are_the_same_in_another_process():
    code = (
        "from index.search.near_duplicates import paragraph_signature, signature_bytes;"
        f"print(signature_bytes(paragraph_signature({PINNED_TEXT!r})).hex())"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
    )
    expected = nd.signature_bytes(nd.paragraph_signature(PINNED_TEXT)).hex()
    assert result.stdout.strip() == expected


def test_band_keys_fit_a_signed_64_bit_integer():
    for text in [LEAD, SECOND, "", "x", *SAME_STORY_OTHERS]:
        keys = nd.band_keys(nd.paragraph_signature(text))
        assert len(keys) == nd.BANDS
        assert all(-(2**63) <= key < 2**63 for key in keys)
    assert nd.BANDS * nd.ROWS <= nd.NUM_PERM


def test_bands_find_pairs_above_the_article_threshold_and_rarely_those_far_below():
    assert eval_duplicates.candidate_probability(nd.ARTICLE_THRESHOLD) > 0.98
    assert eval_duplicates.candidate_probability(0.1) < 0.01


@pytest.mark.skipif(not AEB.is_dir(), reason="the aeb-dev pages are not here")
def test_no_two_different_ground_truth_paragraphs_of_aeb_dev_group():
    articles = eval_duplicates.load_aeb(AEB)
    pairs = eval_duplicates.distinct_paragraph_pairs(
        "aeb-dev", [p for article in articles for p in article]
    )
    assert len(pairs.similarities) > 1_000_000
    assert pairs.merged == []


@pytest.mark.skipif(not AEB.is_dir(), reason="the aeb-dev pages are not here")
def test_no_two_aeb_dev_pages_match_and_each_matches_its_republished_variant():
    articles = eval_duplicates.load_aeb(AEB)
    signatures = [nd.article_signature(a) for a in articles]
    similarities = eval_duplicates.pairwise_similarities(
        eval_duplicates.signature_matrix(signatures)
    )
    assert similarities.max() < nd.ARTICLE_THRESHOLD / 2
    for article, signature in zip(articles, signatures, strict=True):
        variant = eval_duplicates.article_variants(article)["sentence added"]
        assert nd.similarity(signature, nd.article_signature(variant)) >= nd.ARTICLE_THRESHOLD


@pytest.mark.skipif(not SQUAD_DIR.is_dir(), reason="the SQuAD subset is not here")
def test_paragraphs_of_one_squad_article_do_not_group():
    groups = eval_duplicates.load_squad(SQUAD_DIR)
    pairs = eval_duplicates.within_groups("squad", groups)
    assert pairs.merged == []
