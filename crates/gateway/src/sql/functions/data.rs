//! PostgreSQL's own functions that read or write data no table check covers: large objects
//! (which are no table's rows), the SQL of other sessions (every gateway session is the same
//! upstream role, so PostgreSQL shows each one the others' statements), and rows decoded from
//! the write-ahead log. Reading needs `db:select` on the target, writing `db:update`,
//! wherever the call appears. (`lo_import` and `lo_export` touch server files: `db:admin`.)

use crate::sql::Action;

const READS: &[&str] = &[
    "lo_close",
    "lo_get",
    "lo_lseek",
    "lo_lseek64",
    "lo_open",
    "lo_tell",
    "lo_tell64",
    "loread",
    "pg_logical_slot_get_binary_changes",
    "pg_logical_slot_get_changes",
    "pg_logical_slot_peek_binary_changes",
    "pg_logical_slot_peek_changes",
    "pg_stat_get_activity",
    "pg_stat_get_backend_activity",
    "pg_stat_get_wal_receiver",
];

const WRITES: &[&str] = &[
    "lo_creat",
    "lo_create",
    "lo_from_bytea",
    "lo_put",
    "lo_truncate",
    "lo_truncate64",
    "lo_unlink",
    "lowrite",
];

/// What calling the function `name` (lowercase) needs on the target, if it is one of these.
pub(super) fn access(name: &str) -> Option<Action> {
    if WRITES.binary_search(&name).is_ok() {
        Some(Action::Update)
    } else if READS.binary_search(&name).is_ok() {
        Some(Action::Select)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_objects_are_read_and_written_on_the_target() {
        assert!(READS.windows(2).all(|w| w[0] < w[1]));
        assert!(WRITES.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(access("loread"), Some(Action::Select));
        assert_eq!(access("lo_unlink"), Some(Action::Update));
        assert_eq!(access("pg_stat_get_activity"), Some(Action::Select));
        assert_eq!(access("lower"), None);
    }
}
