//! What a request as the API answers it (`GET /v1/requests/{id}`) says of its grants, for the
//! test binaries that check them.

use serde_json::Value;

/// The `field` (`id`, `role`, …) of each grant of `request`, in the answer's order.
pub fn of_grants<'a>(request: &'a Value, field: &str) -> Vec<&'a str> {
    request["grants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g[field].as_str().unwrap())
        .collect()
}
