"""The engine's settings, the same for every guild (each guild's own are ``GuildConfig``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from index.ingest.article_shape import MAX_PARAGRAPHS
from index.ingest.gate import GateLimits
from index.ingest.paste import MIN_WORDS
from index.search.bm25 import BM25Params


@dataclass(frozen=True, slots=True)
class EngineConfig:
    bm25: BM25Params = field(default_factory=BM25Params)
    results: int = 3
    """Passages per answer unless the caller asks for another number."""
    max_results: int = 10
    min_score: float | None = None
    """Passages scoring below this are left out; None keeps every candidate."""
    max_text_bytes: int = 2_000_000
    """The largest file that is read (an attachment larger than this is not downloaded)."""
    max_paragraphs: int = MAX_PARAGRAPHS
    """Drafts with more paragraphs are refused (see ``article_shape``)."""
    snippet_chars: int = 600
    min_words: int = MIN_WORDS
    title_in_paragraphs: bool = True
    """Index each paragraph with its article's title in front, a cheap title field:
    a question naming the story finds its paragraphs. Measured on SQuAD (see README)."""
    ingest_limits: GateLimits = field(default_factory=GateLimits)
    index_memory_bytes: int | None = None
    """The most the loaded guild indexes may hold, in bytes; past it the least recently
    used idle ones are saved and dropped (see ``search.guild_indexes``). None: no limit."""
