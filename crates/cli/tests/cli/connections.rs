//! Idle and slow clients cannot lock the server out: `wicket serve` with its open-file limit
//! at 1,024 (systemd's default soft limit, here also the hard one, so it cannot be raised) is
//! held by 1,500 idle TCP connections and 500 clients dripping their headers a byte at a time,
//! and must still answer `/healthz` and an audited check on fresh connections; the idle ones
//! are closed (shed at the connection cap, or by the 10 s header timeout).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::support::{Server, fixture, sqlite};

const IDLE: usize = 1_500;
const DRIPPING: usize = 500;
/// The longest a probe may wait on a loaded machine; it is answered in milliseconds.
const BOUND: Duration = Duration::from_secs(30);

/// One HTTP/1.1 exchange on a fresh connection: the status line.
fn probe(addr: SocketAddr, request: &str) -> String {
    let mut s = TcpStream::connect_timeout(&addr, BOUND).expect("a fresh connection is accepted");
    s.set_read_timeout(Some(BOUND)).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out.lines().next().unwrap_or_default().to_string()
}

#[test]
fn idle_and_dripping_clients_under_a_low_file_limit_do_not_lock_the_server_out() {
    // The test holds 2,000 sockets itself.
    let nofile = wicket_engine::limits::raise_nofile();
    assert!(
        nofile >= 2_300,
        "this test needs an open-file limit of 2,300 for its own sockets; the hard limit is {nofile}"
    );
    let dir = tempfile::tempdir().unwrap();
    let database = sqlite(dir.path());
    let server = Server::start_with_nofile(&fixture("wicket.toml"), &database, 1_024);
    let alice = server.token("alice");
    let addr: SocketAddr = server.url.trim_start_matches("http://").parse().unwrap();

    let mut idle = Vec::with_capacity(IDLE);
    for _ in 0..IDLE {
        idle.push(TcpStream::connect_timeout(&addr, BOUND).expect("an idle connection opens"));
    }
    let mut dripping = Vec::with_capacity(DRIPPING);
    for _ in 0..DRIPPING {
        let mut s = TcpStream::connect_timeout(&addr, BOUND).expect("a slow connection opens");
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: wicket\r\n")
            .unwrap();
        s.set_nonblocking(true).unwrap();
        dripping.push(s);
    }
    let stop = Arc::new(AtomicBool::new(false));
    let drip = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                for s in &mut dripping {
                    let _ = s.write(b"X");
                }
                std::thread::sleep(Duration::from_millis(500));
            }
        })
    };

    let start = Instant::now();
    let mut slowest = Duration::ZERO;
    for _ in 0..10 {
        let t = Instant::now();
        let health = probe(
            addr,
            "GET /healthz HTTP/1.1\r\nHost: wicket\r\nConnection: close\r\n\r\n",
        );
        assert_eq!(health, "HTTP/1.1 200 OK", "/healthz under the flood");
        let body = r#"{"action":"db:delete","resource":"postgres/prod/orders/public/orders"}"#;
        let check = probe(
            addr,
            &format!(
                "POST /v1/check HTTP/1.1\r\nHost: wicket\r\nAuthorization: Bearer {alice}\r\n\
                 Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            ),
        );
        assert_eq!(check, "HTTP/1.1 200 OK", "an audited check under the flood");
        slowest = slowest.max(t.elapsed());
    }
    assert!(
        start.elapsed() < BOUND * 2,
        "probes took {:?}",
        start.elapsed()
    );

    // The idle connections are closed by the server, not held.
    let closed_by = Instant::now();
    for s in idle.iter_mut().take(20) {
        s.set_read_timeout(Some(BOUND)).unwrap();
        let mut buf = [0u8; 64];
        match s.read(&mut buf) {
            Ok(0) | Err(_) => {}
            Ok(n) => panic!("an idle connection was sent {n} bytes instead of being closed"),
        }
    }
    assert!(
        closed_by.elapsed() < BOUND,
        "idle connections held {:?}",
        closed_by.elapsed()
    );
    stop.store(true, Ordering::SeqCst);
    drip.join().unwrap();
    eprintln!(
        "{IDLE} idle and {DRIPPING} dripping connections under NOFILE 1,024: the slowest probe pair took {slowest:?}; idle connections closed within {:?}",
        closed_by.elapsed()
    );
    server.stop();
}
