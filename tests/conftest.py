"""Paths and fixtures shared by the tests.

The project ships the seed article and its questions (``seeds/``); the large data sets
(SQuAD, the article-extraction benchmark) live in a shared folder beside the project,
``../shared`` unless ``NEWSBOT_SHARED_DIR`` names another one. Tests that need them skip,
with a reason, when they are not there.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("NEWSBOT_SHARED_DIR") or PROJECT.parent / "shared")
SEED = PROJECT / "seeds" / "000_8213f59f8dbc5da2.txt"
SEED_QUESTIONS = PROJECT / "seeds" / "seed-questions.tsv"
SHARED_SEED_QUESTIONS = SHARED / "eval" / "seed-questions.tsv"
SQUAD = SHARED / "data" / "squad-train-subset" / "squad-train-subset-v1.1.json"
SEED_URL = "https://www.axios.com/2025/11/24/trump-maduro-talks-meeting-venezuela-boat-strikes"


def read_seed_questions(path: Path) -> list[tuple[str, str]]:
    """(question, expected) rows of a seed-questions file, header left out."""
    rows = path.read_text(encoding="utf-8").splitlines()[1:]
    return [tuple(row.split("\t")) for row in rows if row.strip()]  # type: ignore[misc]


@pytest.fixture
def seed_bytes() -> bytes:
    return SEED.read_bytes()


@pytest.fixture
def seed_questions() -> list[tuple[str, str]]:
    return read_seed_questions(SEED_QUESTIONS)
