//! `/Groups`: groups in the directory. A group's `displayName` is its wicket group
//! (`group:NAME`, through `[auth.oidc.groups]` when that maps anything), so a membership
//! change reaches decisions as soon as it is stored, on every server.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use wicket_engine::app::{App, now};
use wicket_engine::identity::directory as ops;
use wicket_engine::ids::new_id;
use wicket_store::{DirGroup, Directory};

use super::document::{GROUP_SCHEMA, base_url, get, meta, opt_string, required_string};
use super::list::{Listing, Shown};
use super::{
    ATTEMPTS, Body, ScimError, ScimResult, contended, patch as patching, read_body, scim_json,
    written,
};

/// The most members one group may hold.
const MAX_MEMBERS: usize = 100_000;

/// A group as SCIM shows it.
pub fn render(g: &DirGroup, base: &str) -> Map<String, Value> {
    let mut doc = Map::new();
    doc.insert("schemas".into(), json!([GROUP_SCHEMA]));
    doc.insert("id".into(), json!(g.id));
    doc.insert("displayName".into(), json!(g.name));
    if let Some(x) = &g.external_id {
        doc.insert("externalId".into(), json!(x));
    }
    let members: Vec<Value> = g
        .members
        .iter()
        .map(|m| json!({"value": m, "$ref": format!("{base}/Users/{m}")}))
        .collect();
    doc.insert("members".into(), Value::Array(members));
    doc.insert(
        "meta".into(),
        meta(
            "Group",
            format!("{base}/Groups/{}", g.id),
            g.created_at,
            g.updated_at,
            g.version,
        ),
    );
    doc
}

/// The user ids `doc`'s `members` name: each by `value`, or by the end of its `$ref`.
fn members(dir: &Directory, doc: &Map<String, Value>) -> ScimResult<Vec<String>> {
    let items = match get(doc, "members") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(ScimError::bad("invalidValue", "`members` must be a list")),
    };
    if items.len() > MAX_MEMBERS {
        return Err(ScimError::bad(
            "tooMany",
            format!("a group holds at most {MAX_MEMBERS} members"),
        ));
    }
    let mut ids = Vec::with_capacity(items.len());
    for item in items {
        let obj = item.as_object().ok_or_else(|| {
            ScimError::bad("invalidValue", "each member is an object with `value`")
        })?;
        let value = get(obj, "value").and_then(Value::as_str);
        let by_ref = get(obj, "$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.trim_end_matches('/').rsplit('/').next());
        let id = [value, by_ref]
            .into_iter()
            .flatten()
            .find(|id| dir.user(id).is_some())
            .ok_or_else(|| {
                ScimError::bad(
                    "invalidValue",
                    format!(
                        "member `{}` is no user; a group's members are users",
                        value.or(by_ref).unwrap_or("")
                    ),
                )
            })?;
        ids.push(id.to_string());
    }
    ids.sort();
    ids.dedup();
    Ok(ids)
}

fn unique(dir: &Directory, name: &str, except: Option<&str>) -> ScimResult<()> {
    match dir
        .groups
        .iter()
        .find(|g| g.name.eq_ignore_ascii_case(name) && Some(g.id.as_str()) != except)
    {
        Some(_) => Err(ScimError::new(
            StatusCode::CONFLICT,
            Some("uniqueness"),
            format!("`displayName` `{name}` is taken"),
        )),
        None => Ok(()),
    }
}

fn find<'a>(dir: &'a Directory, id: &str) -> ScimResult<&'a DirGroup> {
    dir.group(id)
        .ok_or_else(|| ScimError::not_found(format!("no group `{id}`")))
}

async fn shown(
    app: &App,
    headers: &HeaderMap,
    id: &str,
    status: StatusCode,
) -> ScimResult<Response> {
    let dir = app.store.read_directory().await?;
    let g = find(&dir, id)?;
    let base = base_url(app, headers);
    Ok(written(
        status,
        Value::Object(render(g, &base)),
        &format!("{base}/Groups/{id}"),
    ))
}

