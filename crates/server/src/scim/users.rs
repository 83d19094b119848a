//! `/Users`: people in the directory. `userName` is the wicket user name (`user:NAME`), unique
//! without regard to case; `active: false` deactivates, and deactivating or deleting a person
//! deprovisions them ([`wicket_engine::identity::deprovision`]).

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use wicket_core::subject::parse_name;
use wicket_engine::app::{App, now};
use wicket_engine::identity::directory as ops;
use wicket_engine::ids::new_id;
use wicket_store::{DirUser, Directory};

use super::document::{self, USER_SCHEMA, base_url, get, meta, opt_string, required_string, take};
use super::list::{Listing, Shown};
use super::{
    ATTEMPTS, Body, ScimError, ScimResult, contended, patch as patching, read_body, scim_json,
    written,
};

/// Attributes kept in columns or derived, not in the stored document.
/// `active` stays in the document too (as a boolean), so that a person whose provider never
/// sent it reads back without it; they count as active.
const DERIVED: &[&str] = &[
    "userName",
    "externalId",
    "displayName",
    "groups",
    "password",
];

/// A person as SCIM shows them.
pub fn render(u: &DirUser, dir: &Directory, base: &str) -> Map<String, Value> {
    let mut doc: Map<String, Value> = serde_json::from_str(&u.attributes).unwrap_or_default();
    doc.insert("schemas".into(), document::schemas_of(&doc, USER_SCHEMA));
    doc.insert("id".into(), json!(u.id));
    doc.insert("userName".into(), json!(u.name));
    if let Some(k) = document::key_of(&doc, "active") {
        doc.insert(k, json!(u.active));
    }
    if let Some(x) = &u.external_id {
        doc.insert("externalId".into(), json!(x));
    }
    if let Some(x) = &u.display_name {
        doc.insert("displayName".into(), json!(x));
    }
    let groups: Vec<Value> = dir
        .groups_of(&u.id)
        .map(|g| json!({"value": g.id, "display": g.name, "$ref": format!("{base}/Groups/{}", g.id), "type": "direct"}))
        .collect();
    if !groups.is_empty() {
        doc.insert("groups".into(), Value::Array(groups));
    }
    doc.insert(
        "meta".into(),
        meta(
            "User",
            format!("{base}/Users/{}", u.id),
            u.created_at,
            u.updated_at,
            u.version,
        ),
    );
    doc
}

/// What a request's document says of a person: their fields, and the rest to keep.
struct Fields {
    name: String,
    external_id: Option<String>,
    display_name: Option<String>,
    active: bool,
    attributes: String,
}

fn fields(mut doc: Map<String, Value>) -> ScimResult<Fields> {
    let name = required_string(&doc, "userName")?;
    parse_name("user", &name).map_err(|e| {
        ScimError::bad(
            "invalidValue",
            format!("`userName`: {e} (letters, digits, `_`, `-`, `.` and `@`)"),
        )
    })?;
    let active = match get(&doc, "active") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        // Some providers send the flag as text.
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => true,
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => false,
        Some(other) => {
            return Err(ScimError::bad(
                "invalidValue",
                format!("`active` must be true or false, not `{other}`"),
            ));
        }
    };
    if let Some(k) = document::key_of(&doc, "active") {
        doc.insert(k, json!(active));
    }
    let external_id = opt_string(&doc, "externalId")?;
    let display_name = opt_string(&doc, "displayName")?;
    for k in DERIVED.iter().chain(document::SERVER_SET) {
        take(&mut doc, k);
    }
    Ok(Fields {
        name,
        external_id,
        display_name,
        active,
        attributes: Value::Object(doc).to_string(),
    })
}

/// A 409 when another person than `except` has `name` (in any case).
fn unique(dir: &Directory, name: &str, except: Option<&str>) -> ScimResult<()> {
    match dir
        .users
        .iter()
        .find(|u| u.name.eq_ignore_ascii_case(name) && Some(u.id.as_str()) != except)
    {
        Some(_) => Err(ScimError::new(
            StatusCode::CONFLICT,
            Some("uniqueness"),
            format!("`userName` `{name}` is taken"),
        )),
        None => Ok(()),
    }
}

fn find<'a>(dir: &'a Directory, id: &str) -> ScimResult<&'a DirUser> {
    dir.user(id)
        .ok_or_else(|| ScimError::not_found(format!("no user `{id}`")))
}

