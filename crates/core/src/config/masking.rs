//! `[[gateway.postgres.masking]]` rules of a gateway target: which columns leave the gateway
//! masked (`SCHEMA.TABLE.COLUMN` patterns), how (`redact`, `partial`, `hash`), and the action
//! that lifts the rule (checked on the column's resource `TARGET/SCHEMA/TABLE/COLUMN`).
//!
//! In TOML, `[[gateway.postgres.masking]]` belongs to the `[[gateway.postgres]]` target written
//! above it: rules are per target.

use serde::Deserialize;

use super::Validator;
use super::gateway::PasswordSource;
use crate::action::Action;

/// The action that lifts a rule when the rule names none.
pub const DEFAULT_UNMASK: &str = "db:unmask";

/// The rule as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMasking {
    #[serde(default)]
    pub columns: Vec<String>,
    pub method: Option<String>,
    /// `partial`: how many leading characters stay in clear.
    pub keep_leading: Option<u64>,
    /// `partial`: how many trailing characters stay in clear.
    pub keep_trailing: Option<u64>,
    /// `hash`: the environment variable holding the key.
    pub key_env: Option<String>,
    /// `hash`: the file holding the key.
    pub key_file: Option<String>,
    pub unmask: Option<String>,
}

/// One masking rule of a target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MaskRule {
    pub columns: Vec<ColumnPattern>,
    pub method: MaskMethod,
    /// Held on `TARGET/SCHEMA/TABLE/COLUMN`, it shows that column in clear.
    pub unmask: Action,
}

/// How a masked value is replaced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MaskMethod {
    /// The whole value becomes `****`.
    Redact,
    /// `keep` characters at one end stay; every other character becomes `*`.
    Partial { keep: usize, leading: bool },
    /// The hex HMAC-SHA256 of the value under a key: equal values mask equally.
    Hash { key: PasswordSource },
}

impl MaskMethod {
    pub fn name(&self) -> &'static str {
        match self {
            MaskMethod::Redact => "redact",
            MaskMethod::Partial { .. } => "partial",
            MaskMethod::Hash { .. } => "hash",
        }
    }
}

/// `SCHEMA.TABLE.COLUMN`, each part a glob (`*` any run of characters, `?` one character)
/// or a double-quoted name taken as it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnPattern {
    pub text: String,
    parts: [Glob; 3],
}

impl ColumnPattern {
    pub fn parse(text: &str) -> Result<ColumnPattern, String> {
        let parts = split_parts(text)?;
        let [schema, table, column]: [Glob; 3] = parts.try_into().map_err(|p: Vec<Glob>| {
            format!(
                "`{text}` has {} part(s); write `SCHEMA.TABLE.COLUMN` (quote a name holding `.` as \"a.b\")",
                p.len()
            )
        })?;
        Ok(ColumnPattern {
            text: text.to_string(),
            parts: [schema, table, column],
        })
    }

    /// True when the column `schema.table.column` (names as the catalog stores them) matches.
    pub fn matches(&self, schema: &str, table: &str, column: &str) -> bool {
        self.parts[0].matches(schema)
            && self.parts[1].matches(table)
            && self.parts[2].matches(column)
    }

    /// The three parts as SQL `LIKE` patterns (with `\` as the escape character), for a
    /// catalog query that finds the candidates; [`ColumnPattern::matches`] decides.
    pub fn like(&self) -> [String; 3] {
        [
            self.parts[0].like(),
            self.parts[1].like(),
            self.parts[2].like(),
        ]
    }
}

/// One part of a column pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Glob {
    Exact(String),
    Pattern(Vec<char>),
}

impl Glob {
    fn matches(&self, name: &str) -> bool {
        match self {
            Glob::Exact(s) => s == name,
            Glob::Pattern(p) => {
                let n: Vec<char> = name.chars().collect();
                glob(p, &n)
            }
        }
    }

