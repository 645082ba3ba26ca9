//! Serialising removals: an advisory lock per IPC namespace in a directory nobody else can
//! write, a bounded wait for it, and caught signals.
//!
//! Where the lock lives decides whether another user can interfere with it: a lock file in
//! a world-writable directory (`/run/lock`, `/tmp`) can be created and flocked first by
//! anyone, stalling root's runs forever. So root's lock lives in `/run/shmctl/` (created
//! 0755, refused when someone else owns it or group/others may write it), and an ordinary
//! user's in `$XDG_RUNTIME_DIR/shmctl/` or a 0700 directory of its own under the temporary
//! directory, whose owner is checked. The removal journal lives beside the lock.
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};

/// Root's lock directory.
pub const ROOT_DIR: &str = "/run/shmctl";

/// Held while removing: a timer's gc and a manual gc or rm never interleave.
#[derive(Debug)]
pub struct RunLock {
    /// Released when the run ends (the lock file is unlocked and closed). Always `Some`
    /// until dropped: see the `Drop` below.
    file: Option<Flock<File>>,
    /// The directory that holds the lock (and the journal).
    pub dir: PathBuf,
    /// The IPC namespace the lock serialises.
    pub ns: u64,
}

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// The directory or the file is not safe to use (someone else's, writable by others, a
    /// link); the text says which and why.
    #[error("{0}")]
    Unsafe(String),
    /// Another run held the lock for the whole wait.
    #[error("another shmctl run holds the removal lock {path}{holder}; waited {waited}", holder = holder_text(*.holder), waited = crate::units::human_duration(i64::try_from(.waited.as_secs()).unwrap_or(i64::MAX)))]
    Busy {
        path: PathBuf,
        holder: Option<i32>,
        waited: Duration,
    },
    #[error("{what}: {err}")]
    Io { what: String, err: io::Error },
    /// A signal caught by an enclosing run (an `--all-namespaces` sweep) ended the wait.
    #[error("interrupted by signal {0} while waiting for the removal lock")]
    Interrupted(i32),
}

fn holder_text(holder: Option<i32>) -> String {
    match holder {
        Some(pid) => match super::process::cmdline(pid) {
            Some(cmd) => format!(" (pid {pid}: {cmd})"),
            None => format!(" (pid {pid})"),
        },
        None => String::new(),
    }
}

fn io_error(what: impl Into<String>) -> impl FnOnce(io::Error) -> LockError {
    let what = what.into();
    move |err| LockError::Io { what, err }
}

/// Whether this process is in the initial user namespace, where uid 0 is the machine's root
/// (and not the root of a user namespace, which owns nothing outside it).
pub fn in_initial_user_namespace() -> bool {
    match std::fs::read_to_string("/proc/self/uid_map") {
        Ok(map) => {
            let fields: Vec<&str> = map.split_ascii_whitespace().collect();
            fields == ["0", "0", "4294967295"]
        }
        // No /proc: assume the plain case.
        Err(_) => true,
    }
}

/// Whether a directory this process must trust is safe: a real directory (not a link),
/// owned by `uid`, not writable by group or others (`private`: not even readable by them).
fn check_dir(path: &Path, uid: u32, private: bool) -> Result<(), String> {
    let meta = std::fs::symlink_metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if meta.file_type().is_symlink() {
        return Err(format!("{} is a symbolic link", path.display()));
    }
    if !meta.is_dir() {
        return Err(format!("{} is not a directory", path.display()));
    }
    if meta.uid() != uid {
        return Err(format!(
            "{} is owned by uid {}, not {}",
            path.display(),
            meta.uid(),
            uid
        ));
    }
    let mode = meta.permissions().mode() & 0o7777;
    let forbidden = if private { 0o077 } else { 0o022 };
    if mode & forbidden != 0 {
        return Err(format!(
            "{} has mode {mode:04o}: group or others may {}",
            path.display(),
            if private && mode & 0o022 == 0 {
                "read it"
            } else {
                "write it"
            }
        ));
    }
    Ok(())
}

