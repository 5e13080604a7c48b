//! Reloading sources: a ring and a single key read again from a file (a
//! Kubernetes Secret volume swapped as the kubelet swaps it, a file renamed
//! over, rewritten in place with its mtime kept), the environment or a
//! closure; refused reloads keep what is in force; mints never stall.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use cf_stream_token::{
    AccountId, DocumentDigest, Error, ErrorKind, Keyring, ReloadOutcome, ReloadingKey,
    ReloadingKeyring, SecretSource, TokenOptions, TokenSource,
};

use crate::common::*;

const T0: i64 = 1_800_000_000;
const DEMO_KID: &str = "8f3c2a1b9d4e5f60718293a4b5c6d7e8";
const OTHER_KID: &str = "0123456789abcdef0123456789abcdef";

/// Demo current (serial 0).
fn ring_a() -> Keyring {
    Keyring::start_at(at(T0), &text("demo/demo_create_result.json")).unwrap()
}

/// Demo current, other next (serial 1).
fn ring_b() -> Keyring {
    let mut ring = ring_a();
    ring.add_next_at(at(T0), &text("other/other.jwk.json"))
        .unwrap();
    ring
}

/// Other current, demo previous (serial 2).
fn ring_c() -> Keyring {
    let mut ring = ring_b();
    ring.promote_at(at(T0 + 3600)).unwrap();
    ring
}

fn doc(ring: &Keyring) -> String {
    ring.secret_document().unwrap().to_string()
}

/// A fresh directory under the system's temporary one, removed when dropped.
pub(crate) fn scratch(name: &str) -> crate::common::Scratch {
    crate::common::Scratch::new(&format!("cf-stream-token-reload-{name}"))
}

fn manual(source: SecretSource) -> ReloadingKeyring {
    ReloadingKeyring::builder(source)
        .background(false)
        .start()
        .unwrap()
}

fn mint_kid(source: &dyn TokenSource) -> String {
    source
        .mint_at(at(T0 + 7200), &video(), &TokenOptions::default())
        .unwrap()
        .kid()
        .to_string()
}

fn failed(outcome: ReloadOutcome) -> Error {
    match outcome {
        ReloadOutcome::Failed(e) => e,
        other => panic!("expected a failed reload, got {other:?}"),
    }
}

fn replaced(outcome: ReloadOutcome) -> (String, String) {
    match outcome {
        ReloadOutcome::Replaced { old_kid, kid } => (old_kid.to_string(), kid.to_string()),
        other => panic!("expected a replaced ring, got {other:?}"),
    }
}

/// A directory laid out and updated as the kubelet updates a mounted
/// Secret: each version in its own `..<timestamp>` directory, `..data` a
/// link to the version in force, swapped by renaming a new link over it,
/// and each key of the Secret a link through `..data`.
#[cfg(unix)]
pub(crate) struct SecretVolume {
    dir: PathBuf,
    version: u32,
    current: Option<PathBuf>,
}

#[cfg(unix)]
impl SecretVolume {
    pub(crate) fn new(dir: PathBuf) -> SecretVolume {
        SecretVolume {
            dir,
            version: 0,
            current: None,
        }
    }

    pub(crate) fn publish(&mut self, files: &[(&str, &str)]) {
        use std::os::unix::fs::symlink;
        self.version += 1;
        let name = format!("..2026_12_06_07_00_{:02}.{:09}", self.version, self.version);
        let versioned = self.dir.join(&name);
        std::fs::create_dir(&versioned).unwrap();
        for (file, contents) in files {
            std::fs::write(versioned.join(file), contents).unwrap();
        }
        let tmp = self.dir.join("..data_tmp");
        symlink(&name, &tmp).unwrap();
        std::fs::rename(&tmp, self.dir.join("..data")).unwrap();
        for (file, _) in files {
            let link = self.dir.join(file);
            if std::fs::symlink_metadata(&link).is_err() {
                symlink(Path::new("..data").join(file), &link).unwrap();
            }
        }
        if let Some(old) = self.current.replace(versioned) {
            std::fs::remove_dir_all(old).unwrap();
        }
    }
}

