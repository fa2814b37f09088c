"""Row checksums: every row the store writes carries a CRC-32 of its values.

SQLite notices damage to its own structures (pages, b-trees, indexes), but not to the
values inside a row: a flipped byte in a paragraph's text or a counter still reads as a
valid value, and would be quoted as if it were what was stored. The checksum is computed
over the row's values in a fixed column order, each tagged with its type, so a changed
value, a changed type or a value moved to another column all fail the check.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence

_INTEGER = struct.Struct("<cq")
_REAL = struct.Struct("<cd")
_LENGTH = struct.Struct("<cI")


def row_checksum(values: Sequence[object]) -> int:
    """CRC-32 of ``values`` as SQLite hands them back (None, int, float, str or bytes)."""
    pieces: list[bytes] = []
    for value in values:
        if value is None:
            pieces.append(b"n")
        elif isinstance(value, int):
            pieces.append(_INTEGER.pack(b"i", value))
        elif isinstance(value, float):
            pieces.append(_REAL.pack(b"f", value))
        elif isinstance(value, str):
            data = value.encode("utf-8", "surrogatepass")
            pieces.append(_LENGTH.pack(b"s", len(data)))
            pieces.append(data)
        elif isinstance(value, bytes):
            pieces.append(_LENGTH.pack(b"b", len(value)))
            pieces.append(value)
        else:
            raise TypeError(f"a stored value cannot be a {type(value).__name__}")
    return zlib.crc32(b"".join(pieces))


def sql_row_checksum(*values: object) -> int:
    """``row_checksum`` as an SQL function, for statements that fill in checksums."""
    return row_checksum(values)
