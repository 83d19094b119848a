//! A minimal HTTP/1.1 client for load generation (the benchmarks, the server's soak test): one
//! keep-alive connection, one request in flight, requests prepared once as bytes, responses
//! framed by `Content-Length`. Lean on purpose: on a 2-core machine the load generator shares
//! the CPU with the server.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Why a round trip failed.
#[derive(Debug, thiserror::Error)]
pub enum Http1Error {
    #[error("connecting to {addr}: {source}")]
    Connect {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Response(String),
}

/// A complete `POST` request with a JSON body and a bearer token.
pub fn post(path: &str, token: &str, body: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// A complete `GET` request with a bearer token.
pub fn get(path: &str, token: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\r\n")
        .into_bytes()
}

pub struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

/// The status, where the body starts and how long it is, once the head is complete.
fn frame(buf: &[u8]) -> Result<Option<(u16, usize, usize)>, Http1Error> {
    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Ok(None);
    };
    let bad = Http1Error::Response;
    let head = std::str::from_utf8(&buf[..end])
        .map_err(|_| bad("a response head that is not text".into()))?;
    let status = head
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("a response without a status".into()))?;
    let length = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())
        .ok_or_else(|| bad(format!("a response without content-length: {head}")))?;
    Ok(Some((status, end + 4, length)))
}

impl Conn {
    pub async fn connect(addr: SocketAddr) -> Result<Conn, Http1Error> {
        let stream = TcpStream::connect(addr)
            .await
            .map_err(|source| Http1Error::Connect { addr, source })?;
        stream.set_nodelay(true)?;
        Ok(Conn {
            stream,
            buf: Vec::with_capacity(16 * 1024),
        })
    }

    /// Sends `request` and reads its response: the status and the body.
    pub async fn round_trip(&mut self, request: &[u8]) -> Result<(u16, &[u8]), Http1Error> {
        self.stream.write_all(request).await?;
        self.buf.clear();
        loop {
            if let Some((status, start, length)) = frame(&self.buf)? {
                while self.buf.len() < start + length {
                    self.read_more("the server closed the connection mid-response")
                        .await?;
                }
                return Ok((status, &self.buf[start..start + length]));
            }
            self.read_more("the server closed the connection").await?;
        }
    }

    /// Reads what has come into the buffer; `closed` is the error when the server has closed
    /// the connection instead.
    async fn read_more(&mut self, closed: &str) -> Result<(), Http1Error> {
        match self.stream.read_buf(&mut self.buf).await? {
            0 => Err(Http1Error::Response(closed.to_string())),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::frame;

    #[test]
    fn frames_a_response() {
        let r = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nContent-Length: 2\r\n\r\n{}";
        assert_eq!(frame(r).unwrap(), Some((200, r.len() - 2, 2)));
        assert_eq!(frame(b"HTTP/1.1 200 OK\r\n").unwrap(), None);
        assert!(frame(b"HTTP/1.1 200 OK\r\n\r\n").is_err());
    }
}
