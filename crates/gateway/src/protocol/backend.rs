//! Server messages the gateway reads on their way to the client: `CommandComplete`,
//! `ReadyForQuery`, `ParameterStatus`, `BackendKeyData`; and `ReadyForQuery` and
//! `BackendKeyData` as the gateway sends them itself.

use bytes::{BufMut, BytesMut};

use super::{ProtocolError, Reader, put_frame};

/// The rows a `CommandComplete` tag reports: the last number of `INSERT 0 5`, `SELECT 3`,
/// `UPDATE 2`, `COPY 10`; none for tags without one (`BEGIN`, `CREATE TABLE`).
pub fn command_rows(body: &[u8]) -> Option<u64> {
    let tag = body.strip_suffix(&[0]).unwrap_or(body);
    let tag = std::str::from_utf8(tag).ok()?;
    let last = tag.rsplit(' ').next()?;
    let first = tag.split(' ').next()?;
    match first {
        "SELECT" | "INSERT" | "UPDATE" | "DELETE" | "MERGE" | "COPY" | "FETCH" | "MOVE" => {
            last.parse().ok()
        }
        _ => None,
    }
}

/// The command tag of a `CommandComplete`, such as `INSERT 0 1` or `PREPARE`.
pub fn command_tag(body: &[u8]) -> &str {
    let tag = body.strip_suffix(&[0]).unwrap_or(body);
    std::str::from_utf8(tag).unwrap_or("")
}

/// `ReadyForQuery`'s transaction status: `I` idle, `T` in a transaction, `E` failed.
pub fn ready_status(body: &[u8]) -> Result<u8, ProtocolError> {
    let mut r = Reader::new("ReadyForQuery", body);
    let s = r.u8()?;
    r.finish()?;
    Ok(s)
}

pub fn encode_ready(out: &mut BytesMut, status: u8) {
    put_frame(out, b'Z', |b| b.put_u8(status));
}

/// `ParameterStatus`: a run-time parameter's name and value.
pub fn parameter_status(body: &[u8]) -> Result<(String, String), ProtocolError> {
    let mut r = Reader::new("ParameterStatus", body);
    let (name, value) = (r.cstr()?.to_string(), r.cstr()?.to_string());
    r.finish()?;
    Ok((name, value))
}

/// `BackendKeyData`: the process id and secret key a `CancelRequest` must present.
pub fn backend_key(body: &[u8]) -> Result<(i32, i32), ProtocolError> {
    let mut r = Reader::new("BackendKeyData", body);
    let (pid, key) = (r.i32()?, r.i32()?);
    r.finish()?;
    Ok((pid, key))
}

pub fn encode_backend_key(out: &mut BytesMut, pid: i32, key: i32) {
    put_frame(out, b'K', |b| {
        b.put_i32(pid);
        b.put_i32(key);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_come_from_the_tag() {
        assert_eq!(command_rows(b"INSERT 0 5\0"), Some(5));
        assert_eq!(command_rows(b"SELECT 3\0"), Some(3));
        assert_eq!(command_rows(b"COPY 10\0"), Some(10));
        assert_eq!(command_rows(b"CREATE TABLE\0"), None);
        assert_eq!(command_rows(b"BEGIN\0"), None);
        assert_eq!(command_tag(b"PREPARE\0"), "PREPARE");
    }

    #[test]
    fn keys_and_status_round_trip() {
        let mut out = BytesMut::new();
        encode_backend_key(&mut out, 42, -7);
        assert_eq!(backend_key(&out[5..]), Ok((42, -7)));
        let mut out = BytesMut::new();
        encode_ready(&mut out, b'T');
        assert_eq!(ready_status(&out[5..]), Ok(b'T'));
    }
}
