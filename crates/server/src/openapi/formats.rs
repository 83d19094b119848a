//! The string formats the server enforces, each a named schema of the spec: free text (never
//! a NUL), actions, resources, user names, durations, RFC 3339 times, ids. Every pattern here
//! is the rule of the parser it names, so a value that matches is never refused as malformed.

use serde_json::json;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{
    AnyOfBuilder, ArrayBuilder, KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type,
};
use utoipa::{PartialSchema, ToSchema};

/// No NUL anywhere: no field takes one, and PostgreSQL cannot store one.
pub const TEXT: &str = r"^[^\u0000]*$";

/// `service:verb`, both parts `[A-Za-z0-9_.-]+` (`wicket_core::Action`).
pub const ACTION: &str = r"^[A-Za-z0-9_.-]+:[A-Za-z0-9_.-]+$";

/// 1 to 64 `/`-separated segments, none empty, without `*`, whitespace or control characters
/// (`wicket_core::Resource`; Rust's whitespace and control sets, spelled out).
pub const RESOURCE: &str = concat!(
    r"^[^/*\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+",
    r"(/[^/*\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+){0,63}$"
);

/// A user name: 1 to 128 of `[A-Za-z0-9_.@-]` (`wicket_core::subject::parse_name`).
pub const USER: &str = r"^[A-Za-z0-9_.@-]{1,128}$";

/// A user, as `user:NAME` or a bare `NAME`.
pub const USER_REF: &str = r"^(user:)?[A-Za-z0-9_.@-]{1,128}$";

/// A positive duration of at most 366 days, as wicket writes it: one number and unit (`90s`,
/// `30m`, `4h`, `7d`, `2w`, each up to 366 days), or days, hours, minutes and seconds in that
/// order, each below the next unit (`1h30m`, `2d12h`). No leading zeros, no spaces. The server
/// checks this syntax at the edge (`params::duration`) besides core's parser.
pub const DURATION: &str = concat!(
    "^(?:",
    // seconds, 1 to 31622400
    "(?:[1-9][0-9]{0,6}|[12][0-9]{7}|30[0-9]{6}|31[0-5][0-9]{5}|316[01][0-9]{4}",
    "|3162[01][0-9]{3}|31622[0-3][0-9]{2}|31622400)s",
    // minutes, 1 to 527040
    "|(?:[1-9][0-9]{0,4}|[1-4][0-9]{5}|5[01][0-9]{4}|52[0-6][0-9]{3}|5270[0-3][0-9]|527040)m",
    // hours, 1 to 8784
    "|(?:[1-9][0-9]{0,2}|[1-7][0-9]{3}|8[0-6][0-9]{2}|87[0-7][0-9]|878[0-4])h",
    // days, 1 to 366; weeks, 1 to 52
    "|(?:[1-9][0-9]?|[12][0-9]{2}|3[0-5][0-9]|36[0-6])d",
    "|(?:[1-9]|[1-4][0-9]|5[0-2])w",
    // days, hours, minutes, seconds in that order, each below the next unit
    "|(?:[1-9][0-9]?|[12][0-9]{2}|3[0-5][0-9]|36[0-5])d",
    "(?:(?:[1-9]|1[0-9]|2[0-3])h)?(?:(?:[1-9]|[1-5][0-9])m)?(?:(?:[1-9]|[1-5][0-9])s)?",
    "|(?:[1-9]|1[0-9]|2[0-3])h(?:(?:[1-9]|[1-5][0-9])m)?(?:(?:[1-9]|[1-5][0-9])s)?",
    "|(?:[1-9]|[1-5][0-9])m(?:(?:[1-9]|[1-5][0-9])s)?",
    ")$"
);

/// An age in days, 1 to 36500, counted back from now (`30d`).
pub const AGE_DAYS: &str =
    r"^(?:[1-9][0-9]{0,3}|[12][0-9]{4}|3[0-5][0-9]{3}|36[0-4][0-9]{2}|36500)d$";

/// The longest id wicket looks up.
pub const MAX_ID: usize = 128;

/// The longest reason or comment, in bytes of UTF-8 once trimmed (`wicket_core::workflow`).
pub const MAX_NOTE: usize = wicket_core::workflow::MAX_TEXT;

/// The longest ticket, in bytes of UTF-8 once trimmed.
pub const MAX_TICKET: usize = wicket_core::workflow::MAX_TICKET;

fn string(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
}

/// A string that matches `pattern`, shown with one `example`.
fn matching(description: &str, pattern: &str, example: &str) -> RefOr<Schema> {
    string(description)
        .pattern(Some(pattern))
        .examples([json!(example)])
        .into()
}

macro_rules! formats {
    ($($(#[$doc:meta])* $name:ident => $schema:expr;)*) => {$(
        $(#[$doc])*
        pub struct $name;

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                $schema
            }
        }

        impl ToSchema for $name {}
    )*};
}

