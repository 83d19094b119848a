//! What a careless or hostile client sends: clear errors, no panic, and the gateway goes on
//! serving everyone else.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{Env, db_error, env, refused};

/// Reads what the gateway says until it closes the connection (or 5 s pass).
async fn read_all(s: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out)).await;
    out
}

/// The message of the first `ErrorResponse` in `bytes`.
fn error_message(bytes: &[u8]) -> String {
    let Some(at) = bytes.iter().position(|&b| b == b'E') else {
        return String::new();
    };
    String::from_utf8_lossy(&bytes[at..]).to_string()
}

async fn still_serving(env: &Env) {
    let token = env.token("alice").await;
    let (c, _conn) = env
        .connect("alice", &token)
        .await
        .expect("the gateway still serves");
    c.simple_query("SELECT 1").await.unwrap();
}

#[tokio::test]
async fn bad_sql_passwords_and_names_get_clear_errors() {
    let Some(env) = env().await else { return };
    let token = env.granted("alice", "db-read", "10m").await;
    let (c, _conn) = env.connect("alice", &token).await.unwrap();
    let (code, message) = refused(&c, "SELEC * FROM customers").await;
    assert_eq!(code, "42601", "{message}");
    assert_eq!(message, "syntax error at or near \"SELEC\"");
    c.simple_query("SELECT 1").await.unwrap();

    let (code, message) = db_error(&env.connect("alice", "wkt_not-a-token").await.err().unwrap());
    assert_eq!(code, "28P01", "{message}");
    let bob = env.token("bob").await;
    let (code, message) = db_error(&env.connect("alice", &bob).await.err().unwrap());
    assert_eq!(code, "28P01");
    assert!(message.contains("belongs to `bob`"), "{message}");

    let wrong_db = env
        .conn_string("alice", &token)
        .replace(&format!("dbname={}", env.target), "dbname=nope");
    let err = tokio_postgres::connect(&wrong_db, tokio_postgres::NoTls)
        .await
        .err()
        .unwrap();
    let (code, message) = db_error(&err);
    assert_eq!(code, "3D000");
    assert!(
        message.contains("unknown gateway target `nope`") && message.contains(&env.target),
        "{message}"
    );
    env.stop().await;
}

#[tokio::test]
async fn oversized_startup_and_random_bytes_do_no_harm() {
    let Some(env) = env().await else { return };
    env.grant("alice", "db-read", "10m").await;
    let addr = format!("127.0.0.1:{}", env.gateway_port());

    // A startup packet announcing 10 MB, and sending them.
    let mut s = TcpStream::connect(&addr).await.unwrap();
    let mut packet = (10_000_000i32).to_be_bytes().to_vec();
    packet.extend_from_slice(&196_608i32.to_be_bytes());
    let _ = s.write_all(&packet).await;
    let _ = s.write_all(&vec![b'x'; 1 << 20]).await;
    let said = error_message(&read_all(&mut s).await);
    assert!(said.contains("larger than the limit"), "{said}");

    // Pure noise before startup.
    let mut s = TcpStream::connect(&addr).await.unwrap();
    let noise: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let _ = s.write_all(&noise).await;
    let _ = read_all(&mut s).await;

    // Random bytes after a good startup: the session ends with a protocol error.
    let token = env.token("alice").await;
    let (c, conn) = env.connect("alice", &token).await.unwrap();
    c.simple_query("SELECT 1").await.unwrap();
    drop((c, conn));
    let mut s = TcpStream::connect(&addr).await.unwrap();
    let mut start = Vec::new();
    for (k, v) in [("user", "alice"), ("database", env.target.as_str())] {
        start.extend_from_slice(k.as_bytes());
        start.push(0);
        start.extend_from_slice(v.as_bytes());
        start.push(0);
    }
    start.push(0);
    let mut startup = ((start.len() + 8) as i32).to_be_bytes().to_vec();
    startup.extend_from_slice(&196_608i32.to_be_bytes());
    startup.extend_from_slice(&start);
    s.write_all(&startup).await.unwrap();
    let mut ask = [0u8; 9];
    s.read_exact(&mut ask).await.unwrap();
    assert_eq!(ask[0], b'R');
    let mut pw = vec![b'p'];
    pw.extend_from_slice(&((token.len() + 5) as i32).to_be_bytes());
    pw.extend_from_slice(token.as_bytes());
    pw.push(0);
    s.write_all(&pw).await.unwrap();
    // The session is open once the gateway says it is ready for a query.
    loop {
        let tag = s.read_u8().await.unwrap();
        let len = s.read_i32().await.unwrap();
        let mut body = vec![0u8; usize::try_from(len - 4).unwrap()];
        s.read_exact(&mut body).await.unwrap();
        assert_ne!(tag, b'E', "{}", String::from_utf8_lossy(&body));
        if tag == b'Z' {
            break;
        }
    }
    s.write_all(&[0x5a, 0xff, 0x00, 0x13, 0x37, 0xde, 0xad, 0xbe, 0xef, 0x01])
        .await
        .unwrap();
    let said = error_message(&read_all(&mut s).await);
    assert!(
        said.contains("08P01") && said.contains("wicket closed the session"),
        "{said}"
    );

    still_serving(&env).await;
    env.stop().await;
}
