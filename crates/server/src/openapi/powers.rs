//! The schema of a wicket power (`wicket:audit.read`, ...), read from core's `Power`.

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};

/// A power over wicket itself.
pub struct Power;

impl PartialSchema for Power {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("a power over wicket itself"))
            .enum_values(Some(
                wicket_core::Power::ALL.map(wicket_core::Power::as_str),
            ))
            .into()
    }
}

impl ToSchema for Power {}
