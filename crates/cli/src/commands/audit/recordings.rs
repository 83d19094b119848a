//! How `wicket audit verify` shows the SSH session recordings it hashed again.

use wicket_engine::ssh::recordings::RecordingReport;

use crate::output::outln;

pub fn show(r: &RecordingReport) -> std::io::Result<()> {
    for (session, path, why) in &r.changed {
        outln!("recording of ssh session {session} changed: `{path}`: {why}");
    }
    for (session, path) in &r.missing {
        outln!("recording of ssh session {session} not found here: `{path}` (not checked)");
    }
    if r.ok > 0 || !r.changed.is_empty() {
        outln!(
            "ssh recordings: {} as sealed, {} changed",
            r.ok,
            r.changed.len()
        );
    }
    Ok(())
}
