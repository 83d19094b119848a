//! What a `COPY ... TO STDOUT` sends, as its statement says: the table or query it reads,
//! the column list, and the format with the options that shape each row (`DELIMITER`,
//! `NULL`, `HEADER`, `QUOTE`, `ESCAPE`), so that masking can rewrite its rows.

use serde_json::Value;

/// A `COPY ... TO STDOUT`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopyOut {
    /// It copies a table (`COPY t` or `COPY t (a, b)`), not a query.
    pub table: bool,
    /// The column list, empty when it names none.
    pub columns: Vec<String>,
    pub format: CopyFormat,
    /// Options masking cannot honour (`ENCODING`, an option it does not know): named.
    pub unsupported: Option<String>,
}

/// How a row is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CopyFormat {
    Text {
        delimiter: u8,
        null: Vec<u8>,
        header: bool,
    },
    Csv {
        delimiter: u8,
        null: Vec<u8>,
        header: bool,
        quote: u8,
        escape: u8,
    },
    Binary,
}

/// The text of an option's argument (`'x'`, `true`, `1`); `None` when it has none.
fn arg_text(d: &Value) -> Option<String> {
    let (kind, f) = super::node(d.get("arg")?)?;
    match kind {
        "String" => Some(f.get("sval").and_then(Value::as_str).unwrap_or("").into()),
        "Boolean" => Some(
            f.get("boolval")
                .and_then(Value::as_bool)
                .unwrap_or(false)
                .to_string(),
        ),
        "Integer" => Some(
            f.get("ival")
                .and_then(Value::as_i64)
                .unwrap_or(0)
                .to_string(),
        ),
        _ => Some(String::new()),
    }
}

/// PostgreSQL's spellings of true for a `COPY` option (`defGetBoolean`; `match` is true).
fn truth(s: Option<&str>) -> bool {
    match s {
        None => true,
        Some(s) => {
            let s = s.to_ascii_lowercase();
            matches!(s.as_str(), "true" | "on" | "1" | "match")
                || "yes".starts_with(&s) && !s.is_empty()
        }
    }
}

/// Where the rows of a `COPY` go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Direction {
    /// To or from a file or a program on the server.
    Server,
    /// From the client into a table (`COPY ... FROM STDIN`).
    FromClient,
    /// To the client (`COPY ... TO STDOUT`).
    ToClient,
}

/// Where the rows of the `COPY` of `f` (a `CopyStmt`'s fields) go.
pub(super) fn direction(f: &Value) -> Direction {
    let file = f
        .get("filename")
        .and_then(Value::as_str)
        .is_some_and(|s| !s.is_empty());
    let program = f
        .get("is_program")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let from = f.get("is_from").and_then(Value::as_bool).unwrap_or(false);
    if file || program {
        Direction::Server
    } else if from {
        Direction::FromClient
    } else {
        Direction::ToClient
    }
}

/// The `COPY` of `f` (a `CopyStmt`'s fields), when it sends rows to the client.
pub(super) fn copy_out(f: &Value) -> Option<CopyOut> {
    if direction(f) != Direction::ToClient {
        return None;
    }
    let table = f.get("relation").is_some_and(Value::is_object)
        && f.get("query").is_none_or(Value::is_null);
    let columns = f
        .get("attlist")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(super::node)
        .filter_map(|(_, s)| s.get("sval").and_then(Value::as_str).map(str::to_string))
        .collect();
    let mut format = "text".to_string();
    let (mut delimiter, mut null, mut header, mut quote, mut escape) =
        (None, None, false, None, None);
    let mut unsupported = None;
    for (_, d) in f
        .get("options")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(super::node)
    {
        let name = d.get("defname").and_then(Value::as_str).unwrap_or("");
        let arg = arg_text(d);
        match name {
            "format" => format = arg.unwrap_or_default().to_ascii_lowercase(),
            "delimiter" => delimiter = arg,
            "null" => null = arg,
            "header" => header = truth(arg.as_deref()),
            "quote" => quote = arg,
            "escape" => escape = arg,
            // Quoting more values changes nothing masking reads.
            "force_quote" => {}
            other => {
                unsupported.get_or_insert_with(|| other.to_uppercase());
            }
        }
    }
    let format = match format_of(&format, delimiter, null, header, quote, escape) {
        Ok(format) => format,
        Err(option) => {
            unsupported.get_or_insert_with(|| option.into());
            CopyFormat::Binary
        }
    };
    Some(CopyOut {
        table,
        columns,
        format,
        unsupported,
    })
}

