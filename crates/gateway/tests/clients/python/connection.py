"""The gateway's address and the user's credentials, from WICKET_HOST, WICKET_PORT, WICKET_DB,
WICKET_USER and WICKET_PASSWORD, as the client scripts beside this one connect with them."""

import os


def asyncpg_params():
    """asyncpg's `connect` (and `create_pool`) arguments for the gateway, without TLS."""
    return dict(
        host=os.environ["WICKET_HOST"],
        port=int(os.environ["WICKET_PORT"]),
        database=os.environ["WICKET_DB"],
        user=os.environ["WICKET_USER"],
        password=os.environ["WICKET_PASSWORD"],
        ssl=False,
    )


async def asyncpg_connect(**kw):
    """An asyncpg connection through the gateway; `kw` goes to `connect`."""
    import asyncpg

    return await asyncpg.connect(**asyncpg_params(), **kw)


def libpq_dsn():
    """A libpq connection string for the gateway, without TLS."""
    return (
        f"host={os.environ['WICKET_HOST']} port={os.environ['WICKET_PORT']} "
        f"dbname={os.environ['WICKET_DB']} user={os.environ['WICKET_USER']} "
        f"password={os.environ['WICKET_PASSWORD']} sslmode=disable"
    )
