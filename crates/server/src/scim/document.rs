//! Resources as JSON documents: rendering a directory entry with its `id`, `schemas` and
//! `meta`, finding attributes by name as SCIM does (any case, with or without the schema's
//! URN), keeping only the attributes a client asked for, and checking that a message body
//! (`PatchOp`, `SearchRequest`) declares its schema.

use axum::http::HeaderMap;
use axum::http::header::HOST;
use serde_json::{Map, Value, json};
use wicket_core::Time;
use wicket_engine::app::App;

use super::{BASE, ScimError, ScimResult};

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

/// Attributes the server sets or derives, never taken from what the client sends.
pub const SERVER_SET: &[&str] = &["schemas", "id", "meta"];

/// The URL endpoints are named under, from the request's `Host`: `http(s)://HOST/scim/v2`.
pub fn base_url(app: &App, headers: &HeaderMap) -> String {
    let host = headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && !h.contains(['/', ' ', '"']))
        .unwrap_or("localhost");
    let scheme = if app.config.tls.is_some() {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}{BASE}")
}

/// The `meta` of a resource.
pub fn meta(kind: &str, location: String, created: Time, modified: Time, version: i64) -> Value {
    json!({
        "resourceType": kind,
        "created": wicket_core::time::format(created),
        "lastModified": wicket_core::time::format(modified),
        "location": location,
        "version": format!("W/\"{version}\""),
    })
}

/// `body` as a message of the API schema `schema` (RFC 7644 §3.1): an object whose `schemas`
/// names it. Errors call it a `kind` (`PatchOp`) and `what` (`a PATCH body`).
pub fn message<'a>(
    body: &'a Value,
    schema: &str,
    kind: &str,
    what: &str,
) -> ScimResult<&'a Map<String, Value>> {
    let obj = body
        .as_object()
        .ok_or_else(|| ScimError::bad("invalidSyntax", format!("not a {kind}")))?;
    let declared = obj
        .get("schemas")
        .and_then(Value::as_array)
        .is_some_and(|s| s.iter().any(|x| x.as_str() == Some(schema)));
    if !declared {
        return Err(ScimError::bad(
            "invalidSyntax",
            format!("{what} declares `schemas: [\"{schema}\"]`"),
        ));
    }
    Ok(obj)
}

/// `name` without the core schema's URN prefix (`urn:...:User:userName` is `userName`).
pub fn short_name<'a>(name: &'a str, schema: &str) -> &'a str {
    match name.get(..schema.len()) {
        Some(prefix) if prefix.eq_ignore_ascii_case(schema) => {
            name[schema.len()..].trim_start_matches(':')
        }
        _ => name,
    }
}

/// The key of `obj` that is `name` in any case.
pub fn key_of(obj: &Map<String, Value>, name: &str) -> Option<String> {
    obj.keys().find(|k| k.eq_ignore_ascii_case(name)).cloned()
}

/// The value of attribute `name` (any case) in `obj`.
pub fn get<'a>(obj: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    key_of(obj, name).and_then(|k| obj.get(&k))
}

/// Removes attribute `name` (any case) from `obj`; what it held.
pub fn take(obj: &mut Map<String, Value>, name: &str) -> Option<Value> {
    key_of(obj, name).and_then(|k| obj.remove(&k))
}

/// An optional string attribute; `null` is absent, anything but a string a 400.
pub fn opt_string(obj: &Map<String, Value>, name: &str) -> ScimResult<Option<String>> {
    match get(obj, name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(ScimError::bad(
            "invalidValue",
            format!("`{name}` must be a string, not `{other}`"),
        )),
    }
}

/// A required, non-empty string attribute.
pub fn required_string(obj: &Map<String, Value>, name: &str) -> ScimResult<String> {
    match opt_string(obj, name)? {
        Some(s) if !s.trim().is_empty() => Ok(s),
        _ => Err(ScimError::bad(
            "invalidValue",
            format!("`{name}` is required"),
        )),
    }
}

/// The comma-separated attribute names of `attributes` or `excludedAttributes`, each without
/// the core schema's URN and in lower case.
pub fn names(list: Option<&str>, schema: &str) -> Vec<String> {
    list.unwrap_or_default()
        .split(',')
        .map(|n| short_name(n.trim(), schema).to_ascii_lowercase())
        .filter(|n| !n.is_empty())
        .collect()
}

/// `doc` with only what `attributes` asks for (plus `id` and `schemas`, always returned), or
/// without what `excluded` names. Names may be `attr` or `attr.sub`.
pub fn project(doc: Value, attributes: &[String], excluded: &[String]) -> Value {
    let Value::Object(obj) = doc else {
        return doc;
    };
    let always = |k: &str| k.eq_ignore_ascii_case("id") || k.eq_ignore_ascii_case("schemas");
    let mut out = Map::new();
    for (k, v) in obj {
        let lk = k.to_ascii_lowercase();
        if !attributes.is_empty() {
            if always(&k) || attributes.contains(&lk) {
                out.insert(k, v);
            } else {
                let subs: Vec<&str> = attributes
                    .iter()
                    .filter_map(|a| a.strip_prefix(&format!("{lk}.")))
                    .collect();
                if !subs.is_empty() {
                    out.insert(k, keep_subs(v, &subs));
                }
            }
            continue;
        }
        if always(&k) || !excluded.contains(&lk) {
            let subs: Vec<&str> = excluded
                .iter()
                .filter_map(|a| a.strip_prefix(&format!("{lk}.")))
                .collect();
            out.insert(
                k,
                if subs.is_empty() {
                    v
                } else {
                    drop_subs(v, &subs)
                },
            );
        }
    }
    Value::Object(out)
}

fn keep_subs(v: Value, subs: &[&str]) -> Value {
    match v {
        Value::Object(o) => Value::Object(
            o.into_iter()
                .filter(|(k, _)| subs.iter().any(|s| k.eq_ignore_ascii_case(s)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(|x| keep_subs(x, subs)).collect()),
        other => other,
    }
}

fn drop_subs(v: Value, subs: &[&str]) -> Value {
    match v {
        Value::Object(o) => Value::Object(
            o.into_iter()
                .filter(|(k, _)| !subs.iter().any(|s| k.eq_ignore_ascii_case(s)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(|x| drop_subs(x, subs)).collect()),
        other => other,
    }
}

/// The `schemas` of a document: the core schema and every extension URN it holds.
pub fn schemas_of(obj: &Map<String, Value>, core: &str) -> Value {
    let mut schemas = vec![Value::String(core.into())];
    for k in obj.keys() {
        if k.starts_with("urn:") {
            schemas.push(Value::String(k.clone()));
        }
    }
    Value::Array(schemas)
}
