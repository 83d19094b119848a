//! Opening the session's connection to the real database: startup, then cleartext, MD5 or
//! SCRAM-SHA-256 with the gateway's own password, which goes nowhere else.

use std::time::Duration;

use bytes::BytesMut;
use postgres_protocol::authentication::md5_hash;
use postgres_protocol::authentication::sasl::{ChannelBinding, SCRAM_SHA_256, ScramSha256};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use super::frames::FrameReader;
use crate::error::SessionError;
use crate::protocol::auth::{
    AuthRequest, encode_password, encode_sasl_initial, encode_sasl_response,
};
use crate::protocol::backend::{backend_key, parameter_status};
use crate::protocol::error_response::ErrorFields;
use crate::protocol::startup::encode_start;
use crate::protocol::{MAX_MESSAGE, put_cstr, put_frame};
use crate::target::Target;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A ready upstream connection.
pub struct Upstream {
    pub stream: TcpStream,
    /// Bytes read past the first `ReadyForQuery` (none from a well-behaved server).
    pub leftover: BytesMut,
    /// `ParameterStatus` messages to pass on to the client.
    pub parameters: BytesMut,
    /// The server's `BackendKeyData`, for cancels.
    pub key: Option<(i32, i32)>,
}

/// Connects to `target`'s database with `params` (besides user and database) and logs in.
pub async fn connect(
    target: &Target,
    params: &[(&str, &str)],
    wicket_user: &str,
) -> Result<Upstream, SessionError> {
    let up = &target.config.upstream;
    let address = up.address();
    let stream = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(&address))
        .await
        .map_err(|_| SessionError::Upstream(format!("connecting to `{address}` timed out")))?
        .map_err(|e| SessionError::Upstream(format!("connecting to `{address}`: {e}")))?;
    stream.set_nodelay(true)?;
    let mut startup: Vec<(&str, &str)> = vec![("user", &up.user), ("database", &up.database)];
    startup.extend_from_slice(params);
    let mut out = BytesMut::new();
    encode_start(&mut out, &startup);
    let mut reader = FrameReader::new(stream, MAX_MESSAGE);
    send(&mut reader, &out).await?;
    let mut scram: Option<ScramSha256> = None;
    let mut parameters = BytesMut::new();
    let mut key = None;
    loop {
        let frame = reader.next().await?.ok_or_else(|| {
            SessionError::Upstream("the server closed the connection during startup".into())
        })?;
        match frame.tag {
            b'R' => {
                let mut out = BytesMut::new();
                match AuthRequest::decode(&frame.body)? {
                    AuthRequest::Ok => continue,
                    AuthRequest::Cleartext => {
                        encode_password(&mut out, password(target)?.as_bytes())
                    }
                    AuthRequest::Md5 { salt } => {
                        let hash = md5_hash(up.user.as_bytes(), password(target)?.as_bytes(), salt);
                        encode_password(&mut out, hash.as_bytes());
                    }
                    AuthRequest::Sasl { mechanisms } => {
                        if !mechanisms.iter().any(|m| m == SCRAM_SHA_256) {
                            return Err(SessionError::Upstream(format!(
                                "the server offers only {mechanisms:?}"
                            )));
                        }
                        let s = ScramSha256::new(
                            password(target)?.as_bytes(),
                            ChannelBinding::unsupported(),
                        );
                        encode_sasl_initial(&mut out, SCRAM_SHA_256, s.message());
                        scram = Some(s);
                    }
                    AuthRequest::SaslContinue { data } => {
                        let s = scram.as_mut().ok_or_else(|| {
                            SessionError::Upstream("unexpected SASL message".into())
                        })?;
                        s.update(&data)
                            .map_err(|e| SessionError::Upstream(format!("SCRAM: {e}")))?;
                        encode_sasl_response(&mut out, s.message());
                    }
                    AuthRequest::SaslFinal { data } => {
                        let s = scram.as_mut().ok_or_else(|| {
                            SessionError::Upstream("unexpected SASL message".into())
                        })?;
                        s.finish(&data)
                            .map_err(|e| SessionError::Upstream(format!("SCRAM: {e}")))?;
                        continue;
                    }
                    AuthRequest::Other(code) => {
                        return Err(SessionError::Upstream(format!(
                            "the server asks for authentication method {code}"
                        )));
                    }
                }
                send(&mut reader, &out).await?;
            }
            b'E' => {
                let e = ErrorFields::decode(&frame.body)?;
                return Err(SessionError::Upstream(format!(
                    "the server refused: {} ({})",
                    e.message(),
                    e.code()
                )));
            }
            b'S' => {
                let (name, value) = parameter_status(&frame.body)?;
                // The client sees its own identity, not the gateway's database user.
                let value = if name == "session_authorization" {
                    wicket_user.to_string()
                } else {
                    value
                };
                put_frame(&mut parameters, b'S', |b| {
                    put_cstr(b, &name);
                    put_cstr(b, &value);
                });
            }
            b'K' => key = Some(backend_key(&frame.body)?),
            b'Z' => break,
            // Notices and a `NegotiateProtocolVersion` need no answer.
            _ => {}
        }
    }
    let (stream, leftover) = reader.into_parts();
    Ok(Upstream {
        stream,
        leftover,
        parameters,
        key,
    })
}

fn password(target: &Target) -> Result<&str, SessionError> {
    target.password.as_ref().map(|p| p.expose()).ok_or_else(|| {
        SessionError::Upstream("the server asks for a password and the target has no `password_env` or `password_file`".into())
    })
}

async fn send(reader: &mut FrameReader<TcpStream>, bytes: &[u8]) -> Result<(), SessionError> {
    let (stream, _) = reader.parts_mut();
    stream.write_all(bytes).await?;
    Ok(())
}
