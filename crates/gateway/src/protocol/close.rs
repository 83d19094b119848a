//! `Close` (`C`): drop a prepared statement (`S`) or a portal (`P`). Its body is `Describe`'s,
//! and its round trip is tested there.

use super::describe::Named;

pub type Close = Named<b'C'>;
