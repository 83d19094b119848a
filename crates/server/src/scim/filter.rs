//! SCIM filters (RFC 7644 §3.4.2.2): `userName eq "ann"`, `emails[type eq "work"]`,
//! `not (active eq false) and displayName sw "A"`, parsed once and evaluated over a rendered
//! resource. Strings compare without regard to case, as for the attributes wicket serves.

use serde_json::{Map, Value};

use super::ScimError;
use super::document::{get, short_name};

/// A parsed filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    /// `attr pr`
    Present(Vec<String>),
    /// `attr OP value`
    Compare(Vec<String>, Op, Value),
    /// `attr[filter]`: some element of the multi-valued `attr` matches.
    Values(String, Box<Filter>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Str(String),
    Open,
    Close,
    OpenBracket,
    CloseBracket,
}

fn invalid(detail: impl Into<String>) -> ScimError {
    ScimError::bad("invalidFilter", detail)
}

fn tokens(text: &str) -> Result<Vec<Token>, ScimError> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' | ')' | '[' | ']' => {
                chars.next();
                out.push(match c {
                    '(' => Token::Open,
                    ')' => Token::Close,
                    '[' => Token::OpenBracket,
                    _ => Token::CloseBracket,
                });
            }
            '"' => {
                chars.next();
                let mut s = String::new();
                loop {
                    match chars.next() {
                        None => return Err(invalid("a string in the filter is not closed")),
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(e) => s.push(e),
                            None => return Err(invalid("a string in the filter is not closed")),
                        },
                        Some(ch) => s.push(ch),
                    }
                }
                out.push(Token::Str(s));
            }
            _ => {
                let mut w = String::new();
                while let Some(&ch) = chars.peek() {
                    if ch.is_whitespace() || matches!(ch, '(' | ')' | '[' | ']' | '"') {
                        break;
                    }
                    w.push(ch);
                    chars.next();
                }
                out.push(Token::Word(w));
            }
        }
    }
    Ok(out)
}

struct Parser<'a> {
    tokens: Vec<Token>,
    at: usize,
    schema: &'a str,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word))
    }

    /// `operand (word operand)*`, joined from the left.
    fn joined(
        &mut self,
        word: &str,
        operand: fn(&mut Self) -> Result<Filter, ScimError>,
        join: fn(Box<Filter>, Box<Filter>) -> Filter,
    ) -> Result<Filter, ScimError> {
        let mut left = operand(self)?;
        while self.keyword(word) {
            self.at += 1;
            left = join(Box::new(left), Box::new(operand(self)?));
        }
        Ok(left)
    }

    fn or(&mut self) -> Result<Filter, ScimError> {
        self.joined("or", Self::and, Filter::Or)
    }

    fn and(&mut self) -> Result<Filter, ScimError> {
        self.joined("and", Self::unary, Filter::And)
    }

    fn unary(&mut self) -> Result<Filter, ScimError> {
        if self.keyword("not") {
            self.at += 1;
            return Ok(Filter::Not(Box::new(self.group()?)));
        }
        if self.peek() == Some(&Token::Open) {
            return self.group();
        }
        self.comparison()
    }

    fn group(&mut self) -> Result<Filter, ScimError> {
        if self.next() != Some(Token::Open) {
            return Err(invalid("expected `(` after `not`"));
        }
        let f = self.or()?;
        if self.next() != Some(Token::Close) {
            return Err(invalid("a `(` in the filter is not closed"));
        }
        Ok(f)
    }

    fn comparison(&mut self) -> Result<Filter, ScimError> {
        let Some(Token::Word(attr)) = self.next() else {
            return Err(invalid("expected an attribute name"));
        };
        let attr = short_name(&attr, self.schema).to_string();
        if attr.is_empty() {
            return Err(invalid("expected an attribute name"));
        }
        if self.peek() == Some(&Token::OpenBracket) {
            self.at += 1;
            let inner = self.or()?;
            if self.next() != Some(Token::CloseBracket) {
                return Err(invalid("a `[` in the filter is not closed"));
            }
            return Ok(Filter::Values(attr, Box::new(inner)));
        }
        let path: Vec<String> = attr.split('.').map(str::to_string).collect();
        let Some(Token::Word(op)) = self.next() else {
            return Err(invalid(format!("expected an operator after `{attr}`")));
        };
        let op = match op.to_ascii_lowercase().as_str() {
            "pr" => return Ok(Filter::Present(path)),
            "eq" => Op::Eq,
            "ne" => Op::Ne,
            "co" => Op::Co,
            "sw" => Op::Sw,
            "ew" => Op::Ew,
            "gt" => Op::Gt,
            "ge" => Op::Ge,
            "lt" => Op::Lt,
            "le" => Op::Le,
            other => return Err(invalid(format!("unknown operator `{other}`"))),
        };
        let value = match self.next() {
            Some(Token::Str(s)) => Value::String(s),
            Some(Token::Word(w)) => match w.as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                "null" => Value::Null,
                n => serde_json::from_str::<serde_json::Number>(n)
                    .map(Value::Number)
                    .map_err(|_| invalid(format!("`{n}` is not a filter value; quote strings")))?,
            },
            _ => return Err(invalid(format!("expected a value after `{attr}`"))),
        };
        Ok(Filter::Compare(path, op, value))
    }
}