/// Creates `path` with `mode` if it is missing (not its parents), then checks it.
fn ensure_dir(path: &Path, uid: u32, mode: u32, private: bool) -> Result<(), DirProblem> {
    match std::fs::DirBuilder::new().mode(mode).create(path) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(DirProblem::Unusable(format!("{}: {e}", path.display()))),
    }
    check_dir(path, uid, private).map_err(DirProblem::Unsafe)
}

enum DirProblem {
    /// It cannot be made here (no permission to create it, a read-only /run): try the next.
    Unusable(String),
    /// It exists and is not safe: refuse rather than fall back silently.
    Unsafe(String),
}

/// The directory for this process's lock and journal, created if needed.
pub fn lock_dir() -> Result<PathBuf, LockError> {
    let uid = super::process::effective_uid();
    let mut tried = Vec::new();
    if uid == 0 {
        let root = PathBuf::from(ROOT_DIR);
        match ensure_dir(&root, 0, 0o755, false) {
            Ok(()) => return Ok(root),
            Err(DirProblem::Unusable(why)) => tried.push(why),
            // Root of a user namespace: the machine's /run/shmctl is not its own to use.
            Err(DirProblem::Unsafe(_)) if !in_initial_user_namespace() => {
                tried.push(format!("{ROOT_DIR} belongs to the machine's root"))
            }
            Err(DirProblem::Unsafe(why)) => {
                return Err(LockError::Unsafe(format!(
                    "refusing the lock directory: {why} (it must be a directory of root's, \
                     mode 0755 or stricter; remove it and shmctl recreates it)"
                )))
            }
        }
    }
    if let Some(runtime) = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|d| d.is_absolute())
    {
        // systemd makes it 0700 and the user's; anything else is not a runtime directory.
        match check_dir(&runtime, uid, true) {
            Ok(()) => {
                let dir = runtime.join("shmctl");
                match ensure_dir(&dir, uid, 0o700, true) {
                    Ok(()) => return Ok(dir),
                    Err(DirProblem::Unusable(why)) => tried.push(why),
                    Err(DirProblem::Unsafe(why)) => {
                        return Err(LockError::Unsafe(format!(
                            "refusing the lock directory: {why}"
                        )))
                    }
                }
            }
            Err(why) => tried.push(format!("XDG_RUNTIME_DIR: {why}")),
        }
    }
    let dir = std::env::temp_dir().join(format!("shmctl-{uid}"));
    match ensure_dir(&dir, uid, 0o700, true) {
        Ok(()) => Ok(dir),
        Err(DirProblem::Unusable(why)) => {
            tried.push(why);
            Err(LockError::Unsafe(format!(
                "no safe place for the removal lock: {}",
                tried.join("; ")
            )))
        }
        Err(DirProblem::Unsafe(why)) => Err(LockError::Unsafe(format!(
            "refusing the lock directory: {why} (another user may have made it: remove it, \
             or set XDG_RUNTIME_DIR or TMPDIR to a directory of your own)"
        ))),
    }
}

/// Opens (creating) a file of ours in the lock directory: never through a link, and only a
/// regular file owned by this user.
pub fn open_private(path: &Path) -> Result<File, LockError> {
    open_private_with(path, 0)
}

/// [`open_private`] for a file written only at its end (every write appends).
pub fn open_private_append(path: &Path) -> Result<File, LockError> {
    open_private_with(path, libc::O_APPEND)
}

fn open_private_with(path: &Path, flags: i32) -> Result<File, LockError> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NONBLOCK | flags)
        .open(path)
        .map_err(|e| match e.raw_os_error() {
            Some(libc::ELOOP) => LockError::Unsafe(format!(
                "{} is a symbolic link: refusing to use it",
                path.display()
            )),
            _ => LockError::Io {
                what: format!("opening {}", path.display()),
                err: e,
            },
        })?;
    let meta = file
        .metadata()
        .map_err(io_error(format!("reading {}", path.display())))?;
    let uid = super::process::effective_uid();
    if !meta.is_file() || meta.uid() != uid {
        return Err(LockError::Unsafe(format!(
            "{} is not a regular file of uid {uid}: refusing to use it",
            path.display()
        )));
    }
    Ok(file)
}

/// How long to sleep between two tries: short at first, then 100 ms.
fn backoff(tries: u32) -> Duration {
    Duration::from_millis(u64::from(tries.min(10)) * 10)
}

