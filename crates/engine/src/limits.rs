//! The process's open-file limit: raised from the soft to the hard limit at start (systemd's
//! default soft limit of 1,024 is easily reached by a server holding many connections), and
//! what the front doors size their connection caps by.

/// Raises the soft `NOFILE` limit to the hard one; returns the limit now in force.
pub fn raise_nofile() -> u64 {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(error = %e, "could not raise the open-file limit");
            nofile()
        }
    }
}

/// The soft `NOFILE` limit in force (a generous guess where it cannot be read).
pub fn nofile() -> u64 {
    rlimit::getrlimit(rlimit::Resource::NOFILE).map_or(4096, |(soft, _)| soft)
}
