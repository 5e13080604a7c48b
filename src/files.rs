//! Files that hold secrets (feature `api`): a bounded read, an atomic
//! private write, and an exclusive lock for a read-modify-write.
//!
//! A created key's private half is shown once, and a keyring holds every
//! private key a service signs with, so the file that keeps one must never
//! be half-written, world-readable, written through a link nobody meant, or
//! rewritten by two processes at once. These are the helpers the
//! command line and the emulator write such files with; they are public so
//! that a service keeping Cloudflare's create-key answer can do the same.
//!
//! ```no_run
//! use std::time::Duration;
//! use cf_stream_token::files::{FileLock, write_private};
//!
//! # fn main() -> std::io::Result<()> {
//! let _lock = FileLock::acquire("ring.json.lock", Duration::from_secs(30))?;
//! // read ring.json, change it …
//! write_private("ring.json", b"{ ... }")?;
//! # Ok(())
//! # }
//! ```

use std::fs::{File, OpenOptions};
use std::io::{self, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

/// Read a whole file of at most `limit` bytes into a buffer that is zeroized
/// when dropped and never grows (a grown buffer would leave an unzeroized
/// copy behind).
///
/// # Errors
/// The I/O error of opening or reading, or [`io::ErrorKind::FileTooLarge`]
/// when the file holds more than `limit` bytes.
pub fn read_bounded(path: impl AsRef<Path>, limit: u64) -> io::Result<Zeroizing<Vec<u8>>> {
    let file = File::open(path.as_ref())?;
    let size = file.metadata().map_or(0, |m| m.len()).min(limit);
    read_limited(file, size, limit)
}

/// [`read_bounded`] for a reader of unknown size, such as standard input:
/// at most `limit` bytes, into a buffer that is zeroized when dropped. The
/// buffer takes `limit + 1` bytes up front so that it never grows: meant
/// for small limits, such as a key's.
///
/// # Errors
/// The I/O error of reading, or [`io::ErrorKind::FileTooLarge`] when the
/// reader holds more than `limit` bytes (reading stops there).
pub fn read_bounded_from(reader: impl io::Read, limit: u64) -> io::Result<Zeroizing<Vec<u8>>> {
    read_limited(reader, limit, limit)
}

/// Read at most `limit` bytes into a buffer sized for `size` (at most
/// `limit`) plus the one byte that tells a longer input.
fn read_limited(reader: impl io::Read, size: u64, limit: u64) -> io::Result<Zeroizing<Vec<u8>>> {
    let mut bytes = Zeroizing::new(Vec::with_capacity(usize::try_from(size).unwrap_or(0) + 1));
    reader.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(io::Error::new(
            io::ErrorKind::FileTooLarge,
            format!("larger than {limit} bytes"),
        ));
    }
    Ok(bytes)
}

/// Where a write to `path` lands: `path` itself, or, when `path` is a
/// symbolic link, the file it finally points at (so the link stays a link,
/// and the file it names gets the new contents).
///
/// # Errors
/// A link whose target does not exist, or any error of reading the link.
pub fn write_target(path: impl AsRef<Path>) -> io::Result<PathBuf> {
    let path = path.as_ref();
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => std::fs::canonicalize(path).map_err(|e| {
            io::Error::new(
                e.kind(),
                "a symbolic link whose target cannot be resolved (not written through)",
            )
        }),
        Ok(_) => Ok(path.to_path_buf()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(path.to_path_buf()),
        Err(e) => Err(e),
    }
}