#[cfg(unix)]
#[test]
fn a_kubernetes_secret_volume_swap_is_followed_through_two_rotation_steps() {
    let dir = scratch("k8s");
    let mut volume = SecretVolume::new(dir.to_path_buf());
    volume.publish(&[("ring.json", &doc(&ring_a()))]);
    let path = dir.join("ring.json");
    assert!(
        std::fs::symlink_metadata(&path)
            .unwrap()
            .file_type()
            .is_symlink()
    );

    let ring = manual(SecretSource::file(&path));
    assert_eq!(mint_kid(&ring), DEMO_KID);
    assert!(matches!(ring.reload_now(), ReloadOutcome::Unchanged));

    volume.publish(&[("ring.json", &doc(&ring_b()))]);
    assert_eq!(
        replaced(ring.reload_now()),
        (DEMO_KID.to_owned(), DEMO_KID.to_owned())
    );
    assert_eq!(
        ring.snapshot().ring().next().unwrap().kid(),
        &kid(OTHER_KID)
    );
    // The next key verifies before it signs anywhere.
    let by_next = other_signer()
        .mint_at(at(T0 + 7200), &video(), &TokenOptions::default())
        .unwrap();
    assert_eq!(
        ring.snapshot()
            .verifier()
            .verify_at(by_next.as_str(), at(T0 + 7200))
            .unwrap()
            .kid(),
        &kid(OTHER_KID)
    );

    let c = doc(&ring_c());
    volume.publish(&[("ring.json", &c)]);
    assert_eq!(
        replaced(ring.reload_now()),
        (DEMO_KID.to_owned(), OTHER_KID.to_owned())
    );
    assert_eq!(mint_kid(&ring), OTHER_KID);

    let status = ring.status();
    assert_eq!(status.kid(), &kid(OTHER_KID));
    assert_eq!(status.serial(), Some(2));
    assert_eq!(status.digest(), DocumentDigest::of_document(&c));
    assert_eq!(status.reloads(), 3);
    assert!(status.last_error().is_none());
    assert_eq!(status.source(), format!("file {}", path.display()));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_file_renamed_over_is_read_again() {
    let dir = scratch("mv");
    let path = dir.join("ring.json");
    std::fs::write(&path, doc(&ring_b())).unwrap();
    let ring = manual(SecretSource::file(&path));
    assert_eq!(mint_kid(&ring), DEMO_KID);

    let tmp = dir.join("ring.json.new");
    std::fs::write(&tmp, doc(&ring_c())).unwrap();
    std::fs::rename(&tmp, &path).unwrap();
    assert_eq!(replaced(ring.reload_now()).1, OTHER_KID);
    assert_eq!(mint_kid(&ring), OTHER_KID);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_change_is_noticed_by_content_when_the_mtime_stays() {
    let dir = scratch("mtime");
    let path = dir.join("ring.json");
    std::fs::write(&path, doc(&ring_b())).unwrap();
    let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
    let ring = manual(SecretSource::file(&path));

    std::fs::write(&path, doc(&ring_c())).unwrap();
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.set_modified(mtime).unwrap();
    drop(file);
    assert_eq!(std::fs::metadata(&path).unwrap().modified().unwrap(), mtime);

    assert_eq!(replaced(ring.reload_now()).1, OTHER_KID);
    // Read again, the same bytes are no change at all.
    assert!(matches!(ring.reload_now(), ReloadOutcome::Unchanged));
    assert_eq!(ring.status().reloads(), 2);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_half_written_or_missing_file_keeps_the_ring_in_force_and_is_retried() {
    let dir = scratch("half");
    let path = dir.join("ring.json");
    let b = doc(&ring_b());
    std::fs::write(&path, &b).unwrap();
    let ring = manual(SecretSource::file(&path));

    let c = doc(&ring_c());
    std::fs::write(&path, &c[..c.len() / 2]).unwrap();
    let e = failed(ring.reload_now());
    assert!(
        matches!(e.kind(), ErrorKind::InvalidKeyring { .. }),
        "{e:?}"
    );
    assert_eq!(mint_kid(&ring), DEMO_KID);
    let status = ring.status();
    assert_eq!(status.digest(), DocumentDigest::of_document(&b));
    assert_eq!(status.consecutive_failures(), 1);
    let last = status.last_error().unwrap();
    assert!(matches!(
        last.error().kind(),
        ErrorKind::InvalidKeyring { .. }
    ));
    assert!(last.at() >= status.loaded_at());

    std::fs::remove_file(&path).unwrap();
    let e = failed(ring.reload_now());
    assert!(
        matches!(
            e.kind(),
            ErrorKind::KeyringFileUnreadable {
                io: std::io::ErrorKind::NotFound
            }
        ),
        "{e:?}"
    );
    assert_eq!(ring.status().consecutive_failures(), 2);
    assert_eq!(mint_kid(&ring), DEMO_KID);

    std::fs::write(&path, "").unwrap();
    assert!(matches!(
        failed(ring.reload_now()).kind(),
        ErrorKind::InvalidKeyring {
            reason: "the document is empty"
        }
    ));

    // The writer finishes: the next reload takes it and clears the error.
    std::fs::write(&path, &c).unwrap();
    assert_eq!(replaced(ring.reload_now()).1, OTHER_KID);
    let status = ring.status();
    assert!(status.last_error().is_none());
    assert_eq!(status.consecutive_failures(), 0);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_document_older_than_the_one_in_force_is_refused() {
    let dir = scratch("older");
    let path = dir.join("ring.json");
    std::fs::write(&path, doc(&ring_c())).unwrap();
    let ring = manual(SecretSource::file(&path));
    assert_eq!(ring.status().serial(), Some(2));

    // A stale replica or a restored backup: serial 1, demo still current.
    std::fs::write(&path, doc(&ring_b())).unwrap();
    let e = failed(ring.reload_now());
    assert!(
        matches!(
            e.kind(),
            ErrorKind::KeyringOlderThanInForce {
                in_force: 2,
                offered: 1
            }
        ),
        "{e:?}"
    );
    assert_eq!(mint_kid(&ring), OTHER_KID);

    // The same serial with other bytes (a hand edit) is taken.
    let mut same = ring_c();
    let before = same.serial();
    let edited = doc(&same).replace("\"margin\":3600", "\"margin\":3601");
    same = Keyring::from_document(&edited).unwrap();
    assert_eq!(same.serial(), before);
    std::fs::write(&path, &edited).unwrap();
    assert!(matches!(ring.reload_now(), ReloadOutcome::Replaced { .. }));
    assert_eq!(ring.snapshot().ring().margin(), Duration::from_secs(3601));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_ring_of_another_account_is_refused() {
    let a = AccountId::new("023e105f4ecef8ad9ca31a8372d0c353").unwrap();
    let b = AccountId::new("9a7806061c88ada191ed06f989cc3dac").unwrap();
    let dir = scratch("account");
    let path = dir.join("ring.json");
    let mut ring_of_a = ring_b();
    ring_of_a.bind_account(&a).unwrap();
    std::fs::write(&path, doc(&ring_of_a)).unwrap();
    let ring = manual(SecretSource::file(&path));

    let mut ring_of_b = ring_c();
    ring_of_b.bind_account(&b).unwrap();
    std::fs::write(&path, doc(&ring_of_b)).unwrap();
    let e = failed(ring.reload_now());
    match e.kind() {
        ErrorKind::KeyringAccountMismatch { ring, given } => {
            assert_eq!(ring, b.as_str());
            assert_eq!(given, a.as_str());
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(mint_kid(&ring), DEMO_KID);

    // Told the account up front, a ring of another is refused at once.
    let e = ReloadingKeyring::builder(SecretSource::file(&path))
        .account(a)
        .background(false)
        .start()
        .unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::KeyringAccountMismatch { .. }));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_closure_source_plugs_in_and_its_errors_and_panics_are_reported() {
    let docs = [doc(&ring_b()), doc(&ring_c())];
    let calls = Arc::new(AtomicU32::new(0));
    let seen = Arc::clone(&calls);
    let source = SecretSource::from_fn("vault secret/stream/ring", move || {
        match seen.fetch_add(1, Ordering::SeqCst) {
            0 => Ok(docs[0].clone()),
            1 => Err("vault: 503 sealed".into()),
            2 => panic!("the SDK panicked"),
            _ => Ok(docs[1].clone()),
        }
    });
    assert_eq!(source.kind(), "fn");
    let ring = manual(source);
    assert_eq!(mint_kid(&ring), DEMO_KID);

    let e = failed(ring.reload_now());
    match e.kind() {
        ErrorKind::SecretSourceFailed { source_name } => {
            assert_eq!(source_name, "vault secret/stream/ring");
        }
        other => panic!("{other:?}"),
    }
    assert!(e.is_transient());
    assert_eq!(
        std::error::Error::source(&e).unwrap().to_string(),
        "vault: 503 sealed"
    );
    assert!(matches!(
        failed(ring.reload_now()).kind(),
        ErrorKind::SecretSourceFailed { .. }
    ));
    assert_eq!(ring.status().consecutive_failures(), 2);
    assert_eq!(mint_kid(&ring), DEMO_KID);

    assert_eq!(replaced(ring.reload_now()).1, OTHER_KID);
    assert_eq!(calls.load(Ordering::SeqCst), 4);
}

#[test]
fn the_environment_names_a_file_or_holds_the_document() {
    let s = SecretSource::env_or_file_with("CF_STREAM_KEYRING", |name| {
        (name == "CF_STREAM_KEYRING_FILE").then(|| "/run/secrets/ring.json".to_owned())
    });
    assert_eq!(
        (s.kind(), s.name()),
        ("file", "file /run/secrets/ring.json")
    );
    let s = SecretSource::env_or_file_with("CF_STREAM_KEYRING", |name| {
        (name == "CF_STREAM_KEYRING_FILE").then(|| " ".to_owned())
    });
    assert_eq!((s.kind(), s.name()), ("env", "env CF_STREAM_KEYRING"));

    // A variable that is not set: the first load fails, so nothing serves.
    let e = ReloadingKeyring::builder(SecretSource::env(
        "CF_STREAM_TOKEN_TEST_RING_THAT_IS_NEVER_SET",
    ))
    .background(false)
    .start()
    .unwrap_err();
    assert!(matches!(
        e.kind(),
        ErrorKind::SecretSourceFailed { source_name } if source_name == "env CF_STREAM_TOKEN_TEST_RING_THAT_IS_NEVER_SET"
    ));
}

#[test]
fn a_zero_interval_and_an_unusable_first_document_are_refused() {
    let dir = scratch("first");
    let path = dir.join("ring.json");
    std::fs::write(&path, doc(&ring_a())).unwrap();
    let e = ReloadingKeyring::builder(SecretSource::file(&path))
        .interval(Duration::ZERO)
        .start()
        .unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::InvalidConfig { .. }));
    std::fs::write(&path, "{\"version\":1").unwrap();
    let e = ReloadingKeyring::builder(SecretSource::file(&path))
        .start()
        .unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::InvalidKeyring { .. }));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_background_thread_takes_a_new_document_within_its_interval() {
    let dir = scratch("thread");
    let path = dir.join("ring.json");
    std::fs::write(&path, doc(&ring_b())).unwrap();
    let ring = ReloadingKeyring::builder(SecretSource::file(&path))
        .interval(Duration::from_millis(20))
        .start()
        .unwrap();
    let published = Instant::now();
    std::fs::write(&path, doc(&ring_c())).unwrap();
    while ring.status().kid() != &kid(OTHER_KID) {
        assert!(
            published.elapsed() < Duration::from_secs(10),
            "no reload within 10 s"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(mint_kid(&ring), OTHER_KID);
    assert!(ring.status().checked_at() >= ring.status().loaded_at());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn mints_never_fail_while_reloads_swap_the_ring() {
    let dir = scratch("hot");
    let path = dir.join("ring.json");
    std::fs::write(&path, doc(&ring_c())).unwrap();
    let ring = Arc::new(manual(SecretSource::file(&path)));
    let stop = Arc::new(AtomicBool::new(false));
    let minters: Vec<_> = (0..3)
        .map(|_| {
            let ring = Arc::clone(&ring);
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut kids = [0u32; 2];
                while !stop.load(Ordering::Relaxed) {
                    let token = ring
                        .mint_at(at(T0 + 7200), &video(), &TokenOptions::default())
                        .expect("a mint during a reload");
                    kids[usize::from(token.kid().as_str() == OTHER_KID)] += 1;
                }
                kids
            })
        })
        .collect();
    // Serials only go up: each ring is raised past the one in force before
    // it is published again.
    let (mut demo_current, mut other_current) = (ring_b(), ring_c());
    let mut serial = 2;
    for i in 0..20 {
        let next = if i % 2 == 0 {
            &mut demo_current
        } else {
            &mut other_current
        };
        while next.serial() <= serial {
            next.set_min_age(Duration::from_secs(3600)).unwrap();
        }
        serial = next.serial();
        std::fs::write(&path, doc(next)).unwrap();
        assert!(matches!(ring.reload_now(), ReloadOutcome::Replaced { .. }));
        std::thread::sleep(Duration::from_millis(2));
    }
    stop.store(true, Ordering::Relaxed);
    let mut total = [0u32; 2];
    for m in minters {
        let kids = m.join().expect("no minter panicked");
        total[0] += kids[0];
        total[1] += kids[1];
    }
    assert!(total[0] > 0 && total[1] > 0, "{total:?}");
    assert_eq!(ring.status().reloads(), 21);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_single_key_reloads_from_its_file() {
    let dir = scratch("key");
    let path = dir.join("signing.jwk");
    std::fs::write(&path, text("demo/demo.jwk.json")).unwrap();
    let key = ReloadingKey::builder(SecretSource::file(&path))
        .background(false)
        .start()
        .unwrap();
    assert_eq!(mint_kid(&key), DEMO_KID);
    assert!(matches!(key.reload_now(), ReloadOutcome::Unchanged));

    std::fs::write(&path, "-----BEGIN PRIVATE KEY-----\ntruncated").unwrap();
    assert!(failed(key.reload_now()).is_key());
    assert_eq!(mint_kid(&key), DEMO_KID);
    assert_eq!(key.status().consecutive_failures(), 1);

    let tmp = dir.join("signing.jwk.new");
    std::fs::write(&tmp, text("other/other.jwk.json")).unwrap();
    std::fs::rename(&tmp, &path).unwrap();
    assert_eq!(
        replaced(key.reload_now()),
        (DEMO_KID.to_owned(), OTHER_KID.to_owned())
    );
    let status = key.status();
    assert_eq!(status.serial(), None);
    assert!(status.last_error().is_none());
    assert_eq!(
        status.digest(),
        DocumentDigest::of_document(text("other/other.jwk.json"))
    );

    // PEM carries no kid: the builder gives it.
    let pem = dir.join("signing.pem");
    std::fs::write(&pem, text("demo/demo_pkcs8.pem")).unwrap();
    let key = ReloadingKey::builder(SecretSource::file(&pem))
        .kid(kid(DEMO_KID))
        .background(false)
        .start()
        .unwrap();
    assert_eq!(mint_kid(&key), DEMO_KID);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn nothing_a_reloading_source_shows_holds_key_material() {
    let dir = scratch("secrets");
    let file = dir.join("ring.json");
    std::fs::write(&file, doc(&ring_b())).unwrap();
    let ring = manual(SecretSource::file(&file));
    std::fs::write(&file, &doc(&ring_c())[..100]).unwrap();
    let e = failed(ring.reload_now());
    let key = ReloadingKey::builder(SecretSource::file(path("demo/demo.jwk.json")))
        .background(false)
        .start()
        .unwrap();
    let shown = format!(
        "{ring:?} {:?} {:?} {e} {e:?} {key:?} {:?}",
        ring.status(),
        ring.snapshot(),
        key.status()
    );
    assert!(shown.contains(DEMO_KID), "{shown}");
    for secret in demo_secrets() {
        assert!(!shown.contains(&secret), "a secret shows in {shown}");
    }
    let digest = ring.status().digest().to_string();
    assert_eq!(digest.len(), 64);
    assert!(digest.bytes().all(|b| b.is_ascii_hexdigit()));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_key_file_named_in_the_environment_reloads_with_the_key_id_given_there() {
    let dir = scratch("key-env");
    let pem = dir.join("signing.pem");
    std::fs::write(&pem, text("demo/demo_pkcs8.pem")).unwrap();
    let file = pem.to_str().unwrap().to_owned();
    let env = |name: &str| match name {
        "CF_STREAM_SIGNING_KEY_FILE" => Some(file.clone()),
        "CF_STREAM_KEY_ID" => Some(format!(" {DEMO_KID} ")),
        _ => None,
    };
    let key = ReloadingKey::from_env_with(Duration::from_secs(60), env).unwrap();
    assert_eq!(mint_kid(&key), DEMO_KID);
    assert_eq!(key.status().source(), format!("file {file}"));

    let bad = |name: &str| match name {
        "CF_STREAM_SIGNING_KEY_FILE" => Some(file.clone()),
        "CF_STREAM_KEY_ID" => Some("not a kid".to_owned()),
        _ => None,
    };
    let e = ReloadingKey::from_env_with(Duration::from_secs(60), bad).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::InvalidKeyId), "{e:?}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_hung_source_does_not_hang_the_status_nor_the_mints() {
    let doc = doc(&ring_b());
    let (release, released) = std::sync::mpsc::channel::<()>();
    let released = std::sync::Mutex::new(released);
    let calls = AtomicU32::new(0);
    let source = SecretSource::from_fn("slow store", move || {
        if calls.fetch_add(1, Ordering::SeqCst) > 0 {
            // The second call hangs until the test lets it go.
            released.lock().unwrap().recv().unwrap();
        }
        Ok(doc.clone())
    });
    let ring = Arc::new(manual(source));
    let reloading = {
        let ring = Arc::clone(&ring);
        std::thread::spawn(move || ring.reload_now())
    };
    std::thread::sleep(Duration::from_millis(50));
    let asked = Instant::now();
    assert_eq!(ring.status().kid(), &kid(DEMO_KID));
    assert_eq!(mint_kid(&*ring), DEMO_KID);
    assert!(
        asked.elapsed() < Duration::from_secs(2),
        "{:?}",
        asked.elapsed()
    );
    release.send(()).unwrap();
    assert!(matches!(
        reloading.join().unwrap(),
        ReloadOutcome::Unchanged
    ));
}

#[test]
fn a_source_larger_than_any_key_or_ring_is_refused_unread() {
    let dir = scratch("large");
    let path = dir.join("signing.jwk");
    std::fs::write(&path, text("demo/demo.jwk.json")).unwrap();
    let key = ReloadingKey::builder(SecretSource::file(&path))
        .background(false)
        .start()
        .unwrap();
    std::fs::write(&path, vec![b' '; (1 << 20) + 1]).unwrap();
    assert!(matches!(
        failed(key.reload_now()).kind(),
        ErrorKind::KeyFileTooLarge
    ));
    assert_eq!(mint_kid(&key), DEMO_KID);

    let first = Arc::new(AtomicBool::new(true));
    let docs = doc(&ring_a());
    let ring = manual(SecretSource::from_fn("huge", move || {
        if first.swap(false, Ordering::SeqCst) {
            Ok(docs.clone())
        } else {
            Ok(" ".repeat((8 << 20) + 1))
        }
    }));
    assert!(matches!(
        failed(ring.reload_now()).kind(),
        ErrorKind::KeyringFileTooLarge
    ));
    std::fs::remove_dir_all(dir).unwrap();
}
