//! IPC namespaces as the kernel shows them: `/proc/PID/ns/ipc` links, namespace files
//! bind-mounted anywhere (`nsfs` in mountinfo), a process's cgroup and its UTS hostname, and
//! setns into a namespace and back (`--all-namespaces`).
//!
//! setns(2) applies to the calling thread: shmctl is single-threaded, so `/proc/self/ns/ipc`
//! (which every per-namespace lock, journal and /proc scan reads) follows it.
use std::fs::File;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use nix::sched::{setns, CloneFlags};

/// Every pid in /proc but ours, in the order the directory lists them.
pub fn pids() -> io::Result<Vec<i32>> {
    let ours = std::process::id() as i32;
    Ok(super::procfs::processes(Path::new("/proc"), ours)?
        .map(|(pid, _)| pid)
        .collect())
}

/// `/proc/self/mountinfo`, where bind-mounted namespace files show as `nsfs` mounts.
pub fn mountinfo() -> io::Result<String> {
    super::procfs::read_whole("/proc/self/mountinfo", 16 * 1024)
}

/// `/proc/PID/cgroup`.
pub fn cgroup_of(pid: i32) -> io::Result<String> {
    super::procfs::read_small(format!("/proc/{pid}/cgroup"))
}

/// An IPC namespace opened for setns: the file holds it while it is open.
#[derive(Debug)]
pub struct IpcNs {
    file: File,
}

/// Why a namespace could not be opened.
#[derive(Debug)]
pub enum OpenError {
    /// No file that named it names it any more: its processes exited (and no bind mount
    /// holds it).
    Gone,
    /// The kernel refused (EACCES/EPERM: another user's process without CAP_SYS_PTRACE).
    Denied(io::Error),
    Other(io::Error),
}

impl IpcNs {
    /// The namespace this thread is in now.
    pub fn current() -> io::Result<IpcNs> {
        IpcNs::at(Path::new("/proc/thread-self/ns/ipc"))
    }

    /// The namespace a file names (`/proc/PID/ns/ipc`, a bind mount), whichever it is.
    pub fn at(path: &Path) -> io::Result<IpcNs> {
        Ok(IpcNs {
            file: File::open(path)?,
        })
    }

    /// The first of `paths` (`/proc/PID/ns/ipc` of a process in it, or a bind-mounted
    /// namespace file) that still names namespace `ino`. A pid reused by a process of
    /// another namespace names that one: it is passed over, as is one that has exited.
    pub fn open(ino: u64, paths: &[PathBuf]) -> Result<IpcNs, OpenError> {
        let mut denied = None;
        for path in paths {
            let file = match File::open(path) {
                Ok(file) => file,
                Err(e) => {
                    match e.raw_os_error() {
                        Some(libc::EACCES | libc::EPERM) => denied = Some(e),
                        Some(libc::ENOENT | libc::ESRCH) => {}
                        _ => return Err(OpenError::Other(e)),
                    }
                    continue;
                }
            };
            match file.metadata() {
                // A bind mount's path may by now name an ordinary file: its inode and
                // device are another file's, and setns would refuse it anyway.
                Ok(m) if m.ino() == ino => return Ok(IpcNs { file }),
                Ok(_) => {}
                Err(e) => return Err(OpenError::Other(e)),
            }
        }
        Err(denied.map_or(OpenError::Gone, OpenError::Denied))
    }

    /// Makes this the calling thread's IPC namespace (CAP_SYS_ADMIN; EINVAL if the file is
    /// not an IPC namespace).
    pub fn enter(&self) -> io::Result<()> {
        setns(&self.file, CloneFlags::CLONE_NEWIPC).map_err(io::Error::from)
    }
}

/// Our UTS namespace, opened once for a sweep: where [`UtsHome::hostname_of`] comes back to.
pub struct UtsHome {
    file: File,
    ino: u64,
}

impl UtsHome {
    pub fn open() -> Option<UtsHome> {
        let file = File::open("/proc/thread-self/ns/uts").ok()?;
        let ino = file.metadata().ok()?.ino();
        Some(UtsHome { file, ino })
    }

    /// The hostname of `pid`'s UTS namespace when that is not ours (a container's own; a
    /// Kubernetes pod's is the pod's name). Read by joining it for a moment: there is no
    /// /proc file for it. None when it is ours, or cannot be joined (CAP_SYS_ADMIN).
    pub fn hostname_of(&self, pid: i32) -> Option<String> {
        let theirs = File::open(format!("/proc/{pid}/ns/uts")).ok()?;
        if theirs.metadata().ok()?.ino() == self.ino {
            return None;
        }
        setns(&theirs, CloneFlags::CLONE_NEWUTS).ok()?;
        let name = nix::unistd::gethostname().ok();
        // Nothing of shmctl reads the hostname after this, but it goes back all the same.
        setns(&self.file, CloneFlags::CLONE_NEWUTS).ok();
        name.map(|n| n.to_string_lossy().into_owned())
    }
}
