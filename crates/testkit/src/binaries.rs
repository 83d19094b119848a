//! Finding the PostgreSQL server binaries (`initdb`, `pg_ctl`) on this machine.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The first directory holding both `initdb` and `pg_ctl`, searched in this order:
/// `WICKET_PG_BINDIR`, `pg_config --bindir`, every `PATH` entry, the newest
/// `/usr/lib/postgresql/*/bin`, `/usr/local/pgsql/bin`.
pub(crate) fn bindir() -> Result<PathBuf, String> {
    let mut tried = Vec::new();
    for dir in candidates() {
        if dir.join("initdb").is_file() && dir.join("pg_ctl").is_file() {
            return Ok(dir);
        }
        tried.push(dir.display().to_string());
    }
    Err(format!(
        "no directory holds both `initdb` and `pg_ctl` (looked in: {})",
        if tried.is_empty() {
            "nothing".to_string()
        } else {
            tried.join(", ")
        }
    ))
}

fn candidates() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(dir) = std::env::var_os("WICKET_PG_BINDIR") {
        dirs.push(PathBuf::from(dir));
    }
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output()
        && out.status.success()
    {
        let dir = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if !dir.is_empty() {
            dirs.push(PathBuf::from(dir));
        }
    }
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    dirs.extend(debian_versions(Path::new("/usr/lib/postgresql")));
    dirs.push(PathBuf::from("/usr/local/pgsql/bin"));
    dirs
}

/// `ROOT/NN/bin` for every version `NN` under `ROOT`, newest first.
fn debian_versions(root: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    let mut versions: Vec<(u32, PathBuf)> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            let major = name.split('.').next()?.parse().ok()?;
            Some((major, e.path().join("bin")))
        })
        .collect();
    versions.sort_by_key(|v| std::cmp::Reverse(v.0));
    versions.into_iter().map(|(_, dir)| dir).collect()
}
