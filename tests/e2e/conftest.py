"""Fixtures shared by the end-to-end tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from index import Engine
from index.ingest.extract import Extractor
from index.ingest.fetch import Fetcher, FetchLimits
from index.ingest.netpolicy import AddressPolicy
from tests.support.engines import open_engine


@pytest.fixture
async def engine(store_url, tmp_path) -> AsyncIterator[Engine]:
    """The bot's engine over a fresh database of each kind (``store_url``), fetching
    from 127.0.0.1 only."""
    fetcher = Fetcher(
        AddressPolicy.allowing(["127.0.0.1/32"], any_port=True), FetchLimits(total_seconds=3)
    )
    async with Extractor() as extractor:
        engine = await open_engine(
            store_url, fetcher=fetcher, extractor=extractor, index_dir=tmp_path / "index"
        )
        yield engine
        await engine.close()
        await fetcher.close()
