//! Checkpoint files: written atomically (temporary file, fsync, rename, fsync of the
//! directory) and read back in `seq` order.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Context, EngineResult as Result};

use super::Checkpoint;

/// Writes `cp` as `dir/<seq>.json`, creating `dir` if needed; a reader never sees half a file.
/// Refuses to replace a checkpoint of the same seq with another hash.
pub fn write(dir: &Path, cp: &Checkpoint) -> Result<PathBuf> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("creating the checkpoint directory `{}`", dir.display()))?;
    let path = dir.join(cp.file_name());
    // Another replica may have signed the same head; a different hash at the same seq means
    // the log was rewritten, and the evidence stays.
    if let Ok(bytes) = std::fs::read(&path)
        && let Ok(existing) = serde_json::from_slice::<Checkpoint>(&bytes)
        && existing.hash != cp.hash
    {
        crate::bail!(
            "checkpoint `{}` already vouches for another hash at seq {}: the audit log was \
             rewritten; run `wicket audit verify --checkpoints`",
            path.display(),
            cp.seq
        );
    }
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        cp.file_name(),
        crate::ids::new_id("w")
    ));
    let body = serde_json::to_vec_pretty(cp).context("encoding a checkpoint")?;
    let written = (|| -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&body)?;
        f.write_all(b"\n")?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path)?;
        // The rename itself is durable once the directory is.
        std::fs::File::open(dir)?.sync_all()
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("writing checkpoint `{}`", path.display()));
    }
    Ok(path)
}

/// One `*.json` file of a checkpoint directory: its name and what it holds.
#[derive(Debug)]
pub struct Loaded {
    pub file: String,
    pub checkpoint: std::result::Result<Checkpoint, String>,
}

/// Every `*.json` file in `dir` (hidden temporary files skipped), in `seq` order; a file that
/// is not a checkpoint is returned with the reason, and sorts first.
pub fn read_dir(dir: &Path) -> Result<Vec<Loaded>> {
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("reading the checkpoint directory `{}`", dir.display()))?;
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry
            .with_context(|| format!("reading the checkpoint directory `{}`", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || !name.ends_with(".json") {
            continue;
        }
        let checkpoint = std::fs::read(entry.path())
            .map_err(|e| format!("cannot be read: {e}"))
            .and_then(|bytes| {
                serde_json::from_slice::<Checkpoint>(&bytes)
                    .map_err(|e| format!("is not a checkpoint: {e}"))
            })
            .and_then(|cp| {
                if cp.file_name() == name {
                    Ok(cp)
                } else {
                    Err(format!(
                        "holds seq {} but is named for another (renamed or copied?)",
                        cp.seq
                    ))
                }
            });
        out.push(Loaded {
            file: entry.path().display().to_string(),
            checkpoint,
        });
    }
    out.sort_by_key(|l| {
        (
            l.checkpoint.is_ok(),
            l.checkpoint.as_ref().map_or(0, |c| c.seq),
            l.file.clone(),
        )
    });
    Ok(out)
}

/// The newest readable checkpoint's seq in `dir`, if any (a missing directory has none).
pub fn newest_seq(dir: &Path) -> Option<i64> {
    read_dir(dir)
        .ok()?
        .iter()
        .filter_map(|l| l.checkpoint.as_ref().ok().map(|c| c.seq))
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::SigningKey;
    use wicket_core::time::from_millis;

    #[test]
    fn a_checkpoint_is_never_replaced_by_one_of_another_hash() {
        let dir = tempfile::tempdir().unwrap();
        let key = SigningKey::from_bytes(&[3; 32]);
        let first = Checkpoint::sign(&key, 5, "aa", from_millis(1));
        write(dir.path(), &first).unwrap();
        // The same head signed again (another replica, later) is fine.
        write(dir.path(), &Checkpoint::sign(&key, 5, "aa", from_millis(2))).unwrap();
        let err = write(dir.path(), &Checkpoint::sign(&key, 5, "bb", from_millis(3)))
            .unwrap_err()
            .to_string();
        assert!(err.contains("rewritten"), "{err}");
        let loaded = read_dir(dir.path()).unwrap();
        assert_eq!(loaded.len(), 1);
        assert_eq!(loaded[0].checkpoint.as_ref().unwrap().hash, "aa");
        assert_eq!(newest_seq(dir.path()), Some(5));
    }
}
