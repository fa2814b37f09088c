from __future__ import annotations

from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
SHARED = PROJECT.parent / "shared"
SEED = PROJECT / "seeds" / "000_8213f59f8dbc5da2.txt"
SEED_QUESTIONS = SHARED / "eval" / "seed-questions.tsv"
SQUAD = SHARED / "data" / "squad-train-subset" / "squad-train-subset-v1.1.json"
SEED_URL = "https://www.axios.com/2025/11/24/trump-maduro-talks-meeting-venezuela-boat-strikes"


@pytest.fixture
def seed_bytes() -> bytes:
    return SEED.read_bytes()


@pytest.fixture
def seed_questions() -> list[tuple[str, str]]:
    rows = SEED_QUESTIONS.read_text(encoding="utf-8").splitlines()[1:]
    return [tuple(row.split("\t")) for row in rows if row.strip()]  # type: ignore[misc]
