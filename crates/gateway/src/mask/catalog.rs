//! What the database holds that masking rules name, read from its catalog over the gateway's
//! own side connection: every relation's OID, the columns the rules match (with their table
//! OID and attribute number, as a `RowDescription` names a column's origin; a child table's
//! or partition's copy of a masked column is masked too), and the views
//! whose definitions read a masked column, directly or through other views (`pg_depend` of
//! their rewrite rules).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use bytes::BytesMut;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use wicket_core::Resource;
use wicket_core::config::masking::MaskRule;
use wicket_core::resource::segment;

use crate::protocol::MAX_MESSAGE;
use crate::protocol::error_response::ErrorFields;
use crate::protocol::query::Query;
use crate::protocol::rows::data_row;
use crate::session::frames::FrameReader;
use crate::session::upstream;
use crate::target::Target;

/// A column a rule masks.
#[derive(Debug)]
pub struct MaskedColumn {
    /// The first rule (in file order) that names it.
    pub rule: usize,
    /// `schema.table.column`, for errors and the audit log.
    pub name: String,
    /// `TARGET/SCHEMA/TABLE/COLUMN`: where its unmask action is checked.
    pub resource: Resource,
}

/// The catalog as masking sees it, at one moment.
#[derive(Debug)]
pub struct Snapshot {
    /// Every relation's OID, with its number of columns then (`relnatts`): a column added
    /// since has a higher attribute number.
    pub known: HashMap<u32, i16>,
    /// Every relation's `(schema, name)`.
    pub names: HashSet<(String, String)>,
    /// Every relation's OID by `(schema, name)`.
    pub oids: HashMap<(String, String), u32>,
    /// The live (not dropped) columns, in attribute order, of every table that has masked
    /// columns or is a child table: `(attribute number, name)`, as `COPY` sends them.
    pub attributes: HashMap<u32, Vec<(i16, String)>>,
    /// Masked columns by origin (table OID, attribute number).
    pub columns: HashMap<(u32, i16), Arc<MaskedColumn>>,
    /// Relations with masked columns of their own: which ones (a whole-row reference, such
    /// as `SELECT t FROM t`, has the relation as origin and attribute number 0).
    pub tables: HashMap<u32, Vec<Arc<MaskedColumn>>>,
    /// Views (and materialized views) over masked columns: the masked columns they read.
    pub views: HashMap<u32, Vec<Arc<MaskedColumn>>>,
    /// Relations by `(schema, name)` that hold or read masked columns: which ones.
    pub by_name: HashMap<(String, String), Vec<Arc<MaskedColumn>>>,
    /// Every masked column.
    pub all: Vec<Arc<MaskedColumn>>,
    /// For each rule, for each of its patterns: whether it names a column that exists.
    pub matched: Vec<Vec<bool>>,
    pub loaded: Instant,
}

/// The gateway's own connection for catalog reads.
pub struct Side {
    reader: FrameReader<TcpStream>,
}

impl Side {
    pub async fn open(target: &Target) -> Result<Side, String> {
        let params = [
            ("client_encoding", "UTF8"),
            ("standard_conforming_strings", "on"),
            ("application_name", "wicket masking"),
            ("default_transaction_read_only", "on"),
        ];
        let up = upstream::connect(target, &params)
            .await
            .map_err(|e| e.to_string())?;
        let mut reader = FrameReader::new(up.stream, MAX_MESSAGE);
        reader.parts_mut().1.extend_from_slice(&up.leftover);
        Ok(Side { reader })
    }

    /// Runs `sql` (one or more statements) with the simple protocol: each result's rows.
    async fn query(&mut self, sql: &str) -> Result<Vec<Vec<Vec<Option<String>>>>, String> {
        let mut out = BytesMut::new();
        Query {
            sql: sql.to_string(),
        }
        .encode(&mut out);
        self.reader
            .parts_mut()
            .0
            .write_all(&out)
            .await
            .map_err(|e| e.to_string())?;
        let mut results = Vec::new();
        let mut rows = Vec::new();
        let mut error = None;
        loop {
            let frame = self
                .reader
                .next()
                .await
                .map_err(|e| e.to_string())?
                .ok_or("the database closed the connection")?;
            match frame.tag {
                b'D' => {
                    let values = data_row(&frame.body).map_err(|e| e.to_string())?;
                    rows.push(
                        values
                            .into_iter()
                            .map(|v| v.map(|b| String::from_utf8_lossy(b).into_owned()))
                            .collect(),
                    );
                }
                b'C' => results.push(std::mem::take(&mut rows)),
                b'E' => {
                    let e = ErrorFields::decode(&frame.body).map_err(|e| e.to_string())?;
                    error = Some(format!("{} ({})", e.message(), e.code()));
                }
                b'Z' => break,
                _ => {}
            }
        }
        match error {
            Some(e) => Err(e),
            None => Ok(results),
        }
    }
}