/// What `COPY ... TO STDOUT` sends in `format` with these options; an option masking cannot
/// read (a delimiter, quote or escape that is not one byte) is named instead.
fn format_of(
    format: &str,
    delimiter: Option<String>,
    null: Option<String>,
    header: bool,
    quote: Option<String>,
    escape: Option<String>,
) -> Result<CopyFormat, &'static str> {
    let byte = |s: Option<String>, default: u8| match s {
        None => Some(default),
        Some(s) if s.len() == 1 => Some(s.as_bytes()[0]),
        Some(_) => None,
    };
    Ok(match format {
        "text" => CopyFormat::Text {
            delimiter: byte(delimiter, b'\t').ok_or("DELIMITER")?,
            null: null.unwrap_or_else(|| "\\N".into()).into_bytes(),
            header,
        },
        "csv" => {
            let (Some(delimiter), Some(quote)) = (byte(delimiter, b','), byte(quote, b'"')) else {
                return Err("DELIMITER or QUOTE");
            };
            CopyFormat::Csv {
                delimiter,
                null: null.unwrap_or_default().into_bytes(),
                header,
                quote,
                escape: byte(escape, quote).ok_or("ESCAPE")?,
            }
        }
        _ => CopyFormat::Binary,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::sql::{Strings, classify};

    fn spec(sql: &str) -> Option<CopyOut> {
        classify(sql, Strings::Conforming)
            .unwrap()
            .remove(0)
            .copy_out
    }

    #[test]
    fn options_are_read_as_postgresql_reads_them() {
        let s = spec("copy people to stdout").unwrap();
        assert!(s.table && s.columns.is_empty() && s.unsupported.is_none());
        assert_eq!(
            s.format,
            CopyFormat::Text {
                delimiter: b'\t',
                null: b"\\N".to_vec(),
                header: false
            }
        );
        let s = spec("copy people (id, email) to stdout with csv header").unwrap();
        assert_eq!(s.columns, ["id", "email"]);
        assert_eq!(
            s.format,
            CopyFormat::Csv {
                delimiter: b',',
                null: Vec::new(),
                header: true,
                quote: b'"',
                escape: b'"'
            }
        );
        let s = spec(
            "copy people to stdout (format csv, delimiter ';', null 'NULL', header true, quote '''', escape '\\')",
        )
        .unwrap();
        assert_eq!(
            s.format,
            CopyFormat::Csv {
                delimiter: b';',
                null: b"NULL".to_vec(),
                header: true,
                quote: b'\'',
                escape: b'\\'
            }
        );
        let s = spec("copy people to stdout (format text, delimiter '|', header off)").unwrap();
        assert_eq!(
            s.format,
            CopyFormat::Text {
                delimiter: b'|',
                null: b"\\N".to_vec(),
                header: false
            }
        );
        assert_eq!(
            spec("copy people to stdout binary").unwrap().format,
            CopyFormat::Binary
        );
        assert!(!spec("copy (select 1) to stdout").unwrap().table);
        assert_eq!(
            spec("copy people to stdout (encoding 'latin1')")
                .unwrap()
                .unsupported
                .as_deref(),
            Some("ENCODING")
        );
        assert!(spec("copy people from stdin").is_none());
    }
}
