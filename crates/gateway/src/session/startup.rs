//! A client's way in: `SSLRequest` (TLS when the listener has a certificate, `N` otherwise),
//! the startup message, the cleartext password that is a wicket token, and the checks that
//! the token is the named user's and that the user may connect to the named target.

use std::sync::Arc;

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use wicket_core::Action;

use crate::authorize;
use crate::error::SessionError;
use crate::listener::Listener;
use crate::protocol::auth::{AuthRequest, decode_password};
use crate::protocol::error_response::{ErrorFields, code};
use crate::protocol::startup::{Startup, encode_negotiate};
use crate::protocol::{MAX_STARTUP, split_frame};
use crate::stream::ClientStream;
use crate::target::Target;

/// A client that asked for a session.
pub struct Hello {
    pub stream: ClientStream,
    pub params: Vec<(String, String)>,
}

impl Hello {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Reads first packets until a startup message; `None` for a cancel or a client that left.
pub async fn hello(tcp: TcpStream, listener: &Listener) -> Result<Option<Hello>, SessionError> {
    let mut stream = ClientStream::Plain(tcp);
    loop {
        let Some(packet) = read_packet(&mut stream).await? else {
            return Ok(None);
        };
        match Startup::decode(&packet) {
            Err(e) => {
                return Err(refuse(
                    &mut stream,
                    ErrorFields::fatal(code::PROTOCOL_VIOLATION, e.to_string()),
                )
                .await);
            }
            Ok(Startup::Ssl) => match (stream, &listener.tls) {
                (ClientStream::Plain(mut tcp), Some(acceptor)) => {
                    tcp.write_all(b"S").await?;
                    let tls = acceptor.accept(tcp).await.map_err(SessionError::Tls)?;
                    stream = ClientStream::Tls(Box::new(tls));
                }
                (mut s, _) => {
                    // No certificate here (or TLS already on): the client may go on in clear
                    // text, or leave if it insists on TLS.
                    s.write_all(b"N").await?;
                    stream = s;
                }
            },
            Ok(Startup::GssEnc) => stream.write_all(b"N").await?,
            Ok(Startup::Cancel { pid, key }) => {
                listener.cancels.cancel(pid, key).await;
                return Ok(None);
            }
            Ok(Startup::Start { minor, params }) => {
                let unknown: Vec<&str> = params
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .filter(|n| n.starts_with("_pq_."))
                    .collect();
                if minor > 0 || !unknown.is_empty() {
                    let mut out = BytesMut::new();
                    encode_negotiate(&mut out, &unknown);
                    stream.write_all(&out).await?;
                }
                return Ok(Some(Hello { stream, params }));
            }
        }
    }
}

/// One startup-phase packet (length first); `None` when the client closed before sending one.
async fn read_packet(stream: &mut ClientStream) -> Result<Option<Vec<u8>>, SessionError> {
    let mut head = [0u8; 4];
    match stream.read_exact(&mut head).await {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e.into()),
    }
    let len = match Startup::len(&head) {
        Ok(Some(len)) => len,
        Ok(None) => return Ok(None),
        Err(e) => {
            let message = format!("invalid startup packet: {e}");
            return Err(refuse(
                stream,
                ErrorFields::fatal(code::PROTOCOL_VIOLATION, message),
            )
            .await);
        }
    };
    let mut packet = vec![0u8; len];
    packet[..4].copy_from_slice(&head);
    stream.read_exact(&mut packet[4..]).await?;
    Ok(Some(packet))
}

/// Who connected, to which target.
pub struct Authenticated {
    pub user: String,
    pub target: Arc<Target>,
    /// The grant that allows `db:connect`, if it is not a standing role.
    pub grant: Option<String>,
}

