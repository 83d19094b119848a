"""SQLAlchemy 2 through the wicket gateway, with psycopg 3 and with asyncpg: connecting
(the dialect reads the server version, the current schema and settings), `MetaData.reflect`,
`inspect(engine).get_columns` and the other reflections, and a query of reflected tables.

The connection URL is WICKET_URL (`postgresql+psycopg://...`).
"""

import asyncio
import os

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine


def reflect(engine):
    meta = sa.MetaData()
    meta.reflect(engine)
    assert {"customers", "payments", "gadgets", "t"} <= set(meta.tables), meta.tables
    insp = sa.inspect(engine)
    cols = {c["name"]: c for c in insp.get_columns("gadgets")}
    assert set(cols) >= {"id", "tags", "mood", "doc", "label"}, cols
    assert cols["mood"]["type"].enums == ["happy", "sad"], cols["mood"]
    assert insp.get_pk_constraint("customers")["constrained_columns"] == ["id"]
    assert insp.get_foreign_keys("payments")[0]["referred_table"] == "customers"
    assert insp.get_indexes("gadgets")[0]["column_names"] == ["label"]
    assert "customers" in insp.get_table_names()
    assert insp.get_enums()[0]["name"] == "mood"
    with engine.connect() as conn:
        customers = meta.tables["customers"]
        names = conn.execute(sa.select(customers.c.name).order_by(customers.c.id)).scalars()
        assert list(names) == ["ada", "grace"]


async def reflect_async(url):
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda c: sa.inspect(c).get_table_names())
            assert "gadgets" in tables, tables
            cols = await conn.run_sync(lambda c: sa.inspect(c).get_columns("gadgets"))
            assert [c["name"] for c in cols][:3] == ["id", "tags", "mood"], cols
            n = await conn.scalar(sa.text("select count(*) from customers"))
            assert n == 2
    finally:
        await engine.dispose()


def main():
    url = os.environ["WICKET_URL"]
    reflect(sa.create_engine(url))
    asyncio.run(reflect_async(url.replace("+psycopg://", "+asyncpg://").replace(
        "?sslmode=disable", "?ssl=disable")))
    print(f"sqlalchemy ok ({sa.__version__})")


if __name__ == "__main__":
    main()
