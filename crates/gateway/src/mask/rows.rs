//! A result's masking plan, made from its `RowDescription`, and the rows it rewrites: masked
//! columns are described as `text` and their values replaced.

use bytes::BytesMut;

use super::catalog::MaskedColumn;
use super::value::REDACTED;
use super::{Masking, StatementMask};
use crate::protocol::ProtocolError;
use crate::protocol::rows::{RowDescription, data_row, encode_data_row};

/// The `text` type, which masked columns become.
const TEXT: u32 = 25;

/// How one column is masked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mask {
    /// By the method of this rule.
    Rule(usize),
    /// Redacted: its origin is unknown, computed, or a view over masked columns.
    Redact,
}

#[derive(Clone, Copy, Debug)]
struct Column {
    mask: Mask,
    type_oid: u32,
    format: i16,
}

/// The masking of one result.
#[derive(Clone, Debug)]
pub struct RowPlan {
    columns: Vec<Option<Column>>,
    /// What was masked, for the audit log: `schema.table.column`, or the result column's
    /// name with why it was redacted.
    pub masked: Vec<String>,
}

/// The plan for a result described by `desc`, or `None` when no column of it is masked.
/// Without a `stmt` (which the gateway always has), every column is redacted.
pub fn plan(
    masking: &Masking,
    stmt: Option<&StatementMask>,
    desc: &RowDescription,
    unmasked: &dyn Fn(&MaskedColumn) -> bool,
) -> Option<RowPlan> {
    let mut columns = Vec::with_capacity(desc.fields.len());
    let mut masked = Vec::new();
    for f in &desc.fields {
        let found = match stmt {
            None => Some((Mask::Redact, format!("{} (origin unknown)", f.name))),
            Some(stmt) => {
                let snap = &stmt.snapshot;
                if f.table == 0 {
                    stmt.computed
                        .then(|| (Mask::Redact, format!("{} (computed)", f.name)))
                } else if let Some(c) = snap.columns.get(&(f.table, f.column)) {
                    (!unmasked(c)).then(|| (Mask::Rule(c.rule), c.name.clone()))
                } else if let Some(cs) = snap.tables.get(&f.table).filter(|_| f.column == 0) {
                    cs.iter()
                        .any(|c| !unmasked(c))
                        .then(|| (Mask::Redact, format!("{} (whole row)", f.name)))
                } else if let Some(cs) = snap.views.get(&f.table) {
                    cs.iter().any(|c| !unmasked(c)).then(|| {
                        (
                            Mask::Redact,
                            format!("{} (view over masked columns)", f.name),
                        )
                    })
                } else if snap.known.get(&f.table).is_none_or(|&n| f.column > n) {
                    // A relation, or a column, newer than the snapshot.
                    masking.mark_stale();
                    Some((Mask::Redact, format!("{} (origin unknown)", f.name)))
                } else {
                    None
                }
            }
        };
        columns.push(found.map(|(mask, name)| {
            masked.push(name);
            Column {
                mask,
                type_oid: f.type_oid,
                format: f.format,
            }
        }));
    }
    (!masked.is_empty()).then_some(RowPlan { columns, masked })
}

impl RowPlan {
    /// The description the client gets: masked columns are `text`.
    pub fn describe(&self, desc: &RowDescription) -> RowDescription {
        let mut out = desc.clone();
        for (f, c) in out.fields.iter_mut().zip(&self.columns) {
            if c.is_some() {
                f.type_oid = TEXT;
                f.type_len = -1;
                f.type_mod = -1;
            }
        }
        out
    }

