//! `COPY table [(columns)] TO STDOUT` in text or CSV format, masked: the columns it sends are
//! known exactly (its column list, or the table's live columns in attribute order), so each
//! row is split by the format's own escaping or quoting, its masked fields replaced (escaped
//! or quoted again; a NULL stays NULL) and the row written again. A row may span
//! `CopyData` messages: a partial one waits for the rest. `COPY (query) TO` and the binary
//! format are not masked here: they are refused (fail closed).

use bytes::{BufMut, BytesMut};

use super::catalog::MaskedColumn;
use super::value::REDACTED;
use super::{Masking, StatementMask};
use crate::protocol::put_frame;
use crate::sql::{CopyFormat, CopyOut};

/// How the rows of one `COPY ... TO STDOUT` are masked.
#[derive(Debug)]
pub struct CopyPlan {
    /// For each column sent, the rule that masks it.
    columns: Vec<Option<usize>>,
    format: CopyFormat,
    /// The masked columns, `schema.table.column`, for the audit log.
    pub masked: Vec<String>,
}

/// The plan for `spec` (none when the gateway did not read the statement) copying one of
/// `tables` (the candidates of its name), or why it is refused. `Ok(None)`: no column it
/// sends is masked for this user.
pub fn plan(
    stmt: &StatementMask,
    spec: Option<&CopyOut>,
    tables: &[(&str, &str)],
    unmasked: &dyn Fn(&MaskedColumn) -> bool,
) -> Result<Option<CopyPlan>, String> {
    let Some(spec) = spec else {
        return Err("the gateway masks only a COPY sent as a simple query".into());
    };
    if !spec.table {
        return Err("COPY (query) TO has no column origins to mask by".into());
    }
    if let Some(option) = &spec.unsupported {
        return Err(format!("masking cannot honour its option {option}"));
    }
    if spec.format == CopyFormat::Binary {
        return Err("its binary format is not masked".into());
    }
    let snap = &stmt.snapshot;
    let found: Vec<u32> = tables
        .iter()
        .filter_map(|(s, n)| snap.oids.get(&(s.to_string(), n.to_string())).copied())
        .collect();
    let [oid] = found[..] else {
        return Err("the gateway cannot tell which table its name leads to".into());
    };
    let Some(live) = snap.attributes.get(&oid) else {
        return Err("the gateway does not know the table's columns".into());
    };
    let attnums: Vec<i16> = if spec.columns.is_empty() {
        live.iter().map(|(n, _)| *n).collect()
    } else {
        let mut out = Vec::with_capacity(spec.columns.len());
        for c in &spec.columns {
            let Some((n, _)) = live.iter().find(|(_, name)| name == c) else {
                return Err(format!("the gateway does not know its column `{c}`"));
            };
            out.push(*n);
        }
        out
    };
    let mut masked = Vec::new();
    let columns: Vec<Option<usize>> = attnums
        .iter()
        .map(|n| {
            let c = snap.columns.get(&(oid, *n)).filter(|c| !unmasked(c))?;
            masked.push(c.name.clone());
            Some(c.rule)
        })
        .collect();
    Ok((!masked.is_empty()).then(|| CopyPlan {
        columns,
        format: spec.format.clone(),
        masked,
    }))
}

/// One `COPY ... TO STDOUT` under way: the rows not yet complete.
#[derive(Debug)]
pub struct CopyStream {
    /// The header row is still to come (and passes as it is).
    header: bool,
    /// The server's description disagrees with the plan: every field is redacted.
    redact_all: bool,
    /// The server sends binary after all: nothing is passed.
    drop_all: bool,
    pending: Vec<u8>,
    /// How far `pending` was scanned for a row's end, and whether a CSV quote is open there.
    scanned: usize,
    quoted: bool,
}

impl CopyStream {
    /// The stream for `plan`, as the server's `CopyOutResponse` (`body`) describes it.
    pub fn new(plan: &CopyPlan, body: &[u8]) -> CopyStream {
        let (format, count) = match body {
            [f, a, b, ..] => (*f, i16::from_be_bytes([*a, *b])),
            _ => (1, -1),
        };
        let header = match plan.format {
            CopyFormat::Text { header, .. } | CopyFormat::Csv { header, .. } => header,
            CopyFormat::Binary => false,
        };
        CopyStream {
            header,
            redact_all: usize::try_from(count).ok() != Some(plan.columns.len()),
            drop_all: format != 0,
            pending: Vec::new(),
            scanned: 0,
            quoted: false,
        }
    }

