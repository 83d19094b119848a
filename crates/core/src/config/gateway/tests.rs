//! `[[gateway.postgres]]` parsing: valid targets, and every error naming the file and key.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::config::masking::MaskMethod;
use crate::config::{Config, PasswordSource, TlsFiles, Upstream};

const BASE: &str = r#"
[[users]]
name = "alice"

[[roles]]
name = "db"
permissions = [{ actions = ["db:connect"], resources = ["postgres/prod/**"] }]
"#;

fn with_targets(targets: &str) -> String {
    format!("{BASE}\n{targets}")
}

const ONE: &str = r#"
[[gateway.postgres]]
name = "orders-prod"
listen = "127.0.0.1:15432"
resource = "postgres/prod/orders"
upstream = "postgres://wicket_gw@127.0.0.1:5432/orders"
password_env = "ORDERS_PASSWORD"
"#;

fn rejected(targets: &str, key: &str, reason: &str) {
    let err = Config::parse("w.toml", &with_targets(targets))
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("w.toml: "), "{err}");
    assert!(err.contains(key), "`{key}` not named: {err}");
    assert!(err.contains(reason), "`{reason}` not said: {err}");
}

#[test]
fn a_target_parses_with_its_defaults() {
    let config = Config::parse("w.toml", &with_targets(ONE)).unwrap();
    let t = &config.gateway.postgres[0];
    assert_eq!(t.name, "orders-prod");
    assert_eq!(t.listen.to_string(), "127.0.0.1:15432");
    assert_eq!(t.resource.as_str(), "postgres/prod/orders");
    assert_eq!(
        t.upstream,
        Upstream {
            user: "wicket_gw".into(),
            host: "127.0.0.1".into(),
            port: 5432,
            database: "orders".into()
        }
    );
    assert_eq!(
        t.password,
        Some(PasswordSource::Env("ORDERS_PASSWORD".into()))
    );
    assert_eq!(t.tls, None);
    assert_eq!(t.statement_max_bytes, 4096);
    assert!(
        t.reuse_upstream,
        "upstream connections are reused unless turned off"
    );
}

#[test]
fn reuse_upstream_can_be_turned_off_and_takes_only_a_boolean() {
    let config = Config::parse(
        "w.toml",
        &with_targets(&format!("{ONE}reuse_upstream = false\n")),
    )
    .unwrap();
    assert!(!config.gateway.postgres[0].reuse_upstream);
    rejected(
        &format!("{ONE}reuse_upstream = \"no\"\n"),
        "reuse_upstream",
        "expected a boolean",
    );
}

#[test]
fn no_gateway_section_means_no_targets() {
    assert!(
        Config::parse("w.toml", BASE)
            .unwrap()
            .gateway
            .postgres
            .is_empty()
    );
}

#[test]
fn targets_may_share_a_listen_address_with_the_same_tls() {
    let second = ONE.replace("orders-prod", "billing").replace(
        "password_env = \"ORDERS_PASSWORD\"",
        "password_file = \"/run/pw\"",
    );
    let text = format!(
        "{ONE}\ntls_cert = \"c.pem\"\ntls_key = \"k.pem\"\n{second}\ntls_cert = \"c.pem\"\ntls_key = \"k.pem\"\n"
    );
    let config = Config::parse("w.toml", &with_targets(&text)).unwrap();
    assert_eq!(config.gateway.postgres.len(), 2);
    assert_eq!(
        config.gateway.postgres[1].password,
        Some(PasswordSource::File("/run/pw".into()))
    );
    assert_eq!(
        config.gateway.postgres[1].tls,
        Some(TlsFiles {
            cert: "c.pem".into(),
            key: "k.pem".into()
        })
    );
}

#[test]
fn upstream_urls() {
    let u = Upstream::parse("postgresql://gw@[::1]:6543/db").unwrap();
    assert_eq!(
        (u.host.as_str(), u.port, u.address()),
        ("::1", 6543, "[::1]:6543".to_string())
    );
    let u = Upstream::parse("postgres://gw@db.internal").unwrap();
    assert_eq!(
        (u.host.as_str(), u.port, u.database.as_str()),
        ("db.internal", 5432, "gw")
    );
    assert!(Upstream::parse("mysql://gw@h/db").is_err());
    assert!(
        Upstream::parse("postgres://h/db")
            .unwrap_err()
            .message
            .contains("no user")
    );
    assert!(
        Upstream::parse("postgres://gw@h:port/db")
            .unwrap_err()
            .message
            .contains("`port`")
    );
    assert!(Upstream::parse("postgres://gw@h/db?sslmode=require").is_err());
}

