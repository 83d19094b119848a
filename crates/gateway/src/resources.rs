//! The resources a target's tables are checked on, named once: `RESOURCE/SCHEMA/TABLE` is
//! formatted and parsed at the first statement that reads a table, not at every statement
//! (twice: its check and its audit event).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use wicket_core::Resource;
use wicket_core::resource::segment;

use crate::sql::Table;

/// Tables remembered before the memo starts over.
const CAPACITY: usize = 4096;

#[derive(Debug)]
pub struct Resources {
    target: Resource,
    tables: Mutex<HashMap<Table, Arc<Resource>>>,
}

impl Resources {
    pub fn new(target: Resource) -> Resources {
        Resources {
            target,
            tables: Mutex::new(HashMap::new()),
        }
    }

    /// The target's own resource.
    pub fn target(&self) -> &Resource {
        &self.target
    }

    /// The resource `table` is checked on. Schema and table are one segment each, whatever
    /// they hold ([`segment`]): `"reports/hr".salaries` is `RESOURCE/reports%2Fhr/salaries`,
    /// never under `RESOURCE/reports/**`.
    pub fn of(&self, table: &Table) -> Result<Arc<Resource>, String> {
        let mut tables = self.tables.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(r) = tables.get(table) {
            return Ok(r.clone());
        }
        let resource = Arc::new(named(&self.target, table)?);
        if tables.len() >= CAPACITY {
            tables.clear();
        }
        tables.insert(table.clone(), resource.clone());
        Ok(resource)
    }
}

/// `target/SCHEMA/TABLE`, parsed.
fn named(target: &Resource, t: &Table) -> Result<Resource, String> {
    Resource::parse(&format!(
        "{target}/{}/{}",
        segment(&t.schema),
        segment(&t.name)
    ))
    .map_err(|e| format!("table `{t}` cannot be named as a wicket resource: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(schema: &str, name: &str) -> Table {
        Table {
            schema: schema.into(),
            name: name.into(),
        }
    }

    #[test]
    fn a_table_is_named_under_the_target_and_remembered() {
        let r = Resources::new(Resource::parse("postgres/prod").unwrap());
        let first = r.of(&table("public", "orders")).unwrap();
        assert_eq!(first.as_str(), "postgres/prod/public/orders");
        let again = r.of(&table("public", "orders")).unwrap();
        assert!(
            Arc::ptr_eq(&first, &again),
            "the second lookup is the memo's"
        );
        assert_eq!(
            r.of(&table("reports/hr", "salaries")).unwrap().as_str(),
            "postgres/prod/reports%2Fhr/salaries"
        );
        assert_eq!(r.target().as_str(), "postgres/prod");
    }

    #[test]
    fn the_memo_stays_bounded() {
        let r = Resources::new(Resource::parse("postgres/prod").unwrap());
        for i in 0..CAPACITY + 10 {
            r.of(&table("public", &format!("t{i}"))).unwrap();
        }
        let held = r.tables.lock().unwrap().len();
        assert!(held <= CAPACITY, "{held} tables held");
        assert_eq!(
            r.of(&table("public", "t1")).unwrap().as_str(),
            "postgres/prod/public/t1"
        );
    }
}
