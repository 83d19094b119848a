//! `ErrorResponse` (`E`) and `NoticeResponse` (`N`): the fields of an error, decoded from a
//! server and encoded for a client.

use bytes::{BufMut, BytesMut};

use super::{ProtocolError, Reader, put_cstr, put_frame};

/// SQLSTATEs the gateway sends.
pub mod code {
    pub const INSUFFICIENT_PRIVILEGE: &str = "42501";
    pub const SYNTAX_ERROR: &str = "42601";
    pub const INVALID_PASSWORD: &str = "28P01";
    pub const INVALID_AUTHORIZATION: &str = "28000";
    pub const INVALID_CATALOG_NAME: &str = "3D000";
    pub const PROTOCOL_VIOLATION: &str = "08P01";
    pub const CONNECTION_FAILURE: &str = "08006";
    pub const FEATURE_NOT_SUPPORTED: &str = "0A000";
    pub const ADMIN_SHUTDOWN: &str = "57P01";
    pub const SYSTEM_ERROR: &str = "58000";
    pub const INVALID_SQL_STATEMENT_NAME: &str = "26000";
    pub const RESERVED_NAME: &str = "42939";
    pub const DUPLICATE_PREPARED_STATEMENT: &str = "42P05";
    pub const INVALID_CURSOR_NAME: &str = "34000";
}

/// The fields of an `ErrorResponse` or `NoticeResponse`, by their one-byte codes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorFields {
    pub fields: Vec<(u8, String)>,
}

impl ErrorFields {
    /// An error with `severity` (`ERROR` or `FATAL`), SQLSTATE `code` and `message`.
    pub fn new(severity: &str, code: &str, message: impl Into<String>) -> ErrorFields {
        ErrorFields {
            fields: vec![
                (b'S', severity.to_string()),
                (b'V', severity.to_string()),
                (b'C', code.to_string()),
                (b'M', message.into()),
            ],
        }
    }

    pub fn error(code: &str, message: impl Into<String>) -> ErrorFields {
        ErrorFields::new("ERROR", code, message)
    }

    pub fn fatal(code: &str, message: impl Into<String>) -> ErrorFields {
        ErrorFields::new("FATAL", code, message)
    }

    /// The same error as a `FATAL` one, which ends the session.
    pub fn into_fatal(mut self) -> ErrorFields {
        for (f, v) in &mut self.fields {
            if *f == b'S' || *f == b'V' {
                *v = "FATAL".into();
            }
        }
        self
    }

    /// Adds a field such as `D` (detail) or `H` (hint).
    pub fn with(mut self, field: u8, value: impl Into<String>) -> ErrorFields {
        self.fields.push((field, value.into()));
        self
    }

    pub fn get(&self, field: u8) -> Option<&str> {
        self.fields
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, v)| v.as_str())
    }

    pub fn code(&self) -> &str {
        self.get(b'C').unwrap_or("")
    }

    pub fn message(&self) -> &str {
        self.get(b'M').unwrap_or("")
    }

    pub fn decode(body: &[u8]) -> Result<ErrorFields, ProtocolError> {
        let mut r = Reader::new("error", body);
        let mut fields = Vec::new();
        loop {
            let f = r.u8()?;
            if f == 0 {
                break;
            }
            let value = String::from_utf8_lossy(r.cbytes()?).into_owned();
            fields.push((f, value));
        }
        Ok(ErrorFields { fields })
    }

    /// Encodes as an `ErrorResponse`.
    pub fn encode(&self, out: &mut BytesMut) {
        self.encode_tagged(out, b'E');
    }

    /// Encodes as a `NoticeResponse`.
    pub fn encode_notice(&self, out: &mut BytesMut) {
        self.encode_tagged(out, b'N');
    }

    fn encode_tagged(&self, out: &mut BytesMut, tag: u8) {
        put_frame(out, tag, |b| {
            for (f, v) in &self.fields {
                b.put_u8(*f);
                // A NUL inside a field would end it early; PostgreSQL never sends one either.
                put_cstr(b, &v.replace('\0', " "));
            }
            b.put_u8(0);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_round_trips() {
        let e = ErrorFields::error(code::INSUFFICIENT_PRIVILEGE, "nope").with(b'H', "ask");
        let mut out = BytesMut::new();
        e.encode(&mut out);
        assert_eq!(out[0], b'E');
        let back = ErrorFields::decode(&out[5..]).unwrap();
        assert_eq!(back, e);
        assert_eq!(
            (back.code(), back.message(), back.get(b'H')),
            ("42501", "nope", Some("ask"))
        );
    }
}