    fn like(&self) -> String {
        let mut out = String::new();
        let chars: Vec<char> = match self {
            Glob::Exact(s) => s.chars().collect(),
            Glob::Pattern(p) => p.clone(),
        };
        let exact = matches!(self, Glob::Exact(_));
        for c in chars {
            match c {
                '*' if !exact => out.push('%'),
                '?' if !exact => out.push('_'),
                '%' | '_' | '\\' => {
                    out.push('\\');
                    out.push(c);
                }
                c => out.push(c),
            }
        }
        out
    }
}

/// Glob matching with `*` and `?`, iteratively (no backtracking blow-up).
fn glob(p: &[char], n: &[char]) -> bool {
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || (p[pi] != '*' && p[pi] == n[ni])) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ni));
            pi += 1;
        } else if let Some((sp, sn)) = star {
            pi = sp + 1;
            ni = sn + 1;
            star = Some((sp, sn + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

fn split_parts(text: &str) -> Result<Vec<Glob>, String> {
    let mut parts = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        if chars.peek() == Some(&'"') {
            chars.next();
            let mut name = String::new();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        name.push('"');
                    }
                    Some('"') => break,
                    Some(c) => name.push(c),
                    None => return Err(format!("`{text}` has an unclosed `\"`")),
                }
            }
            if name.is_empty() {
                return Err(format!("`{text}` has an empty quoted name"));
            }
            parts.push(Glob::Exact(name));
            match chars.next() {
                None => break,
                Some('.') => continue,
                Some(c) => {
                    return Err(format!("`{text}`: `{c}` after a quoted name; expected `.`"));
                }
            }
        } else {
            let mut part = Vec::new();
            let mut ended = true;
            for c in chars.by_ref() {
                if c == '.' {
                    ended = false;
                    break;
                }
                if c == '"' {
                    return Err(format!(
                        "`{text}`: a `\"` inside a name; quote the whole part"
                    ));
                }
                part.push(c);
            }
            if part.is_empty() {
                return Err(format!("`{text}` has an empty part"));
            }
            if part.iter().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(format!(
                    "`{text}` holds a space or control character outside quotes"
                ));
            }
            parts.push(Glob::Pattern(part));
            if ended {
                break;
            }
        }
    }
    Ok(parts)
}

