from __future__ import annotations

import json
import sqlite3
import sys
from contextlib import closing
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.eval import score_ranks
from index.eval_languages import (
    BM25S,
    FTS5_TRIGRAM,
    FTS5_UNICODE61,
    NOT_INSTALLED,
    PEER_RANKERS,
    THIS_INDEX,
    TRIGRAM_TOKENIZER,
    UNICODE61_TOKENIZER,
    bm25s_ranks,
    cell,
    fts5_string,
    load_corpus,
    main,
    measure_language,
    parse_languages,
    trigram_query,
    trigram_ranks,
    trigrams,
    unicode61_query,
    unicode61_ranks,
)
from tests.conftest import SHARED

XQUAD = SHARED / "data" / "xquad"
SHARED_LANGUAGES = ("de", "es", "ru", "zh", "ar")

SARDINES = "Los pescadores venden sardinas en el mercado del puerto."


def squad(articles: list[tuple[str, list[tuple[str, list[str]]]]]) -> dict:
    """A SQuAD-format document: articles of (title, [(context, [question, …]), …])."""
    return {
        "data": [
            {
                "title": title,
                "paragraphs": [
                    {
                        "context": context,
                        "qas": [
                            {"question": q, "id": f"{title}-{p}-{n}", "answers": []}
                            for n, q in enumerate(questions)
                        ],
                    }
                    for p, (context, questions) in enumerate(paragraphs)
                ],
            }
            for title, paragraphs in articles
        ]
    }


