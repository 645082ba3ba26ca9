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

fn lock_dir() -> PathBuf {
    if super::process::effective_uid() == 0 {
        for dir in ["/run/lock", "/run", "/var/lock"] {
            if std::fs::metadata(dir).is_ok_and(|m| m.is_dir()) {
                return PathBuf::from(dir);
            }
        }
    }
    match std::env::var_os("XDG_RUNTIME_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => std::env::temp_dir(),
    }
}

impl RunLock {
    /// Blocks until no other shmctl removes in this IPC namespace.
    pub fn acquire() -> io::Result<RunLock> {
        let ns = super::ipc_namespace_of("self")?;
        let uid = super::process::effective_uid();
        let name = if uid == 0 {
            format!("shmctl-ipc-{ns}.lock")
        } else {
            format!("shmctl-{uid}-ipc-{ns}.lock")
        };
        let path = lock_dir().join(name);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(&path)
            .map_err(|e| io::Error::new(e.kind(), format!("lock file {}: {e}", path.display())))?;
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
