//! POSIX IPC objects as the files that back them: shared memory and glibc named semaphores
//! in `/dev/shm`, message queues in `/dev/mqueue`.
//!
//! Every function that looks at a directory has an `_in` variant taking it, so that tests
//! can run on a temporary directory.
use std::ffi::{CString, OsString};
use std::fs::{File, Metadata, OpenOptions};
use std::io;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::objects::{Kind, MqueueLimits, PosixObject, QueueState, SemValue, ShmFs};

pub const SHM_DIR: &str = "/dev/shm";
pub const MQUEUE_DIR: &str = "/dev/mqueue";
const MQUEUE_SYSCTLS: &str = "/proc/sys/fs/mqueue";

/// The file name prefix glibc gives named semaphores in /dev/shm.
const SEM_PREFIX: &str = "sem.";
/// `NAME_MAX`: the longest file name (for psem including `sem.`).
const NAME_MAX: usize = 255;
/// `MQUEUE_MAGIC` of statfs(2): the mqueue filesystem.
const MQUEUE_MAGIC: i64 = 0x1980_0202;

/// Why POSIX objects are not looked at in this run, if they are not. Shared memory and named
/// semaphores are files of a mount namespace's /dev/shm, and a queue is reached through an
/// mqueue filesystem mounted in one: entering another IPC namespace (`--ipc-ns`) changes
/// neither, so a `gc --ipc-ns PID --kind pshm` would otherwise clean this host's /dev/shm
/// instead of the container's. (Reaching the container's through `/proc/PID/root` would
/// follow symbolic links its root user plants back into the host's filesystem.)
static NOWHERE: Mutex<Option<String>> = Mutex::new(None);

/// From now on no POSIX object is looked at, for the reason given: set before anything is
/// listed (`--ipc-ns`), or before each namespace of a sweep that is not ours.
pub fn look_nowhere(why: String) {
    *NOWHERE.lock().unwrap_or_else(|e| e.into_inner()) = Some(why);
}

/// POSIX objects are looked at again (a sweep back in its own namespace).
pub fn look_here() {
    *NOWHERE.lock().unwrap_or_else(|e| e.into_inner()) = None;
}

/// Why POSIX objects are not looked at, if they are not.
fn nowhere() -> Option<String> {
    NOWHERE.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// The directory holding objects of `kind`; None for the System V kinds.
pub fn dir_of(kind: Kind) -> Option<&'static Path> {
    match kind {
        Kind::Pshm | Kind::Psem => Some(Path::new(SHM_DIR)),
        Kind::Pmq => Some(Path::new(MQUEUE_DIR)),
        Kind::Shm | Kind::Sem | Kind::Msg => None,
    }
}

/// `kind`'s directory, where this run looks for objects.
fn posix_dir(kind: Kind) -> io::Result<&'static Path> {
    posix_kind(kind)?;
    match nowhere() {
        Some(why) => Err(io::Error::new(io::ErrorKind::NotFound, why)),
        None => Ok(dir_of(kind).unwrap_or(Path::new(SHM_DIR))),
    }
}

fn posix_kind(kind: Kind) -> io::Result<()> {
    if kind.is_posix() {
        return Ok(());
    }
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("{kind} is a System V kind, not a POSIX one"),
    ))
}

/// Why objects of `kind` cannot be looked at here, if they cannot: /dev/shm must be a
/// directory and /dev/mqueue an mqueue filesystem (an empty directory with nothing mounted
/// on it is not); with `--ipc-ns` they are not looked at (see [`look_nowhere`]).
pub fn unavailable(kind: Kind) -> Option<String> {
    if let Some(why) = nowhere() {
        return Some(why);
    }
    let dir = dir_of(kind)?;
    (!mounted_in(dir, kind)).then(|| match kind {
        Kind::Pmq => format!("no mqueue filesystem is mounted on {}", dir.display()),
        _ => format!("{} is not a directory", dir.display()),
    })
}

/// Whether objects of `kind` can be looked at here (see [`unavailable`]).
pub fn mounted(kind: Kind) -> bool {
    kind.is_posix() && unavailable(kind).is_none()
}

/// Whether `dir` holds objects of `kind`: a directory, for pmq an mqueue filesystem.
pub fn mounted_in(dir: &Path, kind: Kind) -> bool {
    match kind {
        Kind::Pmq => fs_type(dir).is_ok_and(|t| t == MQUEUE_MAGIC),
        _ => std::fs::metadata(dir).is_ok_and(|m| m.is_dir()),
    }
}

fn c_path(path: &Path) -> io::Result<CString> {
    CString::new(path.as_os_str().as_bytes()).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} contains a NUL byte", path.display()),
        )
    })
}

/// `f_type` of statfs(2).
fn fs_type(path: &Path) -> io::Result<i64> {
    let fs = nix::sys::statfs::statfs(c_path(path)?.as_c_str())?;
    #[allow(clippy::unnecessary_cast)] // f_type's type differs between architectures
    Ok(fs.filesystem_type().0 as i64)
}