impl Validator<'_> {
    /// The masking rules of the target at `key`.
    pub(super) fn masking(&mut self, key: &str, raw: Vec<RawMasking>) -> Vec<MaskRule> {
        let mut rules = Vec::new();
        for (i, r) in raw.into_iter().enumerate() {
            let key = format!("{key}.masking[{i}]");
            if let Some(rule) = self.mask_rule(&key, r) {
                rules.push(rule);
            }
        }
        rules
    }

    fn mask_rule(&mut self, key: &str, r: RawMasking) -> Option<MaskRule> {
        let before = self.errors.len();
        if r.columns.is_empty() {
            self.err(
                format!("{key}.columns"),
                "a masking rule needs `columns`, like [\"public.customers.email\"]".into(),
            );
        }
        let mut columns = Vec::new();
        for (j, c) in r.columns.iter().enumerate() {
            match ColumnPattern::parse(c) {
                Ok(p) => columns.push(p),
                Err(e) => self.err(format!("{key}.columns[{j}]"), e),
            }
        }
        let method_name = r.method.as_deref().unwrap_or("");
        let partial_keys = r.keep_leading.is_some() || r.keep_trailing.is_some();
        let hash_keys = r.key_env.is_some() || r.key_file.is_some();
        let method = match method_name {
            "redact" => Some(MaskMethod::Redact),
            "partial" => match (r.keep_leading, r.keep_trailing) {
                (Some(n), None) | (None, Some(n)) if (1..=64).contains(&n) => {
                    Some(MaskMethod::Partial {
                        keep: n as usize,
                        leading: r.keep_leading.is_some(),
                    })
                }
                (Some(_), Some(_)) => {
                    self.err(
                        format!("{key}.keep_trailing"),
                        "give `keep_leading` or `keep_trailing`, not both".into(),
                    );
                    None
                }
                (None, None) => {
                    self.err(
                        format!("{key}.keep_leading"),
                        "`partial` needs `keep_leading` or `keep_trailing` (1 to 64 characters)"
                            .into(),
                    );
                    None
                }
                (lead, _) => {
                    let (name, n) = match lead {
                        Some(n) => ("keep_leading", n),
                        None => ("keep_trailing", r.keep_trailing.unwrap_or(0)),
                    };
                    self.err(
                        format!("{key}.{name}"),
                        format!("`{n}` is out of range; keep 1 to 64 characters"),
                    );
                    None
                }
            },
            "hash" => match (r.key_env.clone(), r.key_file.clone()) {
                (Some(env), None) if !env.is_empty() && !env.contains('=') => {
                    Some(MaskMethod::Hash {
                        key: PasswordSource::Env(env),
                    })
                }
                (Some(env), None) => {
                    self.err(
                        format!("{key}.key_env"),
                        format!("`{env}` is not an environment variable name"),
                    );
                    None
                }
                (None, Some(file)) if !file.is_empty() => Some(MaskMethod::Hash {
                    key: PasswordSource::File(file),
                }),
                (None, Some(_)) => {
                    self.err(format!("{key}.key_file"), "the file name is empty".into());
                    None
                }
                (Some(_), Some(_)) => {
                    self.err(
                        format!("{key}.key_file"),
                        "give `key_env` or `key_file`, not both".into(),
                    );
                    None
                }
                (None, None) => {
                    self.err(
                        format!("{key}.key_env"),
                        "`hash` needs its key: `key_env` or `key_file`".into(),
                    );
                    None
                }
            },
            "" => {
                self.err(
                    format!("{key}.method"),
                    "a masking rule needs `method`: `redact`, `partial` or `hash`".into(),
                );
                None
            }
            other => {
                self.err(
                    format!("{key}.method"),
                    format!("unknown method `{other}`; use `redact`, `partial` or `hash`"),
                );
                None
            }
        };
        if partial_keys && method_name != "partial" && !method_name.is_empty() {
            self.err(
                format!("{key}.keep_leading"),
                format!(
                    "`keep_leading` and `keep_trailing` belong to `partial`, not `{method_name}`"
                ),
            );
        }
        if hash_keys && method_name != "hash" && !method_name.is_empty() {
            self.err(
                format!("{key}.key_env"),
                format!("`key_env` and `key_file` belong to `hash`, not `{method_name}`"),
            );
        }
        let unmask_text = r.unmask.as_deref().unwrap_or(DEFAULT_UNMASK);
        let unmask = Action::parse(unmask_text)
            .map_err(|e| self.err(format!("{key}.unmask"), e.into()))
            .ok();
        if self.errors.len() > before {
            return None;
        }
        Some(MaskRule {
            columns,
            method: method?,
            unmask: unmask?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_whole_names() {
        let p = ColumnPattern::parse("public.*.card_*").unwrap();
        assert!(p.matches("public", "payments", "card_number"));
        assert!(!p.matches("public", "payments", "xcard_number"));
        assert!(!p.matches("private", "payments", "card_number"));
        let q = ColumnPattern::parse("\"a.b\".t?.e*l").unwrap();
        assert!(q.matches("a.b", "t1", "email"));
        assert!(!q.matches("a.b", "t12", "email"));
        assert!(ColumnPattern::parse("*.*.*").unwrap().matches("x", "y", ""));
    }

    #[test]
    fn like_patterns_escape_what_like_reads() {
        let p = ColumnPattern::parse("pub_lic.*.\"100%\"").unwrap();
        assert_eq!(p.like(), ["pub\\_lic", "%", "100\\%"]);
    }

    #[test]
    fn bad_patterns_say_why() {
        for (text, why) in [
            ("public.users", "2 part(s)"),
            ("a.b.c.d", "4 part(s)"),
            ("a..c", "empty part"),
            ("a.\"b.c", "unclosed"),
            ("a.b x.c", "space"),
            ("a.b\"x\".c", "inside a name"),
        ] {
            let e = ColumnPattern::parse(text).unwrap_err();
            assert!(e.contains(why), "{text}: {e}");
        }
    }
}
