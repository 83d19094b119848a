//! Fastpath function calls (`FunctionCall`, libpq's `PQfn`): a function named by its object
//! id, with no SQL to read. The gateway lets through only PostgreSQL's own large-object
//! functions, which libpq's large-object API calls this way (psql's `\lo_import`,
//! `\lo_export`, `\lo_unlink`): their object ids are fixed in every server's catalog (below
//! 10000, where no created object can be), so the id names the function with certainty. Each
//! needs what the same call in a query needs: `db:select` on the target to read, `db:update`
//! to write (and a read-only session may not write). Any other id is refused: it may be any
//! function.

use std::sync::Mutex;

use bytes::BytesMut;
use wicket_engine::app::now;

use super::check::authorize;
use super::client::{lock, stand_in};
use super::{Session, State, events};
use crate::protocol::Frame;
use crate::protocol::error_response::{ErrorFields, code};
use crate::sql::{Access, Action, Effect, Shape, Statement};

/// PostgreSQL's large-object functions by object id (`pg_proc.dat`), and what calling each
/// needs on the target.
const LARGE_OBJECTS: &[(u32, &str, Action)] = &[
    (715, "lo_create", Action::Update),
    (952, "lo_open", Action::Select),
    (953, "lo_close", Action::Select),
    (954, "loread", Action::Select),
    (955, "lowrite", Action::Update),
    (956, "lo_lseek", Action::Select),
    (957, "lo_creat", Action::Update),
    (958, "lo_tell", Action::Select),
    (964, "lo_unlink", Action::Update),
    (1004, "lo_truncate", Action::Update),
    (3170, "lo_lseek64", Action::Select),
    (3171, "lo_tell64", Action::Select),
    (3172, "lo_truncate64", Action::Update),
];

/// The large-object function with object id `oid`, if it is one.
fn large_object(oid: u32) -> Option<(&'static str, Action)> {
    LARGE_OBJECTS
        .iter()
        .find(|(id, _, _)| *id == oid)
        .map(|(_, name, action)| (*name, *action))
}

/// A `FunctionCall`: passed on when it calls a large-object function the user may call,
/// refused otherwise; either way audited.
pub(super) async fn call(
    s: &Session,
    state: &Mutex<State>,
    frame: &Frame,
    out: &mut BytesMut,
) -> Result<(), crate::error::SessionError> {
    let oid = frame
        .body
        .get(..4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
    let Some((name, action)) = oid.and_then(large_object) else {
        let reason = "function calls by object id bypass statement checks, except PostgreSQL's own large-object functions; call the function in a query instead";
        let e = ErrorFields::error(
            code::INSUFFICIENT_PRIVILEGE,
            format!("wicket denied the function call: {reason}"),
        );
        let text = match oid {
            Some(oid) => format!("<function call of object id {oid}>"),
            None => "<function call>".to_string(),
        };
        s.audit(events::denied(
            s,
            &text,
            &[],
            Some("db:admin"),
            reason,
            now(),
        ))
        .await;
        lock(state).denied += 1;
        stand_in(state, out, e, true);
        return Ok(());
    };
    let text = format!("{name}(…) (function call)");
    let stmt = Statement {
        span: 0..text.len(),
        text,
        kind: action,
        accesses: vec![Access {
            action,
            table: None,
        }],
        executes: None,
        fetch: None,
        read_write: action != Action::Select,
        copy_in: false,
        copy_out: None,
        effect: Effect::None,
        shape: Shape::default(),
        search_path: None,
        reads_literals: false,
        user_code: false,
    };
    match authorize(s, state, std::slice::from_ref(&stmt)).await {
        Ok(mut runs) => {
            for run in &mut runs {
                run.protocol = "function call";
            }
            lock(state).inflight.simple(runs, None);
            frame.encode(out);
        }
        Err(e) => stand_in(state, out, e, true),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_large_object_functions_are_known_by_id() {
        assert_eq!(large_object(952), Some(("lo_open", Action::Select)));
        assert_eq!(large_object(955), Some(("lowrite", Action::Update)));
        assert_eq!(large_object(964), Some(("lo_unlink", Action::Update)));
        // lo_import and lo_export (server files) and every other function: not by id.
        assert_eq!(large_object(764), None);
        assert_eq!(large_object(765), None);
        assert_eq!(large_object(16384), None);
    }
}
