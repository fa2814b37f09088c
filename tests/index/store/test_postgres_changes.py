"""Hearing of changes on PostgreSQL: the listening connection comes back after the
server restarts and says so (changes announced meanwhile were lost), and a server that
refuses to listen is asked again at a growing interval, not in a tight loop."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from index.store import open_store
from index.store.postgres_changes import ChangeListener
from tests.index.store.test_contract import GUILD, draft, shared_by

pytestmark = pytest.mark.postgresql


async def test_the_listener_comes_back_after_a_server_restart(postgres_server):
    if not postgres_server.throwaway:
        pytest.skip("restarts the test server, which only a throwaway one may be")
    url = postgres_server.create_database()
    store = await open_store(url)
    try:
        await store.wait_for_changes(timeout=30)  # connected: listening from here
        waiting = asyncio.create_task(store.wait_for_changes(timeout=600))
        await asyncio.to_thread(postgres_server.restart)
        # Ended by the listener connecting again, far before its own timeout.
        await asyncio.wait_for(waiting, 60)
        waiting = asyncio.create_task(store.wait_for_changes(timeout=600))
        await asyncio.sleep(0.2)
        writer = await open_store(url)
        try:
            await writer.add_article(GUILD, draft("After", "the restart"), shared_by())
        finally:
            await writer.close()
        await asyncio.wait_for(waiting, 60)  # heard on the new connection
    finally:
        await store.close()
        postgres_server.drop_database(url)


async def test_a_refused_listen_is_asked_again_at_a_growing_interval(postgres_server, monkeypatch):
    url = postgres_server.create_database()
    connects = 0
    real_connect = asyncpg.connect

    async def counting_connect(*args, **kwargs):
        nonlocal connects
        connects += 1
        return await real_connect(*args, **kwargs)

    async def refuse(self, channel, callback):
        raise asyncpg.exceptions.FeatureNotSupportedError("cannot execute LISTEN here")

    monkeypatch.setattr(asyncpg, "connect", counting_connect)
    monkeypatch.setattr(asyncpg.Connection, "add_listener", refuse)
    listener = ChangeListener(url)
    try:
        await listener.wait(timeout=2.0)
    finally:
        await listener.close()
        postgres_server.drop_database(url)
    assert listener.connections == 0
    # Waits of 0.25, 0.5 and 1 s between attempts: a handful in 2 s, not hundreds.
    assert 1 <= connects <= 6


async def test_a_closed_listener_does_not_listen_again(postgres_server):
    url = postgres_server.create_database()
    listener = ChangeListener(url)
    try:
        await listener.wait(timeout=5)
        await listener.close()
        await listener.wait(timeout=0.5)  # would connect again if it listened
        await asyncio.sleep(0.5)
        assert listener.connections == 1
    finally:
        await listener.close()
        postgres_server.drop_database(url)
