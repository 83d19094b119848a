//! Optional request bodies as the server reads them. utoipa writes an `Option<T>` body as
//! "`null` or `T`"; the server reads an empty body as no body and a `null` as a body that is
//! not the object it wants (400 `invalid_body`), so the document says `T`, not required.

use utoipa::openapi::schema::Schema;
use utoipa::openapi::{OpenApi, RefOr};

/// `T` for every request body written as `oneOf: [null, T]`.
pub fn not_null(doc: &mut OpenApi) {
    for op in super::operations(doc) {
        let Some(body) = op.request_body.as_mut() else {
            continue;
        };
        for content in body.content.values_mut() {
            let only = match &content.schema {
                Some(RefOr::T(Schema::OneOf(one))) => {
                    let mut rest = one.items.iter().filter(|s| !is_null(s));
                    match (rest.next(), rest.next()) {
                        (Some(only), None) => Some(only.clone()),
                        _ => None,
                    }
                }
                _ => None,
            };
            if only.is_some() {
                content.schema = only;
            }
        }
    }
}

fn is_null(s: &RefOr<Schema>) -> bool {
    serde_json::to_value(s).is_ok_and(|v| v == serde_json::json!({"type": "null"}))
}
