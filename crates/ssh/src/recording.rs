//! A session's recording: asciicast v2 (a JSON header line, then `[seconds, "o", text]` per
//! piece of output; `"i"` for input where configured), and its SHA-256 when it is sealed.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use sha2::{Digest, Sha256};

pub struct Recording {
    pub path: PathBuf,
    file: Option<std::io::BufWriter<std::fs::File>>,
    started: Instant,
    timestamp: i64,
    header_written: bool,
    width: u32,
    height: u32,
    term: String,
    title: String,
    /// Bytes of an unfinished UTF-8 character, per stream, kept for the next piece.
    carry: [Vec<u8>; 2],
    pub failed: Option<String>,
}

impl Recording {
    /// Creates `DIR/SESSION.cast`.
    pub fn create(dir: &Path, session: &str, title: String) -> Result<Recording, String> {
        std::fs::create_dir_all(dir).map_err(|e| {
            format!(
                "cannot create recordings directory `{}`: {e}",
                dir.display()
            )
        })?;
        let path = dir.join(format!("{session}.cast"));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        // What a session showed may be secret: the recording is its owner's alone.
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let file = options
            .open(&path)
            .map_err(|e| format!("cannot create recording `{}`: {e}", path.display()))?;
        Ok(Recording {
            path,
            file: Some(std::io::BufWriter::new(file)),
            started: Instant::now(),
            timestamp: chrono::Utc::now().timestamp(),
            header_written: false,
            width: 80,
            height: 24,
            term: "xterm".into(),
            title,
            carry: [Vec::new(), Vec::new()],
            failed: None,
        })
    }

    /// The terminal's size and type, from the client's pty request (before any output).
    pub fn terminal(&mut self, term: &str, width: u32, height: u32) {
        if !self.header_written {
            self.term = term.to_string();
            if width > 0 {
                self.width = width;
            }
            if height > 0 {
                self.height = height;
            }
        }
    }

    fn header(&mut self) {
        if self.header_written {
            return;
        }
        self.header_written = true;
        let header = serde_json::json!({
            "version": 2,
            "width": self.width,
            "height": self.height,
            "timestamp": self.timestamp,
            "title": self.title,
            "env": {"TERM": self.term},
        });
        self.line(&header.to_string());
    }

    fn line(&mut self, text: &str) {
        if let Some(f) = &mut self.file
            && let Err(e) = writeln!(f, "{text}")
        {
            self.failed = Some(e.to_string());
            self.file = None;
        }
    }

    /// Output (`"o"`) or, with `input`, input (`"i"`) bytes.
    pub fn event(&mut self, input: bool, bytes: &[u8]) {
        self.header();
        let at = self.started.elapsed().as_secs_f64();
        let slot = usize::from(input);
        let mut data = std::mem::take(&mut self.carry[slot]);
        data.extend_from_slice(bytes);
        let text = match std::str::from_utf8(&data) {
            Ok(t) => t.to_string(),
            Err(e) if e.error_len().is_none() => {
                // An unfinished character at the end waits for the next piece.
                let (done, rest) = data.split_at(e.valid_up_to());
                self.carry[slot] = rest.to_vec();
                String::from_utf8_lossy(done).into_owned()
            }
            Err(_) => String::from_utf8_lossy(&data).into_owned(),
        };
        if text.is_empty() {
            return;
        }
        let kind = if input { "i" } else { "o" };
        let line = serde_json::json!([(at * 1e6).round() / 1e6, kind, text]).to_string();
        self.line(&line);
    }

    /// Flushes and closes the file: its SHA-256 (hex).
    pub fn seal(&mut self) -> Result<String, String> {
        self.header();
        if let Some(mut f) = self.file.take()
            && let Err(e) = f.flush().and_then(|()| f.get_ref().sync_all())
        {
            self.failed = Some(e.to_string());
        }
        if let Some(e) = &self.failed {
            return Err(format!(
                "writing recording `{}` failed: {e}",
                self.path.display()
            ));
        }
        hash_file(&self.path)
    }
}

/// The SHA-256 (hex) of a file.
pub fn hash_file(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path)
        .map_err(|e| format!("cannot read recording `{}`: {e}", path.display()))?;
    Ok(hex::encode(Sha256::digest(&bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_is_recorded_with_times_and_split_characters_rejoin() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = Recording::create(dir.path(), "s1", "t".into()).unwrap();
        r.terminal("xterm-256color", 100, 30);
        r.event(false, b"hello ");
        let e = "é".as_bytes();
        r.event(false, &e[..1]);
        r.event(false, &e[1..]);
        let hash = r.seal().unwrap();
        let text = std::fs::read_to_string(dir.path().join("s1.cast")).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let header: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(header["version"], 2);
        assert_eq!(header["width"], 100);
        let out: String = lines[1..]
            .iter()
            .map(|l| serde_json::from_str::<(f64, String, String)>(l).unwrap().2)
            .collect();
        assert_eq!(out, "hello é");
        assert_eq!(hash, hash_file(&dir.path().join("s1.cast")).unwrap());
    }
}