/// Write `bytes` to `path` atomically and privately: a new temporary file
/// in the directory of the file written (created exclusively, mode 0600 on
/// Unix, never through a link), synced, renamed over it, the directory
/// synced. A reader sees the old contents or the new, never a part.
///
/// When `path` is a symbolic link, its target is written (see
/// [`write_target`]) and the link stays as it is.
///
/// # Errors
/// Any I/O error; the temporary file is removed then, and `path` keeps its
/// old contents.
pub fn write_private(path: impl AsRef<Path>, bytes: &[u8]) -> io::Result<()> {
    let target = write_target(path)?;
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = target
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    let (tmp, mut file) = create_temporary(&dir, &name)?;
    let written = (|| -> io::Result<()> {
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, &target)?;
        // The rename itself is durable once the directory is synced.
        #[cfg(unix)]
        File::open(&dir)?.sync_all()?;
        Ok(())
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// A fresh temporary beside the target: `O_CREAT | O_EXCL` refuses any name
/// that exists, a link included, so a leftover or planted file is never
/// reused (its mode or its target would become the new file's).
fn create_temporary(dir: &Path, name: &str) -> io::Result<(PathBuf, File)> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut last = None;
    for _ in 0..16 {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::UNIX_EPOCH
            .elapsed()
            .map_or(0, |d| d.subsec_nanos());
        let tmp = dir.join(format!(".{name}.tmp-{}-{n}-{nanos}", std::process::id()));
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(&tmp) {
            Ok(file) => return Ok((tmp, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::from(io::ErrorKind::AlreadyExists)))
}

/// An exclusive advisory lock (`flock`) on a lock file, held until dropped.
///
/// Every process that changes the guarded file takes the lock before it
/// reads the file and keeps it until the new contents are written, so two
/// read-modify-writes never interleave. The kernel releases the lock when
/// the process ends, a killed one included: a stale lock file is harmless.
#[derive(Debug)]
pub struct FileLock {
    _file: File,
    path: PathBuf,
}

impl FileLock {
    /// Take the lock on `path` (created 0600 when missing, never through a
    /// symbolic link), waiting at most `timeout` for another holder.
    ///
    /// # Errors
    /// [`io::ErrorKind::TimedOut`] when another process still holds the
    /// lock after `timeout`; [`io::ErrorKind::InvalidInput`] when `path` is
    /// a symbolic link; any I/O error of opening or locking.
    pub fn acquire(path: impl AsRef<Path>, timeout: Duration) -> io::Result<FileLock> {
        let path = path.as_ref();
        let file = open_lock_file(path)?;
        let deadline = Instant::now() + timeout;
        loop {
            match fs4::FileExt::try_lock(&file) {
                Ok(()) => {
                    return Ok(FileLock {
                        _file: file,
                        path: path.to_path_buf(),
                    });
                }
                Err(fs4::TryLockError::WouldBlock) => {}
                Err(fs4::TryLockError::Error(e)) => return Err(e),
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "another process holds the lock (waited {} ms)",
                        timeout.as_millis()
                    ),
                ));
            }
            std::thread::sleep((deadline - now).min(Duration::from_millis(25)));
        }
    }

    /// Take the lock on `path` only if no other process holds it.
    ///
    /// # Errors
    /// [`io::ErrorKind::WouldBlock`] when another process holds it; those of
    /// [`FileLock::acquire`] otherwise.
    pub fn try_acquire(path: impl AsRef<Path>) -> io::Result<FileLock> {
        let path = path.as_ref();
        let file = open_lock_file(path)?;
        fs4::FileExt::try_lock(&file).map_err(io::Error::from)?;
        Ok(FileLock {
            _file: file,
            path: path.to_path_buf(),
        })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn open_lock_file(path: &Path) -> io::Result<File> {
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the lock file is a symbolic link",
        ));
    }
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// `path` with `suffix` appended to its file name (`ring.json` →
/// `ring.json.lock`).
pub fn with_suffix(path: impl AsRef<Path>, suffix: &str) -> PathBuf {
    let mut name = path.as_ref().as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh directory under the system's temporary one, removed when
    /// dropped (so test runs leave nothing behind).
    struct Scratch(PathBuf);

    impl std::ops::Deref for Scratch {
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

    fn scratch(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!(
            "cf-stream-token-files-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    #[test]
    fn a_reader_is_read_up_to_its_limit_and_no_further() {
        let at_limit = read_bounded_from(&[7u8; 16][..], 16).unwrap();
        assert_eq!(&*at_limit, &[7u8; 16]);
        // The buffer was sized once: it never grew (leaving a copy behind).
        assert_eq!(at_limit.capacity(), 17);
        let e = read_bounded_from(&[7u8; 17][..], 16).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::FileTooLarge);
        assert_eq!(e.to_string(), "larger than 16 bytes");
        assert!(read_bounded_from(&[][..], 16).unwrap().is_empty());
    }

    #[test]
    fn a_write_replaces_the_file_whole_and_privately() {
        let dir = scratch("write");
        let path = dir.join("ring.json");
        std::fs::write(&path, b"old").unwrap();
        write_private(&path, b"new contents").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new contents");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        // No temporary is left behind.
        let names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("ring.json")]);
    }

    #[cfg(unix)]
    #[test]
    fn a_symbolic_link_is_written_through_and_stays_a_link() {
        let dir = scratch("link");
        let real_dir = dir.join("real");
        std::fs::create_dir(&real_dir).unwrap();
        let target = real_dir.join("ring.json");
        std::fs::write(&target, b"old").unwrap();
        let link = dir.join("ring.json");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        write_private(&link, b"new").unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
        // The temporary was made in the target's directory, and is gone.
        assert_eq!(std::fs::read_dir(&real_dir).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn a_dangling_link_is_refused_not_replaced() {
        let dir = scratch("dangling");
        let link = dir.join("ring.json");
        std::os::unix::fs::symlink(dir.join("nowhere"), &link).unwrap();
        assert!(write_private(&link, b"new").is_err());
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
    }

    #[test]
    fn reads_are_bounded() {
        let dir = scratch("read");
        let path = dir.join("f");
        std::fs::write(&path, [7u8; 100]).unwrap();
        assert_eq!(read_bounded(&path, 100).unwrap().len(), 100);
        let e = read_bounded(&path, 99).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::FileTooLarge);
    }

    #[test]
    fn a_held_lock_is_not_taken_twice() {
        let dir = scratch("lock");
        let path = dir.join("ring.json.lock");
        let held = FileLock::acquire(&path, Duration::from_secs(1)).unwrap();
        assert_eq!(held.path(), path);
        let e = FileLock::try_acquire(&path).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::WouldBlock);
        let e = FileLock::acquire(&path, Duration::from_millis(60)).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        drop(held);
        FileLock::try_acquire(&path).unwrap();
    }

    #[test]
    fn suffixes_go_on_the_file_name() {
        assert_eq!(
            with_suffix("a/ring.json", ".lock"),
            PathBuf::from("a/ring.json.lock")
        );
    }
}
