//! Opening what a server stands on: the configuration file and the store it names.

use std::path::Path;
use std::sync::Arc;

use crate::error::{Context, EngineError, EngineResult as Result};
use wicket_core::Config;
use wicket_store::Store;
use wicket_store::postgres::PgStore;
use wicket_store::sqlite::SqliteStore;

/// Reads and validates the configuration file.
pub fn load_config(path: &Path) -> Result<Config> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the configuration file {}", path.display()))?;
    Config::parse(&path.display().to_string(), &text).map_err(|e| EngineError::Setup(e.to_string()))
}

/// The database url: the command line's, else the configuration's, else `sqlite://wicket.db`.
pub fn database_url(config: &Config, database: Option<&str>) -> String {
    database
        .map(str::to_string)
        .or_else(|| config.database.clone())
        .unwrap_or_else(|| "sqlite://wicket.db".to_string())
}

/// A SQLite file in a directory that does not exist: one sentence saying so, rather than
/// SQLite's "unable to open database file" wrapped in its callers' words.
fn missing_directory(url: &str) -> Result<()> {
    let path = url
        .trim_start_matches("sqlite:")
        .trim_start_matches("//")
        .split('?')
        .next()
        .unwrap_or_default();
    let Some(dir) = Path::new(path)
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
    else {
        return Ok(());
    };
    if dir.is_dir() {
        return Ok(());
    }
    Err(EngineError::Setup(format!(
        "the directory `{}` of the database file `{path}` does not exist; create it, or point `--database` at a file in one that does",
        dir.display()
    )))
}

/// Opens (and migrates) the store the url names: a SQLite file for one server, or a
/// PostgreSQL database that several servers share.
pub async fn open_store(config: &Config, database: Option<&str>) -> Result<Arc<dyn Store>> {
    let url = database_url(config, database);
    if url.starts_with("sqlite:") {
        missing_directory(&url)?;
        let store = SqliteStore::open(&url)
            .await
            .with_context(|| format!("opening the database `{url}`"))?;
        return Ok(Arc::new(store));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        // The store's errors name the database without its password; the url may carry one.
        let store = PgStore::open(&url)
            .await
            .context("opening the PostgreSQL database")?;
        return Ok(Arc::new(store));
    }
    // Only the scheme: the rest of an unknown url may hold a password.
    let scheme = url
        .split_once(':')
        .map_or(url.as_str(), |(scheme, _)| scheme);
    crate::bail!(
        "unsupported database `{scheme}`; use `sqlite://FILE` or `postgres://USER@HOST/DATABASE`"
    )
}
