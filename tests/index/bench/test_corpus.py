"""The benchmark's corpora: re-mixed, seeded, with a growing vocabulary, cut into articles."""

from __future__ import annotations

from index.bench.corpus import (
    ARTICLE_SIZE,
    analyse_corpus,
    build_corpus,
    in_articles,
    iter_corpus,
    shuffled_questions,
)

PARAGRAPHS = [
    "The harbour reopened on Tuesday. Boats returned to the docks. Cranes moved grain.",
    "A volcano erupted at dawn. Ash covered the valley. Farmers moved their cattle.",
]


def test_corpus_is_remixed_and_its_vocabulary_grows():
    small, large = build_corpus(PARAGRAPHS, 50), build_corpus(PARAGRAPHS, 2000)
    assert len(large) == 2000 and build_corpus(PARAGRAPHS, 50) == small  # seeded
    assert len(set(large)) > 1000  # not one paragraph copied many times
    vocabulary = lambda corpus: {w for p in corpus for w in p.split()}  # noqa: E731
    assert len(vocabulary(large)) > 2 * len(vocabulary(small))


def test_the_corpus_can_be_generated_one_paragraph_at_a_time():
    assert list(iter_corpus(PARAGRAPHS, 300)) == build_corpus(PARAGRAPHS, 300)


def test_analysed_paragraphs_share_one_string_per_term():
    first, second = analyse_corpus(["Boats returned to the docks.", "The boats left the docks."])
    assert first[0] == second[0] == "boat" and first[-1] == second[-1] == "dock"
    assert first[0] is second[0] and first[-1] is second[-1]


def test_paragraphs_are_cut_into_articles_numbered_from_zero():
    tokens = [[f"t{i}"] for i in range(2 * ARTICLE_SIZE + 3)]
    articles = list(in_articles(iter(tokens)))
    assert [len(a) for a in articles] == [ARTICLE_SIZE, ARTICLE_SIZE, 3]
    assert articles[1][0] == (ARTICLE_SIZE, [f"t{ARTICLE_SIZE}"])
    assert [number for a in articles for number, _ in a] == list(range(len(tokens)))


def test_questions_are_shuffled_the_same_way_every_run():
    questions = [f"question {i}?" for i in range(50)]
    assert shuffled_questions(questions) == shuffled_questions(questions)
    assert sorted(shuffled_questions(questions)) == sorted(questions)
    assert shuffled_questions(questions) != questions
