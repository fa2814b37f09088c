"""Everything a run measured, as plain data: the report is written from it, and it is
saved as JSON beside the report so other documents can be filled from the numbers."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from index.bench.index_costs import MemoryResult, RestartResult
from index.bench.latency import Spread
from index.bench.stores import StoreResult


@dataclass
class LibraryResult:
    name: str
    build_s: float
    calls: str
    note: str
    questions: int
    """Questions answered per mode and round (fewer than asked for a slow library)."""
    slow: bool
    """Held to fewer questions because its first answers were slow."""
    rotation: Spread
    alone: Spread


@dataclass
class IndexCosts:
    """This index's costs besides answering."""

    add_ms: float
    remove_ms: float
    memory: MemoryResult | None = None
    restart: RestartResult | None = None
    loop_lag_ms: float | None = None


@dataclass
class SizeResult:
    size: int
    analysed_s: float
    libraries: list[LibraryResult]
    skipped: list[str]
    """A line for each library that did not run at this size, and why."""
    costs: IndexCosts
    peer_memory: list[MemoryResult] = field(default_factory=list)
    exact: tuple[int, int] | None = None
    """Questions whose top 10 equalled BM25Okapi's, of how many (small corpora only)."""
    notes: list[str] = field(default_factory=list)
    """What was not measured at this size, and why."""

    def library(self, name: str) -> LibraryResult | None:
        return next((row for row in self.libraries if row.name == name), None)


@dataclass
class RunResult:
    started_utc: str
    machine: dict[str, str]
    questions: int
    """Questions per library per mode (and per round alone), before any slow library's cap."""
    slow_questions: int
    sizes: list[SizeResult] = field(default_factory=list)
    stores: list[StoreResult] = field(default_factory=list)
    settings: dict[str, object] = field(default_factory=dict)
    """The options the run was given."""

    def as_json(self) -> dict:
        return asdict(self)
