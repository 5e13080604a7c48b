//! Fixture access and fixed clocks shared by the test modules.

use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use cf_stream_token::{KeyId, Signer, SigningKey, VideoId};
use time::OffsetDateTime;

pub(crate) const DEMO_KID: &str = "8f3c2a1b9d4e5f60718293a4b5c6d7e8";
pub(crate) const OTHER_KID: &str = "0123456789abcdef0123456789abcdef";
pub(crate) const VIDEO: &str = "ea95132c15732412d22c1476fa83f27a";
/// The fixed signing clock of the golden tokens.
pub(crate) const NOW: i64 = 1_700_000_000;

pub(crate) fn path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(rel)
}

pub(crate) fn bytes(rel: &str) -> Vec<u8> {
    std::fs::read(path(rel)).unwrap_or_else(|e| panic!("fixture {rel}: {e}"))
}

pub(crate) fn text(rel: &str) -> String {
    String::from_utf8(bytes(rel)).expect("fixture is UTF-8")
}

pub(crate) fn json(rel: &str) -> serde_json::Value {
    serde_json::from_slice(&bytes(rel)).expect("fixture is JSON")
}

pub(crate) fn kid(s: &str) -> KeyId {
    KeyId::new(s).unwrap()
}

pub(crate) fn video() -> VideoId {
    VideoId::new(VIDEO).unwrap()
}

pub(crate) fn at(unix: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(unix).unwrap()
}

pub(crate) fn demo_key() -> SigningKey {
    SigningKey::parse(bytes("demo/demo.jwk.json"), None).unwrap()
}

pub(crate) fn demo_signer() -> Signer {
    Signer::new(demo_key())
}

pub(crate) fn other_signer() -> Signer {
    Signer::new(SigningKey::parse(bytes("other/other.jwk.json"), None).unwrap())
}

pub(crate) fn hex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2), "odd hex length");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// Every secret string of the demo key that must never show up in output:
/// its private JWK members and every body line of its PEM forms.
pub(crate) fn demo_secrets() -> Vec<String> {
    let jwk = json("demo/demo.jwk.json");
    let mut out: Vec<String> = ["d", "p", "q", "dp", "dq", "qi"]
        .iter()
        .map(|m| jwk[m].as_str().unwrap()[..24].to_owned())
        .collect();
    for pem in ["demo/demo_pkcs1.pem", "demo/demo_pkcs8.pem"] {
        out.extend(
            text(pem)
                .lines()
                .filter(|l| !l.starts_with("-----") && l.len() > 20)
                .map(str::to_owned),
        );
    }
    out.push(text("demo/demo_pkcs1.pem.b64")[..40].to_owned());
    out.push(text("demo/demo.jwk.b64")[..40].to_owned());
    out
}

/// A fresh directory of its own under the system's temporary one, removed
/// with everything in it when dropped, so that test runs leave nothing
/// behind. Reads as the `Path` it is.
pub(crate) struct Scratch(PathBuf);

impl Scratch {
    /// `<temp>/<prefix>-<process id>-<n>`, empty.
    pub(crate) fn new(prefix: &str) -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "{prefix}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