    /// Takes in the `CopyData` payload `data`; writes the complete rows, masked, to `out`
    /// as `CopyData` messages.
    pub fn data(&mut self, masking: &Masking, plan: &CopyPlan, data: &[u8], out: &mut BytesMut) {
        if self.drop_all {
            return;
        }
        self.pending.extend_from_slice(data);
        let mut start = 0;
        while let Some(end) = self.row_end(&plan.format, start) {
            let row = &self.pending[start..end];
            put_frame(out, b'd', |b| {
                if self.header {
                    b.put_slice(row);
                } else {
                    masked_row(masking, plan, self.redact_all, row, b);
                }
            });
            self.header = false;
            start = end;
            self.scanned = end;
            self.quoted = false;
        }
        self.pending.drain(..start);
        self.scanned -= start;
    }

    /// The `CopyDone`: a row left without its end is written too, masked.
    pub fn done(&mut self, masking: &Masking, plan: &CopyPlan, out: &mut BytesMut) {
        if self.drop_all || self.pending.is_empty() {
            return;
        }
        let row = std::mem::take(&mut self.pending);
        put_frame(out, b'd', |b| {
            masked_row(masking, plan, self.redact_all || self.header, &row, b)
        });
    }

    /// The end (after its newline) of the row beginning at `start`, once it is all here.
    fn row_end(&mut self, format: &CopyFormat, start: usize) -> Option<usize> {
        let mut i = self.scanned.max(start);
        match format {
            // A newline in a value is escaped: every newline ends a row.
            CopyFormat::Text { .. } | CopyFormat::Binary => {
                match self.pending[i..].iter().position(|&b| b == b'\n') {
                    Some(at) => Some(i + at + 1),
                    None => {
                        self.scanned = self.pending.len();
                        None
                    }
                }
            }
            CopyFormat::Csv { quote, escape, .. } => {
                while i < self.pending.len() {
                    let b = self.pending[i];
                    if self.quoted {
                        if b == *escape && escape != quote && i + 1 < self.pending.len() {
                            i += 2;
                            continue;
                        }
                        if b == *escape && escape != quote {
                            // The escaped byte is yet to come.
                            self.scanned = i;
                            return None;
                        }
                        if b == *quote {
                            self.quoted = false;
                        }
                    } else if b == *quote {
                        self.quoted = true;
                    } else if b == b'\n' {
                        return Some(i + 1);
                    }
                    i += 1;
                }
                self.scanned = i;
                None
            }
        }
    }
}

/// A field as sent: where it is in its row, and its value (unescaped), or NULL.
struct Field {
    raw: std::ops::Range<usize>,
    value: Option<Vec<u8>>,
}