/// Asks for the token, checks it, the user name and `db:connect`. `None`: the client left
/// instead of answering (as `psql` does before it prompts for a password).
pub async fn authenticate(
    hello: &mut Hello,
    listener: &Listener,
) -> Result<Option<Authenticated>, SessionError> {
    let stream = &mut hello.stream;
    let user = match hello.params.iter().find(|(n, _)| n == "user") {
        Some((_, u)) if !u.is_empty() => u.clone(),
        _ => {
            return Err(refuse(
                stream,
                ErrorFields::fatal(code::INVALID_AUTHORIZATION, "no user name was given"),
            )
            .await);
        }
    };
    let replication = hello
        .params
        .iter()
        .find(|(n, _)| n == "replication")
        .map(|(_, v)| v.as_str());
    if replication.is_some_and(|v| !matches!(v, "false" | "0" | "off" | "no")) {
        let e = ErrorFields::fatal(
            code::FEATURE_NOT_SUPPORTED,
            "replication connections are not supported by the wicket gateway",
        );
        return Err(refuse(stream, e).await);
    }
    let database = hello
        .params
        .iter()
        .find(|(n, _)| n == "database")
        .map_or(user.as_str(), |(_, d)| d.as_str());
    let Some(target) = listener
        .targets
        .iter()
        .find(|t| t.config.name == database)
        .cloned()
    else {
        let names: Vec<String> = listener
            .targets
            .iter()
            .map(|t| format!("`{}`", t.config.name))
            .collect();
        let message = format!(
            "unknown gateway target `{database}`; this address serves {}",
            names.join(", ")
        );
        return Err(refuse(
            stream,
            ErrorFields::fatal(code::INVALID_CATALOG_NAME, message),
        )
        .await);
    };
    let mut out = BytesMut::new();
    AuthRequest::Cleartext.encode(&mut out);
    stream.write_all(&out).await?;
    let Some(token) = read_password(stream).await? else {
        return Ok(None);
    };
    let app = &listener.app;
    let record = match wicket_engine::tokens::verify_token(app, &token).await {
        Ok(r) => r,
        Err(e) => {
            let message = format!(
                "password authentication failed for user `{user}`: {}; the password is a wicket token",
                e.public_message()
            );
            return Err(refuse(stream, ErrorFields::fatal(code::INVALID_PASSWORD, message)).await);
        }
    };
    if record.user != user {
        let message = format!(
            "password authentication failed for user `{user}`: the token belongs to `{}`",
            record.user
        );
        return Err(refuse(stream, ErrorFields::fatal(code::INVALID_PASSWORD, message)).await);
    }
    let now = wicket_engine::app::now();
    let resource = &target.config.resource;
    let connect = Action::parse("db:connect").map_err(|e| SessionError::Upstream(e.message))?;
    let decision = app.decide(&user, &connect, resource, now);
    if !decision.allowed {
        crate::session::events::connect_denied(app, &user, &target, &decision, now).await;
        let denial = authorize::denied(&app.config, &user, &connect, resource, &decision);
        return Err(refuse(stream, denial.error.into_fatal()).await);
    }
    let grant = decision.via.and_then(|v| v.grant_id);
    Ok(Some(Authenticated {
        user,
        target,
        grant,
    }))
}

async fn read_password(stream: &mut ClientStream) -> Result<Option<String>, SessionError> {
    let mut buf = BytesMut::with_capacity(256);
    loop {
        if let Some(frame) = split_frame(&mut buf, MAX_STARTUP)? {
            if frame.tag != b'p' {
                let message = format!(
                    "expected a password message, got message type `{}`",
                    char::from(frame.tag)
                );
                return Err(refuse(
                    stream,
                    ErrorFields::fatal(code::PROTOCOL_VIOLATION, message),
                )
                .await);
            }
            return Ok(Some(decode_password(&frame.body)?));
        }
        if stream.read_buf(&mut buf).await? == 0 {
            return Ok(None);
        }
    }
}

/// Sends `error` and returns it as the session's end. What the client still sends is read
/// and dropped for a moment, so that closing does not reset the connection before the client
/// has read the error.
pub async fn refuse(stream: &mut ClientStream, error: ErrorFields) -> SessionError {
    let mut out = BytesMut::new();
    error.encode(&mut out);
    let _ = stream.write_all(&out).await;
    let _ = stream.shutdown().await;
    let _ = tokio::time::timeout(DRAIN, async {
        let mut sink = [0u8; 8192];
        while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
    })
    .await;
    SessionError::Refused(error)
}

/// How long a refused client's remaining input is drained.
const DRAIN: std::time::Duration = std::time::Duration::from_millis(500);
