//! Checkpoint files: written atomically (temporary file, fsync, rename, fsync of the
//! directory) and read back in `seq` order.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::Checkpoint;

/// Writes `cp` as `dir/<seq>.json`, creating `dir` if needed; a reader never sees half a file.
pub fn write(dir: &Path, cp: &Checkpoint) -> Result<PathBuf> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("creating the checkpoint directory `{}`", dir.display()))?;
    let path = dir.join(cp.file_name());
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
    pub checkpoint: Result<Checkpoint, String>,
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