/// Parses `text`; the attribute names may carry `schema`'s URN.
pub fn parse(text: &str, schema: &str) -> Result<Filter, ScimError> {
    if text.len() > 4096 {
        return Err(invalid("the filter is longer than 4096 characters"));
    }
    let mut p = Parser {
        tokens: tokens(text)?,
        at: 0,
        schema,
    };
    let f = p.or()?;
    if p.at != p.tokens.len() {
        return Err(invalid("the filter has more after its end"));
    }
    Ok(f)
}

/// The values at `path` in `obj`, through arrays.
fn values<'a>(obj: &'a Map<String, Value>, path: &[String]) -> Vec<&'a Value> {
    let Some((first, rest)) = path.split_first() else {
        return Vec::new();
    };
    let Some(v) = get(obj, first) else {
        return Vec::new();
    };
    let flat: Vec<&Value> = match v {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    if rest.is_empty() {
        // A multi-valued attribute of complex values compares on its `value`.
        return flat
            .into_iter()
            .map(|x| match x {
                Value::Object(o) => get(o, "value").unwrap_or(x),
                _ => x,
            })
            .collect();
    }
    flat.into_iter()
        .filter_map(|x| x.as_object())
        .flat_map(|o| values(o, rest))
        .collect()
}

fn compare(have: &Value, op: Op, want: &Value) -> bool {
    use std::cmp::Ordering;
    let ordering = match (have, want) {
        (Value::String(a), Value::String(b)) => {
            let (a, b) = (a.to_lowercase(), b.to_lowercase());
            match op {
                Op::Co => return a.contains(&b),
                Op::Sw => return a.starts_with(&b),
                Op::Ew => return a.ends_with(&b),
                _ => a.cmp(&b),
            }
        }
        (Value::Number(a), Value::Number(b)) => match a.as_f64().partial_cmp(&b.as_f64()) {
            Some(o) => o,
            None => return false,
        },
        (Value::Bool(a), Value::Bool(b)) => a.cmp(b),
        _ => return op == Op::Ne && have != want,
    };
    match op {
        Op::Eq => ordering == Ordering::Equal,
        Op::Ne => ordering != Ordering::Equal,
        Op::Gt => ordering == Ordering::Greater,
        Op::Ge => ordering != Ordering::Less,
        Op::Lt => ordering == Ordering::Less,
        Op::Le => ordering != Ordering::Greater,
        Op::Co | Op::Sw | Op::Ew => false,
    }
}

impl Filter {
    /// True when `obj` matches.
    pub fn matches(&self, obj: &Map<String, Value>) -> bool {
        match self {
            Filter::And(a, b) => a.matches(obj) && b.matches(obj),
            Filter::Or(a, b) => a.matches(obj) || b.matches(obj),
            Filter::Not(f) => !f.matches(obj),
            Filter::Present(path) => values(obj, path)
                .iter()
                .any(|v| !v.is_null() && *v != &Value::String(String::new())),
            Filter::Compare(path, op, want) => {
                let found = values(obj, path);
                if found.is_empty() {
                    return *op == Op::Ne && !want.is_null();
                }
                found.iter().any(|v| compare(v, *op, want))
            }
            Filter::Values(attr, inner) => match get(obj, attr) {
                Some(Value::Array(items)) => items
                    .iter()
                    .filter_map(|i| i.as_object())
                    .any(|o| inner.matches(o)),
                Some(Value::Object(o)) => inner.matches(o),
                _ => false,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";

    fn doc() -> Map<String, Value> {
        json!({
            "userName": "Ann",
            "active": true,
            "name": {"givenName": "Ann", "familyName": "Lee"},
            "emails": [{"value": "ann@example.com", "type": "work"}],
        })
        .as_object()
        .unwrap()
        .clone()
    }

    #[test]
    fn filters_match_as_rfc_7644_says() {
        for (text, expected) in [
            (r#"userName eq "ann""#, true),
            (
                r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "ann""#,
                true,
            ),
            (r#"userName eq "bob""#, false),
            (r#"userName ne "bob""#, true),
            (r#"name.familyName sw "L""#, true),
            (r#"emails co "example""#, true),
            (r#"emails[type eq "work" and value ew ".com"]"#, true),
            (r#"emails[type eq "home"]"#, false),
            ("active eq true and not (userName eq \"x\")", true),
            (r#"active eq false or userName pr"#, true),
            ("title pr", false),
            (r#"title eq "x""#, false),
        ] {
            let f = parse(text, USER).unwrap();
            assert_eq!(f.matches(&doc()), expected, "{text}");
        }
    }

    #[test]
    fn bad_filters_are_invalid_filter_errors() {
        for text in [
            "userName",
            r#"userName eq "open"#,
            "userName xx \"a\"",
            "(userName eq \"a\"",
            "userName eq unquoted",
            r#"userName eq "a" extra"#,
        ] {
            let e = parse(text, USER).unwrap_err();
            assert_eq!(e.scim_type, Some("invalidFilter"), "{text}");
        }
    }
}
