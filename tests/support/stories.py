"""Pasted articles for the tests of search: two stories that share a paragraph (a wire
report quoted by both), a later report on the first story under the same headline, and a
near-identical copy of the first. Each carries a date line and its source link, as a
paste from a news site does."""

from __future__ import annotations

HARBOUR = """Harbour reopens after storm
Published 20 November 2025
The city harbour reopened on Tuesday after a storm closed it for three days, the port \
authority said in a statement released in the morning.
Fishing boats returned to the docks as cranes resumed unloading grain from two ships that \
had waited offshore since the weekend.
Officials said repairs to the damaged sea wall will cost about four million dollars and \
take most of the winter to finish.
Volunteers painted the old wall along the sea front in bright colours while the harbour was \
closed to shipping.
https://coast.example/harbour
"""
BUDGET = """Council approves winter budget
Published 25 November 2025
The council approved the winter budget on Thursday after a long debate about ferry subsidies \
and road repairs across the district.
Officials said repairs to the damaged sea wall will cost about four million dollars and \
take most of the winter to finish.
The mayor said the ferry timetable would change in January to save money for the works on \
the harbour front.
https://daily.example/budget
"""
UPDATE = """Harbour reopens after storm
Published 2 December 2025
Work on the harbour front is finished and every berth is open to shipping again, the port \
authority announced on Monday.
The last crane was repaired over the weekend, and grain deliveries are back to their usual \
pace for the first time since the storm.
https://coast.example/harbour-update
"""
RESHARE = HARBOUR.replace("three days", "three whole days").replace(
    "https://coast.example/harbour", "https://mirror.example/harbour-copy"
)
FOUR_MILLION = "sea wall will cost about four million dollars"
"""Words of the paragraph HARBOUR and BUDGET share."""
