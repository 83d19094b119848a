//! The hostile gateway corpus: raw wire bytes (noise, truncated and oversized messages, bad
//! lengths, unknown protocol versions, broken startup parameters, malformed extended-protocol
//! messages after sign-in) and hostile SQL. Each gets an `ErrorResponse` or a clean close
//! within 5 s, never a hang, and the gateway goes on serving everyone else; a session that
//! saw a denied or broken statement stays usable.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{Env, count, db_error, env};

/// What the gateway said before closing, or `None` when it neither answered nor closed in 35 s.
async fn answer(addr: &str, bytes: &[u8], then_close: bool) -> Option<Vec<u8>> {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let _ = s.write_all(bytes).await;
    if then_close {
        let _ = s.shutdown().await;
    }
    let mut out = Vec::new();
    match tokio::time::timeout(Duration::from_secs(35), s.read_to_end(&mut out)).await {
        Ok(_) => Some(out),
        Err(_) => None,
    }
}

/// True when `bytes` is whole messages ending in a clean close, with an `ErrorResponse` that
/// carries a code and a message if there is one (a refusal of SSL or GSS, `N`, may come first).
fn clear(bytes: &[u8]) -> bool {
    let mut b = bytes;
    if b.first() == Some(&b'N') {
        b = &b[1..];
    }
    while b.len() >= 5 {
        let len = i32::from_be_bytes([b[1], b[2], b[3], b[4]]);
        let Ok(len) = usize::try_from(len) else {
            return false;
        };
        if len < 4 || b.len() < 1 + len {
            return false;
        }
        let body = &b[5..1 + len];
        if b[0] == b'E' {
            let fields: Vec<u8> = body
                .split(|&c| c == 0)
                .filter_map(|f| f.first().copied())
                .collect();
            return fields.contains(&b'C') && fields.contains(&b'M');
        }
        b = &b[1 + len..];
    }
    b.is_empty()
}

/// The message tags in `bytes`, to show what the gateway said.
fn tags(bytes: &[u8]) -> String {
    let mut b = bytes;
    let mut out = String::new();
    while b.len() >= 5 {
        out.push(char::from(b[0]));
        let len = i32::from_be_bytes([b[1], b[2], b[3], b[4]]).max(4) as usize;
        b = &b[(1 + len).min(b.len())..];
    }
    if !b.is_empty() {
        out.push_str(&format!(" +{} bytes", b.len()));
    }
    out
}

/// A startup parameter: its name and raw value.
type Param<'a> = (&'a str, &'a [u8]);

fn startup(params: &[Param], version: i32) -> Vec<u8> {
    let mut body = Vec::new();
    for (k, v) in params {
        body.extend_from_slice(k.as_bytes());
        body.push(0);
        body.extend_from_slice(v);
        body.push(0);
    }
    body.push(0);
    let mut out = ((body.len() + 8) as i32).to_be_bytes().to_vec();
    out.extend_from_slice(&version.to_be_bytes());
    out.extend_from_slice(&body);
    out
}

fn frame(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    out.extend_from_slice(&((body.len() + 4) as i32).to_be_bytes());
    out.extend_from_slice(body);
    out
}

/// Bytes that pass startup and the password, for alice.
fn signed_in(env: &Env, token: &str) -> Vec<u8> {
    let mut out = startup(
        &[("user", b"alice"), ("database", env.target.as_bytes())],
        196_608,
    );
    let mut pw = token.as_bytes().to_vec();
    pw.push(0);
    out.extend(frame(b'p', &pw));
    out
}

