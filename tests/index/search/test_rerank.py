"""Re-ordering BM25's best paragraphs: the order moves by the formula, scores never do."""

from __future__ import annotations

import pytest

from index.search.analyzer import analyse, unique_terms
from index.search.bm25 import Hit
from index.search.rerank import (
    LANGUAGE_WEIGHT,
    RERANK_DEPTH,
    Candidate,
    Reading,
    answer_kind,
    holds_kind,
    reorder,
    reorder_in_languages,
)


def candidate(paragraph_id: int, score: float, text: str, title: str = "News") -> Candidate:
    return Candidate(Hit(paragraph_id, 1, score, 1), text, title)


def terms_of(question: str) -> list[str]:
    return unique_terms(analyse(question))


def ids(candidates: list[Candidate]) -> list[int]:
    return [c.hit.paragraph_id for c in candidates]


NEAR = "Officials said the volcano erupted on Monday near the old harbour."
FAR = (
    "The volcano is old. Farmers grow grapes on its slopes. Tourists come every summer. "
    "Last year an earthquake shook the harbour, and officials said nothing erupted."
)


def test_question_words_together_move_a_paragraph_up() -> None:
    terms = terms_of("Did the volcano erupt near the harbour?")
    far, near = candidate(1, 10.0, FAR), candidate(2, 9.5, NEAR)
    assert ids(reorder(terms, [far, near])) == [2, 1]


def test_a_much_better_bm25_score_still_wins() -> None:
    terms = terms_of("Did the volcano erupt near the harbour?")
    far, near = candidate(1, 30.0, FAR), candidate(2, 9.5, NEAR)
    assert ids(reorder(terms, [far, near])) == [1, 2]


def test_scores_and_elements_untouched() -> None:
    terms = terms_of("Did the volcano erupt near the harbour?")
    given = [candidate(1, 10.0, FAR), candidate(2, 9.5, NEAR), candidate(3, 2.0, "Harbour.")]
    result = reorder(terms, given)
    assert sorted(ids(result)) == [1, 2, 3]
    for c in given:
        assert any(r is c for r in result)
    assert {c.hit.paragraph_id: c.hit.score for c in result} == {1: 10.0, 2: 9.5, 3: 2.0}


def test_ties_keep_bm25_order() -> None:
    terms = terms_of("volcano harbour")
    same = [candidate(i, 5.0, NEAR) for i in (7, 3, 9)]
    assert ids(reorder(terms, same)) == [7, 3, 9]


def test_empty_and_trivial_inputs() -> None:
    assert reorder(["volcano"], []) == []
    one = [candidate(1, 1.0, NEAR)]
    assert reorder(["volcano"], one) == one
    two = [candidate(1, 10.0, FAR), candidate(2, 9.5, NEAR)]
    assert ids(reorder([], two)) == [1, 2]


def test_no_positive_score_keeps_the_order() -> None:
    terms = terms_of("volcano erupt harbour")
    given = [candidate(1, -0.1, FAR), candidate(2, -0.2, NEAR)]
    assert ids(reorder(terms, given)) == [1, 2]


def test_candidates_past_the_depth_keep_their_place_after() -> None:
    terms = terms_of("volcano erupt harbour")
    given = [candidate(i, 100.0 - i, FAR) for i in range(RERANK_DEPTH)]
    given.append(candidate(999, 1.0, NEAR))
    assert ids(reorder(terms, given))[-1] == 999


def test_weights_say_which_words_matter() -> None:
    terms = terms_of("volcano grapes")
    volcano = candidate(1, 5.0, "The volcano erupted. Nothing else happened.")
    grapes = candidate(2, 5.0, "Grapes grow well. Nothing else happened.")
    # Without idf every word weighs the same: equal features, BM25 order kept.
    assert ids(reorder(terms, [volcano, grapes])) == [1, 2]
    assert ids(reorder(terms, [volcano, grapes], {"volcano": 0.1, "grape": 3.0})) == [2, 1]


