//! Validated identifiers that cannot be swapped for one another.
//!
//! All are stored inline (no heap), so copying them into every minted token
//! costs nothing.

use std::fmt;

use crate::error::{Error, ErrorKind};

/// Longest identifier Cloudflare accepts for accounts, keys and videos.
pub(crate) const MAX_ID_LEN: usize = 32;

/// A Stream video UID (or live input id): exactly 32 hexadecimal characters,
/// stored in lower case.
///
/// ```
/// use cf_stream_token::VideoId;
/// let v: VideoId = "EA95132C15732412D22C1476FA83F27A".parse()?;
/// assert_eq!(v.as_str(), "ea95132c15732412d22c1476fa83f27a");
/// assert!("../../etc/passwd".parse::<VideoId>().is_err());
/// # Ok::<(), cf_stream_token::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VideoId([u8; 32]);

impl VideoId {
    /// Validate and normalise a video UID.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidVideoId`] unless `s` is exactly 32 hexadecimal characters.
    pub fn new(s: &str) -> Result<Self, Error> {
        let bytes = s.as_bytes();
        if bytes.len() != 32 || !bytes.iter().all(u8::is_ascii_hexdigit) {
            return Err(ErrorKind::InvalidVideoId.into());
        }
        let mut out = [0u8; 32];
        for (o, b) in out.iter_mut().zip(bytes) {
            *o = b.to_ascii_lowercase();
        }
        Ok(VideoId(out))
    }

    /// The UID, 32 lower-case hexadecimal characters.
    pub fn as_str(&self) -> &str {
        // Only ASCII hex digits are ever stored.
        std::str::from_utf8(&self.0).expect("video id is ASCII")
    }
}

short_id! {
    /// A signing key id (`kid`): 1 to 32 of `A-Z a-z 0-9 - _`, kept as given.
    ///
    /// Cloudflare's key ids are 32 lower-case hexadecimal characters; other
    /// characters are allowed so that keys from elsewhere (test vectors, other
    /// issuers) can be named, but nothing that could leave a URL path segment.
    pub struct KeyId;
    what: "a" "key id",
    error: InvalidKeyId,
}

short_id! {
    /// A Cloudflare account id: 1 to 32 of `A-Z a-z 0-9 - _`, kept as given.
    ///
    /// Cloudflare's account ids are 32 lower-case hexadecimal characters; the
    /// looser check matches [`KeyId`] and is what keeps an id inside its URL path
    /// segment.
    ///
    /// ```
    /// use cf_stream_token::AccountId;
    /// let a: AccountId = "023e105f4ecef8ad9ca31a8372d0c353".parse()?;
    /// assert_eq!(a.as_str(), "023e105f4ecef8ad9ca31a8372d0c353");
    /// assert!("023e105f/../keys".parse::<AccountId>().is_err());
    /// # Ok::<(), cf_stream_token::Error>(())
    /// ```
    pub struct AccountId;
    what: "an" "account id",
    error: InvalidAccountId,
}

pub(crate) fn is_id_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

macro_rules! id_traits {
    ($ty:ident) => {
        parse_via_new!($ty);
        impl AsRef<str> for $ty {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($ty), self.as_str())
            }
        }
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    };
}

id_traits!(VideoId);
id_traits!(KeyId);
id_traits!(AccountId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn video_id_folds_case_and_refuses_everything_else() {
        let v = VideoId::new("EA95132C15732412D22C1476FA83F27A").unwrap();
        assert_eq!(v.as_str(), "ea95132c15732412d22c1476fa83f27a");
        for bad in [
            "",
            "ea95132c15732412d22c1476fa83f27",
            "ea95132c15732412d22c1476fa83f27a0",
            "ga95132c15732412d22c1476fa83f27a",
            "ea95132c15732412d22c1476fa83f2/a",
            "../95132c15732412d22c1476fa83f27a",
            "ea95132c15732412d22c1476fa83f27\u{e9}",
        ] {
            assert_eq!(
                VideoId::new(bad).unwrap_err().kind(),
                &ErrorKind::InvalidVideoId,
                "{bad}"
            );
        }
    }

    #[test]
    fn key_id_bounds() {
        assert_eq!(KeyId::new("a").unwrap().as_str(), "a");
        let max = "A".repeat(32);
        assert_eq!(KeyId::new(&max).unwrap().as_str(), max);
        for bad in ["", &"a".repeat(33), "a/b", "a b", "a.b", "a?b", "ü"] {
            assert_eq!(
                KeyId::new(bad).unwrap_err().kind(),
                &ErrorKind::InvalidKeyId,
                "{bad}"
            );
        }
    }

    #[test]
    fn account_id_bounds() {
        let max = "a".repeat(32);
        assert_eq!(AccountId::new(&max).unwrap().as_str(), max);
        for bad in ["", &"a".repeat(33), "a/b", "..", "a%2fb", "a?b", "a#b", "ü"] {
            assert_eq!(
                AccountId::new(bad).unwrap_err().kind(),
                &ErrorKind::InvalidAccountId,
                "{bad}"
            );
        }
        let a = AccountId::new("acct_1").unwrap();
        assert_eq!(format!("{a:?}"), r#"AccountId("acct_1")"#);
    }

    #[test]
    fn debug_and_serde() {
        let k = KeyId::new("kid-1").unwrap();
        assert_eq!(format!("{k:?}"), r#"KeyId("kid-1")"#);
        assert_eq!(serde_json::to_string(&k).unwrap(), r#""kid-1""#);
        let v: VideoId = serde_json::from_str(r#""EA95132C15732412D22C1476FA83F27A""#).unwrap();
        assert_eq!(v.to_string(), "ea95132c15732412d22c1476fa83f27a");
        assert!(serde_json::from_str::<VideoId>(r#""nope""#).is_err());
    }
}
