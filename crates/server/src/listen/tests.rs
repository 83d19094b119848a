//! The idle timeout on real sockets: an idle connection and one dripping its headers are
//! closed; a response that takes longer than the timeout to write is delivered whole.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::serve_with;

/// The idle timeout these tests serve with.
const IDLE: Duration = Duration::from_millis(300);
/// The longest a test waits for what should take about [`IDLE`], on a loaded machine.
const BOUND: Duration = Duration::from_secs(30);

/// Serves a router with `/` (a short answer) and `/slow` (four pages, `IDLE / 2` apart) on a
/// fresh port, on a runtime of its own thread; returns its address and its stop.
fn start() -> (SocketAddr, watch::Sender<bool>) {
    let (ready, address) = std::sync::mpsc::channel();
    let (stop, stopped) = watch::channel(false);
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            ready.send(listener.local_addr().unwrap()).unwrap();
            let router = Router::new()
                .route("/", get(|| async { "ok" }))
                .route("/slow", get(|| async { Body::from_stream(pages()) }));
            serve_with(listener, router, stopped, IDLE).await.unwrap();
        });
    });
    (address.recv().unwrap(), stop)
}

/// Four pages, `IDLE / 2` apart.
fn pages() -> impl futures_util::Stream<Item = Result<Bytes, std::convert::Infallible>> + Send {
    futures_util::stream::unfold(0, |n| async move {
        if n == 4 {
            return None;
        }
        tokio::time::sleep(IDLE / 2).await;
        Some((Ok(Bytes::from(format!("page {n};"))), n + 1))
    })
}

/// Reads until the server closes the connection; fails if it is still open after [`BOUND`].
fn read_until_closed(s: &mut TcpStream) -> String {
    s.set_read_timeout(Some(BOUND)).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return String::from_utf8_lossy(&out).into_owned(),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                return String::from_utf8_lossy(&out).into_owned();
            }
            Err(e) => panic!("the connection was still open after {BOUND:?}: {e}"),
        }
    }
}

/// Sends `request` on a fresh connection; what the server wrote until it closed it.
fn exchange(addr: SocketAddr, request: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    read_until_closed(&mut s)
}

#[test]
fn an_idle_connection_is_closed() {
    let (addr, _stop) = start();
    let mut s = TcpStream::connect(addr).unwrap();
    let opened = Instant::now();
    assert_eq!(read_until_closed(&mut s), "", "closed without a word");
    assert!(opened.elapsed() < BOUND);
}

#[test]
fn a_keep_alive_connection_is_closed_once_idle_after_its_answer() {
    let (addr, _stop) = start();
    let answer = exchange(addr, "GET / HTTP/1.1\r\nHost: wicket\r\n\r\n");
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    assert!(answer.ends_with("ok"), "{answer}");
}

#[test]
fn a_client_dripping_its_headers_is_closed() {
    let (addr, _stop) = start();
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nHost: wicket\r\n").unwrap();
    s.set_read_timeout(Some(IDLE / 4)).unwrap();
    let started = Instant::now();
    let mut buf = [0u8; 64];
    // A byte of header every quarter of the timeout, never the blank line that ends them.
    loop {
        assert!(
            started.elapsed() < BOUND,
            "a dripping client was held for {BOUND:?}"
        );
        if s.write_all(b"X").is_err() {
            break;
        }
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => panic!("the server answered {n} bytes to unfinished headers"),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(_) => {}
        }
    }
}

#[test]
fn a_response_written_for_longer_than_the_timeout_is_delivered_whole() {
    let (addr, _stop) = start();
    let answer = exchange(addr, "GET /slow HTTP/1.1\r\nHost: wicket\r\n\r\n");
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    for page in ["page 0;", "page 1;", "page 2;", "page 3;"] {
        assert!(answer.contains(page), "{page} is missing: {answer}");
    }
}
