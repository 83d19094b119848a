//! The permission → privilege table, pinned: exact tables, wildcards over the tables that
//! exist, `db:ddl`, guardrails, and only live grants counting.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use wicket_core::time::from_millis;
use wicket_core::{Config, Grant};

use crate::testing::grant;

use super::*;

const CONFIG: &str = r#"
[[users]]
name = "alice"

[[roles]]
name = "orders-read"
permissions = [{ actions = ["db:connect", "db:select"], resources = ["postgres/prod/orders", "postgres/prod/orders/public/orders"] }]

[[roles]]
name = "sales-write"
permissions = [{ actions = ["db:connect", "db:insert", "db:update"], resources = ["postgres/prod/orders", "postgres/prod/orders/sales/*"] }]

[[roles]]
name = "everything"
permissions = [{ actions = ["db:connect", "db:select", "db:delete", "db:ddl"], resources = ["postgres/prod/orders/**"] }]

[[roles]]
name = "elsewhere"
permissions = [{ actions = ["db:*"], resources = ["postgres/staging/**"] }]

[[guardrails]]
name = "no-deletes-in-secrets"
actions = ["db:delete"]
resources = ["postgres/prod/orders/secrets/**"]
reason = "kept"

[[provision.postgres]]
name = "orders"
resource = "postgres/prod/orders"
admin = "postgres://wicket_admin@127.0.0.1:5432/orders"
"#;

fn config() -> Config {
    Config::parse("w.toml", CONFIG).unwrap()
}

fn catalog() -> Catalog {
    Catalog {
        schemas: vec!["public".into(), "sales".into(), "secrets".into()],
        tables: vec![
            ("public".into(), "orders".into()),
            ("public".into(), "customers".into()),
            ("sales".into(), "leads".into()),
            ("secrets".into(), "keys".into()),
        ],
    }
}

/// What alice should hold on the target `orders` with `grants`, at `at_ms`.
fn desired_at(grants: &[Grant], at_ms: i64) -> Desired {
    let c = config();
    desired(
        &c,
        &c.provision.postgres[0],
        "alice",
        grants,
        &catalog(),
        from_millis(at_ms),
    )
}

fn table(schema: &str, table: &str, p: &str) -> Privilege {
    Privilege::Table {
        schema: schema.into(),
        table: table.into(),
        privilege: p.into(),
    }
}

fn schema(s: &str, p: &str) -> Privilege {
    Privilege::Schema {
        schema: s.into(),
        privilege: p.into(),
    }
}

#[test]
fn an_exact_table_maps_to_its_privilege_and_schema_usage() {
    let d = desired_at(&[grant("g1", "orders-read", 0, 100)], 50_000);
    let want: BTreeSet<Privilege> = [
        Privilege::Database("CONNECT".into()),
        table("public", "orders", "SELECT"),
        schema("public", "USAGE"),
    ]
    .into();
    assert_eq!(d.privileges, want);
    assert_eq!(d.valid_until, Some(from_millis(100_000)));
    assert_eq!(d.grants, vec!["g1".to_string()]);
}

#[test]
fn wildcards_expand_to_existing_tables_and_guardrails_win() {
    let d = desired_at(&[grant("g", "everything", 0, 100)], 1);
    for (s, tb) in [
        ("public", "orders"),
        ("public", "customers"),
        ("sales", "leads"),
        ("secrets", "keys"),
    ] {
        assert!(d.privileges.contains(&table(s, tb, "SELECT")), "{s}.{tb}");
        assert!(!d.privileges.contains(&table(s, tb, "INSERT")), "{s}.{tb}");
    }
    assert!(d.privileges.contains(&table("public", "orders", "DELETE")));
    assert!(!d.privileges.contains(&table("secrets", "keys", "DELETE")));
    for s in ["public", "sales", "secrets"] {
        assert!(d.privileges.contains(&schema(s, "CREATE")), "{s}");
    }
    let w = desired_at(&[grant("g", "sales-write", 0, 100)], 1);
    assert!(w.privileges.contains(&table("sales", "leads", "INSERT")));
    assert!(w.privileges.contains(&table("sales", "leads", "UPDATE")));
    assert!(!w.privileges.contains(&table("public", "orders", "INSERT")));
    assert!(
        !w.privileges
            .iter()
            .any(|p| matches!(p, Privilege::Schema { privilege, .. } if privilege == "CREATE"))
    );
}

#[test]
fn only_live_grants_that_reach_the_target_count() {
    let grants = [
        grant("ended", "everything", 0, 10),
        grant("later", "everything", 100, 200),
        grant("other", "elsewhere", 0, 100),
        grant("live", "orders-read", 0, 60),
        grant("longer", "sales-write", 0, 90),
    ];
    let mut revoked = grant("revoked", "everything", 0, 100);
    revoked.revoked_at = Some(from_millis(20_000));
    let mut all = grants.to_vec();
    all.push(revoked);
    let d = desired_at(&all, 50_000);
    assert_eq!(d.grants, vec!["live".to_string(), "longer".to_string()]);
    assert_eq!(d.valid_until, Some(from_millis(90_000)));
    assert!(
        !d.privileges
            .contains(&table("public", "customers", "SELECT"))
    );
    let none = desired_at(&all, 95_000);
    assert!(none.privileges.is_empty() && none.valid_until.is_none());
}
