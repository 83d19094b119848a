//! Connecting: the URL, the options every connection runs with, the pool.

use std::str::FromStr;
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::StoreError;

/// Connections per server: concurrent readers and writers (writers hold one until commit).
const MAX_CONNECTIONS: u32 = 16;

/// How long a query waits for a free connection before the request fails with 503.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// The name servers show in `pg_stat_activity`.
pub(super) const APPLICATION: &str = "wicket";

fn config_error(message: String) -> StoreError {
    StoreError::Database(sqlx::Error::Configuration(message.into()))
}

/// The connect options for `url`, which must be a `postgres://` or `postgresql://` URL.
pub(super) fn options(url: &str) -> Result<PgConnectOptions, StoreError> {
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(config_error(format!(
            "`{}` is not a PostgreSQL URL; write it like `postgres://USER@HOST:5432/DATABASE`",
            redact(url)
        )));
    }
    let options = PgConnectOptions::from_str(url).map_err(|e| {
        config_error(format!(
            "cannot read the database URL `{}`: {e}",
            redact(url)
        ))
    })?;
    Ok(options.application_name(APPLICATION))
}

/// Opens the pool, failing now (not at first use) if the database cannot be reached.
pub(super) async fn pool(options: &PgConnectOptions) -> Result<PgPool, StoreError> {
    PgPoolOptions::new()
        .max_connections(MAX_CONNECTIONS)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_with(options.clone())
        .await
        .map_err(|e| {
            config_error(format!(
                "cannot connect to PostgreSQL database `{}` on `{}`: {e}",
                options.get_database().unwrap_or("(default)"),
                options.get_host()
            ))
        })
}

/// `url` with any password replaced by `***`, fit for messages and logs.
pub(super) fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((credentials, host)) => match credentials.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact("postgres://wicket:s3cr@t@db:5432/w?sslmode=require"),
            "postgres://wicket:***@db:5432/w?sslmode=require"
        );
        assert_eq!(redact("postgres://wicket@db/w"), "postgres://wicket@db/w");
        assert_eq!(redact("postgres://db/w"), "postgres://db/w");
        let Err(err) = options("mysql://root:hunter2@db/w") else {
            panic!("a mysql url was accepted");
        };
        let text = err.to_string();
        assert!(
            text.contains("not a PostgreSQL URL") && !text.contains("hunter2"),
            "{text}"
        );
    }
}
