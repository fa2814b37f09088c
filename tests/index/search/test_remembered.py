"""Ids of remembered questions: unique across processes that share one database."""

from __future__ import annotations

import time

import pytest

from index.search.remembered import QuestionIds


def test_ids_keep_growing_within_one_process_even_past_a_millisecond_of_questions():
    ids = QuestionIds(tag=5)
    taken = [ids.next() for _ in range(20_000)]  # more than one millisecond's sequence
    assert taken == sorted(taken) and len(set(taken)) == len(taken)


def test_two_processes_never_give_the_same_id():
    first, second = QuestionIds(tag=1), QuestionIds(tag=2)
    taken = [ids.next() for _ in range(5_000) for ids in (first, second)]
    assert len(set(taken)) == len(taken)


def test_ids_fit_a_signed_64_bit_column_for_decades():
    ids = QuestionIds(tag=(1 << QuestionIds.TAG_BITS) - 1)
    seventy_years_of_milliseconds = (1 << 41) - 1
    largest = (seventy_years_of_milliseconds << QuestionIds.TAG_BITS | ids.tag) << 12 | 4095
    assert largest < 1 << 63
    assert 0 < ids.next() < largest


def test_ids_are_larger_than_those_of_the_earlier_layout():
    """Earlier ids were milliseconds since 1970 shifted by 16 bits; new ones must not
    fall among them."""
    earlier_layout_now = time.time_ns() // 1_000_000 << 16
    assert QuestionIds().next() > earlier_layout_now


def test_a_tag_wider_than_its_bits_is_refused():
    with pytest.raises(ValueError):
        QuestionIds(tag=1 << QuestionIds.TAG_BITS)
