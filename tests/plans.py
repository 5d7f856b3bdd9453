"""PostgreSQL plan tests: what the planner would do with a page's query at scale."""

INDEX_ONLY = ("enable_seqscan", "enable_bitmapscan", "enable_sort")


def prefer_indexes(cursor, *also_off: str) -> None:
    """The test tables are tiny: make every plan but an index scan look dear, so that
    the one a page gets at millions of rows shows, if an index can give it. ``SET
    LOCAL``: until the test's transaction ends."""
    for setting in (*INDEX_ONLY, *also_off):
        cursor.execute(f"SET LOCAL {setting} = off")


def page_plans(client, path: str, params: dict | None = None, *, reads) -> list[str]:
    """The plans PostgreSQL would give the queries of one page that ``reads(sql)``
    picks, with every plan but an index scan made dear (``prefer_indexes``)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with connection.cursor() as cursor:
        prefer_indexes(cursor)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path, params or {}).status_code == 200
        picked = [q["sql"] for q in queries if reads(q["sql"])]
        assert picked, [q["sql"] for q in queries]
        plans = []
        for sql in picked:
            cursor.execute(f"EXPLAIN {sql}")
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
    return plans
