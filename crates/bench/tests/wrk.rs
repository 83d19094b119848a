//! `wicket_bench::wrk` drives the real `wrk` (Debian's package): a small HTTP server on a real
//! socket records every request it receives, and each must be one of the pool's, byte for byte.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use wicket_bench::http1;
use wicket_bench::load::Phase;

type Seen = Arc<Mutex<Vec<Vec<u8>>>>;

/// Reads requests off `stream` until it closes, recording each whole and answering `status`.
fn serve_connection(stream: TcpStream, status: &'static str, seen: Seen) {
    let mut reader = BufReader::new(stream.try_clone().expect("cloning the stream"));
    let mut writer = stream;
    loop {
        let mut request = Vec::new();
        let mut length = 0usize;
        loop {
            let mut line = Vec::new();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let text = String::from_utf8_lossy(&line).to_ascii_lowercase();
            if let Some(v) = text.strip_prefix("content-length:") {
                length = v.trim().parse().expect("a content length");
            }
            request.extend_from_slice(&line);
            if line == b"\r\n" {
                break;
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        request.extend_from_slice(&body);
        seen.lock().expect("the record").push(request);
        let answer = format!("HTTP/1.1 {status}\r\nContent-Length: 2\r\n\r\nok");
        if writer.write_all(answer.as_bytes()).is_err() {
            return;
        }
    }
}

/// A server answering every request with `status`, recording what it received.
fn server(status: &'static str) -> (SocketAddr, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binding");
    let addr = listener.local_addr().expect("its address");
    let seen: Seen = Arc::default();
    let record = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let record = record.clone();
            std::thread::spawn(move || serve_connection(stream, status, record));
        }
    });
    (addr, seen)
}

fn pool() -> Vec<Vec<u8>> {
    (0..3)
        .map(|k| {
            http1::post(
                "/v1/check",
                "tok\"en\\",
                &format!(r#"{{"action":"db:select","resource":"pg/prod/s0/public/t{k}"}}"#),
            )
        })
        .collect()
}

fn phase() -> Phase {
    Phase {
        connections: 2,
        warmup: Duration::ZERO,
        duration: Duration::from_secs(1),
    }
}

#[test]
fn wrk_sends_the_pool_byte_for_byte_and_its_summary_is_read() {
    let (addr, seen) = server("200 OK");
    let pool = pool();
    let (outcome, _cpu) = wicket_bench::wrk::run(addr, &pool, phase())
        .expect("running wrk (Debian's `wrk` package; scripts/setup.sh installs it)");
    assert!(outcome.requests > 0, "{outcome:?}");
    assert_eq!(outcome.statuses.get(&200), Some(&outcome.requests));
    assert!(outcome.latency.p50 > 0 && outcome.latency.p50 <= outcome.latency.max);
    let seen = seen.lock().expect("the record");
    assert!(seen.len() as u64 >= outcome.requests);
    for request in seen.iter() {
        assert!(
            pool.contains(request),
            "wrk sent a request not in the pool: {}",
            String::from_utf8_lossy(request)
        );
    }
    for request in &pool {
        assert!(
            seen.contains(request),
            "a request of the pool was never sent"
        );
    }
}

#[test]
fn answers_outside_2xx_are_counted_apart() {
    let (addr, _seen) = server("500 Internal Server Error");
    let (outcome, _cpu) = wicket_bench::wrk::run(addr, &pool(), phase()).expect("running wrk");
    assert!(outcome.requests > 0);
    assert_eq!(outcome.statuses.get(&200), Some(&0));
    assert_eq!(outcome.statuses.get(&0), Some(&outcome.requests));
}
