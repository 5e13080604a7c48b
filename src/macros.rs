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

/// A short identifier kept inline as given: 1 to
/// [`MAX_ID_LEN`](crate::ids::MAX_ID_LEN) of `A-Z a-z 0-9 - _` (nothing that
/// could leave a URL path segment), refused with `$kind` otherwise. One
/// definition for every such id, so their checks cannot drift apart.
macro_rules! short_id {
    (
        $(#[$meta:meta])*
        pub struct $ty:ident;
        what: $article:literal $what:literal,
        error: $kind:ident $(,)?
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $ty {
            len: u8,
            bytes: [u8; $crate::ids::MAX_ID_LEN],
        }

        impl $ty {
            #[doc = concat!("Validate ", $article, " ", $what, ".")]
            ///
            /// # Errors
            #[doc = concat!(
                "[`ErrorKind::", stringify!($kind), "`](crate::ErrorKind::", stringify!($kind),
                ") for an empty id, one over 32 characters, or one with a character outside \
                 `A-Z a-z 0-9 - _`."
            )]
            pub fn new(s: &str) -> Result<Self, $crate::error::Error> {
                let src = s.as_bytes();
                if src.is_empty()
                    || src.len() > $crate::ids::MAX_ID_LEN
                    || !src.iter().copied().all($crate::ids::is_id_byte)
                {
                    return Err($crate::error::ErrorKind::$kind.into());
                }
                let mut bytes = [0u8; $crate::ids::MAX_ID_LEN];
                bytes[..src.len()].copy_from_slice(src);
                Ok($ty {
                    len: src.len() as u8,
                    bytes,
                })
            }

            #[doc = concat!("The ", $what, " as given.")]
            pub fn as_str(&self) -> &str {
                // Only ASCII bytes are ever stored.
                ::std::str::from_utf8(&self.bytes[..usize::from(self.len)])
                    .expect(concat!(stringify!($ty), " is ASCII"))
            }
        }
    };
}