/// Every object of `kind`, sorted by name. A missing directory (mqueue not mounted) is an
/// empty list: ask [`mounted`] to tell the two apart.
///
/// For pmq, a /dev/mqueue with no mqueue filesystem on it (a bare directory, as `/dev` of
/// many containers has) counts as missing: its files would not be queues.
pub fn list(kind: Kind) -> io::Result<Vec<PosixObject>> {
    posix_kind(kind)?;
    if (kind == Kind::Pmq || nowhere().is_some()) && unavailable(kind).is_some() {
        return Ok(Vec::new());
    }
    list_in(posix_dir(kind)?, kind)
}

/// [`list`] in a given directory.
pub fn list_in(dir: &Path, kind: Kind) -> io::Result<Vec<PosixObject>> {
    posix_kind(kind)?;
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry?;
        let file_name = entry.file_name();
        let raw = file_name.as_bytes();
        let is_sem = raw.starts_with(SEM_PREFIX.as_bytes());
        let bare = match kind {
            Kind::Psem if is_sem => &raw[SEM_PREFIX.len()..],
            Kind::Psem => continue,
            Kind::Pshm if is_sem => continue,
            _ => raw,
        };
        if bare.is_empty() {
            continue;
        }
        let path = entry.path();
        if let Some(opened) = opened(kind, &path) {
            out.push(object_read(kind, bare, path, opened));
            continue;
        }
        // Removed between readdir and lstat: simply gone.
        let meta = match std::fs::symlink_metadata(&path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        if !meta.file_type().is_file() {
            continue;
        }
        out.push(object(kind, bare, path, &meta));
    }
    // Two names can show alike (U+FFFD for bytes that are not UTF-8): their bytes decide.
    out.sort_by(|a, b| (&a.name, &a.raw_name).cmp(&(&b.name, &b.raw_name)));
    Ok(out)
}

/// One object, by the name shm_open/sem_open/mq_open take (`/name` or `name`).
/// NotFound when objects of `kind` cannot be looked at (see [`unavailable`]).
pub fn stat(kind: Kind, name: &str) -> io::Result<PosixObject> {
    let dir = posix_dir(kind)?;
    if kind == Kind::Pmq {
        if let Some(why) = unavailable(kind) {
            normalise_name(kind, name)?;
            return Err(io::Error::new(io::ErrorKind::NotFound, why));
        }
    }
    stat_in(dir, kind, name)
}

/// [`stat`] in a given directory.
pub fn stat_in(dir: &Path, kind: Kind, name: &str) -> io::Result<PosixObject> {
    posix_kind(kind)?;
    let bare = normalise_name(kind, name)?;
    let path = dir.join(file_name(kind, bare));
    let meta = std::fs::symlink_metadata(&path).map_err(|e| {
        if e.kind() == io::ErrorKind::NotFound {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!(
                    "no {kind} object /{bare} ({} does not exist)",
                    path.display()
                ),
            )
        } else {
            e
        }
    })?;
    if !meta.file_type().is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} is not a regular file", path.display()),
        ));
    }
    Ok(object(kind, bare.as_bytes(), path, &meta))
}

/// The object whose file is `path`, read again by that path byte for byte — never by the
/// name as shown, which may stand for another — as the removal sequence does. A missing
/// file keeps its errno (ENOENT): it is gone.
pub fn stat_path(kind: Kind, path: &Path) -> io::Result<PosixObject> {
    posix_kind(kind)?;
    let file_name = path.file_name().map_or(&[][..], OsStrExt::as_bytes);
    let bare = match kind {
        Kind::Psem => file_name
            .strip_prefix(SEM_PREFIX.as_bytes())
            .unwrap_or_default(),
        _ => file_name,
    };
    if bare.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} is not the file of a {kind} object", path.display()),
        ));
    }
    if let Some(opened) = opened(kind, path) {
        return Ok(object_read(kind, bare, path.to_path_buf(), opened));
    }
    let meta = std::fs::symlink_metadata(path)?;
    if !meta.file_type().is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} is not a regular file", path.display()),
        ));
    }
    Ok(object(kind, bare, path.to_path_buf(), &meta))
}

/// The file name of the object named `bare` (already normalised).
fn file_name(kind: Kind, bare: &str) -> String {
    if kind == Kind::Psem {
        format!("{SEM_PREFIX}{bare}")
    } else {
        bare.to_string()
    }
}

/// `/name` or `name` → `name`, refusing what no shm_open/sem_open/mq_open name can be.
pub fn normalise_name(kind: Kind, name: &str) -> io::Result<&str> {
    let invalid = |why: &str| {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("invalid {kind} name `{name}`: {why}"),
        ))
    };
    let bare = name.strip_prefix('/').unwrap_or(name);
    if bare.is_empty() {
        return invalid("it is empty");
    }
    if bare.contains('/') {
        return invalid("a name is one path component: no `/` after the first");
    }
    if bare == "." || bare == ".." {
        return invalid("`.` and `..` name directories");
    }
    if bare.contains('\0') {
        return invalid("it contains a NUL byte");
    }
    let max = if kind == Kind::Psem {
        NAME_MAX - SEM_PREFIX.len()
    } else {
        NAME_MAX
    };
    if bare.len() > max {
        return invalid(&format!("longer than {max} bytes"));
    }
    if kind == Kind::Pshm && bare.starts_with(SEM_PREFIX) {
        let sem = &bare[SEM_PREFIX.len()..];
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{name} is a named semaphore: use psem:/{sem}"),
        ));
    }
    Ok(bare)
}

