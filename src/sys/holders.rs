//! Which processes hold a POSIX object: those mapping it (`/proc/PID/maps`) and those with a
//! descriptor open on it (`/proc/PID/fd`).
//!
//! Objects are matched by (st_dev, st_ino), never by path: an mq_open descriptor reads as
//! `/NAME` (its path inside the mqueue filesystem), and a mount of /dev/shm elsewhere names
//! the same file differently.
use rustc_hash::FxHashMap as HashMap;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::objects::{Hold, Holder, PosixObject};

/// The holders found, by (dev, ino), and the processes that could not be looked at.
#[derive(Debug, Default)]
pub struct HolderScan {
    pub holders: HashMap<(u64, u64), Vec<Holder>>,
    /// Processes whose maps or descriptors could not be read (another user's, without
    /// CAP_SYS_PTRACE): the lists may miss them. Sorted, without repeats.
    pub uninspected: Vec<i32>,
}

impl HolderScan {
    pub fn holders_of(&self, obj: &PosixObject) -> &[Holder] {
        self.holders
            .get(&(obj.dev, obj.ino))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// True when every process could be looked at.
    pub fn complete(&self) -> bool {
        self.uninspected.is_empty()
    }
}

/// st_dev of `path` (of /dev/shm or /dev/mqueue: the device its objects are on).
pub fn device_of(path: &Path) -> Option<u64> {
    std::fs::metadata(path).ok().map(|m| m.dev())
}

/// The (dev, ino) of the file a /proc/PID/maps line maps:
/// `7f…-7f… rw-s 00000000 00:1a 5  /dev/shm/name`. The device is `MAJ:MIN` in hex; anonymous
/// mappings (inode 0) give None.
pub fn parse_maps_dev_ino(line: &str) -> Option<(u64, u64)> {
    let mut fields = line.split_ascii_whitespace();
    let _range = fields.next()?;
    let _perms = fields.next()?;
    let _offset = fields.next()?;
    let (major, minor) = fields.next()?.split_once(':')?;
    let ino: u64 = fields.next()?.parse().ok()?;
    if ino == 0 {
        return None;
    }
    let major = u32::from_str_radix(major, 16).ok()?;
    let minor = u32::from_str_radix(minor, 16).ok()?;
    #[allow(clippy::unnecessary_cast)] // dev_t is not u64 everywhere
    Some((libc::makedev(major, minor) as u64, ino))
}

/// Descriptors that are never files of a filesystem: not worth a stat.
fn is_anonymous_link(target: &[u8]) -> bool {
    [b"socket:".as_slice(), b"pipe:", b"anon_inode:"]
        .iter()
        .any(|p| target.starts_with(p))
}

/// Why a process could not be read.
enum Missed {
    /// It exited while we looked: it holds nothing.
    Gone,
    /// We may not look (EACCES/EPERM, or another error).
    Denied,
}

fn classify(e: &io::Error) -> Missed {
    if e.kind() == io::ErrorKind::NotFound || e.raw_os_error() == Some(libc::ESRCH) {
        Missed::Gone
    } else {
        Missed::Denied
    }
}

/// Walks every process once (not its threads: they share maps and descriptors), except our
/// own, recording the mappings and descriptors of files on one of `devices`.
pub fn scan(devices: &[u64]) -> io::Result<HolderScan> {
    scan_proc(Path::new("/proc"), devices, std::process::id() as i32)
}

fn scan_proc(proc: &Path, devices: &[u64], skip: i32) -> io::Result<HolderScan> {
    let mut result = HolderScan::default();
    if devices.is_empty() {
        return Ok(result);
    }
    for (pid, dir) in super::procfs::processes(proc, skip)? {
        let dir = super::process::live_task_dir(&dir, pid);
        let mut found: Vec<((u64, u64), Hold)> = Vec::new();
        let mut denied = false;
        match scan_maps(&dir, devices, &mut found) {
            Ok(()) => {}
            Err(Missed::Gone) => continue,
            Err(Missed::Denied) => denied = true,
        }
        match scan_fds(&dir, devices, &mut found) {
            Ok(()) => {}
            Err(Missed::Gone) => continue,
            Err(Missed::Denied) => denied = true,
        }
        if denied {
            result.uninspected.push(pid);
        }
        if found.is_empty() {
            continue;
        }
        let comm = super::process::comm(pid)
            .map(|c| c.trim().to_string())
            .unwrap_or_default();
        for (key, how) in found {
            result.holders.entry(key).or_default().push(Holder {
                pid,
                comm: comm.clone(),
                how,
            });
        }
    }
    result.uninspected.sort_unstable();
    result.uninspected.dedup();
    Ok(result)
}

fn scan_maps(
    dir: &Path,
    devices: &[u64],
    found: &mut Vec<((u64, u64), Hold)>,
) -> Result<(), Missed> {
    let maps = super::procfs::read_whole(dir.join("maps"), 16 * 1024).map_err(|e| classify(&e))?;
    for line in maps.lines() {
        if let Some(key) = parse_maps_dev_ino(line).filter(|(dev, _)| devices.contains(dev)) {
            found.push((key, Hold::Map));
        }
    }
    Ok(())
}

fn scan_fds(
    dir: &Path,
    devices: &[u64],
    found: &mut Vec<((u64, u64), Hold)>,
) -> Result<(), Missed> {
    use std::os::unix::ffi::OsStrExt;
    let fd_dir = dir.join("fd");
    let entries = std::fs::read_dir(&fd_dir).map_err(|e| classify(&e))?;
    let mut denied = false;
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => match classify(&e) {
                Missed::Gone => return Err(Missed::Gone),
                Missed::Denied => {
                    denied = true;
                    continue;
                }
            },
        };
        let link = entry.path();
        match std::fs::read_link(&link) {
            Ok(target) if is_anonymous_link(target.as_os_str().as_bytes()) => continue,
            Ok(_) => {}
            // The descriptor was closed meanwhile.
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(_) => {
                denied = true;
                continue;
            }
        }
        // stat through the magic link: the open file itself, whatever its path reads as.
        match std::fs::metadata(&link) {
            Ok(meta) if devices.contains(&meta.dev()) => {
                found.push(((meta.dev(), meta.ino()), Hold::Fd));
            }
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(_) => denied = true,
        }
    }
    if denied {
        Err(Missed::Denied)
    } else {
        Ok(())
    }
}

