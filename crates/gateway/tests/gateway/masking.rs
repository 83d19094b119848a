//! Column masking through the gateway: `[[gateway.postgres.masking]]` rules on a table of
//! people, read with psql (simple protocol), psycopg (text format) and asyncpg (binary
//! format, prepared statements and portals); views, joins, computed columns, COPY, the
//! unmask permission and the audit events.

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use tempfile::TempDir;

use crate::clients::python::{python, script};
use crate::clients::run;
use crate::helpers::{Env, env_with, logs};

/// The `hash` rule's key.
const KEY: &str = "masking-key-0123456789abcdef";

const PEOPLE: &str = "
SET ROLE wicket_gw;
CREATE TABLE people (id int PRIMARY KEY, email text, card text, ssn text, age int);
INSERT INTO people VALUES (1, 'ada@example.com', '4111111111111111', '123-45-6789', 36),
                          (2, 'grace@example.com', '5500000000000004', '987-65-4321', 45);
CREATE TABLE orders (id int PRIMARY KEY, person_email text);
INSERT INTO orders VALUES (10, 'ada@example.com'), (11, 'grace@example.com');
CREATE VIEW people_emails AS SELECT id, email FROM people;
CREATE VIEW people_ids AS SELECT id, id > 1 AS senior FROM people;
CREATE VIEW emails_again AS SELECT * FROM people_emails;
CREATE TABLE staff (badge int) INHERITS (people);
INSERT INTO staff VALUES (3, 'hopper@example.com', '4000000000000002', '111-22-3333', 85, 7);
CREATE TABLE visits (day date, email text) PARTITION BY RANGE (day);
CREATE TABLE visits_2024 PARTITION OF visits FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
INSERT INTO visits VALUES ('2024-05-01', 'ada@example.com');
RESET ROLE;
";

/// What a statement reading every masked column of `people` names as masked.
const EVERY_PEOPLE_RULE: [&str; 4] = [
    "public.people.email",
    "public.people.card",
    "public.people.ssn",
    "public.people.age",
];

/// A target with masking rules over [`PEOPLE`] (and one rule naming a column that does not
/// exist), and the directory of the `hash` key's file.
async fn setup() -> Option<(Env, TempDir)> {
    let keys = tempfile::tempdir().unwrap();
    let key_file = keys.path().join("mask-key");
    std::fs::write(&key_file, format!("{KEY}\n")).unwrap();
    let rules = format!(
        "\n[[gateway.postgres.masking]]\ncolumns = [\"public.people.email\", \"public.orders.person_*\"]\n\
         method = \"hash\"\nkey_file = \"{}\"\n\n\
         [[gateway.postgres.masking]]\ncolumns = [\"public.people.card\"]\nmethod = \"partial\"\nkeep_trailing = 4\n\n\
         [[gateway.postgres.masking]]\ncolumns = [\"public.people.ssn\", \"public.people.no_such_column\"]\nmethod = \"redact\"\n\n\
         [[gateway.postgres.masking]]\ncolumns = [\"public.people.age\"]\nmethod = \"partial\"\nkeep_leading = 1\n\n\
         [[gateway.postgres.masking]]\ncolumns = [\"public.*.secret\", \"public.visits.email\"]\nmethod = \"redact\"\n",
        key_file.display()
    );
    let env = env_with(|target| target.push_str(&rules)).await?;
    env.direct().await.batch_execute(PEOPLE).await.unwrap();
    Some((env, keys))
}

/// [`setup`], with alice holding `role` for half an hour: the environment, the key's
/// directory and alice's token.
async fn setup_as(role: &str) -> Option<(Env, TempDir, String)> {
    let (env, keys) = setup().await?;
    let token = env.granted("alice", role, "30m").await;
    Some((env, keys, token))
}

