//! `DROP`: the objects it names are lists of strings, not table references, so they are read
//! here: tables, views, indexes and sequences are checked on their own resource.

use pg_query::protobuf::ObjectType;
use serde_json::Value;

use super::walk::{Walk, table_of};
use super::{Action, Table};

/// `DROP`: tables, views, indexes and sequences are named objects of a schema; other objects
/// are the database's; roles, extensions, servers and the like are administration.
pub(super) fn drop(w: &mut Walk, f: &Value) -> Action {
    let t = f.get("remove_type").and_then(Value::as_i64).unwrap_or(0);
    let is = |o: ObjectType| o as i64 == t;
    let relations = [
        ObjectType::ObjectTable,
        ObjectType::ObjectView,
        ObjectType::ObjectMatview,
        ObjectType::ObjectIndex,
        ObjectType::ObjectSequence,
        ObjectType::ObjectForeignTable,
    ];
    let on_table = [
        ObjectType::ObjectTrigger,
        ObjectType::ObjectRule,
        ObjectType::ObjectPolicy,
    ];
    let admin = [
        ObjectType::ObjectExtension,
        ObjectType::ObjectForeignServer,
        ObjectType::ObjectFdw,
        ObjectType::ObjectEventTrigger,
        ObjectType::ObjectPublication,
        ObjectType::ObjectSubscription,
        ObjectType::ObjectLanguage,
        ObjectType::ObjectAccessMethod,
        ObjectType::ObjectTransform,
        ObjectType::ObjectDatabase,
        ObjectType::ObjectRole,
        ObjectType::ObjectTablespace,
    ];
    if admin.into_iter().any(is) {
        w.push(Action::Admin, None);
        return Action::Admin;
    }
    let (tables, drop_last) = if relations.into_iter().any(is) {
        (true, false)
    } else if on_table.into_iter().any(is) {
        (true, true)
    } else {
        (false, false)
    };
    if tables {
        for object in f
            .get("objects")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let mut names = names_of(object);
            if drop_last {
                names.pop();
            }
            match names.as_slice() {
                [name] => w.push(Action::Ddl, qualify("", name)),
                [.., schema, name] => w.push(Action::Ddl, qualify(schema, name)),
                [] => w.fail("a `DROP` without an object name".into()),
            }
        }
    }
    Action::Ddl
}

fn qualify(schema: &str, name: &str) -> Option<Table> {
    let rel = serde_json::json!({"schemaname": schema, "relname": name});
    table_of(&rel).map(|mut t| {
        if t.schema.is_empty() {
            t.schema = "public".into();
        }
        t
    })
}

/// The strings of a `List` of `String` nodes (`schema.name` as written in a `DROP`).
fn names_of(object: &Value) -> Vec<String> {
    let Some(("List", list)) = super::node(object) else {
        return Vec::new();
    };
    list.get("items")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|n| super::node(n))
        .filter_map(|(_, s)| s.get("sval").and_then(Value::as_str).map(str::to_string))
        .collect()
}
