//! Verifying a stretch of the audit chain from PostgreSQL: one `COPY … TO STDOUT` in binary
//! format over the stretch, each row's fields borrowed from the bytes as they arrive and
//! hashed there, no event built (a row read through sqlx's rows cost about 8 µs; most of it
//! building the row and the event). The read and the hashing run on a blocking thread of
//! their own, so that stretches verified at once use every core.

use futures_util::StreamExt;
use sqlx::PgPool;
use sqlx::postgres::PgPoolCopyExt;
use wicket_core::audit::{EventRef, Stretch, StretchVerifier};
use wicket_core::time::Time;

use crate::StoreError;
use crate::sql::chain::COLUMNS;

/// The columns of [`COLUMNS`].
const FIELDS: i16 = 14;
/// What a binary `COPY` starts with, before its flags and header extension.
const SIGNATURE: &[u8] = b"PGCOPY\n\xff\r\n\0";
/// PostgreSQL's epoch (2000-01-01) in Unix microseconds.
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;

/// The events with `after < seq <= through` of the database behind `pool`, verified as one
/// stretch.
pub(super) async fn verify_stretch(
    pool: &PgPool,
    after: i64,
    through: i64,
) -> Result<Stretch, StoreError> {
    let (pool, handle) = (pool.clone(), tokio::runtime::Handle::current());
    tokio::task::spawn_blocking(move || handle.block_on(read(&pool, after, through)))
        .await
        .map_err(|e| {
            StoreError::Corrupt(format!("verifying a stretch of the chain stopped: {e}"))
        })?
}

async fn read(pool: &PgPool, after: i64, through: i64) -> Result<Stretch, StoreError> {
    let sql = format!(
        "COPY (SELECT {COLUMNS} FROM audit_events WHERE seq > {after} AND seq <= {through} \
         ORDER BY seq) TO STDOUT (FORMAT binary)"
    );
    let mut copy = pool.copy_out_raw(&sql).await?;
    let mut v = StretchVerifier::default();
    let mut carry: Vec<u8> = Vec::new();
    let mut header = false;
    // Read to the end even once the stretch is broken: the connection goes back to the pool
    // only when its `COPY` has ended.
    while let Some(chunk) = copy.next().await {
        let chunk = chunk?;
        if v.is_broken() {
            continue;
        }
        // Rows arrive one per message; a row split across messages waits in `carry`.
        let data: &[u8] = if carry.is_empty() {
            &chunk
        } else {
            carry.extend_from_slice(&chunk);
            &carry
        };
        let mut at = 0;
        if !header {
            match skip_header(data)? {
                Some(n) => (at, header) = (n, true),
                None => {
                    let rest = data.to_vec();
                    carry = rest;
                    continue;
                }
            }
        }
        while let Some((n, row)) = tuple(&data[at..])? {
            at += n;
            match row {
                Some(e) => {
                    if !v.push(&e) {
                        break;
                    }
                }
                None => break,
            }
        }
        let rest = data[at..].to_vec();
        carry = rest;
    }
    Ok(v.finish())
}

/// Bytes taken off the front of a slice; `None` when it holds too few yet.
struct Cursor<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let out = self.data.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(out)
    }
    fn i16(&mut self) -> Option<i16> {
        self.take(2).map(|b| i16::from_be_bytes([b[0], b[1]]))
    }
    fn i32(&mut self) -> Option<i32> {
        self.take(4)
            .map(|b| i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    /// A field: `None` when incomplete, `Some(None)` when NULL.
    fn field(&mut self) -> Option<Option<&'a [u8]>> {
        match self.i32()? {
            -1 => Some(None),
            n => self.take(usize::try_from(n).ok()?).map(Some),
        }
    }
}

/// The length of the header at the front of `data`, or `None` while it is incomplete.
fn skip_header(data: &[u8]) -> Result<Option<usize>, StoreError> {
    let mut c = Cursor { data, at: 0 };
    let Some(signature) = c.take(SIGNATURE.len()) else {
        return Ok(None);
    };
    if signature != SIGNATURE {
        return Err(corrupt("the COPY does not start with its signature"));
    }
    let (Some(_flags), Some(extension)) = (c.i32(), c.i32()) else {
        return Ok(None);
    };
    let extension = usize::try_from(extension).map_err(|_| corrupt("a negative header length"))?;
    Ok(c.take(extension).map(|_| c.at))
}

/// The next row at the front of `data`, with the bytes it took: `Some((n, None))` for the
/// trailer that ends the `COPY`, `None` while the row is incomplete.
fn tuple(data: &[u8]) -> Result<Option<(usize, Option<EventRef<'_>>)>, StoreError> {
    let mut c = Cursor { data, at: 0 };
    let Some(count) = c.i16() else {
        return Ok(None);
    };
    if count == -1 {
        return Ok(Some((c.at, None)));
    }
    if count != FIELDS {
        return Err(corrupt(&format!("a row of {count} columns, not {FIELDS}")));
    }
    let mut f: [Option<&[u8]>; FIELDS as usize] = [None; FIELDS as usize];
    for slot in &mut f {
        match c.field() {
            Some(value) => *slot = value,
            None => return Ok(None),
        }
    }
    let e = EventRef {
        seq: int8(f[0], "seq")?,
        id: text(f[1], "id")?,
        at: time(int8(f[2], "at")?)?,
        actor: text(f[3], "actor")?,
        kind: text(f[4], "kind")?,
        subject: opt_text(f[5])?,
        action: opt_text(f[6])?,
        resource: opt_text(f[7])?,
        decision: opt_text(f[8])?,
        request_id: opt_text(f[9])?,
        grant_id: opt_text(f[10])?,
        details: text(f[11], "details")?,
        prev_hash: text(f[12], "prev_hash")?,
        hash: text(f[13], "hash")?,
    };
    Ok(Some((c.at, Some(e))))
}

fn int8(field: Option<&[u8]>, name: &str) -> Result<i64, StoreError> {
    field
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
        .map(i64::from_be_bytes)
        .ok_or_else(|| corrupt(&format!("`{name}` is not an 8-byte integer")))
}

/// A `timestamptz` (microseconds since 2000-01-01), as sqlx decodes it.
fn time(micros: i64) -> Result<Time, StoreError> {
    micros
        .checked_add(PG_EPOCH_MICROS)
        .and_then(chrono::DateTime::from_timestamp_micros)
        .ok_or_else(|| corrupt(&format!("`at` is out of range ({micros} µs)")))
}

fn text<'a>(field: Option<&'a [u8]>, name: &str) -> Result<&'a str, StoreError> {
    opt_text(field)?.ok_or_else(|| corrupt(&format!("`{name}` is NULL")))
}

fn opt_text(field: Option<&[u8]>) -> Result<Option<&str>, StoreError> {
    field
        .map(std::str::from_utf8)
        .transpose()
        .map_err(|e| corrupt(&format!("a text column is not UTF-8: {e}")))
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("reading the audit chain: {what}"))
}
