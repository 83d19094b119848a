//! The one PostgreSQL server a test process uses: `WICKET_TEST_DATABASE_URL`, or a throwaway
//! cluster started on first use and shared by every test of the process.

use std::sync::OnceLock;

use crate::cluster::Cluster;

pub(crate) enum Server {
    /// A running server named by `WICKET_TEST_DATABASE_URL`.
    External(String),
    Local(Cluster),
}

static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();

/// The server, started (once per process) if need be. Blocks while a cluster starts.
pub(crate) fn get() -> Result<&'static Server, String> {
    SERVER
        .get_or_init(|| match std::env::var("WICKET_TEST_DATABASE_URL") {
            Ok(url) if !url.is_empty() => Ok(Server::External(url)),
            _ => Cluster::start().map(Server::Local),
        })
        .as_ref()
        .map_err(Clone::clone)
}

impl Server {
    /// The URL of database `name` on this server.
    pub(crate) fn url(&self, name: &str) -> Result<String, String> {
        match self {
            Server::External(url) => with_database(url, name),
            Server::Local(c) => Ok(format!("postgres://postgres@127.0.0.1:{}/{name}", c.port)),
        }
    }

    /// The URL to create and drop databases from.
    pub(crate) fn admin_url(&self) -> Result<String, String> {
        match self {
            Server::External(url) => Ok(url.clone()),
            Server::Local(_) => self.url("postgres"),
        }
    }

    /// Whether test databases are dropped after each test (on a server that outlives us).
    pub(crate) fn drops_databases(&self) -> bool {
        matches!(self, Server::External(_))
    }
}

/// `url` with its database replaced by `name`, query parameters kept.
fn with_database(url: &str, name: &str) -> Result<String, String> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| format!("WICKET_TEST_DATABASE_URL `{url}` is not a URL"))?;
    let (path, query) = match rest.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (rest, None),
    };
    let authority = path.split('/').next().unwrap_or(path);
    Ok(match query {
        Some(q) => format!("{scheme}://{authority}/{name}?{q}"),
        None => format!("{scheme}://{authority}/{name}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_name_replaces_the_one_in_the_url() {
        assert_eq!(
            with_database("postgres://u:p@h:5432/admin?sslmode=disable", "t1").as_deref(),
            Ok("postgres://u:p@h:5432/t1?sslmode=disable")
        );
        assert_eq!(
            with_database("postgresql://h", "t2").as_deref(),
            Ok("postgresql://h/t2")
        );
    }
}