/// The `hash` method's output for `value`.
fn hashed(value: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(KEY.as_bytes()).unwrap();
    mac.update(value.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// psql's unaligned, tuples-only output lines of `commands`, stderr included.
async fn psql(env: &Env, token: &str, commands: &[&str]) -> (Vec<String>, String) {
    let out = env.psql("alice", token, commands).await;
    let lines = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    (lines, String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Asserts that psql, given `commands`, prints exactly the lines `want` and no error.
async fn psql_reads(env: &Env, token: &str, commands: &[&str], want: &[impl AsRef<str>]) {
    let (lines, err) = psql(env, token, commands).await;
    assert!(err.is_empty(), "{err}");
    let want: Vec<&str> = want.iter().map(AsRef::as_ref).collect();
    assert_eq!(lines, want);
}

/// What the `gateway.statement` event of `text` among `events` says was masked.
fn masked(events: &[Value], text: &str) -> Value {
    events
        .iter()
        .find(|e| e["details"]["statement"].as_str() == Some(text))
        .unwrap_or_else(|| panic!("no event for {text}: {events:#?}"))["details"]["masked"]
        .clone()
}

#[tokio::test]
async fn psql_reads_masked_columns_through_star_aliases_joins_and_views() {
    let Some((env, _keys, token)) = setup_as("db-read").await else {
        return;
    };
    let (ada, grace) = (hashed("ada@example.com"), hashed("grace@example.com"));
    let commands = [
        "SELECT * FROM ONLY people ORDER BY id",
        "SELECT p.email AS contact, card AS c FROM people p WHERE id = 2",
        "SELECT o.id, o.person_email, p.email FROM orders o JOIN people p ON p.email = o.person_email ORDER BY o.id",
        "SELECT * FROM people_emails WHERE id = 1",
        "SELECT * FROM emails_again WHERE id = 1",
        "SELECT * FROM people_ids ORDER BY id",
        "SELECT id, email, ssn, badge FROM staff",
        "SELECT day, email FROM visits_2024",
        "SELECT upper(email), email || '', id FROM people WHERE id = 1",
        "SELECT name FROM customers WHERE id = 1",
    ];
    let want = [
        format!("1|{ada}|************1111|****|3*"),
        format!("2|{grace}|************0004|****|4*"),
        format!("{grace}|************0004"),
        format!("10|{ada}|{ada}"),
        format!("11|{grace}|{grace}"),
        // A view over a masked column: every column is redacted (its origin is the view).
        "****|****".to_string(),
        "****|****".to_string(),
        // A view that reads no masked column is untouched.
        "1|f".to_string(),
        "2|t".to_string(),
        "3|t".to_string(),
        // An inheritance child's and a partition's copies of masked columns.
        format!("3|{}|****|7", hashed("hopper@example.com")),
        "2024-05-01|****".to_string(),
        // Computed from a masked table: redacted; a plain column stays.
        "****|****|1".to_string(),
        "ada".to_string(),
    ];
    psql_reads(&env, &token, &commands, &want).await;
    // Each masked statement's event names what was masked; the others name nothing.
    let events = env.statements_when(|s| s.contains("FROM customers")).await;
    assert_eq!(
        masked(&events, "SELECT * FROM ONLY people ORDER BY id"),
        serde_json::json!(EVERY_PEOPLE_RULE)
    );
    assert_eq!(
        masked(
            &events,
            "SELECT upper(email), email || '', id FROM people WHERE id = 1"
        ),
        serde_json::json!(["upper (computed)", "?column? (computed)"])
    );
    assert_eq!(
        masked(&events, "SELECT name FROM customers WHERE id = 1"),
        Value::Null
    );
    assert_eq!(
        masked(&events, "SELECT * FROM people_ids ORDER BY id"),
        Value::Null
    );
    env.stop().await;
}

/// A row of `people` whose values hold the delimiters, quotes, newlines, tabs and
/// backslashes that `COPY` escapes, and a table with a masked and a plain column of such values
/// (after a dropped one, which `COPY` does not send).
const AWKWARD: &str = r#"
SET ROLE wicket_gw;
INSERT INTO people VALUES (4, E'x,"y"\nz@example.com', E'0000,"\t\\', NULL, 50);
CREATE TABLE notes (id int, gone text, secret text, note text);
ALTER TABLE notes DROP COLUMN gone;
INSERT INTO notes VALUES (1, E'a,b"c\nd', E'x,y"z\nw'), (2, NULL, E'tab\there back\\slash'),
                         (3, E'tab\tx\\y', NULL);
RESET ROLE;
"#;

#[tokio::test]
async fn the_unmask_permission_lifts_masking_and_copy_to_stdout_is_masked() {
    let Some((env, _keys, token)) = setup_as("db-read").await else {
        return;
    };
    env.direct().await.batch_execute(AWKWARD).await.unwrap();
    let (ada, grace) = (hashed("ada@example.com"), hashed("grace@example.com"));
    let odd = hashed("x,\"y\"\nz@example.com");
    let copies = [
        "COPY people TO STDOUT",
        "COPY people (id, card) TO STDOUT WITH (FORMAT csv, HEADER)",
        "\\copy people (ssn, id, email) to stdout with (format csv, delimiter ';', null 'NIL', quote '''')",
        "COPY notes TO STDOUT",
        "COPY notes TO STDOUT (FORMAT csv, HEADER true)",
        "COPY people (id) TO STDOUT",
    ];
    let out = env.psql("alice", &token, &copies).await;
    let (stdout, err) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(err.is_empty(), "{err}");
    let want = [
        // Text: the masked card keeps its last four characters, escaped (`\t`, `\\`).
        format!("1\t{ada}\t************1111\t****\t3*\n"),
        format!("2\t{grace}\t************0004\t****\t4*\n"),
        format!("4\t{odd}\t****,\"\\t\\\\\t\\N\t5*\n"),
        // CSV with a header: the header passes; masked values are quoted, quotes doubled.
        "id,card\n1,\"************1111\"\n2,\"************0004\"\n4,\"****,\"\"\t\\\"\n"
            .to_string(),
        // Its own delimiter, quote and NULL: a NULL stays NULL.
        format!("'****';1;'{ada}'\n'****';2;'{grace}'\nNIL;4;'{odd}'\n"),
        // A plain column passes exactly as the server wrote it.
        "1\t****\tx,y\"z\\nw\n2\t\\N\ttab\\there back\\\\slash\n3\t****\t\\N\n".to_string(),
        "id,secret,note\n1,\"****\",\"x,y\"\"z\nw\"\n2,,tab\there back\\slash\n3,\"****\",\n"
            .to_string(),
        // No masked column: untouched.
        "1\n2\n4\n".to_string(),
    ];
    assert_eq!(stdout, want.concat());
    // Each COPY's event names the columns it masked.
    let events = env
        .statements_when(|s| s == "COPY people (id) TO STDOUT")
        .await;
    assert_eq!(
        masked(&events, "COPY people TO STDOUT"),
        serde_json::json!(EVERY_PEOPLE_RULE)
    );
    assert_eq!(
        masked(&events, copies[1]),
        serde_json::json!(["public.people.card"])
    );
    assert_eq!(
        masked(&events, "COPY notes TO STDOUT"),
        serde_json::json!(["public.notes.secret"])
    );
    assert_eq!(masked(&events, "COPY people (id) TO STDOUT"), Value::Null);
    // What the gateway cannot mask exactly is refused: a query's columns, the binary format.
    let (lines, err) = psql(
        &env,
        &token,
        &[
            "COPY (SELECT id, email FROM people) TO STDOUT",
            "COPY people TO STDOUT (FORMAT binary)",
            "COPY people (id, email) TO STDOUT WITH BINARY",
            "COPY customers TO STDOUT",
        ],
    )
    .await;
    assert_eq!(lines, ["1\tada", "2\tgrace"], "{err}");
    assert_eq!(
        err.matches("COPY ... TO of masked columns is refused")
            .count(),
        3,
        "{err}"
    );
    assert!(err.contains("public.people.email"), "{err}");
    assert!(
        err.contains("COPY (query) TO has no column origins"),
        "{err}"
    );
    assert!(err.contains("its binary format is not masked"), "{err}");
    // An error that would quote a masked value is worded by the gateway.
    let cast = "SELECT email::int FROM people WHERE id = 1";
    let (_, err) = psql(&env, &token, &[cast]).await;
    assert!(
        err.contains("wicket hid the database's error (SQLSTATE 22P02)"),
        "{err}"
    );
    assert!(!err.contains("ada@example.com"), "{err}");
    // `db:*` on the target covers `db:unmask` on every column.
    env.grant("alice", "db-all", "30m").await;
    let commands = [
        "SELECT * FROM people WHERE id = 1",
        "SELECT upper(email) FROM people WHERE id = 1",
        "SELECT * FROM people_emails WHERE id = 1",
        "COPY people TO STDOUT",
        "COPY (SELECT id, email FROM people WHERE id = 1) TO STDOUT",
    ];
    let want = [
        "1|ada@example.com|4111111111111111|123-45-6789|36",
        "ADA@EXAMPLE.COM",
        "1|ada@example.com",
        "1\tada@example.com\t4111111111111111\t123-45-6789\t36",
        "2\tgrace@example.com\t5500000000000004\t987-65-4321\t45",
        "4\tx,\"y\"\\nz@example.com\t0000,\"\\t\\\\\t\\N\t50",
        "1\tada@example.com",
    ];
    psql_reads(&env, &token, &commands, &want).await;
    let (_, err) = psql(&env, &token, &[cast]).await;
    assert!(err.contains("ada@example.com"), "{err}");
    env.stop().await;
}

#[tokio::test]
async fn a_rule_naming_a_missing_column_is_a_warning_at_start() {
    let Some((env, _keys)) = setup().await else {
        return;
    };
    let start = std::time::Instant::now();
    while !logs().contains("`public.people.no_such_column` names no column that exists") {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(30),
            "no warning about the missing column after 30 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    env.stop().await;
}

/// What `masking_client.py driver` read.
async fn driver(env: &Env, token: &str, driver: &str) -> Value {
    let package = match driver {
        "psycopg" => "psycopg==3.3.9 and psycopg-binary==3.3.9",
        _ => "asyncpg==0.32.0",
    };
    let python = python(driver, package).await;
    let mut cmd = script(env, &python, "masking_client.py", driver);
    cmd.env("WICKET_PASSWORD", token);
    let out = run(driver, cmd).await;
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{driver} printed no JSON: {e}: {out:?}"))
}

#[tokio::test]
async fn text_and_binary_drivers_read_masked_columns_with_the_extended_protocol() {
    let Some((env, _keys, token)) = setup_as("db-read").await else {
        return;
    };
    let (ada, grace) = (hashed("ada@example.com"), hashed("grace@example.com"));
    let expected = serde_json::json!({
        "row": [["1", ada, "************1111", "****", "3*"]],
        "alias": [[grace, "************0004"]],
        "join": [["10", ada, ada], ["11", grace, grace]],
        "view": [["****", "****"]],
        "computed": [["****", "1"]],
        "plain": [["ada"]],
        "portal": [["1", ada], ["2", grace]],
    });
    for name in ["psycopg", "asyncpg"] {
        assert_eq!(driver(&env, &token, name).await, expected, "{name}");
    }
    env.grant("alice", "db-all", "30m").await;
    let clear = driver(&env, &token, "asyncpg").await;
    assert_eq!(
        clear["row"],
        serde_json::json!([[
            "1",
            "ada@example.com",
            "4111111111111111",
            "123-45-6789",
            "36"
        ]])
    );
    env.stop().await;
}

#[tokio::test]
async fn a_table_or_column_created_after_start_is_masked_from_its_first_statement() {
    let Some((env, _keys, token)) = setup_as("db-read").await else {
        return;
    };
    // Read once, so that the gateway holds a catalog snapshot without the new table.
    let (lines, _) = psql(&env, &token, &["SELECT count(*) FROM customers"]).await;
    assert_eq!(lines, ["2"]);
    env.direct()
        .await
        .batch_execute(
            "SET ROLE wicket_gw; CREATE TABLE late (id int, secret text); \
             INSERT INTO late VALUES (1, 'hunter2'); RESET ROLE;",
        )
        .await
        .unwrap();
    let commands = [
        "SELECT * FROM late",
        "SELECT id, secret AS s FROM public.late",
    ];
    let want = ["1|****", "1|****"];
    psql_reads(&env, &token, &commands, &want).await;
    // A column added to a table the snapshot knows: masked (or, newer than the snapshot,
    // redacted) from the first statement.
    env.direct()
        .await
        .batch_execute(
            "SET ROLE wicket_gw; ALTER TABLE customers ADD COLUMN secret text; \
             UPDATE customers SET secret = 'swordfish'; RESET ROLE;",
        )
        .await
        .unwrap();
    let commands = ["SELECT id, secret FROM customers WHERE id = 1"];
    let want = ["1|****"];
    psql_reads(&env, &token, &commands, &want).await;
    env.stop().await;
}

#[tokio::test]
async fn rows_reached_by_returning_subqueries_set_operations_and_prepared_sql_are_masked() {
    let Some((env, _keys, token)) = setup_as("db-write").await else {
        return;
    };
    let ada = hashed("ada@example.com");
    let commands = [
        "UPDATE people SET age = age WHERE id = 1 RETURNING id, email",
        "SELECT e FROM (SELECT email AS e FROM people WHERE id = 1) s",
        "WITH x AS (SELECT email FROM people WHERE id = 1) SELECT * FROM x",
        "SELECT email FROM people WHERE id = 1 UNION ALL SELECT name FROM customers WHERE id = 1",
        "SELECT p FROM people p WHERE id = 1",
        "PREPARE q AS SELECT id, card FROM people WHERE id = 1",
        "EXECUTE q",
        "BEGIN; DECLARE c CURSOR FOR SELECT id, ssn, upper(ssn) FROM people ORDER BY id; FETCH 1 FROM c; COMMIT",
    ];
    // Wherever PostgreSQL says a column comes from (a set operation's columns and a whole
    // row have no column of origin), the value leaves masked.
    let want = [
        format!("1|{ada}"),
        "UPDATE 1".to_string(),
        ada.clone(),
        ada.clone(),
        "****".to_string(),
        "****".to_string(),
        "****".to_string(),
        "PREPARE".to_string(),
        "1|************1111".to_string(),
        "BEGIN".to_string(),
        "DECLARE CURSOR".to_string(),
        "1|****|****".to_string(),
        "COMMIT".to_string(),
    ];
    psql_reads(&env, &token, &commands, &want).await;
    env.stop().await;
}

#[tokio::test]
async fn a_copy_to_stdout_sent_with_the_extended_protocol_is_masked() {
    let Some((env, _keys)) = setup().await else {
        return;
    };
    let (c, _conn) = env.session("alice", "db-read", "30m").await;
    // tokio-postgres sends a COPY with Parse, Bind and Execute.
    let copy = |sql: &'static str| {
        let c = &c;
        async move {
            let stream = c.copy_out(sql).await?;
            futures_util::pin_mut!(stream);
            let mut out = Vec::new();
            while let Some(chunk) = futures_util::StreamExt::next(&mut stream).await {
                out.extend_from_slice(&chunk?);
            }
            Ok::<_, tokio_postgres::Error>(String::from_utf8(out).unwrap())
        }
    };
    assert_eq!(
        copy("COPY people (id, ssn, card) TO STDOUT (FORMAT csv)")
            .await
            .unwrap(),
        "1,\"****\",\"************1111\"\n2,\"****\",\"************0004\"\n"
    );
    let e = copy("COPY (SELECT ssn FROM people) TO STDOUT")
        .await
        .unwrap_err();
    assert!(
        e.as_db_error().is_some_and(|d| d
            .message()
            .contains("COPY ... TO of masked columns is refused")),
        "{e:?}"
    );
    env.stop().await;
}
