//! `[[reviews]]`: periodic access reviews. Each names what it reviews (standing bindings of
//! some roles or subjects, grants longer than a threshold), who reviews (the roles' `owners`
//! or named subjects), how often a campaign starts, how long reviewers have, and what becomes
//! of an item nobody decided.

use std::collections::{BTreeSet, HashMap};

use serde::Deserialize;

use super::{Role, Validator};
use crate::duration::Duration;
use crate::subject::{Subject, parse_name};

/// The word in `reviewers` that stands for the owners of each item's role.
pub const OWNERS: &str = "owners";

/// What becomes of an item nobody decided by the deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OnMissed {
    Revoke,
    Keep,
}

impl OnMissed {
    pub fn as_str(self) -> &'static str {
        match self {
            OnMissed::Revoke => "revoke",
            OnMissed::Keep => "keep",
        }
    }
}

/// Who reviews an item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reviewer {
    /// The `owners` of the item's role.
    Owners,
    Subject(Subject),
}

/// One `[[reviews]]` as validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Review {
    pub name: String,
    /// Standing bindings giving one of these roles (any role when empty); grants of them too.
    pub roles: Vec<String>,
    /// Standing bindings naming one of these subjects (any subject when empty).
    pub subjects: Vec<Subject>,
    /// Whether standing bindings are reviewed at all (`roles` or `subjects` given).
    pub bindings: bool,
    /// Live grants whose whole window is longer than this are reviewed too.
    pub grants_longer_than: Option<Duration>,
    pub reviewers: Vec<Reviewer>,
    pub every: Duration,
    /// How long after its start a campaign takes decisions.
    pub deadline: Duration,
    pub on_missed: OnMissed,
}

impl Review {
    /// Whether the standing binding of `role` to `subject` is in this review's scope.
    pub fn covers_binding(&self, subject: &Subject, role: &str) -> bool {
        self.bindings
            && (self.roles.is_empty() || self.roles.iter().any(|r| r == role))
            && (self.subjects.is_empty() || self.subjects.contains(subject))
    }

    /// Whether a grant of `role` lasting `window` is in this review's scope.
    pub fn covers_grant(&self, role: &str, window: Duration) -> bool {
        self.grants_longer_than.is_some_and(|min| window > min)
            && (self.roles.is_empty() || self.roles.iter().any(|r| r == role))
    }

    /// The subjects who may decide an item about `role`.
    pub fn reviewers_of(&self, role: Option<&Role>) -> Vec<Subject> {
        let mut out = Vec::new();
        for r in &self.reviewers {
            match r {
                Reviewer::Owners => out.extend(role.iter().flat_map(|r| r.owners.iter().cloned())),
                Reviewer::Subject(s) => out.push(s.clone()),
            }
        }
        out.sort();
        out.dedup();
        out
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawReview {
    pub name: String,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub subjects: Vec<String>,
    pub grants_longer_than: Option<String>,
    #[serde(default)]
    pub reviewers: Vec<String>,
    pub every: String,
    pub deadline: String,
    pub on_missed: Option<String>,
}

impl Validator<'_> {
    /// `[[reviews]]`, checked against the roles and subjects declared.
    pub(super) fn reviews(
        &mut self,
        raw: Vec<RawReview>,
        roles: &[Role],
        users: &HashMap<String, usize>,
        groups: &BTreeSet<String>,
    ) -> Vec<Review> {
        let role_index: HashMap<String, usize> = roles
            .iter()
            .enumerate()
            .map(|(i, r)| (r.name.clone(), i))
            .collect();
        let mut out: Vec<Review> = Vec::new();
        for (i, r) in raw.into_iter().enumerate() {
            let key = format!("reviews[{i}]");
            if let Err(e) = parse_name("review", &r.name) {
                self.err(format!("{key}.name"), e);
            }
            if out.iter().any(|x| x.name == r.name) {
                self.err(
                    format!("{key}.name"),
                    format!("duplicate review `{}`", r.name),
                );
            }
            let owner = format!("review `{}`", r.name);
            let scoped_roles = if r.roles.is_empty() {
                Vec::new()
            } else {
                self.roles_ref(&format!("{key}.roles"), &owner, &r.roles, &role_index)
            };
            let subjects = self.subjects(&format!("{key}.subjects"), &r.subjects, users, groups);
            let grants_longer_than = self.duration(
                format!("{key}.grants_longer_than"),
                r.grants_longer_than.as_deref(),
            );
            let bindings = !r.roles.is_empty() || !r.subjects.is_empty();
            if !bindings && r.grants_longer_than.is_none() {
                self.err(
                    key.clone(),
                    "reviews nothing; give `roles`, `subjects` or `grants_longer_than`".into(),
                );
            }
            let reviewers = self.reviewers(&key, &r.reviewers, users, groups);
            if reviewers.contains(&Reviewer::Owners) && reviewers.len() == 1 {
                for role in &scoped_roles {
                    if roles.iter().any(|x| &x.name == role && x.owners.is_empty()) {
                        self.err(
                            format!("{key}.reviewers"),
                            format!(
                                "role `{role}` has no `owners` to review it; give the role owners or name reviewers"
                            ),
                        );
                    }
                }
            }
            let every = self.duration(format!("{key}.every"), Some(&r.every));
            let deadline = self.duration(format!("{key}.deadline"), Some(&r.deadline));
            if let (Some(e), Some(d)) = (every, deadline)
                && d > e
            {
                self.err(
                    format!("{key}.deadline"),
                    format!("deadline `{d}` is longer than every `{e}`; campaigns would overlap"),
                );
            }
            let on_missed = match r.on_missed.as_deref() {
                None => OnMissed::Keep,
                Some("revoke") => OnMissed::Revoke,
                Some("keep") => OnMissed::Keep,
                Some(text) => {
                    self.err(
                        format!("{key}.on_missed"),
                        format!("`{text}` is not `revoke` or `keep`"),
                    );
                    OnMissed::Keep
                }
            };
            out.push(Review {
                name: r.name,
                roles: scoped_roles,
                subjects,
                bindings,
                grants_longer_than,
                reviewers,
                every: every.unwrap_or(Duration::DAY),
                deadline: deadline.unwrap_or(Duration::DAY),
                on_missed,
            });
        }
        out
    }

    fn reviewers(
        &mut self,
        key: &str,
        raw: &[String],
        users: &HashMap<String, usize>,
        groups: &BTreeSet<String>,
    ) -> Vec<Reviewer> {
        if raw.is_empty() {
            self.err(
                format!("{key}.reviewers"),
                "must list at least one reviewer: `owners` or a subject".into(),
            );
        }
        let mut out = Vec::new();
        for (j, s) in raw.iter().enumerate() {
            if s == OWNERS {
                out.push(Reviewer::Owners);
                continue;
            }
            let k = format!("{key}.reviewers");
            let before = self.errors.len();
            let found = self.subjects(&k, std::slice::from_ref(s), users, groups);
            // `subjects` numbers its one entry 0; name the entry's real place.
            for e in &mut self.errors[before..] {
                e.key = format!("{k}[{j}]");
            }
            out.extend(found.into_iter().map(Reviewer::Subject));
        }
        out
    }
}

#[cfg(test)]
mod tests;
