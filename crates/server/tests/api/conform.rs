//! Every response the API tests see, checked against the spec the server serves: the
//! operation must document the status, the content type must be one it lists, and a JSON body
//! must validate against the schema (the spec's `components` attached to the root, so that
//! `#/components/schemas/...` resolves). A request that names no operation (a wrong path or
//! method, a page of the web UI) is not checked.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use serde_json::Value;

/// The spec, as the server generates it.
pub static SPEC: LazyLock<Value> =
    LazyLock::new(|| wicket_server::openapi::document().expect("the spec serializes"));

type Key = (String, String, u16, String);

static VALIDATORS: LazyLock<Mutex<HashMap<Key, Arc<jsonschema::Validator>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// The documented operation for `method` on `path` (a concrete path, query stripped): its
/// template and its object.
pub fn operation(method: &str, path: &str) -> Option<(String, &'static Value)> {
    let path = path.split('?').next().unwrap_or_default();
    let segments: Vec<&str> = path.split('/').collect();
    let paths = SPEC["paths"].as_object()?;
    let mut found = None;
    for (template, item) in paths {
        let parts: Vec<&str> = template.split('/').collect();
        if parts.len() != segments.len() {
            continue;
        }
        let mut exact = true;
        let fits = parts.iter().zip(&segments).all(|(t, s)| {
            if t.starts_with('{') {
                exact = false;
                !s.is_empty()
            } else {
                t == s
            }
        });
        if fits && let Some(op) = item.get(method.to_ascii_lowercase()) {
            // A literal path beats a template (`/v1/audit/verify` over `/v1/audit/{x}`).
            if exact || found.is_none() {
                found = Some((template.clone(), op));
            }
        }
    }
    found
}

fn validator(key: &Key, schema: &Value) -> Arc<jsonschema::Validator> {
    let mut cache = VALIDATORS.lock().unwrap();
    cache
        .entry(key.clone())
        .or_insert_with(|| {
            let mut root = schema.clone();
            if let Some(obj) = root.as_object_mut() {
                obj.insert("components".into(), SPEC["components"].clone());
            }
            let v = jsonschema::options()
                .with_draft(jsonschema::Draft::Draft202012)
                .should_validate_formats(true)
                .build(&root)
                .unwrap_or_else(|e| panic!("the schema of {key:?} does not compile: {e}"));
            Arc::new(v)
        })
        .clone()
}

/// Checks one response against the spec; an error says what differs.
pub fn check(
    method: &str,
    path: &str,
    status: u16,
    content_type: Option<&str>,
    body: &str,
) -> Result<(), String> {
    let Some((template, op)) = operation(method, path) else {
        return Ok(());
    };
    let label = format!("{method} {template} answered {status}");
    let response = op["responses"]
        .get(status.to_string())
        .ok_or_else(|| format!("{label}, a status the spec does not list: {body}"))?;
    let Some(content) = response.get("content").and_then(Value::as_object) else {
        return Ok(());
    };
    let essence = content_type
        .map(|t| {
            t.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .ok_or_else(|| format!("{label} without a content type"))?;
    let media = content
        .get(&essence)
        .ok_or_else(|| format!("{label} as `{essence}`, which the spec does not list: {body}"))?;
    if essence != "application/json" {
        return Ok(());
    }
    let value: Value = serde_json::from_str(body)
        .map_err(|e| format!("{label} with a body that is not JSON ({e}): {body}"))?;
    let key = (method.to_string(), template.clone(), status, essence);
    let v = validator(&key, &media["schema"]);
    let errors: Vec<String> = v
        .iter_errors(&value)
        .take(5)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        let shown: String = body.chars().take(600).collect();
        Err(format!(
            "{label} with a body the spec does not allow:\n  {}\n{shown}",
            errors.join("\n  ")
        ))
    }
}

/// [`check`], panicking with what differs.
pub fn assert_conforms(
    method: &str,
    path: &str,
    status: u16,
    content_type: Option<&str>,
    body: &str,
) {
    if let Err(e) = check(method, path, status, content_type, body) {
        panic!("{e}");
    }
}
