//! `[[provision.postgres]]` parsing: a valid target and its defaults, the role template, the
//! `db:admin` rule, and every error naming the file and key.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::{RoleTemplate, reaches};
use crate::config::{Config, PasswordSource};
use crate::resource::Resource;

const BASE: &str = r#"
[[users]]
name = "alice"

[[roles]]
name = "orders-read"
permissions = [{ actions = ["db:connect", "db:select"], resources = ["postgres/prod/orders/**"] }]
"#;

const ONE: &str = r#"
[[provision.postgres]]
name = "orders"
resource = "postgres/prod/orders"
admin = "postgres://wicket_admin@127.0.0.1:5432/orders"
password_env = "ORDERS_ADMIN_PASSWORD"
"#;

fn parse(extra: &str) -> Result<Config, String> {
    Config::parse("w.toml", &format!("{BASE}\n{extra}")).map_err(|e| e.to_string())
}

fn rejected(extra: &str, key: &str, reason: &str) {
    let err = parse(extra).unwrap_err();
    assert!(err.starts_with("w.toml: "), "{err}");
    assert!(err.contains(key), "`{key}` not named: {err}");
    assert!(err.contains(reason), "`{reason}` not said: {err}");
}

#[test]
fn a_target_parses_with_its_defaults() {
    let config = parse(ONE).unwrap();
    let t = &config.provision.postgres[0];
    assert_eq!(t.name, "orders");
    assert_eq!(t.resource.as_str(), "postgres/prod/orders");
    assert_eq!(t.admin.user, "wicket_admin");
    assert_eq!(t.admin.database, "orders");
    assert_eq!(
        t.password,
        Some(PasswordSource::Env("ORDERS_ADMIN_PASSWORD".into()))
    );
    assert_eq!(t.role_template.role("alice").unwrap(), "wicket_alice");
    assert_eq!(t.reconcile_every.as_secs(), 60);
}

#[test]
fn the_role_template_maps_both_ways() {
    let t = RoleTemplate::parse("app_{user}_ro").unwrap();
    assert_eq!(t.role("bob").unwrap(), "app_bob_ro");
    assert_eq!(t.user("app_bob_ro"), Some("bob"));
    assert_eq!(t.user("app__ro"), None);
    assert_eq!(t.user("other_bob_ro"), None);
    assert!(
        t.role(&"x".repeat(60))
            .unwrap_err()
            .contains("longer than 63")
    );
    for (bad, says) in [
        ("wicket_", "no `{user}`"),
        ("{user}_{user}", "more than once"),
        ("Wicket_{user}", "lowercase"),
        ("{user}", "exactly as users"),
        ("pg_{user}", "reserves"),
        ("w-{user}", "lowercase"),
    ] {
        let err = RoleTemplate::parse(bad).unwrap_err();
        assert!(err.contains(says), "{bad}: {err}");
    }
}

#[test]
fn reach_follows_wildcards_both_ways() {
    let r = Resource::parse("postgres/prod/orders").unwrap();
    for yes in [
        "postgres/prod/orders",
        "postgres/prod/orders/public/t",
        "postgres/**",
        "**",
        "postgres/*/orders/**",
        "postgres/prod/*",
        "*/*/*/*/*",
    ] {
        assert!(reaches(yes, &r), "{yes}");
    }
    for no in [
        "postgres/prod",
        "postgres/staging/**",
        "postgres/prod/billing/**",
        "*/*",
        "ssh/**",
    ] {
        assert!(!reaches(no, &r), "{no}");
    }
}

#[test]
fn db_admin_reaching_a_provisioned_resource_is_an_error() {
    let admin = r#"
[[roles]]
name = "dba"
permissions = [{ actions = ["db:*"], resources = ["postgres/prod/**"] }]
"#;
    rejected(
        &format!("{admin}\n{ONE}"),
        "provision.postgres[0].resource",
        "role `dba` allows `db:*` on `postgres/prod/**`",
    );
    rejected(
        &format!("{admin}\n{ONE}"),
        "provision.postgres[0].resource",
        "`db:admin` cannot be provisioned",
    );
    // Elsewhere it is fine.
    let elsewhere = admin.replace("postgres/prod/**", "postgres/staging/**");
    assert!(parse(&format!("{elsewhere}\n{ONE}")).is_ok());
}

#[test]
fn errors_name_the_key() {
    rejected(
        &ONE.replace("name = \"orders\"", "name = \"or ders\""),
        "provision.postgres[0].name",
        "invalid",
    );
    rejected(
        &ONE.replace("postgres/prod/orders\"", "postgres//orders\""),
        "provision.postgres[0].resource",
        "empty segment",
    );
    rejected(
        &ONE.replace("wicket_admin@", "wicket_admin:secret@"),
        "provision.postgres[0].admin",
        "must not hold a password",
    );
    rejected(
        &format!("{ONE}password_file = \"/run/secret\"\n"),
        "provision.postgres[0].password_file",
        "not both",
    );
    rejected(
        &format!("{ONE}role_template = \"wicket\"\n"),
        "provision.postgres[0].role_template",
        "no `{user}`",
    );
    rejected(
        &format!("{ONE}reconcile_every = \"soon\"\n"),
        "provision.postgres[0].reconcile_every",
        "soon",
    );
    rejected(
        &format!("{ONE}colour = \"blue\"\n"),
        "colour",
        "unknown field",
    );
    rejected(
        &format!(
            "{ONE}\n{}",
            ONE.replace("/orders\"\npassword", "/orders2\"\npassword")
        ),
        "provision.postgres[1].name",
        "duplicate provisioning target `orders`",
    );
    let second = ONE
        .replace("name = \"orders\"", "name = \"billing\"")
        .replace("5432/orders", "5432/billing");
    rejected(
        &format!("{ONE}\n{second}"),
        "provision.postgres[1].role_template",
        "same server",
    );
    assert!(
        parse(&format!(
            "{ONE}\n{}role_template = \"billing_{{user}}\"\n",
            second
        ))
        .is_ok()
    );
}
