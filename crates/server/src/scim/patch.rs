//! PATCH (RFC 7644 §3.5.2): `add`, `replace` and `remove` operations applied to a resource's
//! document. A path is `attr`, `attr.sub`, `attr[filter]`, `attr[filter].sub`, any of them
//! behind the core schema's URN, or an extension's `URN:attr`; no path means the value's
//! attributes each. What the result must hold is checked afterwards, as for a `PUT`.

use serde_json::{Map, Value};

use super::document::{key_of, message, short_name};
use super::filter::{self, Filter};
use super::{ScimError, ScimResult};

const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Add,
    Replace,
    Remove,
}

/// Where an operation applies.
struct Target {
    /// An extension's URN, when the attribute is inside one.
    extension: Option<String>,
    attr: String,
    filter: Option<Filter>,
    sub: Option<String>,
}

fn no_target(detail: impl Into<String>) -> ScimError {
    ScimError::bad("noTarget", detail)
}

fn parse_path(path: &str, schema: &str) -> ScimResult<Target> {
    let path = short_name(path.trim(), schema);
    let (extension, rest) = if path.starts_with("urn:") {
        // The URN's last `:` separates it from the attribute (URNs hold dots, as in `2.0`).
        match path.rsplit_once(':') {
            Some((urn, attr)) if !attr.is_empty() => (Some(urn.to_string()), attr),
            _ => (None, path),
        }
    } else {
        (None, path)
    };
    let invalid = || ScimError::bad("invalidPath", format!("`{path}` is not an attribute path"));
    let (attr, filter, sub) = match rest.split_once('[') {
        Some((attr, tail)) => {
            let (inner, after) = tail.rsplit_once(']').ok_or_else(invalid)?;
            let sub = match after {
                "" => None,
                s => Some(s.strip_prefix('.').ok_or_else(invalid)?.to_string()),
            };
            let inner = filter::parse(inner, schema)
                .map_err(|e| ScimError::bad("invalidPath", e.detail))?;
            (attr.to_string(), Some(inner), sub)
        }
        None => match rest.split_once('.') {
            Some((attr, sub)) => (attr.to_string(), None, Some(sub.to_string())),
            None => (rest.to_string(), None, None),
        },
    };
    if attr.is_empty() || sub.as_deref() == Some("") {
        return Err(invalid());
    }
    Ok(Target {
        extension,
        attr,
        filter,
        sub,
    })
}

/// Applies the PatchOp request `body` to `doc`; `read_only` attributes cannot be changed.
pub fn apply(
    doc: &mut Map<String, Value>,
    body: &Value,
    schema: &str,
    read_only: &[&str],
) -> ScimResult<()> {
    let obj = message(body, PATCH_SCHEMA, "PatchOp", "a PATCH body")?;
    let ops = super::document::get(obj, "Operations")
        .and_then(Value::as_array)
        .ok_or_else(|| ScimError::bad("invalidSyntax", "a PATCH body has `Operations`, a list"))?;
    for (i, op) in ops.iter().enumerate() {
        let op = op.as_object().ok_or_else(|| {
            ScimError::bad("invalidSyntax", format!("operation {i} is not an object"))
        })?;
        let kind = match super::document::get(op, "op")
            .and_then(Value::as_str)
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("add") => Kind::Add,
            Some("replace") => Kind::Replace,
            Some("remove") => Kind::Remove,
            other => {
                return Err(ScimError::bad(
                    "invalidSyntax",
                    format!(
                        "operation {i}: `op` must be `add`, `replace` or `remove`, not `{}`",
                        other.unwrap_or("nothing")
                    ),
                ));
            }
        };
        let value = super::document::get(op, "value").cloned();
        match super::document::get(op, "path").and_then(Value::as_str) {
            Some(path) => {
                let target = parse_path(path, schema)?;
                if read_only
                    .iter()
                    .any(|r| target.attr.eq_ignore_ascii_case(r))
                    && target.extension.is_none()
                {
                    return Err(ScimError::bad(
                        "mutability",
                        format!("`{}` cannot be changed", target.attr),
                    ));
                }
                apply_one(doc, kind, &target, value)?;
            }
            None if kind == Kind::Remove => {
                return Err(no_target(format!("operation {i}: `remove` needs a `path`")));
            }
            None => {
                let Some(Value::Object(values)) = value else {
                    return Err(ScimError::bad(
                        "invalidValue",
                        format!(
                            "operation {i}: without a `path`, `value` is an object of attributes"
                        ),
                    ));
                };
                for (name, v) in values {
                    // An extension's whole object (`"urn:...:User": {...}`) is one attribute.
                    let target = if name.starts_with("urn:")
                        && short_name(&name, schema) == name
                        && v.is_object()
                    {
                        Target {
                            extension: None,
                            attr: name.clone(),
                            filter: None,
                            sub: None,
                        }
                    } else {
                        parse_path(&name, schema)?
                    };
                    if target.extension.is_none()
                        && read_only
                            .iter()
                            .any(|r| target.attr.eq_ignore_ascii_case(r))
                    {
                        continue;
                    }
                    apply_one(doc, kind, &target, Some(v))?;
                }
            }
        }
    }
    Ok(())
}

