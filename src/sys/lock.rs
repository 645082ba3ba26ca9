//! Serialising removals: an advisory lock per IPC namespace, and blocked signals.
use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;

/// Held while removing: a timer's gc and a manual gc or rm never interleave.
#[derive(Debug)]
pub struct RunLock {
    _file: File,
    pub path: PathBuf,
}

/// Where the lock may live, best first: root's /run/lock, the user's runtime directory,
/// then the temporary directory. Root inside a user namespace is uid 0 but cannot write
/// /run/lock, so each is tried in turn.
fn lock_candidates(ns: u64) -> Vec<PathBuf> {
    let uid = super::process::effective_uid();
    let mut candidates = Vec::new();
    if uid == 0 {
        candidates.push(PathBuf::from(format!("/run/lock/shmctl-ipc-{ns}.lock")));
    }
    if let Some(dir) = std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        candidates.push(PathBuf::from(dir).join(format!("shmctl-ipc-{ns}.lock")));
    }
    candidates.push(std::env::temp_dir().join(format!("shmctl-{uid}-ipc-{ns}.lock")));
    candidates
}

fn open_lock(path: &PathBuf) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
        .map_err(|e| io::Error::new(e.kind(), format!("lock file {}: {e}", path.display())))
}

impl RunLock {
    /// Blocks until no other shmctl removes in this IPC namespace.
    pub fn acquire() -> io::Result<RunLock> {
        let ns = super::ipc_namespace_of("self")?;
        let mut last_error = None;
        let mut opened = None;
        for path in lock_candidates(ns) {
            match open_lock(&path) {
                Ok(file) => {
                    opened = Some((file, path));
                    break;
                }
                Err(e) => last_error = Some(e),
            }
        }
        let (file, path) = match (opened, last_error) {
            (Some(found), _) => found,
            (None, Some(e)) => return Err(e),
            (None, None) => {
                return Err(io::Error::new(
                    io::ErrorKind::NotFound,
                    "no place for a lock file",
                ))
            }
        };
        loop {
            // SAFETY: flock on a descriptor we own; it is released when the file closes.
            let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) };
            if rc == 0 {
                break;
            }
            let err = io::Error::last_os_error();
            if err.kind() != io::ErrorKind::Interrupted {
                return Err(io::Error::new(
                    err.kind(),
                    format!("lock file {}: {err}", path.display()),
                ));
            }
        }
        Ok(RunLock { _file: file, path })
    }
}

/// SIGINT, SIGTERM, SIGHUP and SIGQUIT held back while alive, so that a removal sequence
/// (mode 000 … RMID or restore) is never cut in half. Pending signals arrive on drop.
pub struct SignalsBlocked {
    previous: libc::sigset_t,
}

impl SignalsBlocked {
    pub fn new() -> io::Result<SignalsBlocked> {
        // SAFETY: sigset_t is plain data initialised by sigemptyset before use.
        let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
        // SAFETY: as above.
        let mut previous: libc::sigset_t = unsafe { std::mem::zeroed() };
        // SAFETY: `set` and `previous` are valid sigset_t values owned by this frame.
        let rc = unsafe {
            libc::sigemptyset(&mut set);
            for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT] {
                libc::sigaddset(&mut set, sig);
            }
            libc::pthread_sigmask(libc::SIG_BLOCK, &set, &mut previous)
        };
        if rc != 0 {
            return Err(io::Error::from_raw_os_error(rc));
        }
        Ok(SignalsBlocked { previous })
    }
}

impl Drop for SignalsBlocked {
    fn drop(&mut self) {
        // SAFETY: restores the mask saved in `new`.
        unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &self.previous, std::ptr::null_mut()) };
    }
}
