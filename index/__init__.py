"""The news engine: parse and store articles, index their paragraphs, answer questions.

Nothing in this package knows about Discord; every piece can be used from a script.
``open_store`` opens the store a URL names; ``Engine.open`` is given that store and the
folder for its index snapshots. Every error a caller may handle is exported here.
"""

from index.engine import Engine, EngineConfig
from index.errors import (
    ArticleNotFound,
    DuplicateArticle,
    IngestBusy,
    IngestRefused,
    StoreBusy,
    StoreDamaged,
    StoreError,
    StoreFull,
    StoreMissing,
    StoreReadOnly,
    StoreUnavailable,
)
from index.models import Answer, ArticleDraft, ArticleInfo, IngestResult, Passage, Provenance
from index.store import Store, open_store

__all__ = [
    "Answer",
    "ArticleDraft",
    "ArticleInfo",
    "ArticleNotFound",
    "DuplicateArticle",
    "Engine",
    "EngineConfig",
    "IngestBusy",
    "IngestRefused",
    "IngestResult",
    "Passage",
    "Provenance",
    "Store",
    "StoreBusy",
    "StoreDamaged",
    "StoreError",
    "StoreFull",
    "StoreMissing",
    "StoreReadOnly",
    "StoreUnavailable",
    "open_store",
]