/// A SQL string literal (the connection runs with `standard_conforming_strings = on`).
fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

const RELATIONS: &str = "SELECT c.oid, n.nspname, c.relname, c.relnatts FROM pg_catalog.pg_class c \
     JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace";

/// Every column a child table (an inheritance child or a partition) shares with its parent.
const INHERITED: &str = "SELECT i.inhrelid, ca.attnum, i.inhparent, pa.attnum \
     FROM pg_catalog.pg_inherits i \
     JOIN pg_catalog.pg_attribute pa ON pa.attrelid = i.inhparent AND pa.attnum > 0 \
     JOIN pg_catalog.pg_attribute ca ON ca.attrelid = i.inhrelid AND ca.attname = pa.attname \
     AND ca.attnum > 0 AND NOT ca.attisdropped";

/// Every rewrite-rule dependency of a view created after initdb on a relation or column.
const VIEW_DEPENDENCIES: &str = "SELECT DISTINCT r.ev_class, d.refobjid, d.refobjsubid \
     FROM pg_catalog.pg_rewrite r JOIN pg_catalog.pg_depend d \
     ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND d.objid = r.oid \
     WHERE d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass \
     AND d.refobjid <> r.ev_class AND r.ev_class >= 16384";

/// The live columns, in attribute order, of the relations `masked` (the columns query) names
/// and of every child table.
fn attributes_query(masked: &str) -> String {
    format!(
        "SELECT a.attrelid, a.attnum, a.attname FROM pg_catalog.pg_attribute a \
         WHERE a.attnum > 0 AND NOT a.attisdropped AND a.attrelid IN \
         (SELECT m.attrelid FROM ({masked}) m UNION SELECT i.inhrelid FROM pg_catalog.pg_inherits i) \
         ORDER BY a.attrelid, a.attnum"
    )
}

fn columns_query(rules: &[MaskRule]) -> String {
    let mut any = Vec::new();
    for r in rules {
        for p in &r.columns {
            let [s, t, c] = p.like();
            any.push(format!(
                "(n.nspname LIKE {} AND c.relname LIKE {} AND a.attname LIKE {})",
                literal(&s),
                literal(&t),
                literal(&c)
            ));
        }
    }
    format!(
        "SELECT a.attrelid, a.attnum, n.nspname, c.relname, a.attname \
         FROM pg_catalog.pg_attribute a \
         JOIN pg_catalog.pg_class c ON c.oid = a.attrelid \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f') \
         AND ({})",
        if any.is_empty() {
            "false".to_string()
        } else {
            any.join(" OR ")
        }
    )
}

fn text(row: &[Option<String>], i: usize) -> Result<&str, String> {
    row.get(i)
        .and_then(|v| v.as_deref())
        .ok_or_else(|| "the catalog answered an unexpected row".to_string())
}

fn number<T: std::str::FromStr>(row: &[Option<String>], i: usize) -> Result<T, String> {
    text(row, i)?
        .parse()
        .map_err(|_| "the catalog answered an unexpected number".to_string())
}

