//! Errors and notices of a statement that reads masked columns may quote their values
//! (`invalid input syntax for type integer: "ada@example.com"`, a unique violation's key, a
//! function's `RAISE`): the gateway words them itself, keeping the SQLSTATE, unless their
//! class never carries a value.

use crate::protocol::error_response::ErrorFields;

/// SQLSTATE classes whose messages name objects, settings or states, never a row's values.
const VALUELESS: &[&str] = &[
    "08", "0A", "25", "26", "34", "3D", "3F", "40", "42", "53", "54", "55", "57", "58",
];

/// The error (or notice) the client gets instead of `e`, if `e` may quote a masked value.
pub fn scrubbed(e: &ErrorFields, notice: bool) -> Option<ErrorFields> {
    let code = e.code();
    if VALUELESS.iter().any(|c| code.starts_with(c)) {
        return None;
    }
    let what = if notice {
        "a notice"
    } else {
        "the database's error"
    };
    Some(ErrorFields::error(
        code,
        format!(
            "wicket hid {what} (SQLSTATE {code}): the statement reads masked columns, and the message may quote their values"
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_errors_are_reworded_and_others_pass() {
        let e = ErrorFields::error("22P02", "invalid input syntax for type integer: \"ada\"");
        let s = scrubbed(&e, false).unwrap();
        assert_eq!(s.code(), "22P02");
        assert!(!s.message().contains("ada"));
        assert!(
            scrubbed(
                &ErrorFields::error("42703", "column \"x\" does not exist"),
                false
            )
            .is_none()
        );
        assert!(scrubbed(&ErrorFields::error("57014", "canceling statement"), false).is_none());
    }
}