formats! {
    /// Free text.
    Text => string("text; never a NUL").pattern(Some(TEXT)).into();
    /// A reason or a comment.
    Note => string("text, at most 4096 bytes of UTF-8 once trimmed; never a NUL")
        .pattern(Some(TEXT))
        .max_length(Some(MAX_NOTE))
        .into();
    /// A ticket reference.
    Ticket => string("a ticket reference, at most 256 bytes of UTF-8 once trimmed; never a NUL")
        .pattern(Some(TEXT))
        .max_length(Some(MAX_TICKET))
        .into();
    /// An action.
    Action => matching("an action, `service:verb`", ACTION, "db:select");
    /// A resource.
    Resource => matching(
        "a resource path: 1 to 64 segments separated by `/`, none empty, without `*`, whitespace or control characters",
        RESOURCE,
        "postgres/prod/orders",
    );
    /// A user name.
    UserName => matching(
        "a user name: 1 to 128 letters, digits, `_`, `-`, `.` or `@`",
        USER,
        "alice",
    );
    /// A user, with or without the `user:` prefix.
    UserRef => matching("a user: `user:NAME` or a bare `NAME`", USER_REF, "user:alice");
    /// A duration.
    Duration => matching(
        "a positive duration of at most 366 days: `90s`, `30m`, `4h`, `7d`, `2w`, or days, hours, minutes and seconds in that order like `1h30m`",
        DURATION,
        "1h",
    );
    /// A point in time.
    Time => string("an RFC 3339 time; wicket writes UTC with milliseconds")
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
        .examples([json!("2026-01-31T09:00:00.000Z")])
        .into();
    /// A point in time, or an age counted back from now.
    TimeOrAge => AnyOfBuilder::new()
        .description(Some(
            "an RFC 3339 time, or an age counted back from now: a duration, or up to 36500 days like `30d`",
        ))
        .item(Time::schema())
        .item(Duration::schema())
        .item(string("an age in days").pattern(Some(AGE_DAYS)))
        .into();
    /// An id wicket issued.
    Id => string("an id wicket issued (opaque): 1 to 128 characters, never a NUL")
        .pattern(Some(TEXT))
        .min_length(Some(1))
        .max_length(Some(MAX_ID))
        .into();
    /// Any JSON value.
    AnyJson => ObjectBuilder::new()
        .description(Some("any JSON value"))
        .into();
}

/// An array of `item`, for hand-built schemas.
pub fn array_of(item: RefOr<Schema>) -> ArrayBuilder {
    ArrayBuilder::new().items(item)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wicket_core::{Action as CoreAction, Duration as CoreDuration, Resource as CoreResource};

    fn matches(pattern: &str, s: &str) -> bool {
        regex::Regex::new(pattern).unwrap().is_match(s)
    }

    #[test]
    fn the_action_pattern_is_the_parser() {
        for s in [
            "db:select",
            "wicket:audit.read",
            "a-b_c.d:x",
            "",
            "db",
            "db:",
            ":x",
            "db:*",
            "db:a:b",
            "db select",
            "\u{202e}db:x",
        ] {
            assert_eq!(matches(ACTION, s), CoreAction::parse(s).is_ok(), "{s:?}");
        }
    }

    #[test]
    fn the_resource_pattern_is_the_parser() {
        let deep = vec!["a"; 64].join("/");
        let deeper = vec!["a"; 65].join("/");
        for s in [
            "postgres/prod/orders",
            "a",
            "é/ü",
            "a%2Fb",
            &deep,
            &deeper,
            "",
            "/a",
            "a/",
            "a//b",
            "*",
            "a/*",
            "a b",
            "a/\u{1}",
            "a\u{a0}b",
            "a\u{2003}",
            "a\u{85}",
            "a\u{3000}",
            "a\u{feff}",
            "a\u{200b}",
        ] {
            assert_eq!(
                matches(RESOURCE, s),
                CoreResource::parse(s).is_ok(),
                "{s:?}"
            );
        }
    }

    #[test]
    fn the_duration_pattern_is_the_edge_check_and_within_the_limit() {
        for s in [
            "90s",
            "31622400s",
            "527040m",
            "8784h",
            "366d",
            "52w",
            "1h30m",
            "365d23h59m59s",
            "1d1s",
            "1m30s",
            "2d12h",
        ] {
            assert!(matches(DURATION, s), "{s}");
            assert!(crate::params::duration(s).is_ok(), "{s}");
        }
        for s in [
            "0s",
            "",
            "367d",
            "53w",
            "8785h",
            "527041m",
            "31622401s",
            "1h60m",
            "1h30",
            "-1h",
            "1.5h",
            "h",
            "01h",
            " 1h",
            "30m1h",
            "1w2d",
            "1d24h",
        ] {
            assert!(!matches(DURATION, s), "{s}");
            assert!(crate::params::duration(s).is_err(), "{s}");
        }
        // Every duration wicket writes is one the pattern allows.
        for secs in [
            1, 59, 60, 90, 3599, 3600, 5400, 86_399, 86_400, 90_061, 31_622_400,
        ] {
            let d = CoreDuration::from_secs(secs).unwrap();
            assert!(matches(DURATION, &d.to_string()), "{d}");
        }
    }

    proptest::proptest! {
        #[test]
        fn the_duration_pattern_and_the_edge_check_agree(s in "[0-9smhdw ]{0,10}") {
            proptest::prop_assert_eq!(matches(DURATION, &s), crate::params::duration(&s).is_ok(), "{:?}", s);
        }

        #[test]
        fn the_age_pattern_and_the_edge_check_agree(s in "[0-9+d]{0,7}") {
            proptest::prop_assert_eq!(matches(AGE_DAYS, &s), crate::params::age_days(&s).is_some(), "{:?}", s);
        }

        #[test]
        fn every_duration_wicket_writes_matches(secs in 1i64..=wicket_core::duration::MAX_SECONDS) {
            let d = CoreDuration::from_secs(secs).unwrap();
            proptest::prop_assert!(matches(DURATION, &d.to_string()), "{}", d);
        }
    }

    #[test]
    fn user_names_follow_the_parser() {
        for s in [
            "alice",
            "a.b@c-d_e",
            "",
            "al ice",
            "user:alice",
            &"x".repeat(129),
        ] {
            assert_eq!(
                matches(USER, s),
                wicket_core::subject::parse_name("user", s).is_ok(),
                "{s:?}"
            );
        }
    }
}
