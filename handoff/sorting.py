"""Which columns a long list may sort by.

A sort by a column no index keeps in order reads and sorts every matching row: at
10M messages, 9 s by status over SMS Status's 30 days, 5–8 s by status or channel
over Message Lookup, 1.7 s by operator over SMS Replies' 500,000. The pages offer
such sorts only while the list is short (``accounts.columns.SortSwitch``).
"""

from __future__ import annotations

from accounts.columns import narrowed_to_few

SORT_LIMIT = 50_000


def few_for_a_number(filterset, name: str) -> bool:
    """Whether the number filter ``name`` is set and leaves at most ``SORT_LIMIT`` rows
    (the subscriber index finds a number's messages)."""
    return narrowed_to_few(filterset, name, limit=SORT_LIMIT)