def test_a_title_naming_the_subject_moves_a_paragraph_up() -> None:
    terms = terms_of("When did Chopin leave Warsaw?")
    text = "He left in 1830, shortly before the uprising, and never returned."
    other = candidate(1, 5.0, text, title="Polish history")
    named = candidate(2, 4.8, text, title="Chopin")
    assert ids(reorder(terms, [other, named])) == [2, 1]


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How many troops are stationed in Puerto Rico?", "number"),
        ("how much did it cost?", "number"),
        ("When was Maduro indicted?", "date"),
        ("In what year did the war end?", "date"),
        ("Which century saw the first printing press?", "date"),
        ("Who talked Trump out of military action?", "person"),
        ("The hawk on Venezuela: who was it?", "person"),
        ("What did the State Department label a terrorist group?", None),
        ("Why might his handlers execute him?", None),
    ],
)
def test_answer_kinds(question: str, kind: str | None) -> None:
    assert answer_kind(question) == kind


def test_sentences_holding_a_kind() -> None:
    assert holds_kind("As many as 10,000 troops are there.", "number")
    assert not holds_kind("Many troops are there.", "number")
    assert holds_kind("He was indicted in March.", "date")
    assert holds_kind("The war ended in 1945.", "date")
    assert not holds_kind("The war ended long ago.", "date")
    assert holds_kind("It was Rubio who talked him out of it.", "person", "Who talked?")
    # The sentence's first word and the question's own names are not answers.
    assert not holds_kind("Trump decided against it.", "person", "Who talked Trump out?")
    assert not holds_kind("anything", None)


def test_the_kind_of_answer_moves_a_paragraph_up() -> None:
    terms = terms_of("How many troops are stationed in Puerto Rico?")
    vague = candidate(1, 8.0, "Troops are stationed in Puerto Rico for the exercise.")
    counted = candidate(2, 7.8, "About 10,000 troops are stationed in Puerto Rico now.")
    question = "How many troops are stationed in Puerto Rico?"
    assert ids(reorder(terms, [vague, counted], question=question)) == [2, 1]
    assert ids(reorder(terms, [vague, counted])) == [1, 2]  # no question, no kind


GERMAN_NEAR = "Der Vulkan brach am Montag in der Nähe des alten Hafens aus."
SPANISH_NEAR = "El volcán entró en erupción el lunes cerca del viejo puerto."


def in_language(paragraph_id: int, score: float, text: str, language: str) -> Candidate:
    return Candidate(Hit(paragraph_id, 1, score, 1), text, "News", language)


def readings(question_de: str, question_es: str) -> dict[str, Reading]:
    return {
        "de": Reading(unique_terms(analyse(question_de, "de"))),
        "es": Reading(unique_terms(analyse(question_es, "es"))),
    }


def test_each_candidate_is_weighed_with_the_reading_in_its_language() -> None:
    # The Spanish paragraph holds the Spanish reading's words together; read in German
    # (or with the German reading) it would hold none of them.
    asked = readings("Wann brach der Vulkan aus?", "¿Cuándo entró en erupción el volcán?")
    far = in_language(1, 10.0, "Der Vulkan ist alt. " * 3 + "Er brach aus.", "de")
    near = in_language(2, 9.5, SPANISH_NEAR, "es")
    assert ids(reorder_in_languages([far, near], asked)) == [2, 1]
    foreign = in_language(2, 9.5, SPANISH_NEAR, "de")  # read with the German reading
    assert ids(reorder_in_languages([far, foreign], asked)) == [1, 2]


def test_the_language_the_question_is_written_in_wins_a_near_tie_only() -> None:
    asked = readings("Wann brach der Vulkan aus?", "¿Cuándo entró en erupción el volcán?")
    german = in_language(1, 10.0, GERMAN_NEAR, "de")
    spanish = in_language(2, 9.9, SPANISH_NEAR, "es")
    assert ids(reorder_in_languages([german, spanish], asked)) == [1, 2]
    assert ids(reorder_in_languages([german, spanish], asked, written_in="es")) == [2, 1]
    # A paragraph in another language that BM25 puts well ahead stays ahead.
    far_ahead = in_language(1, 10.0 * (1 + 2 * LANGUAGE_WEIGHT), GERMAN_NEAR, "de")
    assert ids(reorder_in_languages([far_ahead, spanish], asked, written_in="es")) == [1, 2]
