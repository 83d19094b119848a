//! Listing and searching (RFC 7644 §3.4.2, §3.4.3): `filter`, `startIndex` (from 1), `count`
//! (default and ceiling [`MAX_COUNT`]), `attributes` and `excludedAttributes`, from a query
//! string or a `.search` body, answered as a `ListResponse`.

use std::collections::HashMap;

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::document::{message, names, project};
use super::filter::{self, Filter};
use super::{ScimError, ScimResult, scim_json};

/// The most resources one page holds (also `ServiceProviderConfig`'s `filter.maxResults`).
pub const MAX_COUNT: usize = 200;

const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const SEARCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

/// What a client asked to see.
pub struct Listing {
    filter: Option<Filter>,
    start: usize,
    count: usize,
    attributes: Vec<String>,
    excluded: Vec<String>,
}

/// `attributes` and `excludedAttributes` of a query string, for a single resource.
pub struct Shown {
    pub attributes: Vec<String>,
    pub excluded: Vec<String>,
}

fn param<'a>(query: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    query
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn number(name: &str, text: &str) -> ScimResult<i64> {
    text.trim().parse().map_err(|_| {
        ScimError::bad(
            "invalidValue",
            format!("`{name}` must be a whole number, not `{text}`"),
        )
    })
}

impl Shown {
    pub fn from_query(query: &HashMap<String, String>, schema: &str) -> Shown {
        Shown {
            attributes: names(param(query, "attributes"), schema),
            excluded: names(param(query, "excludedAttributes"), schema),
        }
    }

    pub fn apply(&self, doc: Value) -> Value {
        project(doc, &self.attributes, &self.excluded)
    }
}

impl Listing {
    /// From a query string (`GET /Users?filter=...`).
    pub fn from_query(query: &HashMap<String, String>, schema: &str) -> ScimResult<Listing> {
        let start = param(query, "startIndex")
            .map(|t| number("startIndex", t))
            .transpose()?;
        let count = param(query, "count")
            .map(|t| number("count", t))
            .transpose()?;
        Listing::new(
            param(query, "filter"),
            start,
            count,
            Shown::from_query(query, schema),
            schema,
        )
    }

    /// From a `SearchRequest` body (`POST /Users/.search`).
    pub fn from_search(body: &Value, schema: &str) -> ScimResult<Listing> {
        let obj = message(body, SEARCH_SCHEMA, "SearchRequest", "a search body")?;
        let int = |name: &str| -> ScimResult<Option<i64>> {
            match super::document::get(obj, name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(|| {
                    ScimError::bad("invalidValue", format!("`{name}` must be a whole number"))
                }),
                Some(Value::String(s)) => number(name, s).map(Some),
                Some(_) => Err(ScimError::bad(
                    "invalidValue",
                    format!("`{name}` must be a whole number"),
                )),
            }
        };
        let list = |name: &str| -> Option<String> {
            match super::document::get(obj, name) {
                Some(Value::Array(items)) => Some(
                    items
                        .iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(","),
                ),
                Some(Value::String(s)) => Some(s.clone()),
                _ => None,
            }
        };
        let shown = Shown {
            attributes: names(list("attributes").as_deref(), schema),
            excluded: names(list("excludedAttributes").as_deref(), schema),
        };
        let filter = super::document::get(obj, "filter").and_then(Value::as_str);
        Listing::new(filter, int("startIndex")?, int("count")?, shown, schema)
    }

    fn new(
        filter: Option<&str>,
        start: Option<i64>,
        count: Option<i64>,
        shown: Shown,
        schema: &str,
    ) -> ScimResult<Listing> {
        let filter = match filter.map(str::trim) {
            None | Some("") => None,
            Some(text) => Some(filter::parse(text, schema)?),
        };
        // RFC 7644 §3.4.2.4: a start below 1 is 1; a negative count is 0.
        let start = usize::try_from(start.unwrap_or(1).max(1)).unwrap_or(1);
        let count = usize::try_from(count.unwrap_or(MAX_COUNT as i64).max(0))
            .unwrap_or(0)
            .min(MAX_COUNT);
        Ok(Listing {
            filter,
            start,
            count,
            attributes: shown.attributes,
            excluded: shown.excluded,
        })
    }

    /// The `ListResponse` page of `docs` (rendered resources, in a stable order).
    pub fn respond(&self, docs: Vec<Map<String, Value>>) -> Response {
        let matching: Vec<Map<String, Value>> = docs
            .into_iter()
            .filter(|d| self.filter.as_ref().is_none_or(|f| f.matches(d)))
            .collect();
        let total = matching.len();
        let page: Vec<Value> = matching
            .into_iter()
            .skip(self.start - 1)
            .take(self.count)
            .map(|d| project(Value::Object(d), &self.attributes, &self.excluded))
            .collect();
        scim_json(
            StatusCode::OK,
            &json!({
                "schemas": [LIST_SCHEMA],
                "totalResults": total,
                "startIndex": self.start,
                "itemsPerPage": page.len(),
                "Resources": page,
            }),
        )
    }
}