def write_squad(path: Path, articles: list[tuple[str, list[tuple[str, list[str]]]]]) -> Path:
    path.write_text(json.dumps(squad(articles), ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture
def two_languages(tmp_path: Path) -> Path:
    """A German article and a Spanish one whose two paragraphs are the same text.

    Expected ranks: the volcano and the cattle questions find their own paragraph first;
    the sardine question ties its paragraph with the identical one before it (rank 2,
    ties broken by paragraph order); the coffee question shares no word, and no three
    characters, with any paragraph (not found).
    """
    return write_squad(
        tmp_path / "two.json",
        [
            (
                "Vulkane",
                [
                    (
                        "Der Vulkan brach im Morgengrauen aus und Asche bedeckte das Tal.",
                        ["Wann brach der Vulkan aus?"],
                    ),
                    (
                        "Die Bauern trieben ihr Vieh auf die nördlichen Weiden.",
                        ["Wohin trieben die Bauern ihr Vieh?", "Was kostet Kaffee?"],
                    ),
                ],
            ),
            (
                "Puertos",
                [(SARDINES, []), (SARDINES, ["¿Dónde venden sardinas los pescadores?"])],
            ),
        ],
    )


EXPECTED_RANKS = [1, 1, None, 2]
"""In the file's order: volcano, cattle, coffee, sardines."""


def test_the_corpus_puts_each_title_in_front_and_finds_each_gold(two_languages):
    corpus = load_corpus(two_languages)
    assert len(corpus.documents) == 4
    assert corpus.documents[0].startswith("Vulkane\nDer Vulkan")
    assert corpus.documents[3] == f"Puertos\n{SARDINES}"
    assert corpus.gold == (0, 1, 1, 3)


@pytest.mark.parametrize("name", [FTS5_UNICODE61, FTS5_TRIGRAM, BM25S])
def test_each_peer_ranks_what_the_data_implies(two_languages, name):
    if name == BM25S:
        pytest.importorskip("bm25s")
    ranks = PEER_RANKERS[name](load_corpus(two_languages))
    assert ranks == EXPECTED_RANKS
    scores = score_ranks(ranks)
    assert scores.recall_at_1 == 0.5
    assert scores.recall_at_3 == 0.75
    assert scores.mrr_at_10 == pytest.approx((1 + 1 + 1 / 2) / 4)


def test_unicode61_matches_a_question_typed_without_accents(tmp_path):
    path = write_squad(
        tmp_path / "accents.json",
        [
            ("Uno", [("El río inundó el pueblo.", ["rio inundo"])]),
            ("Dos", [("Las montañas son altas.", ["montanas altas"])]),
        ],
    )
    assert unicode61_ranks(load_corpus(path)) == [1, 1]


def test_trigrams_find_chinese_written_without_spaces(tmp_path):
    # The unicode61 tokenizer reads each run of Han characters as one word, which the
    # question never repeats whole; the question's three-character pieces are in the text.
    path = write_squad(
        tmp_path / "zh.json",
        [
            ("水", [("长江是中国最长的河流，流经许多城市。", ["中国最长的河流是哪一条？"])]),
            ("山", [("珠穆朗玛峰是世界上最高的山峰。", ["世界上最高的山峰是什么？"])]),
        ],
    )
    corpus = load_corpus(path)
    assert trigram_ranks(corpus) == [1, 1]
    assert unicode61_ranks(corpus) == [None, None]


def test_bm25s_ranks_ties_by_paragraph_order(tmp_path):
    pytest.importorskip("bm25s")
    same = "Identical words in every paragraph here."
    path = write_squad(
        tmp_path / "ties.json",
        [("T", [(same, []), (same, []), (same, ["identical words?"])])],
    )
    assert bm25s_ranks(load_corpus(path)) == [3]


def test_a_missing_bm25s_is_reported_not_raised(two_languages, monkeypatch):
    monkeypatch.setitem(sys.modules, "bm25s", None)  # import bm25s raises ImportError
    row = measure_language("de", two_languages, with_engine=False, progress=lambda _: None)
    assert row.scores[BM25S] is None
    assert cell(row, BM25S) == NOT_INSTALLED
    assert row.scores[FTS5_UNICODE61] == score_ranks(EXPECTED_RANKS)


# -- FTS5 queries -------------------------------------------------------------------------


def test_queries_quote_each_distinct_run():
    assert unicode61_query('Who said "NEAR(a b)" -- AND/OR? who') == (
        '"Who" OR "said" OR "NEAR" OR "a" OR "b" OR "AND" OR "OR"'
    )
    assert unicode61_query("?!* -- ()") is None
    assert trigrams("Der Vulkan, ja") == ["Der", "Vul", "ulk", "lka", "kan"]
    assert trigram_query("ab cd") is None
    assert fts5_string('say "hi"') == '"say ""hi"""'


def _fts5(tokenizer: str) -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    db.execute(f"CREATE VIRTUAL TABLE p USING fts5(body, tokenize={fts5_string(tokenizer)})")
    db.executemany(
        "INSERT INTO p (body) VALUES (?)",
        [('He said "NEAR" AND left (quickly)*.',), ("Der Vulkan brach aus.",), ("长江是河流",)],
    )
    return db


SYNTAX = st.sampled_from(
    ['"', "'", "*", "^", ":", "(", ")", "-", "+", "{", "}", "AND", "OR", "NOT", "NEAR", " ", ","]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(SYNTAX, st.text(max_size=6)), max_size=20).map("".join))
def test_queries_never_raise_whatever_the_question_holds(question):
    for tokenizer, build in (
        (UNICODE61_TOKENIZER, unicode61_query),
        (TRIGRAM_TOKENIZER, trigram_query),
    ):
        query = build(question)
        if query is None:
            continue
        with closing(_fts5(tokenizer)) as db:
            db.execute(
                "SELECT rowid FROM p WHERE p MATCH ? ORDER BY rank, rowid LIMIT 10", (query,)
            ).fetchall()
    assert all(len(piece) == 3 for piece in trigrams(question))


def test_language_codes_are_read_and_checked():
    assert parse_languages("de, ES,de,zh-Hans") == ["de", "es", "zh"]
    with pytest.raises(ValueError, match="not a language code"):
        parse_languages("de,12")


def test_the_command_writes_the_table_with_every_system(tmp_path, two_languages, capsys):
    xquad = tmp_path / "xquad"
    xquad.mkdir()
    (xquad / "xquad.de.json").write_bytes(two_languages.read_bytes())
    out = tmp_path / "results" / "languages"
    assert main(["--xquad", str(xquad), "--languages", "de", "--out", str(out)]) == 0
    markdown = (tmp_path / "results" / "languages.md").read_text(encoding="utf-8")
    data = json.loads((tmp_path / "results" / "languages.json").read_text(encoding="utf-8"))
    assert data["started_utc"] and data["machine"]["cores"]
    (row,) = data["rows"]
    assert (row["language"], row["paragraphs"], row["questions"]) == ("de", 4, 4)
    assert row["scores"][FTS5_UNICODE61]["recall_at_1"] == 0.5
    assert row["scores"][THIS_INDEX]["questions"] == 4
    header = next(line for line in markdown.splitlines() if line.startswith("| language"))
    assert all(name in header for name in (THIS_INDEX, FTS5_UNICODE61, FTS5_TRIGRAM, BM25S))
    assert "| de | 4 | 4 | " in markdown
    assert "| de | 4 | 4 | " in capsys.readouterr().out


def test_one_guild_of_every_language_asks_each_files_questions_over_all(tmp_path, capsys):
    xquad = tmp_path / "xquad"
    xquad.mkdir()
    write_squad(
        xquad / "xquad.de.json",
        [
            (
                "Hafen",
                [
                    (
                        "Die Fischer verkaufen ihre Sardinen jeden Morgen auf dem Markt am "
                        "Hafen von Lissabon.",
                        ["Wo verkaufen die Fischer ihre Sardinen?"],
                    ),
                    (
                        "Die Bauern trieben ihr Vieh im Sommer auf die nördlichen Weiden.",
                        ["Wohin trieben die Bauern ihr Vieh?"],
                    ),
                ],
            )
        ],
    )
    write_squad(
        xquad / "xquad.es.json",
        [
            (
                "Puerto",
                [
                    (
                        "Los pescadores venden sus sardinas cada mañana en el mercado del "
                        "puerto de Lisboa.",
                        ["¿Dónde venden los pescadores sus sardinas?"],
                    ),
                    (
                        "Los campesinos llevaron su ganado en verano a los pastos del norte.",
                        ["¿Adónde llevaron los campesinos su ganado?"],
                    ),
                ],
            )
        ],
    )
    out = tmp_path / "languages"
    assert main(["--xquad", str(xquad), "--languages", "de,es", "--out", str(out)]) == 0
    data = json.loads((tmp_path / "languages.json").read_text(encoding="utf-8"))
    assert set(data["mixed"]) == {"de", "es"}
    for code in ("de", "es"):
        # Lisbon is in both languages' first paragraph: each question's own comes first.
        assert data["mixed"][code]["scores"]["questions"] == 2
        assert data["mixed"][code]["scores"]["recall_at_1"] == 1.0
        assert data["mixed"][code]["ms_per_question"] > 0
    markdown = (tmp_path / "languages.md").read_text(encoding="utf-8")
    assert "## One guild of every language" in markdown
    assert "| de | 1.000 / 1.000 / 1.000 | 1.000 / 1.000 / 1.000 |" in markdown
    assert "one guild of every language" in capsys.readouterr().out

    arguments = ["--xquad", str(xquad), "--languages", "de,es", "--out", str(out)]
    assert main([*arguments, "--no-mixed"]) == 0
    assert json.loads((tmp_path / "languages.json").read_text(encoding="utf-8"))["mixed"] == {}


def test_a_missing_language_file_is_a_clear_error(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["--xquad", str(tmp_path), "--languages", "de"])
    assert "holds no xquad.de.json" in capsys.readouterr().err


# -- the shared XQuAD files ---------------------------------------------------------------

needs_xquad = pytest.mark.skipif(
    not all((XQUAD / f"xquad.{code}.json").is_file() for code in SHARED_LANGUAGES),
    reason="the XQuAD files are not beside the project",
)


@needs_xquad
def test_the_peers_on_every_shared_language():
    # About two seconds: FTS5 with unicode61 in every language, with trigrams in Chinese.
    for code in SHARED_LANGUAGES:
        corpus = load_corpus(XQUAD / f"xquad.{code}.json")
        assert (len(corpus.documents), len(corpus.questions)) == (240, 1190)
        assert all(0 <= gold < 240 for gold in corpus.gold)
        words = score_ranks(unicode61_ranks(corpus))
        if code != "zh":
            assert words.recall_at_1 > 0.6
            continue
        # No spaces: whole runs of characters almost never match; their pieces do.
        pieces = score_ranks(trigram_ranks(corpus))
        assert words.recall_at_1 < 0.3 < 0.6 < pieces.recall_at_1


@needs_xquad
def test_the_engine_reads_chinese_where_words_cannot():
    # The engine asked 1,190 questions twice (whole corpus, own article): seconds.
    path = XQUAD / "xquad.zh.json"
    row = measure_language("zh", path, progress=lambda _: None)
    ours, words = row.scores[THIS_INDEX], row.scores[FTS5_UNICODE61]
    assert ours is not None and words is not None
    assert ours.questions == 1190
    assert ours.recall_at_1 > words.recall_at_1 + 0.5
