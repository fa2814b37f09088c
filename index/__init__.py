"""The news engine: parse and store articles, index their paragraphs, answer questions.

Nothing in this package knows about Discord; every piece can be used from a script.
"""

from index.errors import IngestRefused
from index.models import Answer, ArticleDraft, ArticleInfo, IngestResult, Passage, Provenance
from index.service import Engine, EngineConfig

__all__ = [
    "Answer",
    "ArticleDraft",
    "ArticleInfo",
    "Engine",
    "EngineConfig",
    "IngestRefused",
    "IngestResult",
    "Passage",
    "Provenance",
]
