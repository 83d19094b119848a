//! Running the PostgreSQL binaries as a user they accept: `initdb` and `postgres` refuse to
//! run as root, so as root they run as the `postgres` system user (or `nobody`) via `runuser`.

use std::ffi::OsStr;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::Command;

/// Who runs the server binaries.
#[derive(Clone, Debug)]
pub(crate) enum RunAs {
    /// This process's own user, which is not root.
    Me,
    /// Root hands over to this system user.
    User { name: String, uid: u32, gid: u32 },
}

impl RunAs {
    /// `Me` unless this process runs as root; then the first of `postgres` and `nobody` that
    /// exists.
    pub(crate) fn detect() -> Result<RunAs, String> {
        let uid = std::fs::metadata("/proc/self")
            .map(|m| m.uid())
            .map_err(|e| format!("cannot tell which user runs the tests: {e}"))?;
        if uid != 0 {
            return Ok(RunAs::Me);
        }
        for name in ["postgres", "nobody"] {
            if let (Some(uid), Some(gid)) = (id(name, "-u"), id(name, "-g")) {
                return Ok(RunAs::User {
                    name: name.to_string(),
                    uid,
                    gid,
                });
            }
        }
        Err(
            "running as root, and neither a `postgres` nor a `nobody` user exists to run \
             `initdb` as (create one: `useradd --system postgres`)"
                .to_string(),
        )
    }

    /// A command running `program` as this user.
    pub(crate) fn command(&self, program: &Path) -> Command {
        match self {
            RunAs::Me => Command::new(program),
            RunAs::User { name, .. } => {
                let mut c = Command::new("runuser");
                c.args([OsStr::new("-u"), OsStr::new(name), OsStr::new("--")])
                    .arg(program);
                c
            }
        }
    }

    /// Hands `path` to this user, so the server can write there.
    pub(crate) fn own(&self, path: &Path) -> Result<(), String> {
        match self {
            RunAs::Me => Ok(()),
            RunAs::User { name, uid, gid } => {
                std::os::unix::fs::chown(path, Some(*uid), Some(*gid))
                    .map_err(|e| format!("cannot hand {} to user `{name}`: {e}", path.display()))
            }
        }
    }
}

/// `id FLAG NAME` as a number, if the user exists.
fn id(name: &str, flag: &str) -> Option<u32> {
    let out = Command::new("id").args([flag, name]).output().ok()?;
    if !out.status.success() {
        return None;
    }
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}
