//! The API tests on PostgreSQL: the very bodies of `tests/api`, each against a fresh database
//! of the test server (`wicket-testkit`); the helpers pick the backend by this target's name.

#[path = "api/main.rs"]
mod api;

// The test bodies import `crate::helpers` and `crate::conform`.
use api::{conform, helpers};

#[path = "api/postgres_only.rs"]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod postgres_only;
