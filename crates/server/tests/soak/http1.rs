//! A lean HTTP/1.1 keep-alive client: one request in flight, responses framed by
//! `Content-Length`, so the load generator costs little of the CPU it shares with the server.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub fn post(path: &str, token: &str, body: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

pub fn get(path: &str, token: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\r\n")
        .into_bytes()
}

pub struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

/// The status, where the body starts and how long it is, once the head is complete.
fn frame(buf: &[u8]) -> Result<Option<(u16, usize, usize)>, String> {
    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Ok(None);
    };
    let head = std::str::from_utf8(&buf[..end]).map_err(|_| "a head that is not text")?;
    let status = head
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .ok_or("a response without a status")?;
    let length = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())
        .ok_or_else(|| format!("a response without content-length: {head}"))?;
    Ok(Some((status, end + 4, length)))
}

impl Conn {
    pub async fn connect(addr: SocketAddr) -> Conn {
        let stream = TcpStream::connect(addr).await.unwrap();
        stream.set_nodelay(true).unwrap();
        Conn {
            stream,
            buf: Vec::with_capacity(16 * 1024),
        }
    }

    /// Sends `request`; its status and body.
    pub async fn round_trip(&mut self, request: &[u8]) -> Result<(u16, &[u8]), String> {
        self.stream
            .write_all(request)
            .await
            .map_err(|e| e.to_string())?;
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
    async fn read_more(&mut self, closed: &str) -> Result<(), String> {
        match self.stream.read_buf(&mut self.buf).await {
            Ok(0) => Err(closed.to_string()),
            Ok(_) => Ok(()),
            Err(e) => Err(e.to_string()),
        }
    }
}
