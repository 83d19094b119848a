//! Column masking: `[[gateway.postgres.masking]]` rules name columns; a result's columns whose
//! origin (the table OID and attribute number of its `RowDescription`) is a masked column
//! leave the gateway masked unless the user holds the rule's unmask action on the column's
//! resource `TARGET/SCHEMA/TABLE/COLUMN`.
//!
//! Fail closed: a computed column (no origin) of a statement that reads a masked column, a
//! column of a view that reads one, and a column whose origin the gateway does not know are
//! redacted unless the user may unmask every masked column involved. A masked column is
//! described to the client as `text`, so that its value is valid in text and binary format.

pub mod catalog;
pub mod copy;
pub mod errors;
pub mod rows;
pub mod value;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use wicket_core::Action;
use wicket_core::config::PasswordSource;
use wicket_core::config::masking::{MaskMethod, MaskRule};

use crate::target::Target;
use catalog::{MaskedColumn, Side, Snapshot};
use value::Method;

/// How long a catalog snapshot serves before it is read again. A column created or renamed
/// into a rule's pattern by another connection is masked from the next read at the latest;
/// a relation unknown to the snapshot is redacted (and makes the next statement read again).
pub const MAX_AGE: Duration = Duration::from_secs(5);

/// A target's masking: its rules with their keys, and the catalog snapshot they apply to.
pub struct Masking {
    pub rules: Vec<MaskRule>,
    methods: Vec<Method>,
    snapshot: Mutex<Option<Arc<Snapshot>>>,
    stale: AtomicBool,
    /// The side connection; held while the catalog is read, so one read serves everyone.
    side: tokio::sync::Mutex<Option<Side>>,
}

impl std::fmt::Debug for Masking {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Masking")
            .field("rules", &self.rules.len())
            .finish_non_exhaustive()
    }
}

/// What masking knows of one statement before it runs.
#[derive(Debug)]
pub struct StatementMask {
    pub snapshot: Arc<Snapshot>,
    /// The masked columns it reads (by the relations it names), or every one when it runs
    /// code the gateway cannot see into (a user-defined function, a cursor).
    pub reads: Vec<Arc<MaskedColumn>>,
    /// Its computed columns are redacted: it reads a masked column the user may not unmask.
    pub computed: bool,
    /// A `COPY ... TO STDOUT` whose rows are masked: how.
    pub copy: Option<Arc<copy::CopyPlan>>,
}

impl StatementMask {
    /// True when its result may hold a masked value, so each of its results is described.
    pub fn active(&self) -> bool {
        !self.reads.is_empty()
    }
}

impl Masking {
    /// The rules of a target with their keys read; the error names the rule and the source.
    pub fn load(rules: Vec<MaskRule>) -> Result<Option<Masking>, String> {
        if rules.is_empty() {
            return Ok(None);
        }
        let mut methods = Vec::with_capacity(rules.len());
        for (i, r) in rules.iter().enumerate() {
            methods.push(match &r.method {
                MaskMethod::Redact => Method::Redact,
                MaskMethod::Partial { keep, leading } => Method::Partial {
                    keep: *keep,
                    leading: *leading,
                },
                MaskMethod::Hash { key } => Method::Hash {
                    key: read_key(key).map_err(|e| format!("masking[{i}]: {e}"))?,
                },
            });
        }
        Ok(Some(Masking {
            rules,
            methods,
            snapshot: Mutex::new(None),
            stale: AtomicBool::new(false),
            side: tokio::sync::Mutex::new(None),
        }))
    }

    /// The method of rule `i`.
    pub fn method(&self, rule: usize) -> &Method {
        self.methods.get(rule).unwrap_or(&Method::Redact)
    }

    /// The unmask action of rule `i`.
    pub fn unmask(&self, rule: usize) -> Option<&Action> {
        self.rules.get(rule).map(|r| &r.unmask)
    }

    /// Makes the next statement read the catalog again (after DDL, or an unknown relation).
    pub fn mark_stale(&self) {
        self.stale.store(true, Ordering::Relaxed);
    }

