//! `/Users`: people in the directory. `userName` is the wicket user name (`user:NAME`), unique
//! without regard to case; `active: false` deactivates, and deactivating or deleting a person
//! deprovisions them ([`wicket_engine::identity::deprovision`]).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value, json};
use wicket_core::subject::parse_name;
use wicket_engine::app::{App, now};
use wicket_engine::identity::directory as ops;
use wicket_engine::ids::new_id;
use wicket_store::{DirUser, Directory};

use super::document::{self, USER_SCHEMA, get, meta, opt_string, required_string, take};
use super::resource::{Resource, shown, unique};
use super::{Body, ScimError, ScimResult, read_body};

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

pub async fn create(
    State(app): State<App>,
    headers: HeaderMap,
    body: Body,
) -> ScimResult<Response> {
    let doc = read_body(&headers, &body)?;
    let f = fields(doc.as_object().cloned().unwrap_or_default())?;
    let dir = app.store.read_directory().await?;
    unique::<DirUser>(&dir, &f.name, None)?;
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
    shown::<DirUser>(&app, &headers, &id, StatusCode::CREATED).await
}

impl Resource for DirUser {
    const SCHEMA: &'static str = USER_SCHEMA;
    const ENDPOINT: &'static str = "Users";
    const NOUN: &'static str = "user";
    const NAME_ATTRIBUTE: &'static str = "userName";
    const READ_ONLY: &'static [&'static str] = &["id", "meta", "schemas", "groups"];

    fn all(dir: &Directory) -> &[DirUser] {
        &dir.users
    }
    fn id(&self) -> &str {
        &self.id
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn render(&self, dir: &Directory, base: &str) -> Map<String, Value> {
        render(self, dir, base)
    }
    /// Without `groups`, which the groups' members say.
    fn editable(&self, dir: &Directory, base: &str) -> Map<String, Value> {
        let mut doc = render(self, dir, base);
        take(&mut doc, "groups");
        doc
    }

    async fn store(
        app: &App,
        dir: &Directory,
        before: &DirUser,
        doc: Map<String, Value>,
    ) -> ScimResult<bool> {
        let f = fields(doc)?;
        unique::<DirUser>(dir, &f.name, Some(&before.id))?;
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
            Err(e) if ops::is_stale(&e) => Ok(false),
            other => other.map(|()| true).map_err(Into::into),
        }
    }

    async fn remove(app: &App, it: &DirUser) -> ScimResult<()> {
        Ok(ops::delete_user(app, it).await?)
    }
}