impl RunLock {
    /// Takes the lock of this IPC namespace, waiting at most `wait` for another run to end.
    /// `on_wait` is called once, with the holder's pid if known, when the first try fails.
    pub fn acquire(
        wait: Duration,
        on_wait: &mut dyn FnMut(Option<i32>),
    ) -> Result<RunLock, LockError> {
        let ns = super::ipc_namespace_of("self").map_err(io_error("reading /proc/self/ns/ipc"))?;
        RunLock::acquire_in(&lock_dir()?, ns, wait, on_wait)
    }

    /// [`RunLock::acquire`] in a given directory (checked by the caller).
    pub fn acquire_in(
        dir: &Path,
        ns: u64,
        wait: Duration,
        on_wait: &mut dyn FnMut(Option<i32>),
    ) -> Result<RunLock, LockError> {
        let path = dir.join(format!("ipc-{ns}.lock"));
        let mut file = open_private(&path)?;
        let started = Instant::now();
        let mut tries = 0;
        loop {
            let errno;
            (file, errno) = match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
                Ok(locked) => {
                    return Ok(RunLock {
                        file: Some(locked),
                        dir: dir.to_path_buf(),
                        ns,
                    })
                }
                Err(refused) => refused,
            };
            match errno {
                Errno::EWOULDBLOCK => {}
                Errno::EINTR => continue,
                _ => {
                    return Err(io_error(format!("locking {}", path.display()))(
                        errno.into(),
                    ))
                }
            }
            if tries == 0 {
                on_wait(holder_of(&file));
            }
            // Signals are caught here only inside a sweep, which must not sit out `--wait`.
            if let Some(signal) = Interrupts::caught_any() {
                return Err(LockError::Interrupted(signal));
            }
            let waited = started.elapsed();
            if waited >= wait {
                return Err(LockError::Busy {
                    holder: holder_of(&file),
                    path,
                    waited,
                });
            }
            tries += 1;
            std::thread::sleep(backoff(tries).min(wait - waited));
        }
    }
}

impl Drop for RunLock {
    /// Unlocks without nix's `Drop`, which panics if LOCK_UN fails: should it ever fail, the
    /// descriptor is left open and the lock ends with the process, moments later.
    fn drop(&mut self) {
        if let Some(Err((still_locked, _))) = self.file.take().map(Flock::unlock) {
            std::mem::forget(still_locked);
        }
    }
}

/// The pid holding a flock on `file`, from /proc/locks (`1: FLOCK ADVISORY WRITE 1234
/// 00:1a:5678 0 EOF`), matched by device and inode.
fn holder_of(file: &File) -> Option<i32> {
    let meta = file.metadata().ok()?;
    let locks = std::fs::read_to_string("/proc/locks").ok()?;
    parse_lock_holder(&locks, meta.dev(), meta.ino())
}

pub fn parse_lock_holder(locks: &str, dev: u64, ino: u64) -> Option<i32> {
    let (major, minor) = (libc::major(dev), libc::minor(dev));
    let want = format!("{major:02x}:{minor:02x}:{ino}");
    locks.lines().find_map(|line| {
        let fields: Vec<&str> = line.split_ascii_whitespace().collect();
        // "1:" FLOCK ADVISORY WRITE PID DEV:INO START END; a blocked waiter's line has "->".
        if fields.get(1) != Some(&"FLOCK") || fields.contains(&"->") {
            return None;
        }
        (fields.get(5) == Some(&want.as_str()))
            .then(|| fields.get(4)?.parse().ok())
            .flatten()
            .filter(|&pid: &i32| pid > 0)
    })
}

/// SIGINT, SIGTERM, SIGHUP and SIGQUIT caught while alive: instead of killing the process
/// in the middle of a removal sequence (mode 000 … RMID or restore), they set a flag that
/// the batch checks between segments. Catching costs nothing per segment, where blocking
/// and unblocking would cost two syscalls each.
pub struct Interrupts {
    caught: Arc<AtomicUsize>,
    ids: Vec<signal_hook::SigId>,
}

