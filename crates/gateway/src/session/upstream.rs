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

/// SQLSTATE `too_many_connections`: no connection slot left on the server.
const TOO_MANY_CONNECTIONS: &str = "53300";

/// A ready upstream connection.
pub struct Upstream {
    pub stream: TcpStream,
    /// Bytes read past the first `ReadyForQuery` (none from a well-behaved server).
    pub leftover: BytesMut,
    /// The server's `ParameterStatus` reports, in order, as it sent them.
    pub parameters: Vec<(String, String)>,
    /// The server's `BackendKeyData`, for cancels.
    pub key: Option<(i32, i32)>,
}

/// Connects to `target`'s database with `params` (besides user and database) and logs in.
pub async fn connect(target: &Target, params: &[(&str, &str)]) -> Result<Upstream, SessionError> {
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
    let mut parameters = Vec::new();
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
                        let s = under_way(&mut scram)?;
                        s.update(&data).map_err(scram_failed)?;
                        encode_sasl_response(&mut out, s.message());
                    }
                    AuthRequest::SaslFinal { data } => {
                        under_way(&mut scram)?.finish(&data).map_err(scram_failed)?;
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
                let message = format!("the server refused: {} ({})", e.message(), e.code());
                return Err(if e.code() == TOO_MANY_CONNECTIONS {
                    SessionError::UpstreamFull(message)
                } else {
                    SessionError::Upstream(message)
                });
            }
            b'S' => {
                let (name, value) = parameter_status(&frame.body)?;
                set_parameter(&mut parameters, &name, &value);
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

impl Upstream {
    /// The `ParameterStatus` messages the client gets at startup: the server's, except that
    /// the client sees its own identity, `wicket_user`, not the gateway's database user.
    pub fn greeting_parameters(&self, wicket_user: &str) -> BytesMut {
        greeting(&self.parameters, wicket_user)
    }
}

fn greeting(parameters: &[(String, String)], wicket_user: &str) -> BytesMut {
    let mut out = BytesMut::new();
    for (name, value) in parameters {
        let value = if name == "session_authorization" {
            wicket_user
        } else {
            value
        };
        put_frame(&mut out, b'S', |b| {
            put_cstr(b, name);
            put_cstr(b, value);
        });
    }
    out
}

/// Records a `ParameterStatus` report: a later one replaces an earlier one of that name.
pub fn set_parameter(parameters: &mut Vec<(String, String)>, name: &str, value: &str) {
    match parameters.iter_mut().find(|(n, _)| n == name) {
        Some(p) => p.1 = value.to_string(),
        None => parameters.push((name.to_string(), value.to_string())),
    }
}

fn password(target: &Target) -> Result<&str, SessionError> {
    target.password.as_ref().map(|p| p.expose()).ok_or_else(|| {
        SessionError::Upstream("the server asks for a password and the target has no `password_env` or `password_file`".into())
    })
}

/// The SCRAM exchange under way; a SASL message without one is the server's mistake.
fn under_way(scram: &mut Option<ScramSha256>) -> Result<&mut ScramSha256, SessionError> {
    scram
        .as_mut()
        .ok_or_else(|| SessionError::Upstream("unexpected SASL message".into()))
}

/// A SCRAM step the server's message failed.
fn scram_failed(e: std::io::Error) -> SessionError {
    SessionError::Upstream(format!("SCRAM: {e}"))
}

async fn send(reader: &mut FrameReader<TcpStream>, bytes: &[u8]) -> Result<(), SessionError> {
    let (stream, _) = reader.parts_mut();
    stream.write_all(bytes).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::protocol::split_frame;

    #[test]
    fn the_client_sees_its_own_identity_and_the_latest_reports() {
        let mut parameters = Vec::new();
        set_parameter(&mut parameters, "session_authorization", "wicket_gw");
        set_parameter(&mut parameters, "application_name", "psql");
        set_parameter(&mut parameters, "TimeZone", "UTC");
        // A later report of a name replaces the earlier one, in place.
        set_parameter(&mut parameters, "application_name", "wicket");
        let mut bytes = greeting(&parameters, "alice");
        let mut seen = Vec::new();
        while let Some(frame) = split_frame(&mut bytes, MAX_MESSAGE).unwrap() {
            assert_eq!(frame.tag, b'S');
            seen.push(parameter_status(&frame.body).unwrap());
        }
        let seen: Vec<(&str, &str)> = seen.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        assert_eq!(
            seen,
            [
                ("session_authorization", "alice"),
                ("application_name", "wicket"),
                ("TimeZone", "UTC")
            ]
        );
    }
}
