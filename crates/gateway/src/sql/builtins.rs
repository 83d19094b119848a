//! The functions, operators and types PostgreSQL itself defines: code a statement may call
//! without reaching data behind the gateway's back. Anything else (a function of the
//! database's own schemas, a domain, an operator of an extension) is code the gateway cannot
//! see into.
//!
//! The lists are PostgreSQL 15's, from a fresh cluster:
//! `SELECT DISTINCT proname COLLATE "C" FROM pg_proc WHERE pronamespace IN
//! ('pg_catalog'::regnamespace, 'information_schema'::regnamespace) ORDER BY 1` for
//! `builtins/functions.txt`, the same over `pg_type.typname` for `builtins/types.txt`, and over
//! `pg_operator.oprname` below. A name a later server added is unknown here, which costs
//! permissions, never grants them.

use std::sync::OnceLock;

use serde_json::Value;

const FUNCTIONS: &str = include_str!("builtins/functions.txt");
const TYPES: &str = include_str!("builtins/types.txt");

/// `pg_catalog`'s operator names, and the words the grammar puts where an operator goes
/// (`x BETWEEN a AND b` is `>=` and `<=`).
const OPERATORS: &[&str] = &[
    "!!",
    "!~",
    "!~*",
    "!~~",
    "!~~*",
    "#",
    "##",
    "#-",
    "#>",
    "#>>",
    "%",
    "&",
    "&&",
    "&<",
    "&<|",
    "&>",
    "*",
    "*<",
    "*<=",
    "*<>",
    "*=",
    "*>",
    "*>=",
    "+",
    "-",
    "->",
    "->>",
    "-|-",
    "/",
    "<",
    "<->",
    "<<",
    "<<=",
    "<<|",
    "<=",
    "<>",
    "<@",
    "<^",
    "=",
    ">",
    ">=",
    ">>",
    ">>=",
    ">^",
    "?",
    "?#",
    "?&",
    "?-",
    "?-|",
    "?|",
    "?||",
    "@",
    "@-@",
    "@>",
    "@?",
    "@@",
    "@@@",
    "BETWEEN",
    "BETWEEN SYMMETRIC",
    "NOT BETWEEN",
    "NOT BETWEEN SYMMETRIC",
    "^",
    "^@",
    "|",
    "|&>",
    "|/",
    "|>>",
    "||",
    "||/",
    "~",
    "~*",
    "~<=~",
    "~<~",
    "~=",
    "~>=~",
    "~>~",
    "~~",
    "~~*",
];

/// One name a line, sorted byte-wise: searched by bisection.
fn sorted(
    text: &'static str,
    cell: &'static OnceLock<Vec<&'static str>>,
) -> &'static [&'static str] {
    cell.get_or_init(|| text.lines().filter(|l| !l.is_empty()).collect())
}

fn functions() -> &'static [&'static str] {
    static CELL: OnceLock<Vec<&'static str>> = OnceLock::new();
    sorted(FUNCTIONS, &CELL)
}

fn types() -> &'static [&'static str] {
    static CELL: OnceLock<Vec<&'static str>> = OnceLock::new();
    sorted(TYPES, &CELL)
}

/// The parts of a qualified name (`funcname`, `names`, an operator's `name`) as written.
pub(super) fn parts(list: Option<&Value>) -> Vec<&str> {
    list.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|n| super::node(n))
        .filter_map(|(_, s)| s.get("sval").and_then(Value::as_str))
        .collect()
}

/// The name itself when `parts` names something of PostgreSQL's own schemas, unqualified
/// or qualified with one of them.
fn own<'a>(parts: &[&'a str]) -> Option<&'a str> {
    match parts {
        [name] | ["pg_catalog" | "information_schema", name] => Some(name),
        _ => None,
    }
}

/// True for a function PostgreSQL defines.
pub(super) fn is_function(parts: &[&str]) -> bool {
    own(parts).is_some_and(|n| functions().binary_search(&n).is_ok())
}

/// True for a type PostgreSQL defines.
pub(super) fn is_type(parts: &[&str]) -> bool {
    own(parts).is_some_and(|n| types().binary_search(&n).is_ok())
}

/// True for an operator PostgreSQL defines (`OPERATOR(pg_catalog.+)` or a bare `+`).
pub(super) fn is_operator(parts: &[&str]) -> bool {
    match parts {
        [op] | ["pg_catalog", op] => OPERATORS.contains(op),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lists_are_sorted_and_hold_what_tools_call() {
        assert!(functions().windows(2).all(|w| w[0] < w[1]));
        assert!(types().windows(2).all(|w| w[0] < w[1]));
        for f in [
            "version",
            "format_type",
            "pg_get_expr",
            "current_schemas",
            "generate_series",
            "_pg_expandarray",
            "array_agg",
        ] {
            assert!(is_function(&[f]), "{f}");
        }
        assert!(is_function(&["pg_catalog", "pg_get_constraintdef"]));
        assert!(is_function(&["information_schema", "_pg_expandarray"]));
        assert!(!is_function(&["get_salaries"]));
        assert!(!is_function(&["public", "version"]));
        for t in ["int4", "regtype", "text", "_int4", "sql_identifier"] {
            assert!(is_type(&[t]), "{t}");
        }
        assert!(!is_type(&["mood"]));
        assert!(is_operator(&["="]) && is_operator(&["pg_catalog", "||"]));
        assert!(!is_operator(&["+++"]) && !is_operator(&["public", "="]));
    }
}
