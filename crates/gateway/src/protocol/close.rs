//! `Close` (`C`): drop a prepared statement (`S`) or a portal (`P`).

use super::describe::Named;

pub type Close = Named<b'C'>;

#[cfg(test)]
mod tests {
    use bytes::BytesMut;

    use super::*;
    use crate::protocol::describe::Target;

    #[test]
    fn round_trips() {
        let c = Close {
            target: Target::Statement,
            name: "s1".into(),
        };
        let mut out = BytesMut::new();
        c.encode_as(&mut out, "s1");
        assert_eq!(Close::decode(&out[5..]), Ok(c));
    }
}
