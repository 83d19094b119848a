//! Writing a file that must not exist yet (a new key): created with the mode it is to keep,
//! never over another file, and synced before it counts as written.

use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `out`, created now with `mode` (on Unix). A file already there is
/// `exists(file)`, any other failure `failed(file, source)`, `file` naming `out`.
pub(crate) fn create_new<E>(
    out: &Path,
    bytes: &[u8],
    mode: u32,
    exists: impl FnOnce(String) -> E,
    failed: impl Fn(String, std::io::Error) -> E,
) -> Result<(), E> {
    let file = out.display().to_string();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut f = match options.open(out) {
        Ok(f) => f,
        Err(source) if source.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(exists(file));
        }
        Err(source) => return Err(failed(file, source)),
    };
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|source| failed(file, source))
}
