//! Links between operations: the id one answer carries, and the operations that take it next
//! (a new request's id to review or cancel it, its grants' ids, a new token's id). Clients
//! read them; Schemathesis follows them in its stateful phase. They are added to the JSON of
//! the document: utoipa 5.5 writes a link's fields in snake case (`operation_id`), which no
//! tool reads.

use serde_json::{Value, json};

/// `(operation, status, link name, next operation, where the id is in the answer)`.
const LINKS: &[(&str, &str, &str, &str, &str)] = &[
    (
        "create_request",
        "201",
        "ShowRequest",
        "show_request",
        "$response.body#/id",
    ),
    (
        "create_request",
        "201",
        "ApproveRequest",
        "approve_request",
        "$response.body#/id",
    ),
    (
        "create_request",
        "201",
        "DenyRequest",
        "deny_request",
        "$response.body#/id",
    ),
    (
        "create_request",
        "201",
        "CancelRequest",
        "cancel_request",
        "$response.body#/id",
    ),
    (
        "create_request",
        "201",
        "ShowGrant",
        "show_grant",
        "$response.body#/grants/0/id",
    ),
    (
        "create_request",
        "201",
        "RevokeGrant",
        "revoke_grant",
        "$response.body#/grants/0/id",
    ),
    (
        "approve_request",
        "200",
        "ShowGrant",
        "show_grant",
        "$response.body#/grants/0/id",
    ),
    (
        "approve_request",
        "200",
        "RevokeGrant",
        "revoke_grant",
        "$response.body#/grants/0/id",
    ),
    (
        "create_token",
        "201",
        "RevokeToken",
        "revoke_token",
        "$response.body#/id",
    ),
    (
        "create_token",
        "201",
        "DeleteToken",
        "delete_token",
        "$response.body#/id",
    ),
];

/// Adds [`LINKS`] to the answers of `doc`, the document as JSON.
pub fn add(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for op in paths
        .values_mut()
        .filter_map(Value::as_object_mut)
        .flat_map(|item| item.values_mut())
    {
        let id = op["operationId"].as_str().unwrap_or_default().to_string();
        for (_, status, name, next, at) in LINKS.iter().filter(|l| l.0 == id) {
            if let Some(response) = op
                .get_mut("responses")
                .and_then(|r| r.get_mut(*status))
                .and_then(Value::as_object_mut)
            {
                let links = response.entry("links").or_insert_with(|| json!({}));
                if let Some(links) = links.as_object_mut() {
                    links.insert(
                        (*name).to_string(),
                        json!({"operationId": next, "parameters": {"id": at}}),
                    );
                }
            }
        }
    }
}