/// The group `doc` describes, over `before` (or a new one).
fn group_of(
    dir: &Directory,
    doc: &Map<String, Value>,
    before: Option<&DirGroup>,
) -> ScimResult<DirGroup> {
    let name = required_string(doc, "displayName")?;
    if name.len() > 256 || name.chars().any(char::is_control) {
        return Err(ScimError::bad(
            "invalidValue",
            "`displayName` is at most 256 printable characters",
        ));
    }
    unique(dir, &name, before.map(|g| g.id.as_str()))?;
    let at = now();
    Ok(DirGroup {
        id: before.map_or_else(|| new_id("grp"), |g| g.id.clone()),
        name,
        external_id: opt_string(doc, "externalId")?,
        members: members(dir, doc)?,
        created_at: before.map_or(at, |g| g.created_at),
        updated_at: at,
        version: before.map_or(1, |g| g.version + 1),
    })
}

pub async fn create(
    State(app): State<App>,
    headers: HeaderMap,
    body: Body,
) -> ScimResult<Response> {
    let doc = read_body(&headers, &body)?;
    let dir = app.store.read_directory().await?;
    let group = group_of(&dir, doc.as_object().unwrap_or(&Map::new()), None)?;
    let id = group.id.clone();
    ops::put_group(&app, group, true).await?;
    shown(&app, &headers, &id, StatusCode::CREATED).await
}

pub async fn show(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> ScimResult<Response> {
    let dir = app.store.read_directory().await?;
    let g = find(&dir, &id)?;
    let doc = Value::Object(render(g, &base_url(&app, &headers)));
    Ok(scim_json(
        StatusCode::OK,
        &Shown::from_query(&query, GROUP_SCHEMA).apply(doc),
    ))
}

async fn listed(app: &App, headers: &HeaderMap, listing: Listing) -> ScimResult<Response> {
    let dir = app.store.read_directory().await?;
    let base = base_url(app, headers);
    Ok(listing.respond(dir.groups.iter().map(|g| render(g, &base)).collect()))
}

pub async fn list(
    State(app): State<App>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> ScimResult<Response> {
    let listing = Listing::from_query(&query, GROUP_SCHEMA)?;
    listed(&app, &headers, listing).await
}

pub async fn search(
    State(app): State<App>,
    headers: HeaderMap,
    body: Body,
) -> ScimResult<Response> {
    let listing = Listing::from_search(&read_body(&headers, &body)?, GROUP_SCHEMA)?;
    listed(&app, &headers, listing).await
}

/// Reads group `id` and replaces it with what `change(its document)` describes, again from
/// the top when another change got there first.
async fn change(
    app: &App,
    headers: &HeaderMap,
    id: &str,
    change: impl Fn(Map<String, Value>) -> ScimResult<Map<String, Value>>,
) -> ScimResult<Response> {
    for _ in 0..ATTEMPTS {
        let dir = app.store.read_directory().await?;
        let before = find(&dir, id)?.clone();
        let doc = change(render(&before, &base_url(app, headers)))?;
        let group = group_of(&dir, &doc, Some(&before))?;
        match ops::put_group(app, group, false).await {
            Err(e) if ops::is_stale(&e) => continue,
            other => other?,
        }
        return shown(app, headers, id, StatusCode::OK).await;
    }
    Err(contended())
}

pub async fn replace(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Body,
) -> ScimResult<Response> {
    let doc = read_body(&headers, &body)?;
    let doc = doc.as_object().cloned().unwrap_or_default();
    change(&app, &headers, &id, |_| Ok(doc.clone())).await
}

pub async fn patch(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Body,
) -> ScimResult<Response> {
    let ops_body = read_body(&headers, &body)?;
    change(&app, &headers, &id, |mut doc| {
        patching::apply(
            &mut doc,
            &ops_body,
            GROUP_SCHEMA,
            &["id", "meta", "schemas"],
        )?;
        Ok(doc)
    })
    .await
}

pub async fn delete(State(app): State<App>, Path(id): Path<String>) -> ScimResult<Response> {
    let dir = app.store.read_directory().await?;
    let g = find(&dir, &id)?.clone();
    ops::delete_group(&app, &g).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