/// The object an operation works in: the document, or the extension's object inside it.
fn container<'a>(
    doc: &'a mut Map<String, Value>,
    target: &Target,
    create: bool,
) -> Option<&'a mut Map<String, Value>> {
    let Some(urn) = &target.extension else {
        return Some(doc);
    };
    let key = match key_of(doc, urn) {
        Some(k) => k,
        None if create => {
            doc.insert(urn.clone(), Value::Object(Map::new()));
            urn.clone()
        }
        None => return None,
    };
    doc.get_mut(&key).and_then(Value::as_object_mut)
}

fn merge(into: &mut Value, value: Value) {
    match (into, value) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                let key = key_of(a, &k).unwrap_or(k);
                a.insert(key, v);
            }
        }
        (slot, v) => *slot = v,
    }
}

fn apply_one(
    doc: &mut Map<String, Value>,
    kind: Kind,
    t: &Target,
    value: Option<Value>,
) -> ScimResult<()> {
    let need_value = || {
        value.clone().ok_or_else(|| {
            ScimError::bad(
                "invalidValue",
                format!("`{}`: the operation has no `value`", t.attr),
            )
        })
    };
    let Some(obj) = container(doc, t, kind != Kind::Remove) else {
        return Ok(());
    };
    let key = key_of(obj, &t.attr);
    match (&t.filter, &t.sub, kind) {
        (None, None, Kind::Remove) => {
            let Some(k) = key else {
                return Ok(());
            };
            match (obj.get_mut(&k), value) {
                // `remove` of some values, as some providers send group members: those go.
                (Some(Value::Array(items)), Some(Value::Array(gone))) => {
                    let id = |v: &Value| {
                        v.as_object()
                            .and_then(|o| super::document::get(o, "value"))
                            .cloned()
                    };
                    items.retain(|i| {
                        !gone
                            .iter()
                            .any(|g| g == i || (id(g).is_some() && id(g) == id(i)))
                    });
                }
                _ => {
                    obj.remove(&k);
                }
            }
        }
        (None, None, Kind::Add) => {
            let v = need_value()?;
            let k = key.unwrap_or_else(|| t.attr.clone());
            match (obj.get_mut(&k), v) {
                (Some(Value::Array(items)), Value::Array(new)) => {
                    for n in new {
                        if !items.contains(&n) {
                            items.push(n);
                        }
                    }
                }
                (Some(Value::Array(items)), n) => {
                    if !items.contains(&n) {
                        items.push(n);
                    }
                }
                (Some(existing @ Value::Object(_)), n @ Value::Object(_)) => merge(existing, n),
                (_, n) => {
                    obj.insert(k, n);
                }
            }
        }
        (None, None, Kind::Replace) => {
            let v = need_value()?;
            let k = key.unwrap_or_else(|| t.attr.clone());
            match obj.get_mut(&k) {
                Some(existing @ Value::Object(_)) if v.is_object() => merge(existing, v),
                _ => {
                    obj.insert(k, v);
                }
            }
        }
        (None, Some(sub), _) => {
            let k = key.unwrap_or_else(|| t.attr.clone());
            if kind == Kind::Remove {
                if let Some(Value::Object(inner)) = obj.get_mut(&k)
                    && let Some(sk) = key_of(inner, sub)
                {
                    inner.remove(&sk);
                }
                return Ok(());
            }
            let v = need_value()?;
            let slot = obj.entry(k).or_insert_with(|| Value::Object(Map::new()));
            match slot {
                Value::Object(inner) => {
                    let sk = key_of(inner, sub).unwrap_or_else(|| sub.clone());
                    inner.insert(sk, v);
                }
                _ => return Err(no_target(format!("`{}` has no sub-attributes", t.attr))),
            }
        }
        (Some(f), sub, _) => {
            let Some(Value::Array(items)) = key.as_ref().and_then(|k| obj.get_mut(k)) else {
                return if kind == Kind::Remove {
                    Ok(())
                } else {
                    Err(no_target(format!("`{}` holds no values to filter", t.attr)))
                };
            };
            let matching = |i: &Value| i.as_object().is_some_and(|o| f.matches(o));
            match (kind, sub) {
                (Kind::Remove, None) => items.retain(|i| !matching(i)),
                (Kind::Remove, Some(sub)) => {
                    for i in items.iter_mut().filter(|i| matching(i)) {
                        if let Value::Object(o) = i
                            && let Some(sk) = key_of(o, sub)
                        {
                            o.remove(&sk);
                        }
                    }
                }
                (_, sub) => {
                    let v = need_value()?;
                    let mut hit = false;
                    for i in items.iter_mut().filter(|i| matching(i)) {
                        hit = true;
                        match sub {
                            Some(sub) => {
                                if let Value::Object(o) = i {
                                    let sk = key_of(o, sub).unwrap_or_else(|| sub.clone());
                                    o.insert(sk, v.clone());
                                }
                            }
                            None => merge(i, v.clone()),
                        }
                    }
                    if !hit {
                        return Err(no_target(format!(
                            "no value of `{}` matches the filter",
                            t.attr
                        )));
                    }
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";

    fn patch(doc: Value, ops: Value) -> ScimResult<Value> {
        let mut doc = doc.as_object().unwrap().clone();
        apply(
            &mut doc,
            &json!({"schemas": [PATCH_SCHEMA], "Operations": ops}),
            USER,
            &["id", "groups"],
        )?;
        Ok(Value::Object(doc))
    }

    #[test]
    fn operations_change_the_document_as_rfc_7644_says() {
        let doc = json!({"userName": "ann", "active": true, "name": {"givenName": "Ann"},
                         "emails": [{"value": "a@x", "type": "work"}]});
        let out = patch(doc.clone(), json!([
            {"op": "Replace", "path": "active", "value": false},
            {"op": "add", "path": "name.familyName", "value": "Lee"},
            {"op": "add", "path": "emails", "value": [{"value": "b@x", "type": "home"}]},
            {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "c@x"},
            {"op": "remove", "path": "emails[type eq \"home\"]"},
            {"op": "add", "value": {"displayName": "Ann Lee"}},
            {"op": "add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber", "value": "7"},
        ])).unwrap();
        assert_eq!(
            out,
            json!({"userName": "ann", "active": false,
            "name": {"givenName": "Ann", "familyName": "Lee"},
            "emails": [{"value": "c@x", "type": "work"}],
            "displayName": "Ann Lee",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "7"}})
        );
        let out = patch(doc, json!([{"op": "remove", "path": "name"}])).unwrap();
        assert!(out.get("name").is_none());
    }

    #[test]
    fn bad_operations_say_what_is_wrong() {
        let doc = json!({"userName": "ann"});
        for (ops, kind) in [
            (json!([{"op": "move", "path": "x"}]), "invalidSyntax"),
            (json!([{"op": "remove"}]), "noTarget"),
            (
                json!([{"op": "replace", "path": "groups", "value": []}]),
                "mutability",
            ),
            (
                json!([{"op": "replace", "path": "emails[type eq \"x\"].value", "value": 1}]),
                "noTarget",
            ),
            (json!([{"op": "add", "path": "a[b eq"}]), "invalidPath"),
        ] {
            let e = patch(doc.clone(), ops.clone()).unwrap_err();
            assert_eq!(e.scim_type, Some(kind), "{ops}");
        }
    }
}
