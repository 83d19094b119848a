"""psycopg 3 through the wicket gateway.

`psycopg_client.py basic`: simple and extended queries, pipeline mode, server-side cursors,
COPY both ways, binary results, a prepared-statement cache that overflows (every query
prepared, at most two kept: psycopg closes the others, with SQL `DEALLOCATE` on libpq < 17),
`TypeInfo` (a session basic), and `EnumInfo` refused for want of `db:metadata`.
`psycopg_client.py metadata`: `EnumInfo` and a registered enum, with `db:metadata`.

The connection string is WICKET_DSN; PSYCOPG_IMPL picks the implementation.
"""

import os
import sys
import threading

import psycopg
from psycopg.types import TypeInfo
from psycopg.types.enum import EnumInfo, register_enum


def basic(conn):
    cur = conn.cursor()
    # Simple query protocol: several statements in one string.
    cur.execute("select 1; select name from customers where id = 1", prepare=False)
    # Extended, with parameters.
    cur.execute("select name from customers where id = %s", (2,))
    assert cur.fetchone() == ("grace",)
    assert cur.execute("select version()").fetchone()[0].startswith("PostgreSQL")
    assert cur.execute("select current_user, current_database()").fetchone()

    # Prepared-statement cache overflow: each query is prepared at once, two are kept.
    conn.prepare_threshold = 0
    conn.prepared_max = 2
    for _ in range(3):
        for table in ("customers", "payments", "t"):
            cur.execute(f"select count(*) from {table} where id > %s"
                        if table != "t" else "select count(*) from t where x > %s", (0,))
            assert cur.fetchone()[0] >= 1
    conn.prepare_threshold = 5

    # Pipeline mode.
    with conn.pipeline():
        cur.execute("insert into t (x) values (%s)", (11,))
        cur.execute("insert into t (x) values (%s)", (12,))
        cur.execute("select count(*) from t where x in (11, 12)")
    assert cur.fetchone() == (2,)
    conn.commit()

    # A denied statement in the middle of a pipeline: it fails in its place, the ones after
    # it are skipped as PostgreSQL skips them, and the connection goes on.
    try:
        with conn.pipeline() as p:
            cur.execute("insert into t (x) values (%s)", (13,))
            cur.execute("select rolpassword from pg_authid")
            cur.execute("insert into t (x) values (%s)", (14,))
            p.sync()
    except psycopg.errors.InsufficientPrivilege as e:
        assert "pg_authid" in str(e), e
    else:
        raise AssertionError("pg_authid was readable in a pipeline")
    conn.rollback()
    assert cur.execute("select count(*) from t where x in (13, 14)").fetchone() == (0,)
    conn.commit()

    # Binary results.
    cur.execute("select id, label, tags from gadgets order by id", binary=True)
    rows = cur.fetchall()
    assert rows[0][2] == [1, 2, 3], rows

    # Server-side cursors (DECLARE, then the protocol, then FETCH).
    with conn.cursor(name="wide") as named:
        named.itersize = 2
        named.execute("select x from t order by x")
        assert [r[0] for r in named] == [1, 11, 12]
    with conn.cursor(name="held", withhold=True) as held:
        held.execute("select id from customers order by id")
        assert held.fetchmany(1) == [(1,)]
        conn.commit()
        assert held.fetchall() == [(2,)]
    conn.commit()

    # COPY in and out.
    with cur.copy("COPY t (x) FROM STDIN") as copy:
        for x in (300, 301, 302):
            copy.write_row((x,))
    with cur.copy("COPY (select x from t where x >= 300 order by x) TO STDOUT") as copy:
        assert [int(r[0]) for r in copy.rows()] == [300, 301, 302]
    with cur.copy("COPY t (x) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(["int4"])
        copy.write_row((400,))
    conn.commit()

    # executemany (psycopg pipelines it), with RETURNING.
    cur.executemany("insert into t (x) values (%s) returning x", [(20,), (21,)], returning=True)
    got = []
    while True:
        got.append(cur.fetchone()[0])
        if not cur.nextset():
            break
    assert got == [20, 21], got
    # Binary parameters, an explicitly prepared statement, rows streamed one at a time.
    assert cur.execute("select %b::int4[]", ([1, 2],)).fetchone() == ([1, 2],)
    assert cur.execute("select %s::text", ["p"], prepare=True).fetchone() == ("p",)
    assert [r[0] for r in cur.stream("select x from t where x in (20, 21) order by x")] == [20, 21]
    # A scrollable server-side cursor.
    with conn.cursor(name="scroller", scrollable=True) as sc:
        sc.execute("select id from customers order by id")
        assert sc.fetchall() == [(1,), (2,)]
        sc.scroll(0, mode="absolute")
        assert sc.fetchone() == (1,)
    conn.commit()
    # Savepoints: an inner block fails (here, a denial) and only it is rolled back.
    with conn.transaction():
        cur.execute("insert into t (x) values (22)")
        try:
            with conn.transaction():
                cur.execute("select * from pg_authid")
        except psycopg.errors.InsufficientPrivilege:
            pass
        else:
            raise AssertionError("pg_authid was readable")
    assert cur.execute("select count(*) from t where x = 22").fetchone() == (1,)
    conn.commit()

    # Notifications: the sender is this session's own backend.
    conn.autocommit = True
    cur.execute("LISTEN wicket_test")
    cur.execute("NOTIFY wicket_test, 'hello'")
    note = next(conn.notifies(timeout=30, stop_after=1))
    assert note.payload == "hello" and note.pid == conn.info.backend_pid, note
    backend = cur.execute("select pg_backend_pid()").fetchone()[0]
    assert backend == conn.info.backend_pid, (backend, conn.info.backend_pid)
    cur.execute("UNLISTEN *")

    # Cancel: asked again and again until the query has ended, so its timing cannot matter.
    done = threading.Event()

    def cancel():
        while not done.wait(0.1):
            conn.cancel_safe()

    canceller = threading.Thread(target=cancel)
    canceller.start()
    try:
        cur.execute("select pg_sleep(60)")
    except psycopg.errors.QueryCanceled:
        pass
    else:
        raise AssertionError("the sleep was not cancelled")
    finally:
        done.set()
        canceller.join()
    conn.autocommit = False

    # Volume: many rows pipelined, thousands of parameters, a megabyte in one value.
    cur.executemany("insert into t (x) values (%s)", [(x,) for x in range(5000, 7000)])
    ids = list(range(5000, 8000))
    q = "select count(*) from t where x in (" + ", ".join(["%s"] * len(ids)) + ")"
    assert cur.execute(q, ids).fetchone() == (2000,)
    big = "x" * (1 << 20)
    cur.execute("insert into gadgets (id, doc) values (%s, %s::jsonb)", (1000, f'"{big}"'))
    assert cur.execute("select length(doc #>> '{}') from gadgets where id = 1000").fetchone() == (1 << 20,)
    cur.execute("select doc from gadgets where id = 1000", binary=True)
    assert cur.fetchone()[0] == big
    cur.execute("delete from gadgets where id = 1000")
    cur.execute("delete from t where x >= 5000 and x < 7000")
    assert cur.rowcount == 2000
    conn.commit()

    # A type look-up is a session basic.
    info = TypeInfo.fetch(conn, "int4")
    assert info is not None and info.array_oid == 1007, info

    # An enum's labels are metadata.
    try:
        EnumInfo.fetch(conn, "mood")
    except psycopg.errors.InsufficientPrivilege as e:
        assert "db:metadata" in str(e), e
        conn.rollback()
    else:
        raise AssertionError("EnumInfo worked without db:metadata")
    # The session lives on; what this run wrote goes, so that it can run again.
    assert cur.execute("select 1").fetchone() == (1,)
    cur.execute("delete from t where x in (11, 12, 20, 21, 22, 300, 301, 302, 400)")
    assert cur.rowcount == 9, cur.rowcount
    conn.commit()


def metadata(conn):
    info = EnumInfo.fetch(conn, "mood")
    assert info is not None and info.labels == ["happy", "sad"], info
    register_enum(info, conn)
    cur = conn.cursor()
    cur.execute("select mood from gadgets order by id")
    assert [r[0].name for r in cur.fetchall()] == ["happy", "sad"]


def main():
    with psycopg.connect(os.environ["WICKET_DSN"]) as conn:
        {"basic": basic, "metadata": metadata}[sys.argv[1]](conn)
    print(f"psycopg {sys.argv[1]} ok ({psycopg.pq.__impl__}, libpq {psycopg.pq.version()})")


if __name__ == "__main__":
    main()
