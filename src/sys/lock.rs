//! Serialising removals: an advisory lock per IPC namespace, and blocked signals.
use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

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

/// SIGINT, SIGTERM, SIGHUP and SIGQUIT caught while alive: instead of killing the process
/// in the middle of a removal sequence (mode 000 … RMID or restore), they set a flag that
/// the batch checks between segments. Catching costs nothing per segment, where blocking
/// and unblocking would cost two syscalls each.
pub struct Interrupts {
    caught: Arc<AtomicUsize>,
    ids: Vec<signal_hook::SigId>,
}

const CAUGHT: [i32; 4] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT];

impl Interrupts {
    pub fn catch() -> io::Result<Interrupts> {
        let caught = Arc::new(AtomicUsize::new(0));
        let mut ids = Vec::with_capacity(CAUGHT.len());
        for signal in CAUGHT {
            ids.push(signal_hook::flag::register_usize(
                signal,
                Arc::clone(&caught),
                signal as usize,
            )?);
        }
        Ok(Interrupts { caught, ids })
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

/// Ends the process as the signal would have, once the report of what was done is out.
pub fn die_of(signal: i32) -> ! {
    signal_hook::low_level::emulate_default_handler(signal).ok();
    std::process::exit(128 + signal)
}
