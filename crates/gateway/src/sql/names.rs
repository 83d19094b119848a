//! The names SQL gives prepared statements and cursors (`PREPARE`, `EXECUTE`, `DEALLOCATE`,
//! `DECLARE`, `CLOSE`, `FETCH`), and the prefix the gateway keeps for its own.
//!
//! INVARIANT: no statement the gateway lets through names a prepared statement or portal
//! whose name begins with [`RESERVED_PREFIX`]: those are the gateway's upstream names for
//! the client's protocol-level statements and portals, so a client that could `PREPARE`,
//! `EXECUTE`, `DEALLOCATE`, `CLOSE` or `FETCH` them would collide with, or reach past, the
//! statements the gateway checked.

use super::SqlError;

/// How every upstream name the gateway makes up begins.
pub const RESERVED_PREFIX: &str = "__wicket_";

/// `name` as a statement may use it: refused when it is one of the gateway's own.
pub(super) fn own(name: String) -> Result<String, SqlError> {
    if name.starts_with(RESERVED_PREFIX) {
        Err(SqlError::Reserved(name))
    } else {
        Ok(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gateway_s_prefix_is_refused() {
        assert_eq!(own("s1".into()), Ok("s1".to_string()));
        // Names are case-sensitive: only the exact prefix is the gateway's.
        assert_eq!(own("__WICKET_s1".into()), Ok("__WICKET_s1".to_string()));
        assert_eq!(
            own("__wicket_s1".into()),
            Err(SqlError::Reserved("__wicket_s1".into()))
        );
    }
}
