//! Actions (`SERVICE:VERB`, e.g. `db:select`) and action patterns (`db:*`, `*`).

use crate::error::{ParseError, Parsed};
use std::fmt;

fn valid_part(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// A concrete action such as `db:select` or `wicket:audit.read`.
// INVARIANT: `service:verb`, both parts non-empty `[A-Za-z0-9_.-]+`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Action(String);

impl Action {
    /// An action the code names itself, valid by construction (checked by the tests of the
    /// place that names it).
    pub(crate) fn known(s: &'static str) -> Action {
        Action(s.to_string())
    }

    pub fn parse(s: &str) -> Result<Action, ParseError> {
        Self::read(s).map_err(|m| ParseError::new(Parsed::Action, m))
    }

    fn read(s: &str) -> Result<Action, String> {
        match s.split_once(':') {
            Some((service, verb)) if valid_part(service) && valid_part(verb) => {
                Ok(Action(s.to_string()))
            }
            _ => Err(format!(
                "action `{s}` is not of the form `service:verb`, e.g. `db:select`"
            )),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn service(&self) -> &str {
        self.0.split_once(':').map_or("", |(s, _)| s)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An action pattern: an exact action, `service:*`, or `*`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ActionPattern {
    Any,
    Service(String),
    Exact(Action),
}

impl ActionPattern {
    pub fn parse(s: &str) -> Result<ActionPattern, ParseError> {
        Self::read(s).map_err(|m| ParseError::new(Parsed::ActionPattern, m))
    }

    fn read(s: &str) -> Result<ActionPattern, String> {
        if s == "*" {
            return Ok(ActionPattern::Any);
        }
        if let Some(service) = s.strip_suffix(":*")
            && valid_part(service)
        {
            return Ok(ActionPattern::Service(service.to_string()));
        }
        if s.contains('*') {
            return Err(format!(
                "action pattern `{s}` puts `*` in the wrong place; use `*`, `service:*` or `service:verb`"
            ));
        }
        Action::read(s).map(ActionPattern::Exact)
    }

    pub fn matches(&self, action: &Action) -> bool {
        match self {
            ActionPattern::Any => true,
            ActionPattern::Service(service) => action.service() == service,
            ActionPattern::Exact(a) => a == action,
        }
    }

    /// True when every action this pattern matches is also matched by `other`.
    pub fn within(&self, other: &ActionPattern) -> bool {
        match (self, other) {
            (_, ActionPattern::Any) => true,
            (ActionPattern::Any, _) => false,
            (ActionPattern::Service(a), ActionPattern::Service(b)) => a == b,
            (ActionPattern::Exact(a), p) => p.matches(a),
            (ActionPattern::Service(_), ActionPattern::Exact(_)) => false,
        }
    }

    /// How broad the pattern is: 0 for an exact action, 1 for a service, 2 for anything.
    pub fn breadth(&self) -> u32 {
        match self {
            ActionPattern::Exact(_) => 0,
            ActionPattern::Service(_) => 1,
            ActionPattern::Any => 2,
        }
    }
}

impl fmt::Display for ActionPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ActionPattern::Any => f.write_str("*"),
            ActionPattern::Service(s) => write!(f, "{s}:*"),
            ActionPattern::Exact(a) => write!(f, "{a}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn a(s: &str) -> Action {
        Action::parse(s).unwrap()
    }

    #[test]
    fn patterns_match_as_documented() {
        let select = a("db:select");
        assert!(ActionPattern::parse("*").unwrap().matches(&select));
        assert!(ActionPattern::parse("db:*").unwrap().matches(&select));
        assert!(ActionPattern::parse("db:select").unwrap().matches(&select));
        assert!(!ActionPattern::parse("db:insert").unwrap().matches(&select));
        assert!(!ActionPattern::parse("logs:*").unwrap().matches(&select));
        assert!(!ActionPattern::parse("d:*").unwrap().matches(&select));
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "db",
            "db:",
            ":select",
            "db:sel*",
            "*:select",
            "db select",
            "db:a:b",
        ] {
            assert!(ActionPattern::parse(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn within_implies_matching(
            service in "[a-c]", verb in "[x-z]",
            p1 in prop_oneof![Just("*".to_string()), "[a-c]:\\*", "[a-c]:[x-z]"],
            p2 in prop_oneof![Just("*".to_string()), "[a-c]:\\*", "[a-c]:[x-z]"],
        ) {
            let action = Action::parse(&format!("{service}:{verb}")).unwrap();
            let p1 = ActionPattern::parse(&p1).unwrap();
            let p2 = ActionPattern::parse(&p2).unwrap();
            if p1.within(&p2) && p1.matches(&action) {
                prop_assert!(p2.matches(&action));
            }
        }

        #[test]
        fn parse_never_panics(s in ".{0,30}") {
            let _ = ActionPattern::parse(&s);
        }
    }
}
