//! Values the server checks itself before using them, each as the spec describes it
//! (`openapi::formats`): a user given as `user:NAME` or a bare `NAME`, and an id of 1 to 128
//! characters.

use wicket_core::Subject;
use wicket_core::subject::parse_name;

use crate::openapi::formats::MAX_ID;

/// The user named by `s`, `user:NAME` or a bare `NAME`; a group or anything else is an error
/// saying what to give instead.
pub fn user_ref(s: &str) -> Result<String, String> {
    if !s.contains(':') {
        return parse_name("user", s);
    }
    match Subject::parse(s) {
        Ok(Subject::User(u)) => Ok(u),
        Ok(Subject::Group(_)) => Err(format!("`{s}` is a group; give `user:NAME`")),
        Err(e) => Err(e.to_string()),
    }
}

/// `Ok` when `id` could be an id wicket issued: 1 to [`MAX_ID`] characters.
pub fn id(name: &str, id: &str) -> Result<(), String> {
    let n = id.chars().count();
    if n == 0 || n > MAX_ID {
        return Err(format!("`{name}`: an id is 1 to {MAX_ID} characters"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_are_named_with_or_without_the_prefix() {
        assert_eq!(user_ref("alice"), Ok("alice".to_string()));
        assert_eq!(user_ref("user:alice"), Ok("alice".to_string()));
        for bad in ["", "user:", "group:sre", "role:x", "al ice", "user:al ice"] {
            assert!(user_ref(bad).is_err(), "{bad}");
        }
        assert!(user_ref("group:sre").unwrap_err().contains("`group:sre`"));
    }

    #[test]
    fn ids_are_one_to_128_characters() {
        assert!(id("grant", "gr_1").is_ok());
        assert!(id("grant", &"é".repeat(128)).is_ok());
        assert!(id("grant", "").is_err());
        assert!(
            id("grant", &"x".repeat(129))
                .unwrap_err()
                .contains("`grant`")
        );
    }
}
