//! `RowDescription` (`T`) and `DataRow` (`D`): what a result's columns are (with each column's
//! origin, the table OID and attribute number) and the values of one row.

use bytes::{BufMut, BytesMut};

use super::{ProtocolError, Reader, put_cstr, put_frame};

/// One column of a `RowDescription`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    /// The table the column comes from, 0 when it is computed.
    pub table: u32,
    /// Its attribute number in that table, 0 when it is computed.
    pub column: i16,
    pub type_oid: u32,
    pub type_len: i16,
    pub type_mod: i32,
    /// 0 text, 1 binary (always 0 in the answer to a `Describe` of a statement).
    pub format: i16,
}

/// A decoded `RowDescription`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowDescription {
    pub fields: Vec<Field>,
}

impl RowDescription {
    pub fn decode(body: &[u8]) -> Result<RowDescription, ProtocolError> {
        let mut r = Reader::new("RowDescription", body);
        let n = r.i16()?;
        if n < 0 {
            return Err(ProtocolError::Malformed {
                what: "RowDescription",
                why: "a negative column count",
            });
        }
        let mut fields = Vec::with_capacity(n as usize);
        for _ in 0..n {
            fields.push(Field {
                name: r.cstr()?.to_string(),
                table: r.i32()? as u32,
                column: r.i16()?,
                type_oid: r.i32()? as u32,
                type_len: r.i16()?,
                type_mod: r.i32()?,
                format: r.i16()?,
            });
        }
        r.finish()?;
        Ok(RowDescription { fields })
    }

    pub fn encode(&self, out: &mut BytesMut) {
        put_frame(out, b'T', |b| {
            b.put_i16(self.fields.len() as i16);
            for f in &self.fields {
                put_cstr(b, &f.name);
                b.put_u32(f.table);
                b.put_i16(f.column);
                b.put_u32(f.type_oid);
                b.put_i16(f.type_len);
                b.put_i32(f.type_mod);
                b.put_i16(f.format);
            }
        });
    }
}

/// The values of a `DataRow` (`None` for NULL), borrowed from its body.
pub fn data_row(body: &[u8]) -> Result<Vec<Option<&[u8]>>, ProtocolError> {
    let mut r = Reader::new("DataRow", body);
    let n = r.i16()?;
    let mut values = Vec::with_capacity(n.max(0) as usize);
    for _ in 0..n {
        let len = r.i32()?;
        values.push(if len < 0 {
            None
        } else {
            Some(r.take(len as usize)?)
        });
    }
    r.finish()?;
    Ok(values)
}

/// Encodes a `DataRow`.
pub fn encode_data_row<'a>(
    out: &mut BytesMut,
    values: impl ExactSizeIterator<Item = Option<&'a [u8]>>,
) {
    put_frame(out, b'D', |b| {
        b.put_i16(values.len() as i16);
        for v in values {
            match v {
                None => b.put_i32(-1),
                Some(v) => {
                    b.put_i32(v.len() as i32);
                    b.put_slice(v);
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_and_rows_round_trip() {
        let d = RowDescription {
            fields: vec![Field {
                name: "email".into(),
                table: 16384,
                column: 2,
                type_oid: 25,
                type_len: -1,
                type_mod: -1,
                format: 1,
            }],
        };
        let mut out = BytesMut::new();
        d.encode(&mut out);
        assert_eq!(out[0], b'T');
        assert_eq!(RowDescription::decode(&out[5..]).unwrap(), d);
        let mut row = BytesMut::new();
        encode_data_row(&mut row, [Some(&b"a@b"[..]), None].into_iter());
        assert_eq!(data_row(&row[5..]).unwrap(), vec![Some(&b"a@b"[..]), None]);
        assert!(data_row(&[0, 1, 0, 0, 0, 9, 1]).is_err());
    }
}
