//! A client speaking the protocol message by message, for what `tokio-postgres` cannot
//! send: a `Describe` of a portal it did not bind, named statements and portals, SQL that
//! names them, and the `BackendKeyData` it got (as psycopg 3, pgx and asyncpg do).

use std::time::Duration;

use bytes::{Buf, BufMut, BytesMut};
use postgres_protocol::message::frontend;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use wicket_gateway::protocol::error_response::ErrorFields;

use crate::helpers::Env;

/// One message from the server: its type and body.
#[derive(Debug)]
pub struct Msg {
    pub tag: u8,
    pub body: bytes::Bytes,
}

impl Msg {
    pub fn error(&self) -> Option<ErrorFields> {
        (self.tag == b'E').then(|| ErrorFields::decode(&self.body).unwrap())
    }

    /// The values of a `DataRow`, as text.
    pub fn row(&self) -> Vec<Option<String>> {
        assert_eq!(self.tag, b'D');
        let mut b = self.body.clone();
        let n = b.get_i16();
        (0..n)
            .map(|_| {
                let len = b.get_i32();
                (len >= 0).then(|| String::from_utf8(b.split_to(len as usize).to_vec()).unwrap())
            })
            .collect()
    }

    /// The tag of a `CommandComplete`.
    pub fn command(&self) -> String {
        assert_eq!(self.tag, b'C');
        String::from_utf8_lossy(self.body.strip_suffix(&[0]).unwrap()).into_owned()
    }
}

/// A client speaking the protocol message by message.
pub struct Wire {
    stream: TcpStream,
    buf: BytesMut,
    /// From `BackendKeyData`.
    pub pid: i32,
    pub key: i32,
}

impl Wire {
    /// A session of `user` through the gateway, once they hold `role` for `duration`.
    pub async fn session(env: &Env, user: &str, role: &str, duration: &str) -> Wire {
        let token = env.granted(user, role, duration).await;
        Wire::connect(env, user, &token).await
    }

    /// A session of alice whose `db:connect` comes from one grant (`reports-read`) and the
    /// reading of `customers` from another: that grant, as the API shows it, and the session.
    pub async fn customers_from_a_second_grant(env: &Env) -> (serde_json::Value, Wire) {
        env.grant("alice", "reports-read", "30m").await;
        let customers = env.grant("alice", "customers-read", "10m").await;
        let token = env.token("alice").await;
        (customers, Wire::connect(env, "alice", &token).await)
    }

    pub async fn connect(env: &Env, user: &str, token: &str) -> Wire {
        let stream = TcpStream::connect(("127.0.0.1", env.gateway_port()))
            .await
            .unwrap();
        let mut w = Wire {
            stream,
            buf: BytesMut::new(),
            pid: 0,
            key: 0,
        };
        let mut out = BytesMut::new();
        frontend::startup_message(
            [("user", user), ("database", env.target.as_str())],
            &mut out,
        )
        .unwrap();
        w.send(out).await;
        let auth = w.next().await;
        assert_eq!((auth.tag, &auth.body[..]), (b'R', &[0, 0, 0, 3][..]));
        let mut out = BytesMut::new();
        frontend::password_message(token.as_bytes(), &mut out).unwrap();
        w.send(out).await;
        for m in w.until_ready().await {
            assert!(m.error().is_none(), "{:?}", m.error());
            if m.tag == b'K' {
                let mut b = m.body.clone();
                (w.pid, w.key) = (b.get_i32(), b.get_i32());
            }
        }
        w
    }

    pub async fn send(&mut self, bytes: BytesMut) {
        self.stream.write_all(&bytes).await.unwrap();
    }

    pub async fn next(&mut self) -> Msg {
        loop {
            if self.buf.len() >= 5 {
                let len = i32::from_be_bytes(self.buf[1..5].try_into().unwrap()) as usize;
                if self.buf.len() > len {
                    let mut whole = self.buf.split_to(len + 1);
                    let tag = whole.get_u8();
                    whole.advance(4);
                    return Msg {
                        tag,
                        body: whole.freeze(),
                    };
                }
            }
            let read =
                tokio::time::timeout(Duration::from_secs(20), self.stream.read_buf(&mut self.buf))
                    .await
                    .expect("the gateway answers")
                    .unwrap();
            assert!(read > 0, "the gateway closed the connection");
        }
    }

    /// Every message up to and including the next `ReadyForQuery`.
    pub async fn until_ready(&mut self) -> Vec<Msg> {
        let mut out = Vec::new();
        loop {
            let m = self.next().await;
            let done = m.tag == b'Z';
            out.push(m);
            if done {
                return out;
            }
        }
    }

    /// Sends what `build` writes, then `Sync`; the answers.
    pub async fn batch(&mut self, build: impl FnOnce(&mut BytesMut)) -> Vec<Msg> {
        let mut out = BytesMut::new();
        build(&mut out);
        frontend::sync(&mut out);
        self.send(out).await;
        self.until_ready().await
    }

    /// A simple query; its answers.
    pub async fn query(&mut self, sql: &str) -> Vec<Msg> {
        let mut out = BytesMut::new();
        frontend::query(sql, &mut out).unwrap();
        self.send(out).await;
        self.until_ready().await
    }

    /// A simple query that must succeed; its rows.
    pub async fn rows(&mut self, sql: &str) -> Vec<Vec<Option<String>>> {
        let answers = self.query(sql).await;
        assert_eq!(errors(&answers), Vec::<String>::new(), "{sql}");
        answers
            .iter()
            .filter(|m| m.tag == b'D')
            .map(Msg::row)
            .collect()
    }

    /// How many prepared statements the upstream session holds.
    pub async fn prepared_upstream(&mut self) -> String {
        let rows = self
            .rows("SELECT count(*) FROM pg_prepared_statements")
            .await;
        rows[0][0].clone().unwrap()
    }
}

pub fn parse(out: &mut BytesMut, name: &str, sql: &str) {
    frontend::parse(name, sql, std::iter::empty(), out).unwrap();
}

/// A `Bind` without parameters, results as text.
pub fn bind(out: &mut BytesMut, portal: &str, statement: &str) {
    out.put_u8(b'B');
    let at = out.len();
    out.put_i32(0);
    for s in [portal, statement] {
        out.put_slice(s.as_bytes());
        out.put_u8(0);
    }
    out.put_i16(0);
    out.put_i16(0);
    out.put_i16(0);
    let len = (out.len() - at) as i32;
    out[at..at + 4].copy_from_slice(&len.to_be_bytes());
}

pub fn execute(out: &mut BytesMut, portal: &str, rows: i32) {
    frontend::execute(portal, rows, out).unwrap();
}

/// `SQLSTATE message` of every error among `answers`.
pub fn errors(answers: &[Msg]) -> Vec<String> {
    answers
        .iter()
        .filter_map(Msg::error)
        .map(|e| format!("{} {}", e.code(), e.message()))
        .collect()
}

pub fn tags(answers: &[Msg]) -> String {
    answers.iter().map(|m| m.tag as char).collect()
}
