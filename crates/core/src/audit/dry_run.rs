//! Dry-run checks: a check asked as a question (`wicket check`, `"dry_run": true`) is audited
//! like any other, marked in its details, and is neither a use of a grant nor a denied attempt
//! for the monitor's rules and the usage report.

use serde_json::Value;

/// The detail that marks a dry-run check.
pub const DRY_RUN: &str = "dry_run";

/// True when an event's details (as stored, JSON text) mark it a dry run.
pub fn is_dry_run(details: &str) -> bool {
    // Cheap first: most events never mention it.
    details.contains(DRY_RUN) && dry_run_in(&serde_json::from_str(details).unwrap_or(Value::Null))
}

/// True when parsed details mark a dry run.
pub fn dry_run_in(details: &Value) -> bool {
    details.get(DRY_RUN).and_then(Value::as_bool) == Some(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_true_flag_is_a_dry_run() {
        assert!(is_dry_run(r#"{"dry_run":true,"reason":"x"}"#));
        assert!(!is_dry_run(r#"{"dry_run":false}"#));
        assert!(!is_dry_run(r#"{"reason":"dry_run"}"#));
        assert!(!is_dry_run("{}"));
    }
}
