//! `[audit]`: how long audit events stay in the database before they move to an archive file,
//! and which allowed checks are recorded at all.

use super::Validator;
use super::raw::RawAudit;

/// The longest retention accepted: a hundred years, in days.
const MAX_RETAIN_DAYS: i64 = 36_500;

/// The `[audit]` section.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditConfig {
    /// Events older than this many seconds are archived; `None` keeps everything.
    pub retain_secs: Option<i64>,
    /// Where archive files go; the server's default is `audit-archive` next to the database.
    pub archive_dir: Option<String>,
    /// Which allowed checks leave an audit event (denials always do).
    pub allowed_checks: AllowedChecks,
}

/// `allowed_checks`: which allowed checks are audited.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AllowedChecks {
    /// Those allowed through a grant (a use of temporary access); a standing binding's allows
    /// are not recorded, as they would be most of the log.
    #[default]
    Grants,
    /// Every allowed check, standing bindings included.
    All,
}

/// Parses `400d`, `52w`, or any duration wicket accepts elsewhere (`12h`); at least one day,
/// so that a typo cannot archive the whole log.
pub fn parse_retain(text: &str) -> Result<i64, String> {
    let t = text.trim();
    let whole = |unit: &str, days: i64| -> Option<Result<i64, String>> {
        let n: i64 = t.strip_suffix(unit)?.parse().ok()?;
        Some(match n.checked_mul(days) {
            Some(d) if d > 0 && d <= MAX_RETAIN_DAYS => Ok(d * 86_400),
            _ => Err(format!(
                "`{text}` is out of range; write between `1d` and `{MAX_RETAIN_DAYS}d`"
            )),
        })
    };
    let secs = match whole("d", 1).or_else(|| whole("w", 7)) {
        Some(r) => r?,
        None => crate::duration::Duration::parse(t)?.as_secs(),
    };
    if secs < 86_400 {
        return Err(format!(
            "`{text}` is shorter than a day; audit events are kept at least `1d`"
        ));
    }
    Ok(secs)
}

impl Validator<'_> {
    pub(super) fn audit(&mut self, raw: &RawAudit) -> AuditConfig {
        let retain_secs = match raw.retain.as_deref().map(parse_retain) {
            None => None,
            Some(Ok(s)) => Some(s),
            Some(Err(e)) => {
                self.err("audit.retain".into(), e);
                None
            }
        };
        if raw
            .archive_dir
            .as_deref()
            .is_some_and(|d| d.trim().is_empty())
        {
            self.err(
                "audit.archive_dir".into(),
                "the directory name is empty".into(),
            );
        }
        let allowed_checks = match raw.allowed_checks.as_deref() {
            None | Some("grants") => AllowedChecks::Grants,
            Some("all") => AllowedChecks::All,
            Some(other) => {
                self.err(
                    "audit.allowed_checks".into(),
                    format!("`{other}` is not one of `grants` (the default) or `all`"),
                );
                AllowedChecks::Grants
            }
        };
        AuditConfig {
            retain_secs,
            archive_dir: raw.archive_dir.clone(),
            allowed_checks,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_retain;
    use crate::config::Config;

    #[test]
    fn allowed_checks_are_grants_or_all() {
        use super::AllowedChecks;
        let parse = |extra: &str| {
            Config::parse("w.toml", &format!("[audit]\n{extra}")).map(|c| c.audit.allowed_checks)
        };
        assert_eq!(parse("").unwrap(), AllowedChecks::Grants);
        assert_eq!(
            parse("allowed_checks = \"grants\"").unwrap(),
            AllowedChecks::Grants
        );
        assert_eq!(
            parse("allowed_checks = \"all\"").unwrap(),
            AllowedChecks::All
        );
        let e = parse("allowed_checks = \"some\"").unwrap_err();
        assert_eq!(e.key, "audit.allowed_checks");
        assert!(e.message.contains("`some`"), "{e}");
    }

    #[test]
    fn retention_lengths() {
        assert_eq!(parse_retain("400d").unwrap(), 400 * 86_400);
        assert_eq!(parse_retain("2w").unwrap(), 14 * 86_400);
        assert_eq!(parse_retain("36h").unwrap(), 36 * 3600);
        assert!(
            parse_retain("2h")
                .unwrap_err()
                .contains("shorter than a day")
        );
        assert!(parse_retain("0d").unwrap_err().contains("out of range"));
        assert!(
            parse_retain("99999999d")
                .unwrap_err()
                .contains("out of range")
        );
        assert!(parse_retain("soon").is_err());
    }

    #[test]
    fn the_audit_section_parses_and_names_bad_keys() {
        let c = Config::parse(
            "w.toml",
            "[audit]\nretain = \"400d\"\narchive_dir = \"arch\"\n",
        )
        .unwrap();
        assert_eq!(c.audit.retain_secs, Some(400 * 86_400));
        assert_eq!(c.audit.archive_dir.as_deref(), Some("arch"));
        let err = Config::parse("w.toml", "[audit]\nretain = \"1h\"\n").unwrap_err();
        assert_eq!(err.key, "audit.retain");
        let err = Config::parse("w.toml", "[audit]\nkeep = \"1d\"\n").unwrap_err();
        assert!(err.to_string().contains("keep"), "{err}");
    }
}