#[cfg(test)]
#[allow(unsafe_code)] // mmap and named semaphores, which nix does not wrap here
mod tests {
    use super::*;

    #[test]
    fn maps_lines_give_dev_and_inode() {
        let line = "7f15a0000000-7f15a0001000 rw-s 00000000 00:1a 5                          /dev/shm/name";
        assert_eq!(
            parse_maps_dev_ino(line),
            Some((libc::makedev(0, 0x1a) as u64, 5))
        );
        let big = "7f15a0000000-7f15a0001000 r--s 00000000 103:02 123456789 /x (deleted)";
        assert_eq!(
            parse_maps_dev_ino(big),
            Some((libc::makedev(0x103, 2) as u64, 123_456_789))
        );
        let anon = "7f15a0000000-7f15a0001000 rw-p 00000000 00:00 0 ";
        assert_eq!(parse_maps_dev_ino(anon), None);
        assert_eq!(parse_maps_dev_ino("7f-8f rw-p 0 zz 5 /x"), None);
        assert_eq!(parse_maps_dev_ino(""), None);
    }

    #[test]
    fn anonymous_links() {
        assert!(is_anonymous_link(b"socket:[1234]"));
        assert!(is_anonymous_link(b"anon_inode:[eventfd]"));
        assert!(!is_anonymous_link(b"/dev/shm/x"));
        assert!(!is_anonymous_link(b"/queue"));
    }

    #[test]
    fn no_devices_no_walk() {
        let scan = scan(&[]).expect("scan");
        assert!(scan.holders.is_empty() && scan.complete());
    }

