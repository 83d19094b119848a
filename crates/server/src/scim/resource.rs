//! What `/Users` and `/Groups` do alike: find one by `id`, refuse a name another holds, show,
//! list and search, replace and patch (again from the top when another change got there
//! first) and delete. Each kind says, as a [`Resource`], how it renders and how it is stored.

use std::collections::HashMap;
use std::future::Future;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};
use wicket_engine::app::App;
use wicket_store::Directory;

use super::document::base_url;
use super::list::{Listing, Shown};
use super::{
    ATTEMPTS, Body, ScimError, ScimResult, contended, patch as patching, read_body, scim_json,
    written,
};

/// A kind of SCIM resource kept in the directory.
pub trait Resource: Clone + Send + Sync + Sized + 'static {
    /// The core schema's URN.
    const SCHEMA: &'static str;
    /// Where its endpoints are, under [`super::BASE`] (`Users`).
    const ENDPOINT: &'static str;
    /// What messages call one (`user`).
    const NOUN: &'static str;
    /// The attribute that names one, unique without regard to case (`userName`).
    const NAME_ATTRIBUTE: &'static str;
    /// The attributes a PATCH may not touch.
    const READ_ONLY: &'static [&'static str];

    /// All of this kind in `dir`.
    fn all(dir: &Directory) -> &[Self];
    fn id(&self) -> &str;
    fn name(&self) -> &str;
    /// As SCIM shows it.
    fn render(&self, dir: &Directory, base: &str) -> Map<String, Value>;
    /// The document a replace or a patch starts from: what is shown, less what is derived
    /// from elsewhere.
    fn editable(&self, dir: &Directory, base: &str) -> Map<String, Value> {
        self.render(dir, base)
    }
    /// Replaces `before` with what `doc` says; `false` when it changed meanwhile.
    fn store(
        app: &App,
        dir: &Directory,
        before: &Self,
        doc: Map<String, Value>,
    ) -> impl Future<Output = ScimResult<bool>> + Send;
    /// Deletes it, with what follows from that.
    fn remove(app: &App, it: &Self) -> impl Future<Output = ScimResult<()>> + Send;
}

pub fn find<'a, R: Resource>(dir: &'a Directory, id: &str) -> ScimResult<&'a R> {
    R::all(dir)
        .iter()
        .find(|r| r.id() == id)
        .ok_or_else(|| ScimError::not_found(format!("no {} `{id}`", R::NOUN)))
}

/// A 409 when another than `except` has `name` (in any case).
pub fn unique<R: Resource>(dir: &Directory, name: &str, except: Option<&str>) -> ScimResult<()> {
    match R::all(dir)
        .iter()
        .find(|r| r.name().eq_ignore_ascii_case(name) && Some(r.id()) != except)
    {
        Some(_) => Err(ScimError::new(
            StatusCode::CONFLICT,
            Some("uniqueness"),
            format!("`{}` `{name}` is taken", R::NAME_ATTRIBUTE),
        )),
        None => Ok(()),
    }
}

/// The resource as stored now, rendered (after a write).
pub async fn shown<R: Resource>(
    app: &App,
    headers: &HeaderMap,
    id: &str,
    status: StatusCode,
) -> ScimResult<Response> {
    let dir = app.store.read_directory().await?;
    let it = find::<R>(&dir, id)?;
    let base = base_url(app, headers);
    Ok(written(
        status,
        Value::Object(it.render(&dir, &base)),
        &format!("{base}/{}/{id}", R::ENDPOINT),
    ))
}

pub async fn show<R: Resource>(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> ScimResult<Response> {
    let dir = app.store.read_directory().await?;
    let it = find::<R>(&dir, &id)?;
    let doc = Value::Object(it.render(&dir, &base_url(&app, &headers)));
    Ok(scim_json(
        StatusCode::OK,
        &Shown::from_query(&query, R::SCHEMA).apply(doc),
    ))
}

async fn listed<R: Resource>(
    app: &App,
    headers: &HeaderMap,
    listing: Listing,
) -> ScimResult<Response> {
    let dir = app.store.read_directory().await?;
    let base = base_url(app, headers);
    let docs = R::all(&dir).iter().map(|r| r.render(&dir, &base));
    Ok(listing.respond(docs.collect()))
}

pub async fn list<R: Resource>(
    State(app): State<App>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> ScimResult<Response> {
    let listing = Listing::from_query(&query, R::SCHEMA)?;
    listed::<R>(&app, &headers, listing).await
}

pub async fn search<R: Resource>(
    State(app): State<App>,
    headers: HeaderMap,
    body: Body,
) -> ScimResult<Response> {
    let listing = Listing::from_search(&read_body(&headers, &body)?, R::SCHEMA)?;
    listed::<R>(&app, &headers, listing).await
}

/// Reads `id` and replaces it with what `change(its document)` describes, again from the top
/// when another change got there first.
async fn change<R: Resource>(
    app: &App,
    headers: &HeaderMap,
    id: &str,
    change: impl Fn(Map<String, Value>) -> ScimResult<Map<String, Value>>,
) -> ScimResult<Response> {
    for _ in 0..ATTEMPTS {
        let dir = app.store.read_directory().await?;
        let before = find::<R>(&dir, id)?.clone();
        let doc = change(before.editable(&dir, &base_url(app, headers)))?;
        if R::store(app, &dir, &before, doc).await? {
            return shown::<R>(app, headers, id, StatusCode::OK).await;
        }
    }
    Err(contended())
}

pub async fn replace<R: Resource>(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Body,
) -> ScimResult<Response> {
    let doc = read_body(&headers, &body)?;
    let doc = doc.as_object().cloned().unwrap_or_default();
    change::<R>(&app, &headers, &id, |_| Ok(doc.clone())).await
}

pub async fn patch<R: Resource>(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Body,
) -> ScimResult<Response> {
    let ops_body = read_body(&headers, &body)?;
    change::<R>(&app, &headers, &id, |mut doc| {
        patching::apply(&mut doc, &ops_body, R::SCHEMA, R::READ_ONLY)?;
        Ok(doc)
    })
    .await
}

pub async fn delete<R: Resource>(
    State(app): State<App>,
    Path(id): Path<String>,
) -> ScimResult<Response> {
    let dir = app.store.read_directory().await?;
    let it = find::<R>(&dir, &id)?.clone();
    R::remove(&app, &it).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