/// Deterministic noise.
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[tokio::test]
async fn hostile_wire_bytes_get_an_error_or_a_clean_close() {
    let Some(env) = env().await else { return };
    let token = env.granted("alice", "db-read", "10m").await;
    let addr = format!("127.0.0.1:{}", env.gateway_port());
    let target = env.target.clone();
    let db = target.as_bytes();
    let mut cases: Vec<(String, Vec<u8>, bool)> = Vec::new();
    for seed in 0..24u64 {
        let len = [1, 3, 4, 7, 8, 9, 64, 500, 4096, 20_000][seed as usize % 10];
        cases.push((
            format!("noise {seed} of {len} bytes"),
            noise(seed, len),
            seed % 2 == 0,
        ));
    }
    for len in [0i32, 4, 7, -1, i32::MIN, 10_001, i32::MAX] {
        let mut b = len.to_be_bytes().to_vec();
        b.extend_from_slice(&196_608i32.to_be_bytes());
        b.extend_from_slice(&[0; 16]);
        cases.push((format!("startup length {len}"), b, true));
    }
    for version in [
        0x0002_0000,
        0x0001_0000,
        0x0004_0000,
        0,
        -1,
        0x0003_ffff,
        80_877_105,
    ] {
        cases.push((
            format!("protocol version {version:#x}"),
            startup(&[("user", b"alice"), ("database", db)], version),
            false,
        ));
    }
    let mut ssl_then_noise = 8i32.to_be_bytes().to_vec();
    ssl_then_noise.extend_from_slice(&80_877_103i32.to_be_bytes());
    ssl_then_noise.extend(noise(99, 300));
    cases.push(("SSLRequest then noise".into(), ssl_then_noise, true));
    let mut gss = 8i32.to_be_bytes().to_vec();
    gss.extend_from_slice(&80_877_104i32.to_be_bytes());
    cases.push(("GSSENCRequest".into(), gss, true));
    let mut cancel = 16i32.to_be_bytes().to_vec();
    cancel.extend_from_slice(&80_877_102i32.to_be_bytes());
    cancel.extend_from_slice(&[0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4]);
    cases.push(("CancelRequest for no one".into(), cancel, true));
    let mut cut = 100i32.to_be_bytes().to_vec();
    cut.extend_from_slice(&196_608i32.to_be_bytes());
    cut.extend_from_slice(b"user\0alice\0");
    cases.push(("startup cut short".into(), cut, true));
    let bad_params: [(&str, Vec<Param>); 8] = [
        ("no user", vec![("database", db)]),
        ("no database", vec![("user", b"alice")]),
        (
            "unknown database",
            vec![("user", b"alice"), ("database", b"nope")],
        ),
        ("unknown user", vec![("user", b"mallory"), ("database", db)]),
        (
            "user not UTF-8",
            vec![("user", b"al\xffice"), ("database", db)],
        ),
        ("empty user", vec![("user", b""), ("database", db)]),
        (
            "replication",
            vec![
                ("user", b"alice"),
                ("database", db),
                ("replication", b"true"),
            ],
        ),
        (
            "huge option",
            vec![
                ("user", b"alice"),
                ("database", db),
                ("options", &[b'x'; 9000]),
            ],
        ),
    ];
    for (label, params) in bad_params {
        cases.push((
            format!("startup with {label}"),
            startup(&params, 196_608),
            false,
        ));
    }
    let mut no_nul = 20i32.to_be_bytes().to_vec();
    no_nul.extend_from_slice(&196_608i32.to_be_bytes());
    no_nul.extend_from_slice(b"userxxxxxxxx");
    cases.push(("startup strings without terminators".into(), no_nul, true));
    // After a good sign-in: broken messages.
    let after: Vec<(&str, Vec<u8>)> = vec![
        ("a length of 3", vec![b'Q', 0, 0, 0, 3]),
        ("a negative length", vec![b'Q', 0xff, 0xff, 0xff, 0xff]),
        (
            "a length of 2 GiB",
            vec![b'Q', 0x7f, 0xff, 0xff, 0xff, b's'],
        ),
        ("a length of 65 MiB", {
            let mut b = vec![b'Q'];
            b.extend_from_slice(&(65i32 << 20).to_be_bytes());
            b
        }),
        ("a query without its terminator", frame(b'Q', b"SELECT 1")),
        ("a query not UTF-8", frame(b'Q', b"SELECT '\xff'\0")),
        (
            "a query with trailing bytes",
            frame(b'Q', b"SELECT 1\0junk"),
        ),
        ("a parse cut short", frame(b'P', b"s1\0SELECT 1\0\x00")),
        (
            "a parse with a negative count",
            frame(b'P', b"s1\0SELECT 1\0\xff\xff"),
        ),
        ("a bind cut short", frame(b'B', b"\0s1\0\x00\x05")),
        (
            "a bind of an unknown statement",
            frame(b'B', b"\0nope\0\0\0\0\0\0\0"),
        ),
        ("a describe of kind X", frame(b'D', b"Xs1\0")),
        ("an execute cut short", frame(b'E', b"\0\0\0")),
        ("a close of kind X", frame(b'C', b"Xs1\0")),
        ("an unknown message", frame(b'z', b"hello")),
        (
            "a second startup",
            startup(&[("user", b"alice"), ("database", db)], 196_608),
        ),
        ("a message cut short", vec![b'Q', 0, 0, 1, 0, b'S', b'E']),
        ("noise", noise(7, 2000)),
        ("a copy-data out of nowhere", frame(b'd', b"1\t2\n")),
        (
            "a function call",
            frame(b'F', &[0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0]),
        ),
    ];
    for (label, bytes) in after {
        let mut b = signed_in(&env, &token);
        b.extend(bytes);
        cases.push((format!("after sign-in: {label}"), b, true));
    }
    // All at once: a connection the gateway holds open is closed by its 30 s startup timeout.
    let answers = futures_util::future::join_all(cases.iter().map(|(_, bytes, close)| async {
        let started = std::time::Instant::now();
        (answer(&addr, bytes, *close).await, started.elapsed())
    }))
    .await;
    let mut wrong = Vec::new();
    let mut held = Vec::new();
    for ((label, _, _), (said, took)) in cases.iter().zip(answers) {
        match said {
            None => wrong.push(format!("{label}: neither an answer nor a close within 35s")),
            Some(said) if !clear(&said) => wrong.push(format!("{label}: {}", tags(&said))),
            Some(_) if took > Duration::from_secs(5) => held.push(format!("{label} ({took:.0?})")),
            Some(_) => {}
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} cases:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
    // Still serving.
    let (c, _conn) = env
        .connect("alice", &token)
        .await
        .expect("the gateway still serves");
    c.simple_query("SELECT 1").await.unwrap();
    eprintln!(
        "hostile wire bytes: {} cases, each an ErrorResponse or a clean close; held open until the startup timeout: {}",
        cases.len(),
        if held.is_empty() {
            "none".to_string()
        } else {
            held.join(", ")
        }
    );
    env.stop().await;
}

#[tokio::test]
async fn hostile_sql_gets_an_error_and_the_session_lives_on() {
    let Some(env) = env().await else { return };
    let (c, _conn) = env.session("alice", "db-read", "10m").await;
    let nested = format!("SELECT {}1{}", "(".repeat(10_000), ")".repeat(10_000));
    let long = format!("SELECT '{}'", "x".repeat(10_000));
    let statements: Vec<&str> = vec![
        "SELEC 1",
        "SELECT * FROM",
        "SELECT 'unterminated",
        "SELECT $$unterminated",
        "/* unterminated comment",
        "SELECT 1; DROP TABLE customers",
        "DROP TABLE customers",
        "TRUNCATE customers",
        "DELETE FROM customers",
        "UPDATE customers SET name = 'x'",
        "INSERT INTO customers VALUES (3, 'eve')",
        "CREATE TABLE evil (x int)",
        "ALTER TABLE customers ADD COLUMN x int",
        "COPY customers TO PROGRAM 'id'",
        "COPY customers FROM '/etc/passwd'",
        "SET ROLE postgres",
        "SET SESSION AUTHORIZATION postgres",
        "RESET ROLE; SET ROLE postgres",
        "ALTER SYSTEM SET work_mem = '1GB'",
        "CREATE ROLE evil SUPERUSER",
        "GRANT ALL ON customers TO PUBLIC",
        "SELECT * FROM secret_table_that_is_not_granted.x",
        "WITH d AS (DELETE FROM customers RETURNING *) SELECT * FROM d",
        "SELECT * INTO copy_of_customers FROM customers",
        "CALL some_procedure()",
        "LOAD 'evil.so'",
        "VACUUM FULL",
        "CHECKPOINT",
        "PREPARE p AS DELETE FROM customers",
        "EXPLAIN ANALYZE DELETE FROM customers",
        "SELECT 1 \\g",
        "\u{feff}SELECT 1;;;; DELETE FROM customers",
    ];
    let mut wrong = Vec::new();
    for sql in &statements {
        match c.simple_query(sql).await {
            Ok(_) => wrong.push(format!("accepted: {}", &sql[..sql.len().min(80)])),
            Err(e) => {
                let (code, message) = db_error(&e);
                if code.len() != 5 || message.is_empty() {
                    wrong.push(format!(
                        "{}: unclear error {code} {message}",
                        &sql[..sql.len().min(80)]
                    ));
                }
            }
        }
        // The session lives on after each.
        if let Err(e) = c.simple_query("SELECT 1").await {
            wrong.push(format!(
                "session unusable after {}: {e}",
                &sql[..sql.len().min(80)]
            ));
        }
    }
    // Deep nesting and long text: a SELECT like any other, parsed without harm.
    // (PostgreSQL's parser may refuse the nesting as too deep: a clear error is fine too.)
    for sql in [&nested, &long] {
        if let Err(e) = c.simple_query(sql).await {
            let (code, message) = db_error(&e);
            assert!(code.len() == 5 && !message.is_empty(), "{code} {message}");
        }
        c.simple_query("SELECT 1").await.unwrap();
    }
    assert!(
        wrong.is_empty(),
        "{} of {} statements:\n{}",
        wrong.len(),
        statements.len(),
        wrong.join("\n")
    );
    eprintln!(
        "hostile SQL: {} statements, each an error with a SQLSTATE, the session alive",
        statements.len()
    );
    env.stop().await;
}

/// In a read-write session (every write action, but not `db:ddl` or `db:admin`) PostgreSQL's
/// read-only mode does not stand behind the gateway, and the upstream role owns the tables and
/// would run all of these: each must be the gateway's own refusal.
#[tokio::test]
async fn ddl_and_admin_are_the_gateway_s_refusal_in_a_read_write_session() {
    let Some(env) = env().await else { return };
    let (c, _conn) = env.session("alice", "db-write", "10m").await;
    // The session is read-write: a plain write goes through.
    c.simple_query("INSERT INTO t VALUES (7)").await.unwrap();
    let statements = [
        "DROP TABLE customers",
        "CREATE TABLE evil (x int)",
        "ALTER TABLE customers ADD COLUMN x int",
        "CREATE INDEX ON customers (name)",
        "COMMENT ON TABLE customers IS 'x'",
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'",
        "SELECT * INTO copy_of_customers FROM customers",
        "CREATE TABLE c2 AS SELECT * FROM customers",
        "COPY customers TO PROGRAM 'id'",
        "COPY customers FROM '/etc/passwd'",
        "SET ROLE postgres",
        "SET SESSION AUTHORIZATION postgres",
        "SELECT set_config('role', 'postgres', false)",
        "ALTER SYSTEM SET work_mem = '1GB'",
        "CREATE ROLE evil SUPERUSER",
        "GRANT ALL ON customers TO PUBLIC",
        "DO $$ BEGIN DROP TABLE customers; END $$",
        "SELECT pg_read_file('/etc/passwd')",
        "LOAD 'evil.so'",
        "VACUUM FULL",
        "CHECKPOINT",
        "SET search_path = evil",
    ];
    let mut wrong = Vec::new();
    for sql in statements {
        match c.simple_query(sql).await {
            Ok(_) => wrong.push(format!("accepted: {sql}")),
            Err(e) => {
                let (code, message) = db_error(&e);
                if code != "42501" || !message.starts_with("wicket denied") {
                    wrong.push(format!(
                        "{sql}: not the gateway's refusal: {code} {message}"
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // Nothing changed behind the gateway's back.
    let direct = env.direct().await;
    let columns = count(
        &direct,
        "SELECT count(*) FROM information_schema.columns WHERE table_name = 'customers'",
    )
    .await;
    assert_eq!(columns, 2);
    for table in ["evil", "copy_of_customers", "c2"] {
        let n: i64 = direct
            .query_one(
                "SELECT count(*) FROM pg_class WHERE relname = $1",
                &[&table],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(n, 0, "{table} was created");
    }
    env.stop().await;
}
