//! Macros shared by the validated string newtypes.

/// `FromStr`, `TryFrom<&str>` and a validating `Deserialize` for a type whose
/// `new(&str) -> Result<Self, Error>` is the one constructor: every way in
/// goes through the same validation.
macro_rules! parse_via_new {
    ($ty:ident) => {
        impl ::std::str::FromStr for $ty {
            type Err = $crate::error::Error;
            fn from_str(s: &str) -> Result<Self, $crate::error::Error> {
                $ty::new(s)
            }
        }
        impl TryFrom<&str> for $ty {
            type Error = $crate::error::Error;
            fn try_from(s: &str) -> Result<Self, $crate::error::Error> {
                $ty::new(s)
            }
        }
        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(d)?;
                $ty::new(&s).map_err(::serde::de::Error::custom)
            }
        }
    };
}