    /// A snapshot no older than [`MAX_AGE`]; the error says why the catalog could not be read.
    pub async fn current(&self, target: &Target) -> Result<Arc<Snapshot>, String> {
        if let Some(s) = self.fresh() {
            return Ok(s);
        }
        let mut side = self.side.lock().await;
        if let Some(s) = self.fresh() {
            return Ok(s);
        }
        self.stale.store(false, Ordering::Relaxed);
        // A broken connection is opened again once.
        for attempt in 0..2 {
            if side.is_none() {
                *side = Some(Side::open(target).await?);
            }
            let Some(conn) = side.as_mut() else { continue };
            match catalog::load(conn, target, &self.rules).await {
                Ok(s) => {
                    let s = Arc::new(s);
                    *self.snapshot.lock().unwrap_or_else(|e| e.into_inner()) = Some(s.clone());
                    return Ok(s);
                }
                Err(e) => {
                    *side = None;
                    if attempt == 1 {
                        self.stale.store(true, Ordering::Relaxed);
                        return Err(e);
                    }
                }
            }
        }
        Err("the catalog could not be read".into())
    }

    fn fresh(&self) -> Option<Arc<Snapshot>> {
        let s = self
            .snapshot
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()?;
        (!self.stale.load(Ordering::Relaxed) && s.loaded.elapsed() < MAX_AGE).then_some(s)
    }

    /// What a statement naming `tables` (`(schema, name)`) reads of masked columns; with
    /// `opaque`, it runs code the gateway cannot see into and may read any of them.
    /// `unmasked` says whether the user may see a column in clear.
    pub fn statement<'a>(
        &self,
        snapshot: Arc<Snapshot>,
        tables: impl Iterator<Item = (&'a str, &'a str)>,
        opaque: bool,
        unmasked: &dyn Fn(&MaskedColumn) -> bool,
    ) -> StatementMask {
        let mut reads: Vec<Arc<MaskedColumn>> = Vec::new();
        if opaque {
            reads = snapshot.all.clone();
        } else {
            for (schema, name) in tables {
                let Some(cs) = snapshot
                    .by_name
                    .get(&(schema.to_string(), name.to_string()))
                else {
                    continue;
                };
                for c in cs {
                    if !reads.iter().any(|r| Arc::ptr_eq(r, c)) {
                        reads.push(c.clone());
                    }
                }
            }
        }
        let computed = reads.iter().any(|c| !unmasked(c));
        StatementMask {
            snapshot,
            reads,
            computed,
            copy: None,
        }
    }
}

/// A `hash` key from its environment variable or file (see [`wicket_engine::secret::read`]).
fn read_key(source: &PasswordSource) -> Result<Vec<u8>, String> {
    let key = wicket_engine::secret::read_setting(source, "key")?;
    if key.len() < 16 {
        return Err("a `hash` key needs at least 16 characters".into());
    }
    Ok(key.into_bytes())
}

/// The warnings a snapshot gives about the rules: patterns that name no existing column.
pub fn unmatched(rules: &[MaskRule], snapshot: &Snapshot) -> Vec<String> {
    let mut out = Vec::new();
    for (i, r) in rules.iter().enumerate() {
        for (j, p) in r.columns.iter().enumerate() {
            if !snapshot
                .matched
                .get(i)
                .and_then(|m| m.get(j))
                .copied()
                .unwrap_or(false)
            {
                out.push(format!(
                    "masking[{i}].columns[{j}] `{}` names no column that exists",
                    p.text
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_read_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        std::fs::write(&path, "0123456789abcdef-key\n").unwrap();
        let file = PasswordSource::File(path.display().to_string());
        assert_eq!(read_key(&file).unwrap(), b"0123456789abcdef-key");
        std::fs::write(&path, "short\n").unwrap();
        assert!(read_key(&file).unwrap_err().contains("at least 16"));
        let env = PasswordSource::Env("WICKET_MASK_TEST_SURELY_UNSET".into());
        assert!(read_key(&env).unwrap_err().contains("key_env"));
    }
}
