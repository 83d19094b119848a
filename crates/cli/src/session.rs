//! The session `wicket login` stores: the server it signed in to, the wicket token it got and
//! that token's id (to revoke it at `wicket logout`), in `$XDG_CONFIG_HOME/wicket/session.json`
//! (else `~/.config/wicket/session.json`), readable by its owner only. Client commands use it
//! when neither `--token` nor `WICKET_TOKEN` is given and the server matches.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Stored {
    pub server: String,
    pub token: String,
    pub id: String,
    pub user: String,
    pub expires_at: Option<String>,
}

/// Where the session lives.
pub fn path() -> Result<PathBuf> {
    let base = match std::env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => match std::env::var_os("HOME").filter(|v| !v.is_empty()) {
            Some(home) => PathBuf::from(home).join(".config"),
            None => {
                bail!("neither `XDG_CONFIG_HOME` nor `HOME` is set: nowhere to keep the session")
            }
        },
    };
    Ok(base.join("wicket").join("session.json"))
}

/// The stored session, if any (an unreadable one is an error that names the file).
pub fn load() -> Result<Option<Stored>> {
    let path = path()?;
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let stored = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not a wicket session; remove it and run `wicket login` again",
            path.display()
        )
    })?;
    Ok(Some(stored))
}

/// The stored token for `server`, if the session is for that server.
pub fn token_for(server: &str) -> Option<String> {
    let stored = load().ok().flatten()?;
    (stored.server.trim_end_matches('/') == server.trim().trim_end_matches('/'))
        .then_some(stored.token)
}

/// Writes the session, mode 0600 in a 0700 directory, replacing any other.
pub fn save(stored: &Stored) -> Result<PathBuf> {
    let path = path()?;
    let dir = path.parent().context("the session path has no directory")?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let tmp = dir.join(".session.json.tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    }
    let mut file = options
        .open(&tmp)
        .with_context(|| format!("writing {}", tmp.display()))?;
    file.write_all(serde_json::to_string_pretty(stored)?.as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// Removes the stored session; true when there was one.
pub fn remove() -> Result<bool> {
    let path = path()?;
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e).with_context(|| format!("removing {}", path.display())),
    }
}
