//! Whether a session runs read-only: it does when, at connect time, none of the user's
//! standing roles or active grants gives any write action on the target or under it.

use wicket_core::{Action as CoreAction, Index, Resource, Time};

use crate::sql::Action;

/// True when `user` holds, at `now`, some write action (`db:insert`, `db:update`, `db:delete`,
/// `db:ddl`, `db:admin`) on `target` or any table under it.
pub fn holds_write(index: &Index, user: &str, target: &Resource, now: Time) -> bool {
    let config = index.config();
    let standing = index.standing_of(user);
    let standing = standing
        .iter()
        .filter(|s| s.expires_at.is_none_or(|e| now < e))
        .map(|s| s.role as usize);
    let grants = index
        .grants_of(user)
        .iter()
        .filter(|g| g.starts_at <= now && now < g.expires_at)
        .map(|g| g.role);
    let path: Vec<&str> = target.segments().collect();
    let writes: Vec<CoreAction> = Action::WRITES
        .iter()
        .filter_map(|a| CoreAction::parse(a.as_str()).ok())
        .collect();
    standing
        .chain(grants)
        .filter_map(|r| config.roles.get(r))
        .any(|role| {
            role.pairs().any(|(a, r)| {
                writes.iter().any(|w| a.matches(w)) && reaches_into(r.as_str(), &path)
            })
        })
}

/// True when the resource pattern `pattern` can match `target` or a resource under it.
fn reaches_into(pattern: &str, target: &[&str]) -> bool {
    let segments: Vec<&str> = pattern.split('/').collect();
    for (i, t) in target.iter().enumerate() {
        match segments.get(i) {
            None => return false,
            Some(&"**") => return true,
            Some(&"*") => {}
            Some(s) if s == t => {}
            Some(_) => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::reaches_into;

    #[test]
    fn patterns_reaching_into_a_target() {
        let t = ["postgres", "prod", "orders"];
        for p in [
            "postgres/prod/orders",
            "postgres/prod/orders/public/t",
            "postgres/**",
            "postgres/*/orders/**",
            "**",
        ] {
            assert!(reaches_into(p, &t), "{p}");
        }
        for p in [
            "postgres/prod",
            "postgres/dev/**",
            "postgres/prod/billing/public/t",
            "logs/**",
        ] {
            assert!(!reaches_into(p, &t), "{p}");
        }
    }
}
