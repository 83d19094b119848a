"""asyncpg through the wicket gateway.

`asyncpg_client.py builtin`: types asyncpg decodes itself (int, text, jsonb) and its
prepared-statement cache, with table permissions alone; a column of int4[] needs its type
introspection, which reads the catalog and is refused for want of `db:metadata`.
`asyncpg_client.py metadata`: int4[] and an enum (introspected: `set_config('jit', ...)`
and a catalog query), jsonb, the statement cache past its size, `copy_records_to_table`.

The connection parameters are WICKET_HOST, WICKET_PORT, WICKET_DB, WICKET_USER and
WICKET_PASSWORD.
"""

import asyncio
import io
import json
import sys

import asyncpg
from connection import asyncpg_connect, asyncpg_params


async def builtin():
    conn = await asyncpg_connect()
    try:
        assert await conn.fetchval("select name from customers where id = $1", 1) == "ada"
        doc = await conn.fetchval("select doc from gadgets where id = $1", 1)
        assert json.loads(doc) == {"k": [1, 2]}, doc
        for _ in range(3):
            assert await conn.fetchval("select count(*) from customers where id > $1", 0) == 2
        try:
            await conn.fetch("select tags from gadgets")
        except asyncpg.exceptions.InsufficientPrivilegeError as e:
            assert "db:metadata" in str(e), e
        else:
            raise AssertionError("int4[] was introspected without db:metadata")
        assert await conn.fetchval("select 1") == 1
    finally:
        await conn.close()


async def metadata():
    # A statement cache of two: the third query evicts the first.
    conn = await asyncpg_connect(statement_cache_size=2)
    try:
        row = await conn.fetchrow("select tags, mood, doc from gadgets where id = $1", 1)
        assert row["tags"] == [1, 2, 3], row
        assert row["mood"] == "happy", row
        assert json.loads(row["doc"]) == {"k": [1, 2]}, row
        await conn.execute(
            "insert into gadgets (id, tags, mood, doc, label) values ($1, $2, $3, $4, $5)",
            3, [7, 8], "sad", json.dumps({"n": 3}), "third",
        )
        for _ in range(3):
            for q in ("select count(*) from customers where id > $1",
                      "select count(*) from payments where id > $1",
                      "select count(*) from gadgets where id > $1"):
                assert await conn.fetchval(q, 0) >= 2
        stmt = await conn.prepare("select tags from gadgets where id = $1")
        assert await stmt.fetchval(3) == [7, 8]
        copied = await conn.copy_records_to_table(
            "t", records=[(500,), (501,)], columns=["x"])
        assert copied == "COPY 2", copied
        assert await conn.fetchval("select count(*) from t where x >= 500") == 2
        await conn.executemany("insert into t (x) values ($1)", [(510,), (511,)])
        # A server-side cursor, read in pieces inside a read-only serializable transaction.
        async with conn.transaction(isolation="serializable", readonly=True):
            seen = [r["x"] async for r in conn.cursor(
                "select x from t where x >= $1 order by x", 500, prefetch=2)]
        assert seen == [500, 501, 510, 511], seen
        # A cursor moved by hand: Execute with a row limit, the portal suspended between.
        async with conn.transaction():
            cur = await conn.cursor("select x from t where x >= $1 order by x", 500)
            assert [r["x"] for r in await cur.fetch(2)] == [500, 501]
            await cur.forward(1)
            assert (await cur.fetchrow())["x"] == 511
        out = io.BytesIO()
        await conn.copy_from_query("select x from t where x >= $1 order by x", 510, output=out)
        assert out.getvalue() == b"510\n511\n", out.getvalue()
        # A jsonb codec of its own (asyncpg looks the type up by name).
        await conn.set_type_codec(
            "jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
        assert await conn.fetchval("select doc from gadgets where id = 1") == {"k": [1, 2]}
        # Notifications from this very session.
        got = asyncio.get_running_loop().create_future()
        await conn.add_listener("wicket_test", lambda c, pid, ch, payload: got.set_result(pid))
        await conn.execute("NOTIFY wicket_test, 'hi'")
        assert await asyncio.wait_for(got, 30) == conn.get_server_pid()
    finally:
        await conn.close()
    # A pool resets each connection it takes back (`RESET ALL`, `UNLISTEN *`, ...).
    pool = await asyncpg.create_pool(**asyncpg_params(), min_size=1, max_size=2)
    try:
        for _ in range(3):
            async with pool.acquire() as c:
                assert await c.fetchval("select count(*) from customers") == 2
    finally:
        await pool.close()


def main():
    asyncio.run({"builtin": builtin, "metadata": metadata}[sys.argv[1]]())
    print(f"asyncpg {sys.argv[1]} ok ({asyncpg.__version__})")


if __name__ == "__main__":
    main()
