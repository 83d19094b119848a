//! `/Groups`: groups in the directory. A group's `displayName` is its wicket group
//! (`group:NAME`, through `[auth.oidc.groups]` when that maps anything), so a membership
//! change reaches decisions as soon as it is stored, on every server.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value, json};
use wicket_engine::app::{App, now};
use wicket_engine::identity::directory as ops;
use wicket_engine::ids::new_id;
use wicket_store::{DirGroup, Directory};

use super::document::{GROUP_SCHEMA, get, meta, opt_string, required_string};
use super::resource::{Resource, shown, unique};
use super::{Body, ScimError, ScimResult, read_body};

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
    unique::<DirGroup>(dir, &name, before.map(|g| g.id.as_str()))?;
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
    shown::<DirGroup>(&app, &headers, &id, StatusCode::CREATED).await
}

impl Resource for DirGroup {
    const SCHEMA: &'static str = GROUP_SCHEMA;
    const ENDPOINT: &'static str = "Groups";
    const NOUN: &'static str = "group";
    const NAME_ATTRIBUTE: &'static str = "displayName";
    const READ_ONLY: &'static [&'static str] = &["id", "meta", "schemas"];

    fn all(dir: &Directory) -> &[DirGroup] {
        &dir.groups
    }
    fn id(&self) -> &str {
        &self.id
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn render(&self, _: &Directory, base: &str) -> Map<String, Value> {
        render(self, base)
    }

    async fn store(
        app: &App,
        dir: &Directory,
        before: &DirGroup,
        doc: Map<String, Value>,
    ) -> ScimResult<bool> {
        let group = group_of(dir, &doc, Some(before))?;
        match ops::put_group(app, group, false).await {
            Err(e) if ops::is_stale(&e) => Ok(false),
            other => other.map(|()| true).map_err(Into::into),
        }
    }

    async fn remove(app: &App, it: &DirGroup) -> ScimResult<()> {
        Ok(ops::delete_group(app, it).await?)
    }
}