/// The object named `bare` (its file name, without `sem.` for psem), from its lstat.
/// A semaphore's or a queue's file, opened to be read: one open and one fstat give both its
/// facts and its contents (the lstat they would otherwise need is left out). None for the
/// other kinds, and for what cannot be opened so (a link, a FIFO, no permission, gone):
/// lstat then says what it is.
fn opened(kind: Kind, path: &Path) -> Option<(File, Metadata)> {
    matches!(kind, Kind::Psem | Kind::Pmq)
        .then(|| open_for_reading(path).ok())
        .flatten()
}

/// How many bytes of a kind's file say its state.
fn state_bytes(kind: Kind) -> u64 {
    if kind == Kind::Pmq {
        256
    } else {
        32
    }
}

/// [`object`] of a file [`opened`]: its facts from the fstat, its state from the file.
fn object_read(
    kind: Kind,
    bare: &[u8],
    path: PathBuf,
    (file, meta): (File, Metadata),
) -> PosixObject {
    let bytes = read_state(kind, &file, meta.size()).ok();
    object_with(kind, bare, path, &meta, bytes)
}

/// The bytes that say a kind's state, from its open file. A queue's file hands over its
/// whole line (at most 80 bytes, made afresh by ipc/mqueue.c on every read) to one pread
/// from offset 0, so one pread is all it gets: the loop in [`read_at_most`] would spend a
/// second one learning that nothing follows, 10,000 of them in a gc of 10,000 queues.
fn read_state(kind: Kind, file: &File, size_hint: u64) -> io::Result<Vec<u8>> {
    if kind != Kind::Pmq {
        return read_at_most(file, state_bytes(kind), size_hint);
    }
    let mut line = vec![0u8; usize::try_from(state_bytes(kind)).unwrap_or(256)];
    loop {
        match file.read_at(&mut line, 0) {
            Ok(n) => {
                line.truncate(n);
                return Ok(line);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

fn object(kind: Kind, bare: &[u8], path: PathBuf, meta: &Metadata) -> PosixObject {
    // Read after the lstat: the times reported are those from before our read (reading a
    // queue's file sets its atime and ctime).
    let bytes = match kind {
        Kind::Pmq | Kind::Psem => open_for_reading(&path)
            .and_then(|(file, meta)| read_state(kind, &file, meta.size()))
            .ok(),
        _ => None,
    };
    object_with(kind, bare, path, meta, bytes)
}

/// An object from its file's facts and, for psem and pmq, the bytes read from it (after the
/// facts: reading a queue's file sets its atime and ctime).
fn object_with(
    kind: Kind,
    bare: &[u8],
    path: PathBuf,
    meta: &Metadata,
    bytes: Option<Vec<u8>>,
) -> PosixObject {
    let mut raw_name = Vec::with_capacity(bare.len() + 1);
    raw_name.push(b'/');
    raw_name.extend_from_slice(bare);
    let queue = match (kind, &bytes) {
        (Kind::Pmq, Some(b)) => parse_queue_state(b),
        _ => None,
    };
    let semaphore = match (kind, &bytes) {
        (Kind::Psem, Some(b)) => SemValue::from_sem_t(b),
        _ => None,
    };
    let lossy = String::from_utf8_lossy(bare);
    let mut name = String::with_capacity(lossy.len() + 1);
    name.push('/');
    name.push_str(&lossy);
    PosixObject {
        kind,
        name,
        raw_name: OsString::from_vec(raw_name),
        path,
        dev: meta.dev(),
        ino: meta.ino(),
        uid: meta.uid(),
        gid: meta.gid(),
        mode: meta.mode() & 0o777,
        size: meta.size(),
        atime: meta.atime(),
        mtime: meta.mtime(),
        ctime: meta.ctime(),
        queue,
        semaphore,
    }
}

/// A queue file's line: `QSIZE:5          NOTIFY:0     SIGNO:0     NOTIFY_PID:0`.
/// QSIZE is required; a missing NOTIFY, SIGNO or NOTIFY_PID reads as 0. Words are split at
/// ASCII white space and after every `:` (`QSIZE:5` and `QSIZE: 5` read alike); a word that
/// ends in `:` names the value in the next. Read from the bytes as they are, allocating
/// nothing: gc of 10,000 queues parses 10,000 of these lines.
pub fn parse_queue_state(text: &[u8]) -> Option<QueueState> {
    fn number<T: std::str::FromStr>(word: &[u8]) -> Option<T> {
        std::str::from_utf8(word).ok()?.parse().ok()
    }
    let mut words = text
        .split(u8::is_ascii_whitespace)
        .filter(|word| !word.is_empty())
        .flat_map(|word| word.split_inclusive(|&b| b == b':'));
    let (mut qsize, mut notify, mut signo, mut notify_pid) = (None, 0, 0, 0);
    while let Some(word) = words.next() {
        let Some(key) = word.strip_suffix(b":") else {
            continue;
        };
        let value = words.next()?;
        match key {
            b"QSIZE" => qsize = Some(number(value)?),
            b"NOTIFY" => notify = number(value)?,
            b"SIGNO" => signo = number(value)?,
            b"NOTIFY_PID" => notify_pid = number(value)?,
            _ => {}
        }
    }
    Some(QueueState {
        qsize: qsize?,
        notify,
        signo,
        notify_pid,
    })
}

/// Opens the object's file to read it: never through a link, never blocking on a FIFO,
/// leaving atime alone when allowed to (O_NOATIME needs ownership or CAP_FOWNER), and only a
/// regular file.
pub fn open_for_reading(path: &Path) -> io::Result<(File, Metadata)> {
    let open = |extra: i32| {
        OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | extra)
            .open(path)
    };
    let file = match open(libc::O_NOATIME) {
        Err(e) if e.raw_os_error() == Some(libc::EPERM) => open(0)?,
        other => other?,
    };
    let meta = file.metadata()?;
    if !meta.file_type().is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} is not a regular file", path.display()),
        ));
    }
    Ok((file, meta))
}