    /// Writes the `DataRow` `body` to `out` with its masked values replaced. A row whose
    /// column count differs from the description is refused.
    pub fn row(
        &self,
        masking: &Masking,
        body: &[u8],
        out: &mut BytesMut,
    ) -> Result<(), ProtocolError> {
        let values = data_row(body)?;
        if values.len() != self.columns.len() {
            return Err(ProtocolError::Malformed {
                what: "DataRow",
                why: "its column count differs from its RowDescription",
            });
        }
        let masked: Vec<Option<Vec<u8>>> = values
            .iter()
            .zip(&self.columns)
            .map(|(v, c)| match (v, c) {
                (Some(v), Some(c)) => Some(match c.mask {
                    Mask::Rule(i) => masking.method(i).apply(v, c.type_oid, c.format),
                    Mask::Redact => REDACTED.to_vec(),
                }),
                _ => None,
            })
            .collect();
        encode_data_row(
            out,
            values.iter().zip(&masked).map(|(v, m)| match m {
                Some(m) => Some(m.as_slice()),
                None => *v,
            }),
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};
    use std::sync::Arc;
    use std::time::Instant;

    use wicket_core::config::masking::{ColumnPattern, MaskMethod, MaskRule};
    use wicket_core::{Action, Resource};

    use super::*;
    use crate::mask::catalog::Snapshot;
    use crate::protocol::rows::Field;

    const PEOPLE: u32 = 16400;
    const VIEW: u32 = 16410;
    const PLAIN: u32 = 16420;

    fn masking() -> Masking {
        let rule = |method| MaskRule {
            columns: vec![ColumnPattern::parse("public.people.*").unwrap()],
            method,
            unmask: Action::parse("db:unmask").unwrap(),
        };
        Masking::load(vec![
            rule(MaskMethod::Redact),
            rule(MaskMethod::Partial {
                keep: 2,
                leading: true,
            }),
        ])
        .unwrap()
        .unwrap()
    }

    fn column(rule: usize, name: &str) -> Arc<MaskedColumn> {
        Arc::new(MaskedColumn {
            rule,
            name: format!("public.people.{name}"),
            resource: Resource::parse(&format!("pg/x/public/people/{name}")).unwrap(),
        })
    }

    fn statement(computed: bool) -> StatementMask {
        let (ssn, email) = (column(0, "ssn"), column(1, "email"));
        let snapshot = Snapshot {
            known: HashMap::from([(PEOPLE, 3), (VIEW, 2), (PLAIN, 2)]),
            names: HashSet::new(),
            oids: HashMap::new(),
            attributes: HashMap::new(),
            columns: HashMap::from([((PEOPLE, 2), email.clone()), ((PEOPLE, 3), ssn.clone())]),
            tables: HashMap::from([(PEOPLE, vec![email.clone(), ssn.clone()])]),
            views: HashMap::from([(VIEW, vec![email.clone()])]),
            by_name: HashMap::new(),
            all: vec![email.clone(), ssn.clone()],
            matched: Vec::new(),
            loaded: Instant::now(),
        };
        StatementMask {
            snapshot: Arc::new(snapshot),
            reads: vec![email, ssn],
            computed,
            copy: None,
        }
    }

    fn field(name: &str, table: u32, column: i16) -> Field {
        Field {
            name: name.into(),
            table,
            column,
            type_oid: 25,
            type_len: -1,
            type_mod: -1,
            format: 0,
        }
    }

    #[test]
    fn every_way_a_column_can_come_from_masked_data_is_masked() {
        let m = masking();
        let desc = RowDescription {
            fields: vec![
                field("id", PEOPLE, 1),
                field("email", PEOPLE, 2),
                field("ssn", PEOPLE, 3),
                field("upper", 0, 0),
                field("v", VIEW, 1),
                field("p", PEOPLE, 0),
                field("new", PEOPLE, 4),
                field("x", 99999, 1),
                field("name", PLAIN, 1),
            ],
        };
        let everyone_masked = |_: &MaskedColumn| false;
        let masked = plan(&m, Some(&statement(true)), &desc, &everyone_masked).unwrap();
        assert_eq!(masked.masked.len(), 7, "{:?}", masked.masked);
        let values: Vec<Option<&[u8]>> = vec![
            Some(b"1"),
            Some(b"ada@example.com"),
            Some(b"123"),
            Some(b"ADA"),
            Some(b"v"),
            Some(b"(1,ada)"),
            None,
            Some(b"x"),
            Some(b"ada"),
        ];
        let mut body = BytesMut::new();
        encode_data_row(&mut body, values.into_iter());
        let mut out = BytesMut::new();
        masked.row(&m, &body[5..], &mut out).unwrap();
        let got = data_row(&out[5..]).unwrap();
        let want: Vec<Option<&[u8]>> = vec![
            Some(b"1"),
            Some(b"ad*************"),
            Some(b"****"),
            Some(b"****"),
            Some(b"****"),
            Some(b"****"),
            None,
            Some(b"****"),
            Some(b"ada"),
        ];
        assert_eq!(got, want);
        let described = masked.describe(&desc);
        assert_eq!(described.fields[1].type_oid, TEXT);
        // Whoever may unmask every column sees them all, computed ones included; origins
        // newer than the snapshot stay redacted.
        let nobody_masked = |_: &MaskedColumn| true;
        let unmasked = plan(&m, Some(&statement(false)), &desc, &nobody_masked).unwrap();
        assert_eq!(
            unmasked.masked,
            ["new (origin unknown)", "x (origin unknown)"]
        );
        let clear = RowDescription {
            fields: vec![field("id", PEOPLE, 1), field("name", PLAIN, 1)],
        };
        assert!(plan(&m, Some(&statement(true)), &clear, &everyone_masked).is_none());
    }
}
