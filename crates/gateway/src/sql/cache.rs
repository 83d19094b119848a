//! A memo of classifications by statement shape: the same SQL with other literal values
//! (`... WHERE id = 7` after `... WHERE id = 3`) is classified once. Only plain reads and
//! writes are kept, because only their classification cannot depend on a literal (a `SET`'s
//! value, a `set_config` or `current_setting` argument, a cast to `regclass` can); and a shape
//! is taken only from SQL simple enough to tokenize with certainty here. Anything else is
//! parsed every time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::{Action, Effect, SqlError, Statement, Strings, classify};

/// Shapes kept before the memo starts over.
const CAPACITY: usize = 4096;
/// Longer SQL is not worth a shape.
const MAX_LEN: usize = 4096;

#[derive(Default)]
pub struct Cache {
    shapes: Mutex<HashMap<String, Arc<Statement>>>,
}

impl Cache {
    /// [`classify`], from the memo when a statement of the same shape was classified before.
    /// A shape holds no backslash, so it reads the same whatever `strings` is.
    pub fn classify(&self, sql: &str, strings: Strings) -> Result<Vec<Statement>, SqlError> {
        let Some(key) = shape(sql) else {
            return classify(sql, strings);
        };
        let found = self
            .shapes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .cloned();
        if let Some(st) = found {
            let mut st = (*st).clone();
            let text = trimmed(sql);
            let start = sql.len() - sql.trim_start().len();
            st.span = start..start + text.len();
            st.text = text.to_string();
            return Ok(vec![st]);
        }
        let stmts = classify(sql, strings)?;
        if let [st] = stmts.as_slice()
            && cacheable(st)
        {
            let mut shapes = self.shapes.lock().unwrap_or_else(|e| e.into_inner());
            if shapes.len() >= CAPACITY {
                shapes.clear();
            }
            shapes.insert(key, Arc::new(st.clone()));
        }
        Ok(stmts)
    }
}

fn cacheable(st: &Statement) -> bool {
    matches!(
        st.kind,
        Action::Select | Action::Insert | Action::Update | Action::Delete
    ) && !st.accesses.iter().any(|a| a.action == Action::Admin)
        && !st.read_write
        && !st.copy_in
        && st.copy_out.is_none()
        && st.executes.is_none()
        && st.fetch.is_none()
        && st.effect == Effect::None
        && st.search_path.is_none()
        && !st.reads_literals
}

/// The text as `classify` names a single statement: without surrounding blanks and the final `;`.
fn trimmed(sql: &str) -> &str {
    sql.trim().trim_end_matches(';').trim_end()
}

/// The SQL with every number and string literal replaced by a placeholder; `None` when it
/// holds anything this simple tokenizer does not read with certainty (quoted identifiers,
/// dollar quotes, parameters, comments, escapes, prefixed strings, non-ASCII, several
/// statements).
pub fn shape(sql: &str) -> Option<String> {
    let b = sql.as_bytes();
    if b.len() > MAX_LEN || !sql.is_ascii() {
        return None;
    }
    let mut out = String::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                // `E'...'`, `B'...'`, `U&'...'` and the like: not for this tokenizer.
                if i < b.len() && matches!(b[i], b'\'' | b'&' | b'$') {
                    return None;
                }
                out.push_str(&sql[start..i]);
                continue;
            }
            b'0'..=b'9' => {
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                if i + 1 < b.len() && b[i] == b'.' && b[i + 1].is_ascii_digit() {
                    i += 1;
                    while i < b.len() && b[i].is_ascii_digit() {
                        i += 1;
                    }
                }
                if i < b.len() && (b[i].is_ascii_alphanumeric() || matches!(b[i], b'.' | b'_')) {
                    return None;
                }
                out.push('0');
                continue;
            }
            b'\'' => {
                i += 1;
                loop {
                    match b.get(i)? {
                        b'\\' => return None,
                        b'\'' if b.get(i + 1) == Some(&b'\'') => i += 2,
                        b'\'' => break,
                        _ => i += 1,
                    }
                }
                i += 1;
                out.push_str("'?'");
                continue;
            }
            b'"' | b'$' | b'\\' | b'`' => return None,
            b'-' if b.get(i + 1) == Some(&b'-') => return None,
            b'/' if b.get(i + 1) == Some(&b'*') => return None,
            b';' if !sql[i + 1..].trim().is_empty() => return None,
            b';' => {}
            c if c.is_ascii_whitespace() => {
                if !out.ends_with(' ') {
                    out.push(' ');
                }
            }
            c if c.is_ascii_punctuation() => out.push(c as char),
            _ => return None,
        }
        i += 1;
    }
    Some(out.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_hide_literals_only() {
        assert_eq!(
            shape("SELECT abalance FROM pgbench_accounts WHERE aid = 4711;").unwrap(),
            "SELECT abalance FROM pgbench_accounts WHERE aid = 0"
        );
        assert_eq!(shape("select 'it''s' , 1.5").unwrap(), "select '?' , 0");
        assert_eq!(
            shape("SELECT * FROM t1 WHERE x = 'a'"),
            shape("SELECT * FROM t1 WHERE x = 'bb'")
        );
        assert_ne!(shape("SELECT * FROM t1"), shape("SELECT * FROM t2"));
        for bad in [
            "select \"T\"",
            "select $1",
            "select $$x$$",
            "select 1 -- c",
            "select /* c */ 1",
            "select E'\\n'",
            "select 'a\\'",
            "select 1; select 2",
            "select 'é'",
            "select 1e5",
            "select 'unterminated",
            "select U&'x'",
        ] {
            assert_eq!(shape(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_memo_answers_with_this_statement_s_text() {
        let cache = Cache::default();
        let a = cache
            .classify("SELECT * FROM customers WHERE id = 1", Strings::Conforming)
            .unwrap();
        let b = cache
            .classify("SELECT * FROM customers WHERE id = 2;", Strings::Conforming)
            .unwrap();
        assert_eq!(b[0].text, "SELECT * FROM customers WHERE id = 2");
        assert_eq!(a[0].accesses, b[0].accesses);
        assert_eq!(cache.shapes.lock().unwrap().len(), 1);
        // Settings are never memoized: their value decides.
        cache
            .classify(
                "SET default_transaction_read_only = 'on'",
                Strings::Conforming,
            )
            .unwrap();
        assert!(
            cache
                .classify(
                    "SET default_transaction_read_only = 'off'",
                    Strings::Conforming
                )
                .unwrap()[0]
                .read_write
        );
        cache
            .classify(
                "SELECT set_config('application_name', 'x', false)",
                Strings::Conforming,
            )
            .unwrap();
        // Nor is `set_config`, whose first literal names the setting.
        assert_eq!(
            cache
                .classify("SELECT set_config('role', 'x', false)", Strings::Conforming)
                .unwrap()[0]
                .kind,
            Action::Admin
        );
        assert_eq!(cache.shapes.lock().unwrap().len(), 1);
    }
}