/// The next run of data at or after `from` in a file that may have holes: (start, end), or
/// None when only a hole is left (SEEK_DATA/SEEK_HOLE; a file system without them reports
/// the whole rest as data).
pub fn data_extent(file: &File, from: u64, len: u64) -> io::Result<Option<(u64, u64)>> {
    use nix::unistd::{lseek, Whence};
    if from >= len {
        return Ok(None);
    }
    // lseek only moves the file offset, which every read here ignores (they are preads).
    let seek = |offset: u64, whence: Whence| -> io::Result<Option<u64>> {
        let offset = libc::off_t::try_from(offset).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("offset {offset} is beyond what lseek takes"),
            )
        })?;
        match lseek(file, offset, whence) {
            Ok(at) => Ok(Some(at as u64)),
            Err(nix::errno::Errno::ENXIO) => Ok(None),
            Err(errno) => Err(errno.into()),
        }
    };
    let start = match seek(from, Whence::SeekData) {
        Ok(Some(start)) => start,
        Ok(None) => return Ok(None),
        // No SEEK_DATA here: all of it is data.
        Err(e) if e.raw_os_error() == Some(libc::EINVAL) => return Ok(Some((from, len))),
        Err(e) => return Err(e),
    };
    if start >= len {
        return Ok(None);
    }
    let end = seek(start, Whence::SeekHole)?.unwrap_or(len).min(len);
    Ok(Some((start, end.max(start))))
}

/// Up to `max` bytes of an open file, read with pread (never mmap: touching a page past the
/// end of a tmpfs file raises SIGBUS).
fn read_at_most(file: &File, max: u64, size_hint: u64) -> io::Result<Vec<u8>> {
    let capacity = usize::try_from(max.min(size_hint).min(1 << 20)).unwrap_or(0);
    let mut out = Vec::with_capacity(capacity);
    // Sized to what is wanted: a semaphore's 32 bytes must not cost a zeroed 64 KiB.
    let mut chunk = vec![0u8; usize::try_from(max).unwrap_or(usize::MAX).min(64 * 1024)];
    while (out.len() as u64) < max {
        let want = usize::try_from(max - out.len() as u64)
            .unwrap_or(usize::MAX)
            .min(chunk.len());
        match file.read_at(&mut chunk[..want], out.len() as u64) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// chmod of the object's permission bits, if the file at `path` is still the object (`dev`,
/// `ino`). The file is opened with O_PATH|O_NOFOLLOW and the chmod goes through that
/// descriptor, so a symlink swapped in cannot redirect it; another file under the name (the
/// object was unlinked and the name made again) is not touched: ENOENT, the object is gone
/// from its name.
pub fn set_mode(path: &Path, dev: u64, ino: u64, mode: u32) -> io::Result<()> {
    let (file, meta) = hold(path)?;
    if !meta.file_type().is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} is not a regular file", path.display()),
        ));
    }
    if (meta.dev(), meta.ino()) != (dev, ino) {
        return Err(io::Error::from_raw_os_error(libc::ENOENT));
    }
    chmod_through(&file, mode & 0o7777)
}

/// The file at `path` itself (never a link's target) as an O_PATH descriptor, with its facts.
fn hold(path: &Path) -> io::Result<(File, Metadata)> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_PATH | libc::O_NOFOLLOW)
        .open(path)?;
    let meta = file.metadata()?;
    Ok((file, meta))
}

