//! Printing results on stdout: human text (tables, aligned fields, relative times) or the
//! server's JSON pretty-printed.

mod fields;
mod table;
pub mod when;

use anyhow::Result;
use clap::ValueEnum;
use serde_json::Value;

pub use fields::Fields;
pub use table::Table;

/// `--output`: what the results look like.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned lines and tables for people
    Human,
    /// The server's JSON, pretty-printed
    Json,
}

/// `println!` that returns an error instead of panicking when stdout is gone.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)?
    }};
}
pub(crate) use outln;

/// Prints `value` pretty-printed.
pub fn json(value: &Value) -> Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    outln!("{text}");
    Ok(())
}

/// Prints `lines`, one a line (a table's or aligned fields').
fn lines(lines: Vec<String>) -> Result<()> {
    for line in lines {
        outln!("{line}");
    }
    Ok(())
}

/// `1 policy`, `2 policies`.
pub fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

/// The value, or `-` when there is none.
pub fn or_dash(value: Option<&str>) -> String {
    match value {
        Some(v) if !v.is_empty() => v.to_string(),
        _ => "-".to_string(),
    }
}