/// The person as stored now, rendered (after a write).
async fn shown(
    app: &App,
    headers: &HeaderMap,
    id: &str,
    status: StatusCode,
) -> ScimResult<Response> {
    let dir = app.store.read_directory().await?;
    let u = find(&dir, id)?;
    let base = base_url(app, headers);
    Ok(written(
        status,
        Value::Object(render(u, &dir, &base)),
        &format!("{base}/Users/{id}"),
    ))
}

pub async fn create(
    State(app): State<App>,
    headers: HeaderMap,
    body: Body,
) -> ScimResult<Response> {
    let doc = read_body(&headers, &body)?;
    let f = fields(doc.as_object().cloned().unwrap_or_default())?;
    let dir = app.store.read_directory().await?;
    unique(&dir, &f.name, None)?;
    let at = now();
    let id = new_id("usr");
    ops::create_user(
        &app,
        DirUser {
            id: id.clone(),
            name: f.name,
            external_id: f.external_id,
            display_name: f.display_name,
            active: f.active,
            attributes: f.attributes,
            claim_groups: Vec::new(),
            created_at: at,
            updated_at: at,
            version: 1,
        },
    )
    .await?;
    shown(&app, &headers, &id, StatusCode::CREATED).await
}

pub async fn show(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> ScimResult<Response> {
    let dir = app.store.read_directory().await?;
    let u = find(&dir, &id)?;
    let doc = Value::Object(render(u, &dir, &base_url(&app, &headers)));
    Ok(scim_json(
        StatusCode::OK,
        &Shown::from_query(&query, USER_SCHEMA).apply(doc),
    ))
}

async fn listed(app: &App, headers: &HeaderMap, listing: Listing) -> ScimResult<Response> {
    let dir = app.store.read_directory().await?;
    let base = base_url(app, headers);
    Ok(listing.respond(dir.users.iter().map(|u| render(u, &dir, &base)).collect()))
}

pub async fn list(
    State(app): State<App>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> ScimResult<Response> {
    let listing = Listing::from_query(&query, USER_SCHEMA)?;
    listed(&app, &headers, listing).await
}

pub async fn search(
    State(app): State<App>,
    headers: HeaderMap,
    body: Body,
) -> ScimResult<Response> {
    let listing = Listing::from_search(&read_body(&headers, &body)?, USER_SCHEMA)?;
    listed(&app, &headers, listing).await
}

/// Replaces person `before` with what `doc` says; `None` when they changed meanwhile.
async fn replace_with(
    app: &App,
    headers: &HeaderMap,
    dir: &Directory,
    before: &DirUser,
    doc: Map<String, Value>,
) -> ScimResult<Option<Response>> {
    let f = fields(doc)?;
    unique(dir, &f.name, Some(&before.id))?;
    let after = DirUser {
        name: f.name,
        external_id: f.external_id,
        display_name: f.display_name,
        active: f.active,
        attributes: f.attributes,
        updated_at: now(),
        version: before.version + 1,
        ..before.clone()
    };
    match ops::replace_user(app, before, after).await {
        Err(e) if ops::is_stale(&e) => return Ok(None),
        other => other?,
    }
    shown(app, headers, &before.id, StatusCode::OK)
        .await
        .map(Some)
}

/// Reads person `id` and replaces them with `change(their document)`, again from the top
/// when another change got there first.
async fn change(
    app: &App,
    headers: &HeaderMap,
    id: &str,
    change: impl Fn(Map<String, Value>) -> ScimResult<Map<String, Value>>,
) -> ScimResult<Response> {
    for _ in 0..ATTEMPTS {
        let dir = app.store.read_directory().await?;
        let before = find(&dir, id)?.clone();
        let mut doc = render(&before, &dir, &base_url(app, headers));
        take(&mut doc, "groups");
        if let Some(done) = replace_with(app, headers, &dir, &before, change(doc)?).await? {
            return Ok(done);
        }
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
            USER_SCHEMA,
            &["id", "meta", "schemas", "groups"],
        )?;
        Ok(doc)
    })
    .await
}

pub async fn delete(State(app): State<App>, Path(id): Path<String>) -> ScimResult<Response> {
    let dir = app.store.read_directory().await?;
    let u = find(&dir, &id)?.clone();
    ops::delete_user(&app, &u).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