/// Whether fchmodat2(2) (Linux 6.6) has been found missing: asked once per run.
static NO_FCHMODAT2: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// chmod of the file an O_PATH descriptor holds: fchmodat2(fd, "", AT_EMPTY_PATH), or on
/// kernels without it through `/proc/self/fd/N` (a path walk through procfs: three times
/// the cost).
fn chmod_through(file: &File, mode: u32) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    use std::sync::atomic::Ordering;
    if !NO_FCHMODAT2.load(Ordering::Relaxed) {
        match fchmodat2_empty_path(file.as_raw_fd(), mode) {
            Ok(()) => return Ok(()),
            Err(e) if matches!(e.raw_os_error(), Some(libc::ENOSYS | libc::EINVAL)) => {
                NO_FCHMODAT2.store(true, Ordering::Relaxed);
            }
            // A seccomp filter may refuse a syscall it does not know with EPERM: the old
            // way then gives the real answer.
            Err(e) if e.raw_os_error() == Some(libc::EPERM) => {}
            Err(e) => return Err(e),
        }
    }
    chmod_by_proc(file, mode)
}

fn chmod_by_proc(file: &File, mode: u32) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    use std::os::unix::fs::PermissionsExt;
    let through = format!("/proc/self/fd/{}", file.as_raw_fd());
    std::fs::set_permissions(through, std::fs::Permissions::from_mode(mode))
}

#[allow(unsafe_code)] // fchmodat2 has no libc or nix wrapper
fn fchmodat2_empty_path(fd: std::os::fd::RawFd, mode: u32) -> io::Result<()> {
    // SAFETY: the path is a NUL-terminated empty string that outlives the call; the other
    // arguments are plain integers, and the kernel writes no memory of ours.
    let r = unsafe {
        libc::syscall(
            libc::SYS_fchmodat2,
            fd,
            c"".as_ptr(),
            mode as libc::mode_t,
            libc::AT_EMPTY_PATH,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// What restoring a journalled object's mode found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reopened {
    /// It was at mode 000 with the same device and inode: its mode is `mode` again.
    Restored,
    /// No such file, another file under the name, or not at mode 000: left alone.
    NotOurs,
}

/// Gives the file at `path` the permission bits `mode` back if it is still the object
/// (`dev`, `ino`) and still at mode 000; checked and changed through one O_PATH descriptor.
pub fn restore_mode(path: &Path, dev: u64, ino: u64, mode: u32) -> io::Result<Reopened> {
    let (file, meta) = match hold(path) {
        Ok(held) => held,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Reopened::NotOurs),
        Err(e) => return Err(e),
    };
    if !meta.file_type().is_file()
        || (meta.dev(), meta.ino()) != (dev, ino)
        || meta.mode() & 0o777 != 0
    {
        return Ok(Reopened::NotOurs);
    }
    chmod_through(&file, mode & 0o777)?;
    Ok(Reopened::Restored)
}

/// `/bare` as shm_open, sem_open and mq_open take it.
pub fn c_name(bare: &str) -> Result<CString, super::SysError> {
    CString::new(format!("/{bare}")).map_err(|_| {
        super::SysError::other("open", super::error::FAILED, "the name contains a NUL byte")
    })
}

/// shm_open(`/bare`, O_CREAT|O_EXCL|O_RDWR), sized to `size` with ftruncate and given
/// exactly the permission bits `mode` (fchmod: the umask does not narrow them). An object
/// that could not be sized is removed again. EEXIST when one has the name.
pub fn create_shm(bare: &str, size: u64, mode: u32) -> Result<(), super::SysError> {
    use super::SysError;
    use nix::fcntl::OFlag;
    use nix::sys::mman::{shm_open, shm_unlink};
    use nix::sys::stat::{fchmod, Mode};
    let name = c_name(bare)?;
    let perms = Mode::from_bits_truncate((mode & 0o777) as libc::mode_t);
    let fd = shm_open(
        name.as_c_str(),
        OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_RDWR,
        perms,
    )
    .map_err(SysError::nix("shm_open"))?;
    let sized = libc::off_t::try_from(size)
        .map_err(|_| {
            SysError::other(
                "ftruncate",
                super::error::FAILED,
                format!("{size} bytes is more than a file may hold"),
            )
        })
        .and_then(|len| nix::unistd::ftruncate(&fd, len).map_err(SysError::nix("ftruncate")))
        .and_then(|()| fchmod(&fd, perms).map_err(SysError::nix("fchmod")));
    if sized.is_err() {
        // Ours, just made, and half done: better none than one of the wrong size.
        shm_unlink(name.as_c_str()).ok();
    }
    sized
}

/// Opens the existing object `/bare` read and write (the access creating it gives): its
/// size. ENOENT when there is none, EACCES without the permission.
pub fn open_shm(bare: &str) -> Result<u64, super::SysError> {
    use super::SysError;
    use nix::fcntl::OFlag;
    use nix::sys::stat::Mode;
    let name = c_name(bare)?;
    let fd = nix::sys::mman::shm_open(name.as_c_str(), OFlag::O_RDWR, Mode::empty())
        .map_err(SysError::nix("shm_open"))?;
    let meta = File::from(fd)
        .metadata()
        .map_err(|e| SysError::io("fstat", &e))?;
    Ok(meta.size())
}

/// Removes the object's name (shm_unlink, sem_unlink and mq_unlink do exactly this);
/// processes holding it keep it until they let go.
pub fn unlink(path: &Path) -> io::Result<()> {
    std::fs::remove_file(path)
}

/// The namespace's mqueue limits, from /proc/sys/fs/mqueue.
pub fn mqueue_limits() -> io::Result<MqueueLimits> {
    mqueue_limits_in(Path::new(MQUEUE_SYSCTLS))
}

/// [`mqueue_limits`] from a given directory.
pub fn mqueue_limits_in(dir: &Path) -> io::Result<MqueueLimits> {
    let read = |name: &str| -> io::Result<u64> {
        let path = dir.join(name);
        let text = std::fs::read_to_string(&path)?;
        text.trim().parse().map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}: `{}` is not a number", path.display(), text.trim()),
            )
        })
    };
    Ok(MqueueLimits {
        max_queues: read("queues_max")?,
        max_messages: read("msg_max")?,
        max_message_bytes: read("msgsize_max")?,
        default_messages: read("msg_default")?,
        default_message_bytes: read("msgsize_default")?,
    })
}

