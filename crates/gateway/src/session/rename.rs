//! SQL that names a statement or portal the client made with the protocol (`Parse`,
//! `Bind`): the server knows it by the gateway's upstream name, so `DEALLOCATE [PREPARE]
//! name` (drivers' statement caches), and `FETCH`, `MOVE` and `CLOSE` of a bound portal
//! (asyncpg's cursors), are rewritten to name the upstream one. The statements keep their
//! text as the client wrote it, for the audit log, and their effects the client's names.

use crate::sql::{Effect, Statement, quoted};

use super::names::Names;

/// `sql` with each statement that names a protocol statement or portal rewritten, if there
/// is one. A `DEALLOCATE`'s effect then names the upstream statement.
pub(super) fn rewrite(names: &Names, sql: &str, stmts: &mut [Statement]) -> Option<String> {
    let mut out: Option<String> = None;
    // From the last, so that the spans of those before stay where they are.
    for i in (0..stmts.len()).rev() {
        let (before, rest) = stmts.split_at_mut(i);
        let st = &mut rest[0];
        let Some(text) = replacement(names, before, st) else {
            continue;
        };
        if sql.get(st.span.clone()).is_none() {
            continue;
        }
        // INVARIANT: the span is exactly this statement (the same under either reading of
        // backslashes, or classification refused the SQL), so nothing else changes.
        out.get_or_insert_with(|| sql.to_string())
            .replace_range(st.span.clone(), &text);
    }
    out
}

/// The text `st` runs as upstream, when it names a protocol statement or portal.
fn replacement(names: &Names, before: &[Statement], st: &mut Statement) -> Option<String> {
    if let Effect::Deallocate(Some(name)) = &st.effect {
        let upstream = names.upstream_statement(name)?;
        if upstream == *name {
            return None;
        }
        st.effect = Effect::Deallocate(Some(upstream.clone()));
        return Some(format!("DEALLOCATE {}", quoted(&upstream)));
    }
    let (cursor, text) = match (&st.fetch, &st.effect) {
        (Some(f), _) => (f.cursor.as_str(), None),
        (None, Effect::Close(Some(name))) => (name.as_str(), Some("CLOSE")),
        _ => return None,
    };
    // A cursor declared earlier in the same query is the one meant.
    let declared = before
        .iter()
        .any(|b| matches!(&b.effect, Effect::Declare { name, .. } if name == cursor));
    if declared {
        return None;
    }
    let (upstream, _) = names.bound_portal(cursor)?;
    Some(match (text, &st.fetch) {
        (Some(close), _) => format!("{close} {}", quoted(&upstream)),
        (None, Some(f)) => f.naming(&upstream),
        (None, None) => return None,
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::session::names::Prepared;
    use crate::sql::{Action, Shape, Strings, classify};

    fn prepared() -> Arc<Prepared> {
        Arc::new(Prepared {
            text: String::new(),
            text_bytes: 0,
            kind: Action::Select,
            accesses: Vec::new(),
            copy_in: false,
            copy_out: None,
            shape: Shape::default(),
            effect: Effect::None,
            opaque: false,
        })
    }

    #[test]
    fn protocol_names_are_rewritten_and_others_left() {
        let mut names = Names::default();
        let p = prepared();
        let up = names.parse("s1", p.clone());
        names.prepared("q", p);
        let sql = "select 'DEALLOCATE s1'; DEALLOCATE PREPARE s1 ;DEALLOCATE q; deallocate nope";
        let mut stmts = classify(sql, Strings::Conforming).unwrap();
        let out = rewrite(&names, sql, &mut stmts).unwrap();
        assert_eq!(
            out,
            format!("select 'DEALLOCATE s1'; DEALLOCATE \"{up}\" ;DEALLOCATE q; deallocate nope")
        );
        assert_eq!(stmts[1].effect, Effect::Deallocate(Some(up)));
        assert_eq!(stmts[1].text, "DEALLOCATE PREPARE s1");
        assert_eq!(stmts[2].effect, Effect::Deallocate(Some("q".into())));
        let mut plain = classify("deallocate q", Strings::Conforming).unwrap();
        assert_eq!(rewrite(&names, "deallocate q", &mut plain), None);
    }

    #[test]
    fn sql_reading_a_bound_portal_names_the_upstream_one() {
        let mut names = Names::default();
        let portal = names.bind("__asyncpg_portal_3__", prepared());
        names.declared("c", prepared(), false);
        let sql = "MOVE FORWARD 2 \"__asyncpg_portal_3__\"; fetch 1 from c; \
                   fetch next from \"__asyncpg_portal_3__\"; CLOSE \"__asyncpg_portal_3__\"";
        let mut stmts = classify(sql, Strings::Conforming).unwrap();
        let out = rewrite(&names, sql, &mut stmts).unwrap();
        assert_eq!(
            out,
            format!(
                "MOVE FORWARD 2 FROM \"{portal}\"; fetch 1 from c; \
                 FETCH FORWARD 1 FROM \"{portal}\"; CLOSE \"{portal}\""
            )
        );
        // The effect keeps the client's name, which the session forgets once it is closed.
        assert_eq!(
            stmts[3].effect,
            Effect::Close(Some("__asyncpg_portal_3__".into()))
        );
        // A cursor declared before it in the same query is the one a FETCH reads.
        let sql = "declare \"__asyncpg_portal_3__\" cursor for select 1; \
                   fetch 1 from \"__asyncpg_portal_3__\"";
        let mut stmts = classify(sql, Strings::Conforming).unwrap();
        assert_eq!(rewrite(&names, sql, &mut stmts), None);
    }
}
