//! Property-based fuzzing of the wire-protocol decoders: arbitrary bytes, and valid messages
//! mutated, go through the frame splitter, the startup decoder and every message decoder.
//! Each answers `Ok` or `Err`, never panics, and never takes an announced length beyond its
//! limit on trust. These need no database.
//!
//! Each property runs `PROPTEST_CASES` cases (256 by default). A longer run:
//! `PROPTEST_CASES=100000 cargo test -p wicket-gateway --test gateway fuzz`.

use bytes::BytesMut;
use proptest::prelude::*;
use wicket_gateway::protocol::auth::{AuthRequest, decode_password};
use wicket_gateway::protocol::backend;
use wicket_gateway::protocol::bind::Bind;
use wicket_gateway::protocol::close::Close;
use wicket_gateway::protocol::describe::Describe;
use wicket_gateway::protocol::error_response::ErrorFields;
use wicket_gateway::protocol::execute::Execute;
use wicket_gateway::protocol::parse::Parse;
use wicket_gateway::protocol::query::Query;
use wicket_gateway::protocol::startup::{Startup, encode_start};
use wicket_gateway::protocol::{MAX_STARTUP, ProtocolError, put_cstr, put_frame, split_frame};

/// A small limit, so that lengths around it are reachable.
const MAX: usize = 4096;

/// Every decoder the gateway runs on what a peer sends.
fn decode_all(body: &[u8]) {
    let _ = Query::decode(body);
    let _ = Parse::decode(body);
    let _ = Bind::decode(body);
    let _ = Describe::decode(body);
    let _ = Execute::decode(body);
    let _ = Close::decode(body);
    let _ = ErrorFields::decode(body);
    let _ = AuthRequest::decode(body);
    let _ = decode_password(body);
    let _ = backend::ready_status(body);
    let _ = backend::parameter_status(body);
    let _ = backend::backend_key(body);
    let _ = backend::command_rows(body);
    let _ = backend::command_tag(body);
}

/// Valid messages of each kind the gateway decodes, whole on the wire.
fn valid_message() -> impl Strategy<Value = Vec<u8>> {
    (0u8..5, "[ -~]{0,40}", "[a-z_]{0,8}").prop_map(|(kind, text, name)| {
        let mut out = BytesMut::new();
        match kind {
            0 => Query { sql: text }.encode(&mut out),
            1 => put_frame(&mut out, b'P', |b| {
                put_cstr(b, &name);
                put_cstr(b, &text);
                b.extend_from_slice(&1i16.to_be_bytes());
                b.extend_from_slice(&23i32.to_be_bytes());
            }),
            2 => put_frame(&mut out, b'E', |b| {
                put_cstr(b, &name);
                b.extend_from_slice(&0i32.to_be_bytes());
            }),
            3 => put_frame(&mut out, b'D', |b| {
                b.extend_from_slice(b"S");
                put_cstr(b, &name);
            }),
            _ => encode_start(&mut out, &[("user", &name), ("database", &text)]),
        }
        out.to_vec()
    })
}

/// `bytes` with a few bytes overwritten and maybe cut short.
fn mutated() -> impl Strategy<Value = Vec<u8>> {
    (
        valid_message(),
        proptest::collection::vec((any::<usize>(), any::<u8>()), 0..4),
        any::<Option<usize>>(),
    )
        .prop_map(|(mut bytes, flips, cut)| {
            for (at, b) in flips {
                if !bytes.is_empty() {
                    let i = at % bytes.len();
                    bytes[i] = b;
                }
            }
            if let Some(cut) = cut {
                bytes.truncate(cut % (bytes.len() + 1));
            }
            bytes
        })
}

fn input() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![proptest::collection::vec(any::<u8>(), 0..256), mutated()]
}

proptest! {
    #[test]
    fn fuzz_frame_splitter(bytes in input()) {
        let mut buf = BytesMut::from(&bytes[..]);
        match split_frame(&mut buf, MAX) {
            Ok(Some(frame)) => {
                prop_assert!(frame.body.len() + 4 <= MAX);
                prop_assert_eq!(buf.len(), bytes.len() - frame.body.len() - 5);
                decode_all(&frame.body);
            }
            // Incomplete: nothing consumed, and nothing was reserved for the announced length.
            Ok(None) => {
                prop_assert_eq!(buf.len(), bytes.len());
                prop_assert!(buf.capacity() < MAX.max(bytes.len()) + 64);
            }
            Err(ProtocolError::TooLarge { len, max }) => prop_assert!(len > max && max == MAX),
            Err(ProtocolError::BadLength(len)) => prop_assert!(len < 4),
            Err(e) => prop_assert!(false, "unexpected error from the splitter: {}", e),
        }
    }

    #[test]
    fn fuzz_startup_decoder(bytes in input()) {
        match Startup::len(&bytes) {
            Ok(Some(n)) => prop_assert!((8..=MAX_STARTUP).contains(&n)),
            Ok(None) => prop_assert!(bytes.len() < 4),
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
        if let Err(e) = Startup::decode(&bytes) {
            prop_assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn fuzz_message_decoders(body in input()) {
        decode_all(&body);
        if body.len() > 5 {
            decode_all(&body[5..]);
        }
    }

    #[test]
    fn fuzz_query_round_trips(sql in "[^\u{0}]{0,64}") {
        let mut out = BytesMut::new();
        Query { sql: sql.clone() }.encode(&mut out);
        let frame = split_frame(&mut out, MAX).unwrap().unwrap();
        prop_assert_eq!(frame.tag, b'Q');
        prop_assert_eq!(Query::decode(&frame.body), Ok(Query { sql }));
    }
}
