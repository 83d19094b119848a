//! SQL that names a statement the client prepared with the protocol's `Parse`: the server
//! knows that statement by the gateway's upstream name, so `DEALLOCATE [PREPARE] name` is
//! rewritten to deallocate the upstream one (as drivers do when their statement cache
//! overflows, or after `ALTER TABLE`), and its effect names it too.

use crate::sql::{Effect, Statement};

use super::names::Names;

/// `sql` with each `DEALLOCATE` of a protocol statement rewritten, if there is one; the
/// statements' effects then name the upstream statements. A statement keeps its text as
/// the client wrote it, for the audit log.
pub(super) fn deallocates(names: &Names, sql: &str, stmts: &mut [Statement]) -> Option<String> {
    let mut out: Option<String> = None;
    // From the last, so that the spans of those before stay where they are.
    for st in stmts.iter_mut().rev() {
        let Effect::Deallocate(Some(name)) = &st.effect else {
            continue;
        };
        let Some(upstream) = names.upstream_statement(name) else {
            continue;
        };
        if upstream == *name || sql.get(st.span.clone()).is_none() {
            continue;
        }
        // INVARIANT: the span is exactly this statement (the same under either reading of
        // backslashes, or classification refused the SQL), so nothing else changes.
        out.get_or_insert_with(|| sql.to_string())
            .replace_range(st.span.clone(), &format!("DEALLOCATE \"{upstream}\""));
        st.effect = Effect::Deallocate(Some(upstream));
    }
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::session::names::Prepared;
    use crate::sql::{Action, Shape, Strings, classify};

    #[test]
    fn protocol_names_are_rewritten_and_others_left() {
        let mut names = Names::default();
        let p = Arc::new(Prepared {
            text: String::new(),
            text_bytes: 0,
            kind: Action::Select,
            accesses: Vec::new(),
            copy_in: false,
            shape: Shape::default(),
            effect: Effect::None,
        });
        let up = names.parse("s1", p.clone());
        names.prepared("q", p);
        let sql = "select 'DEALLOCATE s1'; DEALLOCATE PREPARE s1 ;DEALLOCATE q; deallocate nope";
        let mut stmts = classify(sql, Strings::Conforming).unwrap();
        let out = deallocates(&names, sql, &mut stmts).unwrap();
        assert_eq!(
            out,
            format!("select 'DEALLOCATE s1'; DEALLOCATE \"{up}\" ;DEALLOCATE q; deallocate nope")
        );
        assert_eq!(stmts[1].effect, Effect::Deallocate(Some(up)));
        assert_eq!(stmts[1].text, "DEALLOCATE PREPARE s1");
        assert_eq!(stmts[2].effect, Effect::Deallocate(Some("q".into())));
        let mut plain = classify("deallocate q", Strings::Conforming).unwrap();
        assert_eq!(deallocates(&names, "deallocate q", &mut plain), None);
    }
}