/// Reads the catalog through `side`.
pub async fn load(
    side: &mut Side,
    target: &Target,
    rules: &[MaskRule],
) -> Result<Snapshot, String> {
    let masked = columns_query(rules);
    let sql = format!(
        "{RELATIONS}; {masked}; {INHERITED}; {VIEW_DEPENDENCIES}; {}",
        attributes_query(&masked)
    );
    let results = side.query(&sql).await?;
    let [relations, columns, inherited, deps, attributes] = <[_; 5]>::try_from(results)
        .map_err(|_| "the catalog answered an unexpected number of results".to_string())?;
    let mut names: HashMap<u32, (String, String)> = HashMap::with_capacity(relations.len());
    let mut known: HashMap<u32, i16> = HashMap::with_capacity(relations.len());
    for row in &relations {
        let oid = number(row, 0)?;
        names.insert(oid, (text(row, 1)?.to_string(), text(row, 2)?.to_string()));
        known.insert(oid, number(row, 3)?);
    }
    let mut matched: Vec<Vec<bool>> = rules.iter().map(|r| vec![false; r.columns.len()]).collect();
    let mut by_oid: HashMap<u32, Vec<(i16, String)>> = HashMap::new();
    for row in &attributes {
        by_oid
            .entry(number(row, 0)?)
            .or_default()
            .push((number(row, 1)?, text(row, 2)?.to_string()));
    }
    let mut snapshot = Snapshot {
        known,
        names: names.values().cloned().collect(),
        oids: names.iter().map(|(oid, n)| (n.clone(), *oid)).collect(),
        attributes: by_oid,
        columns: HashMap::new(),
        tables: HashMap::new(),
        views: HashMap::new(),
        by_name: HashMap::new(),
        all: Vec::new(),
        matched: Vec::new(),
        loaded: Instant::now(),
    };
    let mut by_table: HashMap<u32, Vec<Arc<MaskedColumn>>> = HashMap::new();
    for row in &columns {
        let (oid, attnum): (u32, i16) = (number(row, 0)?, number(row, 1)?);
        let (schema, table, column) = (text(row, 2)?, text(row, 3)?, text(row, 4)?);
        let mut first = None;
        for (i, r) in rules.iter().enumerate() {
            for (j, p) in r.columns.iter().enumerate() {
                if p.matches(schema, table, column) {
                    matched[i][j] = true;
                    first.get_or_insert(i);
                }
            }
        }
        let Some(rule) = first else { continue };
        let resource = Resource::parse(&format!(
            "{}/{}/{}/{}",
            target.config.resource,
            segment(schema),
            segment(table),
            segment(column)
        ))
        .map_err(|e| {
            format!("column `{schema}.{table}.{column}` cannot be named as a resource: {e}")
        })?;
        let c = Arc::new(MaskedColumn {
            rule,
            name: format!("{schema}.{table}.{column}"),
            resource,
        });
        snapshot.columns.insert((oid, attnum), c.clone());
        by_table.entry(oid).or_default().push(c.clone());
        snapshot.all.push(c);
    }
    // A child table's (or partition's) copy of a masked column is masked as its parent's,
    // through every level of inheritance.
    let mut shared: Vec<(u32, i16, u32, i16)> = Vec::with_capacity(inherited.len());
    for row in &inherited {
        shared.push((
            number(row, 0)?,
            number(row, 1)?,
            number(row, 2)?,
            number(row, 3)?,
        ));
    }
    loop {
        let mut changed = false;
        for &(child, child_att, parent, parent_att) in &shared {
            if snapshot.columns.contains_key(&(child, child_att)) {
                continue;
            }
            if let Some(c) = snapshot.columns.get(&(parent, parent_att)).cloned() {
                snapshot.columns.insert((child, child_att), c.clone());
                by_table.entry(child).or_default().push(c);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    // Views over masked columns, to a fixed point: a view reading a masked view is masked.
    let mut edges: Vec<(u32, u32, i16)> = Vec::with_capacity(deps.len());
    for row in &deps {
        edges.push((number(row, 0)?, number(row, 1)?, number(row, 2)?));
    }
    let mut views: HashMap<u32, Vec<Arc<MaskedColumn>>> = HashMap::new();
    loop {
        let mut changed = false;
        for &(view, rel, sub) in &edges {
            let mut reads: Vec<Arc<MaskedColumn>> = Vec::new();
            if let Some(c) = snapshot.columns.get(&(rel, sub)) {
                reads.push(c.clone());
            }
            if sub == 0
                && let Some(cs) = by_table.get(&rel)
            {
                reads.extend(cs.iter().cloned());
            }
            if let Some(cs) = views.get(&rel) {
                reads.extend(cs.iter().cloned());
            }
            let entry = views.entry(view).or_default();
            for c in reads {
                if !entry.iter().any(|e| Arc::ptr_eq(e, &c)) {
                    entry.push(c);
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    views.retain(|_, v| !v.is_empty());
    for (oid, cs) in by_table.iter().chain(views.iter()) {
        if let Some(name) = names.get(oid) {
            let entry = snapshot.by_name.entry(name.clone()).or_default();
            for c in cs {
                if !entry.iter().any(|e| Arc::ptr_eq(e, c)) {
                    entry.push(c.clone());
                }
            }
        }
    }
    snapshot.views = views;
    snapshot.tables = by_table;
    snapshot.matched = matched;
    Ok(snapshot)
}
