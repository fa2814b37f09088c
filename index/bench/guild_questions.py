"""One budget of the many-guild simulation (``guilds``), in a process of its own so that
the resident memory it reports is this budget's alone.

    python -m index.bench.guild_questions PLAN_FILE BUDGET

``PLAN_FILE`` is the JSON of a ``guilds.GuildPlan``; ``BUDGET`` is bytes or
``unlimited``. The engine is opened over the plan's store and snapshots with that
budget, answers the warm-up questions untimed, then each measured question one after
the other (end to end: ``Engine.ask``). The process prints one line of JSON, the fields
of ``guilds.BudgetResult``: each question's milliseconds and whether it loaded an index,
the loads and evictions during the measured questions (``Engine.index_memory``), the
index bytes held, and the resident memory (after imports, after each question, peak).
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

from index.bench.holder import status_mib
from index.config import EngineConfig
from index.engine import Engine
from index.search.guild_indexes import IndexMemory
from index.store import open_store

_PAGE_MIB = os.sysconf("SC_PAGE_SIZE") / 1024**2


def resident_mib() -> float:
    """The process's resident size now (``/proc/self/statm``: cheaper than ``status``)."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * _PAGE_MIB


def loads(memory: IndexMemory) -> int:
    return memory.loads_from_snapshot + memory.loads_from_store


async def run(plan: dict, budget: int | None) -> dict[str, object]:
    rss_imports = status_mib("VmRSS")
    store = await open_store(plan["store"], create=False)
    config = EngineConfig(index_memory_bytes=budget)
    index_dir = Path(plan["index_dir"])
    opened = Engine.open(store, config, index_dir=index_dir, follow_changes=False)
    async with await opened as engine:
        for guild, question in plan["warm_up"]:
            await engine.ask(guild, question)
        first = engine.index_memory()
        ms: list[float] = []
        cold: list[bool] = []
        held: list[int] = []
        rss: list[float] = []
        answered = 0
        started = time.perf_counter()
        for guild, question in plan["questions"]:
            before = loads(engine.index_memory())
            asked = time.perf_counter()
            answer = await engine.ask(guild, question)
            ms.append((time.perf_counter() - asked) * 1000)
            memory = engine.index_memory()
            cold.append(loads(memory) > before)
            held.append(memory.held_bytes)
            rss.append(resident_mib())
            answered += answer.found
        seconds = time.perf_counter() - started
        last = engine.index_memory()
        peak = status_mib("VmHWM")
    return {
        "budget": budget,
        "questions": len(ms),
        "answered": answered,
        "seconds": seconds,
        "ms": ms,
        "cold": cold,
        "loads_from_snapshot": last.loads_from_snapshot - first.loads_from_snapshot,
        "loads_from_store": last.loads_from_store - first.loads_from_store,
        "evictions": last.evictions - first.evictions,
        "held_mean": statistics.fmean(held) if held else 0.0,
        "held_max": max(held, default=0),
        "held_end": last.held_bytes,
        "guilds_held_end": last.guilds_held,
        "rss_imports_mib": rss_imports,
        "rss_peak_mib": peak,
        "rss_max_mib": max(rss, default=0.0),
        "rss_end_mib": rss[-1] if rss else 0.0,
    }


def main(argv: list[str]) -> int:
    plan_file, budget = argv
    plan = json.loads(Path(plan_file).read_text(encoding="utf-8"))
    result = asyncio.run(run(plan, None if budget == "unlimited" else int(budget)))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
