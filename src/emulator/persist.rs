//! The state file: what must survive a restart and nothing more. Keys'
//! public halves, revocations, videos, and the emulator's own
//! token-endpoint keys (private: hence mode 0600 and zeroized buffers).
//! The clock, faults, the log and rate counters start afresh.
//!
//! Written with [`files::write_private`](crate::files::write_private)
//! (an exclusive 0600 temporary, renamed over the file), so no leftover or
//! planted temporary is ever reused; the emulator holds
//! [`FileLock`](crate::files::FileLock) on `STATE.lock` for its whole life.
//! A file that names one key twice (in one account or two) or one video
//! twice is refused: the emulator would list it twice and a delete would
//! leave the other copy live.

use std::collections::HashSet;
use std::io;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::state::{KeyEntry, OwnKey, Shared, VideoEntry, clock_in_range};
use crate::ids::{AccountId, KeyId, VideoId};
use crate::key::{PublicKey, SigningKey};

const VERSION: u32 = 1;
/// A state file larger than this is refused (1,000 keys of 8,192 bits in
/// each of many accounts stay far below it).
const STATE_MAX: u64 = 256 << 20;

#[derive(Serialize, Deserialize)]
struct StateFile {
    version: u32,
    keys: Vec<KeyRecord>,
    videos: Vec<VideoRecord>,
}

#[derive(Serialize, Deserialize)]
struct KeyRecord {
    account: AccountId,
    id: KeyId,
    created: i64,
    plays_from: i64,
    revoked: bool,
    /// Public JWK, for API keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    public_jwk: Option<String>,
    /// Private JWK, for the emulator's own token-endpoint keys only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    own_private_jwk: Option<Zeroizing<String>>,
}

#[derive(Serialize, Deserialize)]
struct VideoRecord {
    account: AccountId,
    video: VideoId,
    public: bool,
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("not an emulator state file: {what}"),
    )
}

impl Shared {
    /// Write the state file, if there is one: to a fresh 0600 temporary
    /// beside it, then renamed over it, so that a crash leaves the old or
    /// the new.
    pub(crate) fn persist(&self) -> io::Result<()> {
        let Some(path) = self.config.state_file.clone() else {
            return Ok(());
        };
        let _guard = self
            .persist_lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (file, size_hint) = {
            let st = self.lock();
            let mut keys: Vec<KeyRecord> = st
                .keys
                .iter()
                .map(|(id, e)| {
                    let own_private_jwk = e.own.then(|| {
                        st.accounts
                            .get(&e.account)
                            .and_then(|a| a.own_key.as_ref())
                            .map(|k| Zeroizing::new(k.jwk_json.to_string()))
                    });
                    KeyRecord {
                        account: e.account,
                        id: *id,
                        created: e.created,
                        plays_from: e.plays_from,
                        revoked: e.revoked,
                        public_jwk: (!e.own).then(|| e.public.to_jwk_json()),
                        own_private_jwk: own_private_jwk.flatten(),
                    }
                })
                .collect();
            keys.sort_by_key(|k| (k.created, k.id));
            let mut videos: Vec<VideoRecord> = st
                .videos
                .iter()
                .map(|(v, e)| VideoRecord {
                    account: e.account,
                    video: *v,
                    public: e.public,
                })
                .collect();
            videos.sort_by_key(|v| v.video);
            let hint = 1024 + keys.len() * 4096 + videos.len() * 128;
            (
                StateFile {
                    version: VERSION,
                    keys,
                    videos,
                },
                hint,
            )
        };
        // Sized up front: the text may hold private keys and must not
        // leave an unzeroized copy behind by growing.
        let mut text = Zeroizing::new(Vec::with_capacity(size_hint));
        serde_json::to_writer(&mut *text, &file).map_err(io::Error::other)?;
        crate::files::write_private(&path, &text)
    }

    /// Read the state file, if one exists.
    pub(crate) fn load(&self) -> io::Result<()> {
        let Some(path) = &self.config.state_file else {
            return Ok(());
        };
        let text = match crate::files::read_bounded(path, STATE_MAX) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        let file: StateFile =
            serde_json::from_slice(&text).map_err(|_| invalid("unreadable JSON"))?;
        if file.version != VERSION {
            return Err(invalid("unknown version"));
        }
        let mut seen = HashSet::new();
        for k in &file.keys {
            if !seen.insert(k.id) {
                return Err(invalid("a key id appears more than once"));
            }
            if !clock_in_range(k.created) {
                return Err(invalid("a key's creation time is out of range"));
            }
        }
        let mut seen = HashSet::new();
        if !file.videos.iter().all(|v| seen.insert(v.video)) {
            return Err(invalid("a video appears more than once"));
        }
        let mut st = self.lock();
        for k in file.keys {
            let (public, own) = match (&k.public_jwk, &k.own_private_jwk) {
                (Some(jwk), None) => (
                    PublicKey::parse(jwk.as_bytes(), Some(k.id))
                        .map_err(|_| invalid("a public key does not load"))?,
                    None,
                ),
                (None, Some(jwk)) => {
                    let key = SigningKey::from_jwk(jwk, Some(k.id))
                        .map_err(|_| invalid("a token-endpoint key does not load"))?;
                    let public = key.public_key().clone();
                    let own = OwnKey {
                        key,
                        jwk_json: Zeroizing::new(jwk.to_string()),
                    };
                    (public, Some(Arc::new(own)))
                }
                _ => return Err(invalid("a key record has no key")),
            };
            let is_own = own.is_some();
            let listed = !is_own && !k.revoked;
            let mut entry = KeyEntry::new(k.account, public, k.created, k.plays_from, is_own);
            entry.revoked = k.revoked;
            st.add_key(k.account, entry, listed);
            if let Some(own) = own {
                let acct = st.accounts.entry(k.account).or_default();
                if acct.own_key.is_some() {
                    return Err(invalid("an account has two token-endpoint keys"));
                }
                acct.own_key = Some(own);
            }
        }
        for v in file.videos {
            st.videos.insert(
                v.video,
                VideoEntry {
                    account: v.account,
                    public: v.public,
                },
            );
        }
        Ok(())
    }
}