    #[test]
    fn finds_our_own_descriptor_and_mapping() {
        // A temporary file stands in for an object: scan_proc with nothing skipped must see
        // this test process hold it, scan() must not.
        use std::os::fd::AsRawFd;
        let file = tempfile::tempfile().expect("tempfile");
        file.set_len(4096).expect("set_len");
        let meta = file.metadata().expect("fstat");
        let key = (meta.dev(), meta.ino());
        // SAFETY: a fresh shared read-only mapping of 4096 bytes of a file that long; it is
        // only unmapped below, and never dereferenced.
        let addr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                4096,
                libc::PROT_READ,
                libc::MAP_SHARED,
                file.as_raw_fd(),
                0,
            )
        };
        assert_ne!(addr, libc::MAP_FAILED);
        let me = std::process::id() as i32;
        let seen = scan_proc(Path::new("/proc"), &[meta.dev()], -1).expect("scan");
        let mine: Vec<Hold> = seen
            .holders
            .get(&key)
            .map(|h| h.iter().filter(|h| h.pid == me).map(|h| h.how).collect())
            .unwrap_or_default();
        let not_mine = scan(&[meta.dev()]).expect("scan");
        // SAFETY: unmaps exactly the mapping made above.
        unsafe { libc::munmap(addr, 4096) };
        assert!(mine.contains(&Hold::Map), "{mine:?}");
        assert!(mine.contains(&Hold::Fd), "{mine:?}");
        assert!(not_mine
            .holders
            .get(&key)
            .is_none_or(|h| h.iter().all(|h| h.pid != me)));
    }

    /// In private IPC and mount namespaces with their own /dev/shm and /dev/mqueue:
    /// `SHMCTL_SYS_TEST_IN_NS=1 unshare --ipc --mount --propagation private sh -c 'mount -t
    /// tmpfs tmpfs /dev/shm && { [ ! -d /dev/mqueue ] || mount -t mqueue mqueue /dev/mqueue; }
    /// && cargo test --lib in_namespace'`. Never create /dev/mqueue for it: a private mount
    /// namespace shares the host's /dev, so the directory would be made on the host.
    #[test]
    fn in_namespace_finds_a_child_holding_every_kind() {
        use crate::objects::Kind;
        use crate::sys::posix;
        use std::os::fd::AsRawFd;

        if std::env::var_os("SHMCTL_SYS_TEST_IN_NS").as_deref() != Some("1".as_ref()) {
            eprintln!("skipped: set SHMCTL_SYS_TEST_IN_NS=1 inside private namespaces");
            return;
        }
        // Never touch the host's /dev/shm: insist that some ancestor (the shell that ran
        // `unshare`) is in a mount namespace other than ours.
        assert!(
            ancestor_in_other_mount_ns(),
            "SHMCTL_SYS_TEST_IN_NS=1 but not in a private mount namespace"
        );
        assert!(posix::mounted(Kind::Pshm) && posix::mounted(Kind::Pmq));

        let tag = format!("shmctl-test-{}", std::process::id());
        let shm_path = Path::new(posix::SHM_DIR).join(&tag);
        let shm = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&shm_path)
            .expect("create the shm file");
        shm.set_len(8192).expect("set_len");
        // SAFETY: a fresh shared mapping of the 8192 bytes the file now has.
        let addr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                8192,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                shm.as_raw_fd(),
                0,
            )
        };
        assert_ne!(addr, libc::MAP_FAILED);

        let c_name = std::ffi::CString::new(format!("/{tag}")).expect("no NUL");
        // SAFETY: sem_open with O_CREAT takes the mode and initial value as its variadic
        // arguments, passed with the C promotions (unsigned int).
        let sem = unsafe {
            libc::sem_open(
                c_name.as_ptr(),
                libc::O_CREAT | libc::O_EXCL,
                0o600 as libc::c_uint,
                3 as libc::c_uint,
            )
        };
        assert_ne!(sem, libc::SEM_FAILED, "{}", io::Error::last_os_error());
        // SAFETY: `sem` is a semaphore sem_open returned, not closed yet.
        assert_eq!(unsafe { libc::sem_post(sem) }, 0);

        use nix::mqueue::{self as mq, MQ_OFlag};
        use nix::sys::stat::Mode;
        let attr = mq::MqAttr::new(0, 10, 8192, 0);
        let mq = mq::mq_open(
            c_name.as_c_str(),
            MQ_OFlag::O_CREAT | MQ_OFlag::O_EXCL | MQ_OFlag::O_RDWR,
            Mode::S_IRUSR | Mode::S_IWUSR,
            Some(&attr),
        )
        .expect("mq_open");
        mq::mq_send(&mq, b"hello", 0).expect("mq_send");

        // The mq descriptor: what readlink says, and whether stat through it finds the file.
        let fd_link = format!("/proc/self/fd/{}", mq.as_raw_fd());
        let target = std::fs::read_link(&fd_link).expect("readlink");
        let through = std::fs::metadata(&fd_link).expect("stat through the link");
        let mq_path = Path::new(posix::MQUEUE_DIR).join(&tag);
        let direct = std::fs::metadata(&mq_path).expect("stat the queue");
        eprintln!(
            "mq fd readlink: {} -> {target:?}; through ({}, {}), {} ({}, {})",
            fd_link,
            through.dev(),
            through.ino(),
            mq_path.display(),
            direct.dev(),
            direct.ino()
        );
        assert_eq!(target, Path::new(&format!("/{tag}")));
        assert_eq!((through.dev(), through.ino()), (direct.dev(), direct.ino()));

        // The child inherits the mappings (shm and semaphore) and descriptors (shm, mq).
        // SAFETY: the child calls only async-signal-safe functions (sleep, _exit).
        let child = unsafe { libc::fork() };
        assert!(child >= 0, "fork: {}", io::Error::last_os_error());
        if child == 0 {
            // SAFETY: see the fork above.
            unsafe {
                libc::sleep(60);
                libc::_exit(0);
            }
        }

        let objects = [
            posix::stat(Kind::Pshm, &tag),
            posix::stat(Kind::Psem, &format!("/{tag}")),
            posix::stat(Kind::Pmq, &tag),
        ];
        let devices: Vec<u64> = [posix::SHM_DIR, posix::MQUEUE_DIR]
            .iter()
            .filter_map(|d| device_of(Path::new(d)))
            .collect();
        let scanned = scan(&devices);
        let listed = (
            posix::list(Kind::Pshm),
            posix::list(Kind::Psem),
            posix::list(Kind::Pmq),
        );

        // Clean up before asserting.
        let child_pid = nix::unistd::Pid::from_raw(child);
        nix::sys::signal::kill(child_pid, nix::sys::signal::Signal::SIGKILL).expect("kill");
        nix::sys::wait::waitpid(child_pid, None).expect("waitpid");
        mq::mq_close(mq).expect("mq_close");
        mq::mq_unlink(c_name.as_c_str()).expect("mq_unlink");
        // SAFETY: each handle is released exactly once and not used after.
        unsafe {
            libc::munmap(addr, 8192);
            libc::sem_close(sem);
            libc::sem_unlink(c_name.as_ptr());
        }
        drop(shm);
        std::fs::remove_file(&shm_path).expect("remove the shm file");

        let [pshm, psem, pmq] = objects.map(|o| o.expect("stat"));
        assert_eq!(pshm.size, 8192);
        assert_eq!(psem.semaphore.map(|s| (s.value, s.waiters)), Some((4, 0)));
        assert_eq!(pmq.queue.map(|q| q.qsize), Some(5));
        let (lshm, lsem, lmq) = listed;
        assert!(lshm.expect("list").iter().any(|o| o.name == pshm.name));
        assert!(lsem.expect("list").iter().any(|o| o == &psem));
        assert!(lmq.expect("list").iter().any(|o| o.ino == pmq.ino));

        let scanned = scanned.expect("scan");
        let hows = |obj: &PosixObject| {
            let mut h: Vec<Hold> = scanned
                .holders_of(obj)
                .iter()
                .filter(|h| h.pid == child)
                .map(|h| h.how)
                .collect();
            h.sort_by_key(|h| *h == Hold::Fd);
            h
        };
        let me = std::process::id() as i32;
        for obj in [&pshm, &psem, &pmq] {
            assert!(
                scanned.holders_of(obj).iter().all(|h| h.pid != me),
                "we never list ourselves"
            );
        }
        assert_eq!(hows(&pshm), [Hold::Map, Hold::Fd]);
        assert_eq!(hows(&psem), [Hold::Map]);
        assert_eq!(hows(&pmq), [Hold::Fd]);
        // Not `complete()`: a sandbox may deny even root some process (its pid 1, say).
        assert!(
            !scanned.uninspected.contains(&child),
            "{:?}",
            scanned.uninspected
        );
        assert!(scanned.holders_of(&pshm).iter().all(|h| !h.comm.is_empty()));
    }

    /// Whether a process up our parent chain is in another mount namespace.
    fn ancestor_in_other_mount_ns() -> bool {
        let mnt_ns = |pid: i32| {
            let link = if pid == 0 {
                "/proc/self/ns/mnt".to_string()
            } else {
                format!("/proc/{pid}/ns/mnt")
            };
            std::fs::read_link(link).ok()
        };
        let parent = |pid: i32| -> Option<i32> {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            let rest = &stat[stat.rfind(')')? + 1..];
            rest.split_ascii_whitespace().nth(1)?.parse().ok()
        };
        let Some(ours) = mnt_ns(0) else { return false };
        let mut pid = std::process::id() as i32;
        while let Some(ppid) = parent(pid).filter(|&p| p > 0) {
            match mnt_ns(ppid) {
                Some(ns) if ns != ours => return true,
                Some(_) => pid = ppid,
                None => return false,
            }
        }
        false
    }
}