/// The last signal any [`Interrupts`] of this process caught, for the waits that happen
/// while one is in force but cannot see it (a lock taken inside a sweep).
static ANY: std::sync::LazyLock<Arc<AtomicUsize>> =
    std::sync::LazyLock::new(|| Arc::new(AtomicUsize::new(0)));

const CAUGHT: [i32; 4] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT];

impl Interrupts {
    pub fn catch() -> io::Result<Interrupts> {
        let caught = Arc::new(AtomicUsize::new(0));
        let mut ids = Vec::with_capacity(CAUGHT.len());
        for signal in CAUGHT {
            for flag in [&caught, &*ANY] {
                ids.push(signal_hook::flag::register_usize(
                    signal,
                    Arc::clone(flag),
                    signal as usize,
                )?);
            }
        }
        Ok(Interrupts { caught, ids })
    }

    /// The signal some [`Interrupts`] of this process caught, if one did.
    pub fn caught_any() -> Option<i32> {
        match ANY.load(Ordering::SeqCst) {
            0 => None,
            signal => Some(signal as i32),
        }
    }

    /// The signal that arrived, if one did.
    pub fn pending(&self) -> Option<i32> {
        match self.caught.load(Ordering::SeqCst) {
            0 => None,
            signal => Some(signal as i32),
        }
    }
}

impl Drop for Interrupts {
    fn drop(&mut self) {
        for id in self.ids.drain(..) {
            signal_hook::low_level::unregister(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_holder_from_proc_locks() {
        let locks = "1: FLOCK  ADVISORY  WRITE 4242 00:1a:5678 0 EOF\n\
                     1: -> FLOCK  ADVISORY  WRITE 4243 00:1a:5678 0 EOF\n\
                     2: POSIX  ADVISORY  WRITE 99 00:1a:5679 0 EOF\n";
        let dev = libc::makedev(0, 0x1a);
        assert_eq!(parse_lock_holder(locks, dev, 5678), Some(4242));
        assert_eq!(parse_lock_holder(locks, dev, 5679), None);
        assert_eq!(parse_lock_holder("garbage", dev, 1), None);
    }

    #[test]
    fn a_held_lock_is_waited_for_within_the_bound() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first =
            RunLock::acquire_in(dir.path(), 7, Duration::ZERO, &mut |_| {}).expect("first lock");
        let mut told = None;
        let started = Instant::now();
        let err = RunLock::acquire_in(dir.path(), 7, Duration::from_millis(200), &mut |h| {
            told = Some(h)
        })
        .expect_err("busy");
        assert!(started.elapsed() >= Duration::from_millis(200));
        assert!(matches!(err, LockError::Busy { .. }), "{err}");
        // flock locks belong to the open file: our own pid holds it.
        let me = std::process::id() as i32;
        assert_eq!(told, Some(Some(me)));
        assert!(err.to_string().contains(&format!("pid {me}")), "{err}");
        drop(first);
        RunLock::acquire_in(dir.path(), 7, Duration::ZERO, &mut |_| {}).expect("free again");
    }

    #[test]
    fn a_link_or_a_foreign_file_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("elsewhere");
        std::fs::write(&target, "x").expect("write");
        std::os::unix::fs::symlink(&target, dir.path().join("ipc-9.lock")).expect("symlink");
        let err =
            RunLock::acquire_in(dir.path(), 9, Duration::ZERO, &mut |_| {}).expect_err("a link");
        assert!(matches!(err, LockError::Unsafe(_)), "{err}");
        assert_eq!(std::fs::read(&target).expect("read"), b"x");
    }

    #[test]
    fn directories_others_may_write_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let uid = super::super::process::effective_uid();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700))
            .expect("chmod");
        assert_eq!(check_dir(dir.path(), uid, true), Ok(()));
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o1777))
            .expect("chmod");
        let why = check_dir(dir.path(), uid, false).expect_err("world-writable");
        assert!(why.contains("1777"), "{why}");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
            .expect("chmod");
        assert!(check_dir(dir.path(), uid, false).is_ok());
        assert!(
            check_dir(dir.path(), uid, true).is_err(),
            "readable by others"
        );
        assert!(check_dir(dir.path(), uid.wrapping_add(1), false).is_err());
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(dir.path(), &link).expect("symlink");
        assert!(check_dir(&link, uid, false).is_err());
    }
}