/// Size and use of the /dev/shm filesystem.
pub fn shm_fs() -> io::Result<ShmFs> {
    shm_fs_at(Path::new(SHM_DIR))
}

/// [`shm_fs`] of the filesystem holding `path`.
pub fn shm_fs_at(path: &Path) -> io::Result<ShmFs> {
    let fs = nix::sys::statvfs::statvfs(c_path(path)?.as_c_str())?;
    #[allow(clippy::unnecessary_cast)] // the field types differ between architectures
    let (blocks, free, frsize) = (
        fs.blocks() as u64,
        fs.blocks_free() as u64,
        fs.fragment_size() as u64,
    );
    Ok(ShmFs {
        total_bytes: blocks.saturating_mul(frsize),
        used_bytes: blocks.saturating_sub(free).saturating_mul(frsize),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_ways_of_changing_a_mode_change_the_file_and_never_a_link_target() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("obj");
        std::fs::write(&file, b"x").expect("write");
        let mode = |p: &Path| std::fs::symlink_metadata(p).expect("stat").mode() & 0o7777;
        let held = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_PATH | libc::O_NOFOLLOW)
            .open(&file)
            .expect("O_PATH");
        chmod_through(&held, 0).expect("fchmodat2 or /proc");
        assert_eq!(mode(&file), 0);
        chmod_by_proc(&held, 0o640).expect("/proc");
        assert_eq!(mode(&file), 0o640);
        let meta = std::fs::metadata(&file).expect("stat");
        set_mode(&file, meta.dev(), meta.ino(), 0o600).expect("set_mode");
        assert_eq!(mode(&file), 0o600);
        // Another file under the name is not the object: untouched, and the object is gone.
        let err = set_mode(&file, meta.dev(), meta.ino() + 1, 0).expect_err("another inode");
        assert_eq!(err.raw_os_error(), Some(libc::ENOENT));
        assert_eq!(mode(&file), 0o600);
        // A link in the object's place is refused, and what it points at is untouched.
        let target = dir.path().join("target");
        std::fs::write(&target, b"y").expect("write");
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&target, &link).expect("symlink");
        assert!(set_mode(&link, meta.dev(), meta.ino(), 0).is_err());
        assert_eq!(
            restore_mode(&link, 0, 0, 0o777).expect("restore"),
            Reopened::NotOurs
        );
        assert_eq!(mode(&target), 0o644);
    }

    #[test]
    fn queue_lines() {
        let line = "QSIZE:5          NOTIFY:0     SIGNO:0     NOTIFY_PID:0     \n";
        assert_eq!(
            parse_queue_state(line.as_bytes()),
            Some(QueueState {
                qsize: 5,
                notify: 0,
                signo: 0,
                notify_pid: 0
            })
        );
        let spaced = "QSIZE: 1024 NOTIFY: 2\tSIGNO:10 NOTIFY_PID : 4242";
        // `NOTIFY_PID :` is not a key; the rest reads.
        let got = parse_queue_state(spaced.as_bytes()).expect("reads");
        assert_eq!((got.qsize, got.notify, got.signo), (1024, 2, 10));
        let full = "QSIZE:0 NOTIFY:1 SIGNO:0 NOTIFY_PID:31337";
        assert_eq!(
            parse_queue_state(full.as_bytes()).map(|q| q.notify_pid),
            Some(31337)
        );
        assert_eq!(parse_queue_state("".as_bytes()), None);
        assert_eq!(parse_queue_state("NOTIFY:0 SIGNO:0".as_bytes()), None);
        assert_eq!(parse_queue_state("QSIZE:x NOTIFY:0".as_bytes()), None);
        assert_eq!(parse_queue_state("QSIZE:".as_bytes()), None);
    }

    #[test]
    fn sem_values() {
        let mut bytes = [0u8; 32];
        bytes[..8].copy_from_slice(&((2u64 << 32) | 7).to_le_bytes());
        assert_eq!(
            SemValue::from_sem_t(&bytes),
            Some(SemValue {
                value: 7,
                waiters: 2
            })
        );
        assert_eq!(
            SemValue::from_sem_t(&bytes[..8]).map(|s| s.value),
            Some(7),
            "8 bytes are enough"
        );
        assert_eq!(SemValue::from_sem_t(&bytes[..7]), None);
    }

    #[test]
    fn names_normalise_and_validate() {
        assert_eq!(normalise_name(Kind::Pshm, "/a").expect("ok"), "a");
        assert_eq!(normalise_name(Kind::Pmq, "a").expect("ok"), "a");
        for bad in ["", "/", "//a", "/a/b", ".", "/..", "a\0b"] {
            let err = normalise_name(Kind::Pshm, bad).expect_err(bad);
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{bad:?}");
        }
        let long = "x".repeat(255);
        assert!(normalise_name(Kind::Pshm, &long).is_ok());
        assert!(normalise_name(Kind::Pshm, &format!("{long}x")).is_err());
        assert!(normalise_name(Kind::Psem, &long[4..]).is_ok());
        assert!(normalise_name(Kind::Psem, &long[3..]).is_err());
        let err = normalise_name(Kind::Pshm, "/sem.lock").expect_err("a semaphore");
        assert!(err.to_string().contains("use psem:/lock"), "{err}");
        assert!(normalise_name(Kind::Psem, "sem.x").is_ok());
    }

    fn populated_dir() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path();
        std::fs::write(p.join("beta"), vec![1u8; 100]).expect("write");
        std::fs::write(p.join("alpha"), b"").expect("write");
        let mut sem = [0u8; 32];
        sem[..8].copy_from_slice(&((1u64 << 32) | 3).to_le_bytes());
        std::fs::write(p.join("sem.lock"), sem).expect("write");
        std::fs::write(p.join("sem.short"), [1u8; 4]).expect("write");
        std::fs::create_dir(p.join("subdir")).expect("mkdir");
        std::fs::create_dir(p.join("sem.dir")).expect("mkdir");
        std::os::unix::fs::symlink(p.join("beta"), p.join("link")).expect("symlink");
        std::os::unix::fs::symlink(p.join("sem.lock"), p.join("sem.link")).expect("symlink");
        let _sock = std::os::unix::net::UnixListener::bind(p.join("sock")).expect("bind a socket");
        dir
    }

    #[test]
    fn lists_regular_files_by_kind() {
        let dir = populated_dir();
        let shm = list_in(dir.path(), Kind::Pshm).expect("list");
        let names: Vec<&str> = shm.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["/alpha", "/beta"]);
        let beta = &shm[1];
        assert_eq!(beta.size, 100);
        assert_eq!(beta.path, dir.path().join("beta"));
        assert_eq!((beta.queue, beta.semaphore), (None, None));
        assert!(beta.mode <= 0o777);
        assert!(beta.ino != 0 && beta.mtime > 0);

        let sems = list_in(dir.path(), Kind::Psem).expect("list");
        let names: Vec<&str> = sems.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["/lock", "/short"]);
        assert_eq!(
            sems[0].semaphore,
            Some(SemValue {
                value: 3,
                waiters: 1
            })
        );
        assert_eq!(sems[0].path, dir.path().join("sem.lock"));
        assert_eq!(sems[1].semaphore, None, "4 bytes are too few");
    }

    #[test]
    fn queues_parse_their_content() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join("q"),
            "QSIZE:12         NOTIFY:0     SIGNO:0     NOTIFY_PID:0     \n",
        )
        .expect("write");
        std::fs::write(dir.path().join("garbled"), "hello").expect("write");
        let queues = list_in(dir.path(), Kind::Pmq).expect("list");
        assert_eq!(queues.len(), 2);
        assert_eq!(
            (queues[0].name.as_str(), queues[0].queue),
            ("/garbled", None)
        );
        assert_eq!(queues[1].queue.map(|q| q.qsize), Some(12));
    }

    #[test]
    fn missing_directory_is_empty() {
        let dir = tempfile::tempdir().expect("tempdir");
        let gone = dir.path().join("nope");
        assert!(list_in(&gone, Kind::Pmq).expect("ok").is_empty());
        assert!(!mounted_in(&gone, Kind::Pshm));
        assert!(mounted_in(dir.path(), Kind::Pshm));
        assert!(
            !mounted_in(dir.path(), Kind::Pmq),
            "a tmp dir is no mqueue fs"
        );
        assert!(list(Kind::Shm).is_err());
        // Read-only look at the real /dev/mqueue.
        if !mounted(Kind::Pmq) {
            assert!(list(Kind::Pmq).expect("ok").is_empty());
            let err = stat(Kind::Pmq, "/q").expect_err("nothing mounted");
            assert_eq!(err.kind(), io::ErrorKind::NotFound);
        }
    }

    #[test]
    fn stat_by_name() {
        let dir = populated_dir();
        let p = dir.path();
        let beta = stat_in(p, Kind::Pshm, "/beta").expect("stat");
        assert_eq!(beta, stat_in(p, Kind::Pshm, "beta").expect("stat"));
        assert_eq!(beta.name, "/beta");
        let lock = stat_in(p, Kind::Psem, "/lock").expect("stat");
        assert_eq!(lock.semaphore.map(|s| s.value), Some(3));
        let err = stat_in(p, Kind::Pshm, "/gone").expect_err("absent");
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        let err = stat_in(p, Kind::Psem, "/beta").expect_err("no sem.beta");
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        let err = stat_in(p, Kind::Pshm, "/sem.lock").expect_err("a semaphore");
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        for not_file in ["link", "subdir", "sock"] {
            let err = stat_in(p, Kind::Pshm, not_file).expect_err(not_file);
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{not_file}");
        }
    }

    #[test]
    fn names_that_show_alike_stay_apart() {
        let dir = tempfile::tempdir().expect("tempdir");
        let raw = std::ffi::OsStr::from_bytes(b"q\xff");
        std::fs::write(dir.path().join(raw), "QSIZE:3").expect("write");
        std::fs::write(dir.path().join("q\u{fffd}"), "QSIZE:5").expect("write");
        let queues = list_in(dir.path(), Kind::Pmq).expect("list");
        assert_eq!(queues.len(), 2);
        assert!(queues.iter().all(|q| q.name == "/q\u{fffd}"), "shown alike");
        let bytes: Vec<&[u8]> = queues.iter().map(|q| q.raw_name.as_bytes()).collect();
        assert_eq!(bytes, [&b"/q\xef\xbf\xbd"[..], &b"/q\xff"[..]]);
        // Read again by path, each is itself.
        for q in &queues {
            assert_eq!(&stat_path(Kind::Pmq, &q.path).expect("stat"), q);
        }
        std::fs::write(
            dir.path().join(std::ffi::OsStr::from_bytes(b"sem.s\xfe")),
            "",
        )
        .expect("write");
        let sems = list_in(dir.path(), Kind::Psem).expect("list");
        assert_eq!(sems[0].raw_name.as_bytes(), b"/s\xfe", "without sem.");
        assert_eq!(
            &stat_path(Kind::Psem, &sems[0].path).expect("stat"),
            &sems[0]
        );
        let err = stat_path(Kind::Pmq, &dir.path().join("gone")).expect_err("gone");
        assert_eq!(err.raw_os_error(), Some(libc::ENOENT));
        let err = stat_path(Kind::Psem, &queues[0].path).expect_err("no sem. prefix");
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }

    /// What the state readers do with a path: open as `opened` does, then read.
    fn read_bytes(path: &Path, max: u64) -> io::Result<Vec<u8>> {
        let (file, meta) = open_for_reading(path)?;
        read_at_most(&file, max, meta.size())
    }

    #[test]
    fn reads_chmods_and_unlinks() {
        let dir = populated_dir();
        let beta = dir.path().join("beta");
        assert_eq!(read_bytes(&beta, 10).expect("read"), vec![1u8; 10]);
        assert_eq!(read_bytes(&beta, 1 << 40).expect("read").len(), 100);
        assert!(
            read_bytes(&dir.path().join("link"), 10).is_err(),
            "no follow"
        );
        assert!(read_bytes(&dir.path().join("subdir"), 10).is_err());
        // A queue's state is one pread of up to 256 bytes; a semaphore's its 32.
        let (file, meta) = open_for_reading(&beta).expect("open");
        let line = read_state(Kind::Pmq, &file, meta.size()).expect("read");
        assert_eq!(line, vec![1u8; 100]);
        let word = read_state(Kind::Psem, &file, meta.size()).expect("read");
        assert_eq!(word, vec![1u8; 32]);

        let meta = std::fs::metadata(&beta).expect("stat");
        set_mode(&beta, meta.dev(), meta.ino(), 0o640).expect("chmod");
        assert_eq!(
            stat_in(dir.path(), Kind::Pshm, "beta").expect("stat").mode,
            0o640
        );
        let link = dir.path().join("link");
        assert!(
            set_mode(&link, meta.dev(), meta.ino(), 0o600).is_err(),
            "never through a symlink"
        );
        assert_eq!(
            stat_in(dir.path(), Kind::Pshm, "beta").expect("stat").mode,
            0o640
        );

        unlink(&beta).expect("unlink");
        assert!(stat_in(dir.path(), Kind::Pshm, "beta").is_err());
    }

    #[test]
    fn sysctls_and_statvfs() {
        let dir = tempfile::tempdir().expect("tempdir");
        for (name, v) in [
            ("queues_max", "256\n"),
            ("msg_max", "10\n"),
            ("msgsize_max", "8192\n"),
            ("msg_default", "10\n"),
            ("msgsize_default", "8192\n"),
        ] {
            std::fs::write(dir.path().join(name), v).expect("write");
        }
        let limits = mqueue_limits_in(dir.path()).expect("read");
        assert_eq!((limits.max_queues, limits.max_message_bytes), (256, 8192));
        std::fs::write(dir.path().join("msg_max"), "lots").expect("write");
        let err = mqueue_limits_in(dir.path()).expect_err("garbage");
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);

        let fs = shm_fs_at(dir.path()).expect("statvfs");
        assert!(fs.used_bytes <= fs.total_bytes);
    }
}
