"""PostgreSQL plan tests: what the planner would do with a page's query at scale."""

INDEX_ONLY = ("enable_seqscan", "enable_bitmapscan", "enable_sort")


def prefer_indexes(cursor, *also_off: str) -> None:
    """The test tables are tiny: make every plan but an index scan look dear, so that
    the one a page gets at millions of rows shows, if an index can give it. ``SET
    LOCAL``: until the test's transaction ends."""
    for setting in (*INDEX_ONLY, *also_off):
        cursor.execute(f"SET LOCAL {setting} = off")
