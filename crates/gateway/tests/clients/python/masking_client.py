"""Masked columns through the wicket gateway, read by a text-format driver (psycopg 3) and a
binary-format one (asyncpg), with the extended protocol: bound parameters, prepared
statements, and portals read a row at a time.

`masking_client.py psycopg` or `masking_client.py asyncpg` prints one JSON object: each
query's rows, every value as text (or null). The connection parameters are WICKET_HOST,
WICKET_PORT, WICKET_DB, WICKET_USER and WICKET_PASSWORD.
"""

import asyncio
import json
import sys

from connection import asyncpg_connect, libpq_dsn

QUERIES = {
    "row": ("select id, email, card, ssn, age from people where id = $1", [1]),
    "alias": ("select p.email as contact, p.card as c from people p where p.id = $1", [2]),
    "join": (
        "select o.id, o.person_email, p.email from orders o join people p on p.email = o.person_email "
        "where o.id > $1 order by o.id",
        [0],
    ),
    "view": ("select * from people_emails where id = $1", [1]),
    "computed": ("select upper(email) as u, id from people where id = $1", [1]),
    "plain": ("select name from customers where id = $1", [1]),
}


def text(v):
    return None if v is None else str(v)


async def with_asyncpg():
    conn = await asyncpg_connect()
    out = {}
    try:
        for name, (sql, args) in QUERIES.items():
            # Twice: the second run reuses the prepared statement and its description.
            for _ in range(2):
                rows = await conn.fetch(sql, *args)
            out[name] = [[text(v) for v in r.values()] for r in rows]
        # A portal read two rows at a time (`Execute` with a row limit, `PortalSuspended`).
        async with conn.transaction():
            cur = conn.cursor("select id, email from only people order by id", prefetch=1)
            out["portal"] = [[text(v) for v in r.values()] async for r in cur]
    finally:
        await conn.close()
    return out


def with_psycopg():
    import psycopg

    out = {}
    with psycopg.connect(libpq_dsn(), autocommit=True) as conn:
        for name, (sql, args) in QUERIES.items():
            sql = sql.replace("$1", "%s")
            rows = conn.execute(sql, args, prepare=(name == "row")).fetchall()
            rows = conn.execute(sql, args, prepare=(name == "row")).fetchall()
            out[name] = [[text(v) for v in r] for r in rows]
        # A named cursor: `DECLARE` and `FETCH` in SQL.
        with conn.transaction():
            with conn.cursor(name="c1") as cur:
                cur.itersize = 1
                cur.execute("select id, email from only people order by id")
                out["portal"] = [[text(v) for v in r] for r in cur]
    return out


def main():
    if sys.argv[1] == "asyncpg":
        out = asyncio.run(with_asyncpg())
    else:
        out = with_psycopg()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