/// The fields of `row` (without its line end).
fn fields(format: &CopyFormat, row: &[u8]) -> Vec<Field> {
    let mut out = Vec::new();
    match format {
        CopyFormat::Text {
            delimiter, null, ..
        } => {
            let mut start = 0;
            let mut i = 0;
            loop {
                if i >= row.len() || row[i] == *delimiter {
                    let end = i.min(row.len());
                    let raw = &row[start..end];
                    out.push(Field {
                        raw: start..end,
                        value: (raw != null.as_slice()).then(|| unescape_text(raw)),
                    });
                    if i >= row.len() {
                        break;
                    }
                    start = i + 1;
                } else if row[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
        }
        CopyFormat::Csv {
            delimiter,
            null,
            quote,
            escape,
            ..
        } => {
            let mut i = 0;
            loop {
                let start = i;
                let mut value = Vec::new();
                let mut was_quoted = false;
                let mut quoted = false;
                while i < row.len() {
                    let b = row[i];
                    if quoted {
                        if escape != quote && b == *escape && i + 1 < row.len() {
                            value.push(row[i + 1]);
                            i += 2;
                            continue;
                        }
                        if b == *quote {
                            if escape == quote && row.get(i + 1) == Some(quote) {
                                value.push(b);
                                i += 2;
                                continue;
                            }
                            quoted = false;
                        } else {
                            value.push(b);
                        }
                    } else if b == *quote {
                        quoted = true;
                        was_quoted = true;
                    } else if b == *delimiter {
                        break;
                    } else {
                        value.push(b);
                    }
                    i += 1;
                }
                let raw = &row[start..i];
                out.push(Field {
                    raw: start..i,
                    value: (was_quoted || raw != null.as_slice()).then_some(value),
                });
                if i >= row.len() {
                    break;
                }
                i += 1;
            }
        }
        CopyFormat::Binary => {}
    }
    out
}

/// A text-format value without its backslash escapes.
fn unescape_text(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if b != b'\\' || i + 1 >= raw.len() {
            out.push(b);
            i += 1;
            continue;
        }
        let c = raw[i + 1];
        i += 2;
        match c {
            b'b' => out.push(0x08),
            b'f' => out.push(0x0c),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'v' => out.push(0x0b),
            b'0'..=b'7' => {
                let mut v = u32::from(c - b'0');
                let mut n = 1;
                while n < 3 && i < raw.len() && (b'0'..=b'7').contains(&raw[i]) {
                    v = v * 8 + u32::from(raw[i] - b'0');
                    i += 1;
                    n += 1;
                }
                out.push(v as u8);
            }
            b'x' if i < raw.len() && raw[i].is_ascii_hexdigit() => {
                let mut v = 0u32;
                let mut n = 0;
                while n < 2 && i < raw.len() && raw[i].is_ascii_hexdigit() {
                    v = v * 16 + (raw[i] as char).to_digit(16).unwrap_or(0);
                    i += 1;
                    n += 1;
                }
                out.push(v as u8);
            }
            other => out.push(other),
        }
    }
    out
}

/// `value` escaped for the text format; never read back as the NULL string.
fn escape_text(value: &[u8], delimiter: u8, null: &[u8], out: &mut BytesMut) {
    let mut buf = Vec::with_capacity(value.len() + 2);
    for &b in value {
        match b {
            b'\\' => buf.extend_from_slice(b"\\\\"),
            b'\n' => buf.extend_from_slice(b"\\n"),
            b'\r' => buf.extend_from_slice(b"\\r"),
            b'\t' => buf.extend_from_slice(b"\\t"),
            0x08 => buf.extend_from_slice(b"\\b"),
            0x0c => buf.extend_from_slice(b"\\f"),
            0x0b => buf.extend_from_slice(b"\\v"),
            b if b == delimiter => {
                buf.push(b'\\');
                buf.push(b);
            }
            b => buf.push(b),
        }
    }
    if buf == null
        && let Some(&first) = value.first()
    {
        // Its first byte as an octal escape: the same value, not the NULL string.
        let rest = buf.split_off(1);
        buf = format!("\\{first:03o}").into_bytes();
        buf.extend_from_slice(&rest);
    }
    out.put_slice(&buf);
}

/// `value` quoted for CSV (a quoted value is never NULL).
fn quote_csv(value: &[u8], quote: u8, escape: u8, out: &mut BytesMut) {
    out.put_u8(quote);
    for &b in value {
        if b == quote || b == escape {
            out.put_u8(escape);
        }
        out.put_u8(b);
    }
    out.put_u8(quote);
}

/// `row` with its masked fields replaced, written to `out` with its newline; every other
/// field passes exactly as the server wrote it.
fn masked_row(
    masking: &Masking,
    plan: &CopyPlan,
    redact_all: bool,
    row: &[u8],
    out: &mut BytesMut,
) {
    let line = row.strip_suffix(b"\n").unwrap_or(row);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let values = fields(&plan.format, line);
    let redact_all = redact_all || values.len() != plan.columns.len();
    let (delimiter, text) = match &plan.format {
        CopyFormat::Text { delimiter, .. } => (*delimiter, true),
        CopyFormat::Csv { delimiter, .. } => (*delimiter, false),
        CopyFormat::Binary => return,
    };
    for (i, f) in values.iter().enumerate() {
        if i > 0 {
            out.put_u8(delimiter);
        }
        let rule = plan.columns.get(i).copied().flatten();
        let masked = match (&f.value, rule) {
            (None, _) => None,
            (Some(_), _) if redact_all => Some(REDACTED.to_vec()),
            (Some(v), Some(r)) => Some(masking.method(r).apply(v, 25, 0)),
            (Some(_), None) => None,
        };
        match (&plan.format, masked) {
            (CopyFormat::Text { null, .. }, Some(m)) if text => {
                escape_text(&m, delimiter, null, out)
            }
            (CopyFormat::Csv { quote, escape, .. }, Some(m)) => quote_csv(&m, *quote, *escape, out),
            _ => out.put_slice(&line[f.raw.clone()]),
        }
    }
    out.put_slice(&row[line.len()..]);
    if row.len() == line.len() {
        out.put_u8(b'\n');
    }
}

#[cfg(test)]
mod tests {
    use wicket_core::Action;
    use wicket_core::config::masking::{ColumnPattern, MaskMethod, MaskRule};

    use super::*;

    fn masking() -> Masking {
        Masking::load(vec![MaskRule {
            columns: vec![ColumnPattern::parse("public.t.*").unwrap()],
            method: MaskMethod::Partial {
                keep: 2,
                leading: false,
            },
            unmask: Action::parse("db:unmask").unwrap(),
        }])
        .unwrap()
        .unwrap()
    }

    /// The payloads of the `CopyData` messages in `out`.
    fn payloads(out: &[u8]) -> Vec<u8> {
        let mut data = Vec::new();
        let mut at = 0;
        while at < out.len() {
            assert_eq!(out[at], b'd');
            let len = u32::from_be_bytes(out[at + 1..at + 5].try_into().unwrap()) as usize;
            data.extend_from_slice(&out[at + 5..at + 1 + len]);
            at += 1 + len;
        }
        data
    }

    /// `data` through a stream of `plan`, cut into pieces of `cut` bytes.
    fn through(plan: &CopyPlan, data: &[u8], cut: usize) -> Vec<u8> {
        let m = masking();
        let mut s = CopyStream::new(plan, &[0, 0, 2, 0, 0, 0, 0]);
        let mut out = BytesMut::new();
        for piece in data.chunks(cut) {
            s.data(&m, plan, piece, &mut out);
        }
        s.done(&m, plan, &mut out);
        payloads(&out)
    }

    /// A plan for text of `columns`, tab-delimited, without a header, `null` standing for NULL.
    fn text_plan(columns: Vec<Option<usize>>, null: &[u8]) -> CopyPlan {
        CopyPlan {
            columns,
            format: CopyFormat::Text {
                delimiter: b'\t',
                null: null.to_vec(),
                header: false,
            },
            masked: Vec::new(),
        }
    }

    #[test]
    fn rows_split_across_messages_are_masked_whole() {
        let text = text_plan(vec![None, Some(0)], b"\\N");
        let csv = CopyPlan {
            columns: vec![Some(0), None],
            format: CopyFormat::Csv {
                delimiter: b',',
                null: Vec::new(),
                header: true,
                quote: b'"',
                escape: b'"',
            },
            masked: Vec::new(),
        };
        // The plan, the data, the piece sizes to cut it into (beside its whole length), and
        // what masking sends.
        type Case<'a> = (&'a CopyPlan, &'a [u8], [usize; 3], &'a [u8]);
        let cases: [Case; 2] = [
            (
                &text,
                b"a\\tb\tsecret\\\\\\t\nplain\t\\N\n",
                [1, 3, 7],
                b"a\\tb\t******\\\\\\t\nplain\t\\N\n",
            ),
            (
                &csv,
                b"a,b\n\"x\n,\"\"y\",\"p,\nq\"\n,\"\"\n",
                [1, 2, 5],
                b"a,b\n\"***\"\"y\",\"p,\nq\"\n,\"\"\n",
            ),
        ];
        for (plan, data, cuts, expected) in cases {
            for cut in cuts.into_iter().chain([data.len()]) {
                assert_eq!(through(plan, data, cut), expected, "{cut}");
            }
        }
    }

    #[test]
    fn a_masked_value_never_reads_as_null() {
        let plan = text_plan(vec![Some(0)], b"**");
        let m = masking();
        let mut s = CopyStream::new(&plan, &[0, 0, 1, 0, 0]);
        let mut out = BytesMut::new();
        s.data(&m, &plan, b"ab\n**\n", &mut out);
        assert_eq!(payloads(&out), b"\\052*\n**\n");
        // A row whose field count differs from the plan is redacted whole.
        let mut out = BytesMut::new();
        s.data(&m, &plan, b"abc\tdef\n", &mut out);
        assert_eq!(payloads(&out), b"****\t****\n");
    }
}
