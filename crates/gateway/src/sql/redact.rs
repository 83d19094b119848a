//! Secrets out of statement text before it reaches the audit log: the literal after
//! `PASSWORD` (`CREATE ROLE`, `ALTER ROLE`, `ALTER USER`, `\password`), a `password` option
//! (`CREATE USER MAPPING ... OPTIONS (password '...')`, `CREATE SERVER`), and connection
//! strings (`dblink('... password=...')`, `CREATE SUBSCRIPTION ... CONNECTION
//! 'postgresql://user:secret@host/db'`). The rest of the statement is kept as written.

use std::borrow::Cow;

use pg_query::protobuf::Token;

/// What a redacted literal becomes.
const REDACTED: &str = "'[redacted]'";

/// `sql` with every secret literal replaced by `'[redacted]'`. SQL the scanner cannot read
/// that mentions a password loses everything from the first mention on.
pub fn redact(sql: &str) -> Cow<'_, str> {
    // Every audited statement passes here: the common case neither allocates nor scans twice.
    if !mentions(sql.as_bytes(), b"password") && !sql.contains("://") {
        return Cow::Borrowed(sql);
    }
    let lower = sql.to_ascii_lowercase();
    let Ok(scanned) = pg_query::scan(sql) else {
        let cut = lower
            .find("password")
            .or_else(|| lower.find("://"))
            .unwrap_or(0);
        return Cow::Owned(format!("{}[redacted]", &sql[..cut]));
    };
    let mut out = String::with_capacity(sql.len());
    let mut copied = 0;
    let mut previous: Option<(i32, &str)> = None;
    for t in &scanned.tokens {
        let (Ok(start), Ok(end)) = (usize::try_from(t.start), usize::try_from(t.end)) else {
            continue;
        };
        let Some(text) = sql.get(start..end) else {
            continue;
        };
        if t.token == Token::SqlComment as i32 || t.token == Token::CComment as i32 {
            continue;
        }
        let literal = t.token == Token::Sconst as i32 || t.token == Token::Usconst as i32;
        if literal && (names_password(previous) || holds_secret(text)) && start >= copied {
            out.push_str(&sql[copied..start]);
            out.push_str(REDACTED);
            copied = end;
        }
        previous = Some((t.token, text));
    }
    if copied == 0 {
        return Cow::Borrowed(sql);
    }
    out.push_str(&sql[copied..]);
    Cow::Owned(out)
}

/// True when `text` holds `word` (lowercase ASCII) in any case.
fn mentions(text: &[u8], word: &[u8]) -> bool {
    text.windows(word.len())
        .any(|w| w.eq_ignore_ascii_case(word))
}

/// The token before a literal says the literal is a password: the keyword `PASSWORD`, or
/// the option name `password` written as an identifier.
fn names_password(previous: Option<(i32, &str)>) -> bool {
    match previous {
        Some((token, _)) if token == Token::Password as i32 => true,
        Some((token, text)) if token == Token::Ident as i32 => {
            text.trim_matches('"').eq_ignore_ascii_case("password")
        }
        _ => false,
    }
}

/// A literal that is a connection string with a password, or a URI with credentials.
fn holds_secret(literal: &str) -> bool {
    let lower = literal.to_ascii_lowercase();
    if lower.contains("password") {
        return true;
    }
    // `scheme://user:secret@host`
    lower.split("://").skip(1).any(|rest| {
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        authority
            .rsplit_once('@')
            .is_some_and(|(userinfo, _)| userinfo.contains(':'))
    })
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_are_redacted_and_the_rest_kept() {
        let cases = [
            (
                "ALTER ROLE app PASSWORD 'foo'",
                "ALTER ROLE app PASSWORD '[redacted]'",
            ),
            (
                "create role x login encrypted password 'SCRAM-SHA-256$4096:abc' valid until 'infinity'",
                "create role x login encrypted password '[redacted]' valid until 'infinity'",
            ),
            (
                "ALTER USER \"Bob\" WITH PASSWORD /* new */ E'it\\'s'",
                "ALTER USER \"Bob\" WITH PASSWORD /* new */ '[redacted]'",
            ),
            (
                "CREATE USER MAPPING FOR app SERVER s OPTIONS (user 'app', password 'hunter2')",
                "CREATE USER MAPPING FOR app SERVER s OPTIONS (user 'app', password '[redacted]')",
            ),
            (
                "alter user mapping for app server s options (set \"password\" $$x$$)",
                "alter user mapping for app server s options (set \"password\" '[redacted]')",
            ),
            (
                "SELECT * FROM dblink('host=db user=u password=p dbname=x', 'select 1') AS t(a int)",
                "SELECT * FROM dblink('[redacted]', 'select 1') AS t(a int)",
            ),
            (
                "CREATE SUBSCRIPTION s CONNECTION 'postgresql://rep:s3cret@db:5432/app' PUBLICATION p",
                "CREATE SUBSCRIPTION s CONNECTION '[redacted]' PUBLICATION p",
            ),
        ];
        for (sql, want) in cases {
            assert_eq!(redact(sql), want, "{sql}");
        }
    }

    #[test]
    fn statements_without_secrets_are_untouched() {
        for sql in [
            "select * from users where password_hash = 'x'",
            "ALTER ROLE app PASSWORD NULL",
            "select 'see https://example.com/a:b@c' as link",
            "select 1",
        ] {
            // A literal compared with a column *named* like a password is not one.
            assert_eq!(redact(sql), sql, "{sql}");
        }
    }

    #[test]
    fn unreadable_sql_that_mentions_a_password_is_cut() {
        assert_eq!(
            redact("ALTER ROLE app PASSWORD 'unterminated"),
            "ALTER ROLE app [redacted]"
        );
    }
}
