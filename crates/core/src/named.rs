//! Enumerations with one fixed name per variant (`pending`, `active`, `high`, ...): the name
//! is written once, beside its variant, and `as_str`, `parse` and the error that lists the
//! accepted names all come from it.

/// "a, b or c": the accepted names, for an error message.
pub fn choices(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// Declares `pub enum NAME { Variant = "text", ... }` with `as_str`, `parse` (an unknown
/// name is a [`ParseError`](crate::error::ParseError) of kind `Parsed::KIND` naming the
/// choices) and `ALL`.
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident ($kind:ident, $what:literal) {
            $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            pub fn parse(s: &str) -> Result<$name, $crate::error::ParseError> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::error::ParseError::new(
                        $crate::error::Parsed::$kind,
                        format!(
                            "unknown {} `{s}`; use {}",
                            $what,
                            $crate::named::choices(&[$($text),+])
                        ),
                    )),
                }
            }
        }
    };
}

pub(crate) use named_enum;

#[cfg(test)]
mod tests {
    use super::choices;

    #[test]
    fn lists_the_choices_as_a_sentence() {
        assert_eq!(choices(&["low"]), "low");
        assert_eq!(choices(&["approve", "deny"]), "approve or deny");
        assert_eq!(choices(&["low", "medium", "high"]), "low, medium or high");
    }
}