#[test]
fn errors_name_the_key() {
    rejected(
        &ONE.replace("name = \"orders-prod\"", "name = \"orders prod\""),
        "gateway.postgres[0].name",
        "invalid",
    );
    rejected(
        &ONE.replace("127.0.0.1:15432", "localhost"),
        "gateway.postgres[0].listen",
        "`localhost`",
    );
    rejected(
        &ONE.replace("postgres/prod/orders\"", "postgres//orders\""),
        "gateway.postgres[0].resource",
        "empty segment",
    );
    rejected(
        &ONE.replace("wicket_gw@", "wicket_gw:hunter2@"),
        "gateway.postgres[0].upstream",
        "must not hold a password",
    );
    rejected(
        &format!("{ONE}password_file = \"/x\"\n"),
        "gateway.postgres[0].password_file",
        "not both",
    );
    rejected(
        &format!("{ONE}tls_cert = \"c.pem\"\n"),
        "gateway.postgres[0].tls_key",
        "needs `tls_key`",
    );
    rejected(
        &format!("{ONE}statement_max_bytes = 1\n"),
        "gateway.postgres[0].statement_max_bytes",
        "out of range",
    );
    rejected(
        &format!("{ONE}passwrd = \"x\"\n"),
        "",
        "unknown field `passwrd`",
    );
    rejected(
        &format!("{ONE}{ONE}"),
        "gateway.postgres[1].name",
        "duplicate gateway target `orders-prod`",
    );
}

#[test]
fn targets_on_one_address_must_share_tls() {
    let second = ONE.replace("orders-prod", "billing");
    rejected(
        &format!("{ONE}tls_cert = \"c.pem\"\ntls_key = \"k.pem\"\n{second}"),
        "gateway.postgres[1].tls_cert",
        "must share",
    );
}

#[test]
fn masking_rules_belong_to_their_target() {
    let text = format!(
        "{ONE}\n[[gateway.postgres.masking]]\ncolumns = [\"public.customers.email\", \"public.*.card_*\"]\nmethod = \"partial\"\nkeep_trailing = 4\n\n\
         [[gateway.postgres.masking]]\ncolumns = [\"public.customers.ssn\"]\nmethod = \"hash\"\nkey_env = \"MASK_KEY\"\nunmask = \"db:see-ssn\"\n\n\
         [[gateway.postgres.masking]]\ncolumns = [\"*.*.notes\"]\nmethod = \"redact\"\n"
    );
    let config = Config::parse("w.toml", &with_targets(&text)).unwrap();
    let rules = &config.gateway.postgres[0].masking;
    assert_eq!(rules.len(), 3);
    assert_eq!(
        rules[0].method,
        MaskMethod::Partial {
            keep: 4,
            leading: false
        }
    );
    assert!(rules[0].columns[1].matches("public", "payments", "card_number"));
    assert_eq!(rules[0].unmask.as_str(), "db:unmask");
    assert_eq!(
        rules[1].method,
        MaskMethod::Hash {
            key: PasswordSource::Env("MASK_KEY".into())
        }
    );
    assert_eq!(rules[1].unmask.as_str(), "db:see-ssn");
    assert_eq!(rules[2].method, MaskMethod::Redact);
    assert!(
        Config::parse("w.toml", &with_targets(ONE))
            .unwrap()
            .gateway
            .postgres[0]
            .masking
            .is_empty()
    );
}

#[test]
fn bad_masking_rules_are_named() {
    let rule = |body: &str| format!("{ONE}\n[[gateway.postgres.masking]]\n{body}\n");
    for (body, key, reason) in [
        (
            "method = \"redact\"",
            "masking[0].columns",
            "needs `columns`",
        ),
        (
            "columns = [\"public.t\"]\nmethod = \"redact\"",
            "masking[0].columns[0]",
            "SCHEMA.TABLE.COLUMN",
        ),
        (
            "columns = [\"public.t.c\"]",
            "masking[0].method",
            "needs `method`",
        ),
        (
            "columns = [\"public.t.c\"]\nmethod = \"scramble\"",
            "masking[0].method",
            "unknown method `scramble`",
        ),
        (
            "columns = [\"public.t.c\"]\nmethod = \"partial\"",
            "masking[0].keep_leading",
            "needs `keep_leading`",
        ),
        (
            "columns = [\"public.t.c\"]\nmethod = \"partial\"\nkeep_leading = 0",
            "masking[0].keep_leading",
            "out of range",
        ),
        (
            "columns = [\"public.t.c\"]\nmethod = \"partial\"\nkeep_leading = 1\nkeep_trailing = 1",
            "masking[0].keep_trailing",
            "not both",
        ),
        (
            "columns = [\"public.t.c\"]\nmethod = \"hash\"",
            "masking[0].key_env",
            "needs its key",
        ),
        (
            "columns = [\"public.t.c\"]\nmethod = \"hash\"\nkey_env = \"A\"\nkey_file = \"f\"",
            "masking[0].key_file",
            "not both",
        ),
        (
            "columns = [\"public.t.c\"]\nmethod = \"redact\"\nkey_env = \"A\"",
            "masking[0].key_env",
            "belong to `hash`",
        ),
        (
            "columns = [\"public.t.c\"]\nmethod = \"redact\"\nunmask = \"unmask\"",
            "masking[0].unmask",
            "unmask",
        ),
        (
            "columns = [\"public.t.c\"]\nmethod = \"redact\"\ncolour = 1",
            "",
            "unknown field `colour`",
        ),
    ] {
        rejected(&rule(body), key, reason);
    }
}

#[test]
fn a_source_names_the_setting_that_chose_it() {
    let env = PasswordSource::Env("PW".into());
    let file = PasswordSource::File("/run/pw".into());
    assert_eq!(env.setting("auth.scim.token"), "auth.scim.token_env");
    assert_eq!(file.setting("password"), "password_file");
}
