//! `--archive DIR` (rm, gc) and `create --from-archive` (DESIGN.md "Archive").
//!
//! The directory is checked before any object is attached or changed. Each object's files
//! get a name of their own — kind, id or name, key, and the object's creation time, with a
//! `-2`, `-3` … suffix should that name exist — and are created new (never overwriting,
//! never through a link), written in chunks (holes stay holes: a 1 TiB sparse /dev/shm file
//! costs what its data costs), fsynced, and the directory fsynced after them.
//!
//! For a segment: attach read-only → copy → write and fsync both files and the directory →
//! the removal sequence expecting nattch 1 (ours) → IPC_RMID → detach. The attachment keeps
//! the segment alive until the copy is safe; if the archive cannot be written nothing is
//! removed.
use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{DirBuilderExt, FileExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::batch::{Check, Session};
use super::kernel::Running;
use super::policy::Policy;
use super::probe::Survey;
use super::removal::{self, Kernel, Outcome, Removal, Request, Step};
use super::{Kind, Object, Reason, Record};
use crate::error::{Error, Result};
use crate::model::{Created, KeyHex, NewObject};
use crate::sys::error::Cause;
use crate::sys::shm::{self, Access, Attachment};
use crate::sys::{self, mqueue, msg, posix, SysError};
use crate::units::Rfc3339;

const CHUNK: usize = 1 << 20;

/// An archive record larger than this is not one of ours.
const MAX_RECORD_BYTES: u64 = 1 << 20;

/// Why an archive could not be written: the errno (for the report's code) — or, for a
/// failure without one (a short write, a record that would not serialise), what happened —
/// and a text.
#[derive(Debug, Clone)]
pub struct ArchiveError {
    pub cause: Cause,
    pub text: String,
}

impl ArchiveError {
    pub fn at(path: &Path, e: io::Error) -> ArchiveError {
        ArchiveError {
            cause: SysError::io("archive", &e).cause,
            text: format!("{}: {e}", path.display()),
        }
    }

    pub fn sys(&self) -> SysError {
        SysError {
            op: "archive",
            cause: self.cause.clone(),
        }
    }
}

/// The `--archive` directory, checked once before the run changes anything, and held open
/// so that every file is created in the directory that was checked.
#[derive(Debug)]
pub struct ArchiveDir {
    pub path: PathBuf,
    dir: File,
}

/// Writes an object's bytes into its new `.bin`.
pub type Fill<'a> = dyn FnMut(&File) -> io::Result<()> + 'a;

/// Makes the `.json` record, given the `.bin`'s file name (when there is one).
pub type MakeRecord<'a> = dyn Fn(Option<&str>) -> std::result::Result<Vec<u8>, String> + 'a;

/// The files of one object's archive, while they are written.
struct Reserved {
    json: PathBuf,
    bin: Option<PathBuf>,
}

impl ArchiveDir {
    /// Checks `path` (created 0700 if it does not exist): a directory of the caller's (or
    /// root's) that group and others may not write, and that we can write.
    pub fn prepare(path: &Path) -> Result<ArchiveDir> {
        ArchiveDir::prepare_as(path, path, false)
    }

    /// [`ArchiveDir::prepare`] of the directory reached as `open` (shown as `path`);
    /// `nofollow`: refused if its last component is a symbolic link.
    fn prepare_as(path: &Path, open: &Path, nofollow: bool) -> Result<ArchiveDir> {
        let shown = path.display();
        match std::fs::DirBuilder::new().mode(0o700).create(open) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => {
                return Err(refusal(
                    format!("cannot create the archive directory {shown}: {e}"),
                    &e,
                ))
            }
        }
        let archive = ArchiveDir {
            path: path.to_path_buf(),
            dir: open_checked(open, path, nofollow)?,
        };
        // Writable, here and now (a read-only file system, a full disk, no permission).
        tempfile::tempfile_in(archive.inside()).map_err(|e| {
            refusal(
                format!("cannot write in the archive directory {shown}: {e}"),
                &e,
            )
        })?;
        Ok(archive)
    }

    /// The directory `name` inside this one (made 0700 if missing), as [`ArchiveDir::prepare`]
    /// checks a directory, reached through this one's descriptor and never through a
    /// symbolic link: a sweep's per-namespace directory (`ipc-INODE`) is shmctl's choice of
    /// name, not the caller's.
    pub fn subdir(&self, name: &str) -> Result<ArchiveDir> {
        ArchiveDir::prepare_as(&self.path.join(name), &self.inside().join(name), true)
    }

    /// `--archive DIR` for a run: prepared (a real run), or only checked (a dry run, which
    /// writes nothing and keeps no archive).
    pub fn for_run(path: Option<&Path>, dry_run: bool) -> Result<Option<ArchiveDir>> {
        match path {
            Some(path) if dry_run => ArchiveDir::check(path).map(|()| None),
            Some(path) => ArchiveDir::prepare(path).map(Some),
            None => Ok(None),
        }
    }

    /// What a dry run can say without changing anything: the directory is refused as
    /// [`ArchiveDir::prepare`] would refuse it (a missing one only needs a parent).
    pub fn check(path: &Path) -> Result<()> {
        match std::fs::symlink_metadata(path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let parent = match path.parent() {
                    Some(p) if !p.as_os_str().is_empty() => p,
                    _ => Path::new("."),
                };
                if parent.is_dir() {
                    Ok(())
                } else {
                    Err(Error::Failed(format!(
                        "cannot create the archive directory {}: {} is not a directory",
                        path.display(),
                        parent.display()
                    )))
                }
            }
            _ => open_checked(path, path, false).map(drop),
        }
    }

    /// The checked directory itself, whatever its path names by now.
    fn inside(&self) -> PathBuf {
        PathBuf::from(format!("/proc/self/fd/{}", self.dir.as_raw_fd()))
    }

    fn create_new(&self, name: &str) -> io::Result<File> {
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(self.inside().join(name))
    }

    /// Creates `BASE.json` (and `BASE.bin`) new, or `BASE-2.…`, `BASE-3.…` when taken.
    fn reserve(&self, base: &str, bin: bool) -> Result<(String, File, Option<File>), ArchiveError> {
        for n in 1..=1000 {
            let stem = match n {
                1 => base.to_string(),
                n => format!("{base}-{n}"),
            };
            let json = match self.create_new(&format!("{stem}.json")) {
                Ok(file) => file,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(ArchiveError::at(&self.path.join(format!("{stem}.json")), e)),
            };
            if !bin {
                return Ok((stem, json, None));
            }
            match self.create_new(&format!("{stem}.bin")) {
                Ok(file) => return Ok((stem, json, Some(file))),
                Err(e) => {
                    std::fs::remove_file(self.inside().join(format!("{stem}.json"))).ok();
                    if e.kind() == io::ErrorKind::AlreadyExists {
                        continue;
                    }
                    return Err(ArchiveError::at(&self.path.join(format!("{stem}.bin")), e));
                }
            }
        }
        Err(ArchiveError {
            cause: Cause::Errno(libc::EEXIST),
            text: format!("{}: 1000 archives named {base} exist", self.path.display()),
        })
    }

    /// Writes one object's archive: `fill` writes the bytes into the new `.bin` (when given),
    /// `record` makes the `.json` from the `.bin`'s name. Both files are fsynced, then the
    /// directory; on any failure the files are removed again. Returns the record's path.
    pub fn write(
        &self,
        base: &str,
        fill: Option<&mut Fill>,
        record: &MakeRecord,
    ) -> std::result::Result<PathBuf, ArchiveError> {
        let (stem, json_file, bin_file) = self.reserve(base, fill.is_some())?;
        let reserved = Reserved {
            json: self.path.join(format!("{stem}.json")),
            bin: bin_file
                .as_ref()
                .map(|_| self.path.join(format!("{stem}.bin"))),
        };
        let result = (|| {
            let bin_name = match (fill, &bin_file, &reserved.bin) {
                (Some(fill), Some(file), Some(path)) => {
                    fill(file).map_err(|e| ArchiveError::at(path, e))?;
                    file.sync_all().map_err(|e| ArchiveError::at(path, e))?;
                    Some(format!("{stem}.bin"))
                }
                _ => None,
            };
            let text = record(bin_name.as_deref()).map_err(|text| ArchiveError {
                cause: Cause::Other {
                    code: sys::error::FAILED,
                    text: text.clone(),
                },
                text,
            })?;
            json_file
                .write_all_at(&text, 0)
                .and_then(|()| json_file.sync_all())
                .map_err(|e| ArchiveError::at(&reserved.json, e))?;
            self.dir
                .sync_all()
                .map_err(|e| ArchiveError::at(&self.path, e))
        })();
        match result {
            Ok(()) => Ok(reserved.json),
            Err(e) => {
                self.discard(&reserved.json);
                if let Some(bin) = &reserved.bin {
                    self.discard(bin);
                }
                Err(e)
            }
        }
    }

    /// Removes one of the files this run wrote (the object stayed, or the write failed).
    pub fn discard(&self, path: &Path) {
        if let Some(name) = path.file_name() {
            std::fs::remove_file(self.inside().join(name)).ok();
        }
    }
}

/// Opens an existing archive directory (`open`, shown as `path`) and checks whose it is and
/// who may write it; with `nofollow`, one whose last component is a symbolic link is refused.
fn open_checked(open: &Path, path: &Path, nofollow: bool) -> Result<File> {
    let shown = path.display();
    let flags = libc::O_DIRECTORY | libc::O_CLOEXEC | if nofollow { libc::O_NOFOLLOW } else { 0 };
    let dir = OpenOptions::new()
        .read(true)
        .custom_flags(flags)
        .open(open)
        .map_err(|e| match e.raw_os_error() {
            Some(libc::ELOOP | libc::ENOTDIR) if nofollow => Error::Denied(format!(
                "refusing the archive directory {shown}: it is not a directory (a symbolic \
                 link or a file)"
            )),
            Some(libc::ENOTDIR) => Error::Usage(format!("--archive {shown} is not a directory")),
            _ => refusal(
                format!("cannot open the archive directory {shown}: {e}"),
                &e,
            ),
        })?;
    let meta = dir
        .metadata()
        .map_err(|e| Error::io(format!("reading {shown}"), e))?;
    check_trusted("the archive directory", path, &meta)?;
    Ok(dir)
}

/// An archive directory that cannot be used stops the run before it changes anything: for
/// want of permission exit 4, otherwise 1 (a missing parent is not a missing target).
fn refusal(text: String, e: &io::Error) -> Error {
    if e.kind() == io::ErrorKind::PermissionDenied {
        Error::Denied(text)
    } else {
        Error::Failed(text)
    }
}

/// `20261202T095102Z`: a time for file names.
pub fn stamp(unix: i64) -> String {
    Rfc3339(unix)
        .to_string()
        .chars()
        .filter(|c| !matches!(c, '-' | ':'))
        .collect()
}

/// Writes bytes read in chunks into `file`, leaving holes where whole chunks are zero, and
/// sets its length to `len` at the end (so a trailing hole counts).
pub struct SparseWriter<'f> {
    file: &'f File,
}

impl<'f> SparseWriter<'f> {
    pub fn new(file: &'f File) -> SparseWriter<'f> {
        SparseWriter { file }
    }

    pub fn write_at(&self, offset: u64, bytes: &[u8]) -> io::Result<()> {
        if bytes.iter().all(|&b| b == 0) {
            return Ok(());
        }
        self.file.write_all_at(bytes, offset)
    }

    pub fn finish(&self, len: u64) -> io::Result<()> {
        self.file.set_len(len)
    }
}

/// Copies a POSIX object's file into `out`: only its data extents, in chunks.
pub fn copy_file(source: &File, len: u64, out: &File) -> io::Result<()> {
    let writer = SparseWriter::new(out);
    let mut buf = vec![0u8; CHUNK];
    let mut at = 0;
    while let Some((start, end)) = posix::data_extent(source, at, len)? {
        let mut offset = start;
        while offset < end {
            let want = usize::try_from(end - offset).unwrap_or(CHUNK).min(CHUNK);
            let n = match source.read_at(&mut buf[..want], offset) {
                Ok(0) => break, // it shrank meanwhile: the rest reads as a hole
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            writer.write_at(offset, &buf[..n])?;
            offset += n as u64;
        }
        at = end.max(start + 1);
    }
    writer.finish(len)
}

/// A message taken into an archive: a SysV queue's (with its type) or a POSIX queue's
/// (with its priority).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchivedMessage {
    pub mtype: Option<i64>,
    pub priority: Option<u32>,
    pub bytes: Vec<u8>,
}

/// Makes an archive's `.json` from the object's record, the `.bin`'s file name (when its
/// bytes were copied) and its messages (a queue's): written by the renderers, so that an
/// archive record is the `stat` entry people already know.
pub type RecordWriter = dyn Fn(
    &Record,
    Option<&str>,
    Option<&[ArchivedMessage]>,
) -> std::result::Result<Vec<u8>, String>;

/// `--archive DIR` for a run.
pub struct Archive<'a> {
    pub dir: ArchiveDir,
    /// `--drain`: a queue's messages may be received where they cannot be copied.
    pub drain: bool,
    pub record: &'a RecordWriter,
    /// kernel.shm_rmid_forced of the namespace (None: unreadable).
    pub shm_rmid_forced: Option<u32>,
}

/// Why an object's archive was not written (nothing was removed), or its messages could not
/// all go back.
struct Failure {
    error: SysError,
    text: String,
}

impl From<ArchiveError> for Failure {
    fn from(e: ArchiveError) -> Failure {
        Failure {
            error: e.sys(),
            text: e.text,
        }
    }
}

/// What an archive takes from the object before the sequence runs, and holds until it ends.
enum Payload {
    None,
    /// A segment, attached read-only (nattch 1 is ours until the last detach).
    Segment(Attachment),
    /// A POSIX object's file, read in chunks.
    File(File, u64),
    /// A SysV queue's messages (copied: still in the queue).
    Copied(Vec<ArchivedMessage>),
    /// A POSIX queue's messages, received: they are now only here.
    Drained(Vec<(u32, Vec<u8>)>),
}

/// The file name of an object's archive, before a `-2`, `-3` … suffix.
fn base_name(object: &Object) -> String {
    let created = stamp(object.created());
    match (object.id(), object.key(), object.name()) {
        (Some(id), Some(key), _) => format!("{}-{id}-{}-{created}", object.kind(), KeyHex(key)),
        (_, _, Some(name)) => format!("{}-{}-{created}", object.kind(), file_name_part(name)),
        _ => format!("{}-{created}", object.kind()),
    }
}

/// At most this much of a POSIX name goes into a file name (NAME_MAX is 255 in all).
fn file_name_part(name: &str) -> String {
    let bare = name.trim_start_matches('/');
    let mut end = bare.len().min(128);
    while !bare.is_char_boundary(end) {
        end -= 1;
    }
    bare[..end].to_string()
}

/// Takes what the archive keeps of `object`.
fn take(archive: &Archive, object: &Object) -> std::result::Result<Payload, Failure> {
    let refused = |error, text: String| Failure { error, text };
    Ok(match object {
        Object::Shm(seg) => {
            // Unknown is treated as 1: a detach after a failed archive must never destroy it.
            if archive.shm_rmid_forced != Some(0) {
                let setting = archive
                    .shm_rmid_forced
                    .map_or("unreadable".to_string(), |v| v.to_string());
                return Err(refused(
                    SysError::new("archive", libc::EOPNOTSUPP),
                    format!(
                        "not archived: archiving attaches, and with \
                         kernel.shm_rmid_forced={setting} detaching could destroy the segment \
                         even if the archive failed"
                    ),
                ));
            }
            let attachment = Attachment::new(seg.id, seg.size, Access::ReadOnly).map_err(|e| {
                refused(e, format!("cannot attach segment {} to archive it", seg.id))
            })?;
            Payload::Segment(attachment)
        }
        Object::Sem(_) => Payload::None,
        Object::Msg(q) => {
            let max = msg::limits().map_or(8192, |l| l.max_message_bytes as usize);
            let copied = match msg::copy_messages(q.id, max) {
                Err(e) if msg::is_unsupported(&e) && archive.drain => msg::drain(q.id, max),
                Err(e) if msg::is_unsupported(&e) => {
                    return Err(refused(
                        e,
                        "this kernel cannot copy a queue's messages (no MSG_COPY): archiving \
                         would receive them, which --drain allows"
                            .to_string(),
                    ))
                }
                other => other,
            }
            .map_err(|e| refused(e, format!("reading the messages of msg {}", q.id)))?;
            Payload::Copied(
                copied
                    .into_iter()
                    .map(|m| ArchivedMessage {
                        mtype: Some(m.mtype),
                        priority: None,
                        bytes: m.bytes,
                    })
                    .collect(),
            )
        }
        Object::Posix(p) if p.kind == Kind::Pmq => {
            let queued = p.queue.map_or(0, |q| q.qsize);
            let name = crate::render::escape(&p.name).into_owned();
            if queued > 0 && !archive.drain {
                return Err(refused(
                    SysError::new("archive", libc::EOPNOTSUPP),
                    format!(
                        "{name} holds {queued} bytes of messages, which can only be read by \
                         receiving them: archiving drains the queue, which --drain allows"
                    ),
                ));
            }
            let taken = if queued > 0 {
                // By its name's bytes, and only the queue that was judged.
                mqueue::drain(&p.raw_name, identity(p))
                    .map_err(|e| refused(e, format!("draining {name}")))?
            } else {
                Vec::new()
            };
            Payload::Drained(taken)
        }
        Object::Posix(p) => {
            let (file, meta) = posix::open_for_reading(&p.path)
                .map_err(|e| Failure::from(ArchiveError::at(&p.path, e)))?;
            Payload::File(file, meta.size())
        }
    })
}

impl Payload {
    /// Writes the bytes into the new `.bin`, when there are bytes.
    fn fill(&self, out: &File) -> io::Result<()> {
        match self {
            Payload::Segment(attachment) => {
                let writer = SparseWriter::new(out);
                let mut buf = vec![0u8; CHUNK.min(attachment.len().max(1))];
                let mut offset = 0;
                while offset < attachment.len() {
                    let n = attachment.read_at(offset, &mut buf);
                    writer.write_at(offset as u64, &buf[..n])?;
                    offset += n;
                }
                writer.finish(attachment.len() as u64)
            }
            Payload::File(file, len) => copy_file(file, *len, out),
            _ => Ok(()),
        }
    }

    fn has_bytes(&self) -> bool {
        matches!(self, Payload::Segment(_) | Payload::File(..))
    }

    fn messages(&self) -> Option<Vec<ArchivedMessage>> {
        match self {
            Payload::Copied(m) => Some(m.clone()),
            Payload::Drained(taken) => Some(
                taken
                    .iter()
                    .map(|(priority, bytes)| ArchivedMessage {
                        mtype: None,
                        priority: Some(*priority),
                        bytes: bytes.clone(),
                    })
                    .collect(),
            ),
            _ => None,
        }
    }
}

/// Judges, archives, then runs the removal sequence on one object. The archive is written
/// and fsynced before anything is removed; when the object stays, the files are deleted
/// again and a drained queue gets its messages back.
pub fn remove_with_archive(
    session: &mut Session,
    survey: &mut Survey,
    archive: &Archive,
    planned: Object,
    request: Request,
    check: &Check,
    now: i64,
) -> Removal {
    // Judge first: nothing is attached to, copied or drained from an object that stays.
    // An archive's own sequence judges every step (its facts change as it attaches).
    let dry = Request {
        dry_run: true,
        judged: false,
        ..request
    };
    let mut judge = |o: &Object| check.judge(survey, o, now);
    let planned = match removal::close(&mut session.kernel(), planned, dry, &mut judge) {
        Step::Done(Removal {
            object,
            outcome: Outcome::WouldRemove,
            ..
        }) => object,
        Step::Done(other) => return other,
        Step::Closed(object) => object,
    };
    let failed = |object: Object, f: Failure| {
        Removal::new(
            object,
            Outcome::Failed {
                error: Box::new(f.error),
                text: format!("not removed: {}", f.text),
            },
        )
    };
    let payload = match take(archive, &planned) {
        Ok(payload) => payload,
        Err(f) => return failed(planned, f),
    };
    // The record, from what this run already knows (names, processes, holders).
    let record = survey.record(planned.clone(), &Policy::default(), now);
    let messages = payload.messages();
    let mut fill = |out: &File| payload.fill(out);
    let write_record = |bin: Option<&str>| (archive.record)(&record, bin, messages.as_deref());
    let bytes = payload.has_bytes().then_some(&mut fill as &mut Fill);
    let json = match archive
        .dir
        .write(&base_name(&planned), bytes, &write_record)
    {
        Ok(json) => json,
        Err(e) => {
            let mut f = Failure::from(e);
            if let (Payload::Drained(taken), Object::Posix(queue)) = (&payload, &planned) {
                // Never lose data: the received messages go back (or into a rescue file).
                match give_back(&archive.dir, queue, taken) {
                    Ok(()) => f.text.push_str("; its messages were sent back"),
                    Err(lost) => {
                        (f.error, f.text) = (lost.error, format!("{}; {}", f.text, lost.text))
                    }
                }
            }
            return failed(planned, f);
        }
    };

    // What we did to take the payload (attach, receive) moved the facts the sequence starts
    // from; it judges the object as others see it, before our own doing.
    survey.refresh(planned.kind());
    let me = std::process::id() as i32;
    let (start, ours) = match (&payload, &planned) {
        (Payload::Segment(_), _) | (Payload::Drained(_), _) => match Running.stat(&planned) {
            Ok(fresh) => (fresh, u64::from(matches!(payload, Payload::Segment(_)))),
            Err(_) => (planned.clone(), 0),
        },
        _ => (planned.clone(), 0),
    };
    let mut discounted = |o: &Object| match (o, &planned) {
        (Object::Shm(s), Object::Shm(seg)) => {
            // Our attach made us the last user and moved atime: judge on the planned facts
            // for those, unless someone else came and went meanwhile (then it changed).
            if s.cpid != seg.cpid || s.dtime != seg.dtime || (s.lpid != me && s.lpid != seg.lpid) {
                return Err(Reason::new(
                    "changed",
                    "used by another process since the plan",
                ));
            }
            let mut view = s.clone();
            (view.lpid, view.atime) = (seg.lpid, seg.atime);
            check.judge(survey, &Object::Shm(view), now)
        }
        (Object::Posix(_), _) if matches!(payload, Payload::Drained(_)) => {
            check.judge(survey, &o.as_others_see(&planned, 0, true), now)
        }
        _ => check.judge(survey, o, now),
    };
    let request = Request {
        expected_nattch: ours,
        judged: false,
        ..request
    };
    let mut item = removal::remove(&mut session.kernel(), start, request, &mut discounted);
    let removed = matches!(item.outcome, Outcome::Removed { .. });
    if let (Payload::Drained(taken), Object::Posix(queue), false) = (&payload, &planned, removed) {
        // It stays: so do its messages.
        if let Err(lost) = give_back(&archive.dir, queue, taken) {
            let kept = match &item.outcome {
                Outcome::Kept(reason) => format!("kept ({}): ", reason.text),
                _ => String::new(),
            };
            item.outcome = Outcome::Failed {
                error: Box::new(lost.error),
                text: format!("{kept}{}", lost.text),
            };
        }
    }
    drop(payload); // a segment's last detach destroys it
    if removed {
        // Report it as planned: an attachment seen at removal was our own.
        item.object = planned;
        item.outcome = Outcome::Removed { marked: false };
        item.archive = Some(json.into_boxed_path());
    } else {
        // The files would describe an object that is still there.
        archive.dir.discard(&json);
        archive.dir.discard(&json.with_extension("bin"));
    }
    item
}

/// Which queue was judged, for the checks of [`mqueue::drain`] and [`mqueue::send_back`].
fn identity(queue: &crate::objects::PosixObject) -> mqueue::Identity {
    mqueue::Identity {
        dev: queue.dev,
        ino: queue.ino,
    }
}

/// Sends drained messages back to their queue — the one they came from, never another
/// under its name. What cannot be sent back is written to a rescue file beside the archive;
/// the error says where (and is an error either way: exit 1).
fn give_back(
    dir: &ArchiveDir,
    queue: &crate::objects::PosixObject,
    taken: &[(u32, Vec<u8>)],
) -> std::result::Result<(), Failure> {
    let name = queue.name.as_str();
    let (sent, why) = match mqueue::send_back(&queue.raw_name, identity(queue), taken) {
        Ok(()) => return Ok(()),
        Err(partial) => partial,
    };
    let rest = &taken[sent..];
    let shown = crate::render::escape(name);
    let base = format!(
        "pmq-{}-rescue-{}",
        file_name_part(name),
        stamp(sys::now_unix())
    );
    let rescue = |_: Option<&str>| {
        #[derive(serde::Serialize)]
        struct Message<'a> {
            priority: u32,
            size: usize,
            base64: String,
            #[serde(skip)]
            _bytes: &'a [u8],
        }
        #[derive(serde::Serialize)]
        struct Rescue<'a> {
            schema_version: u32,
            queue: &'a str,
            why: String,
            messages: Vec<Message<'a>>,
        }
        let doc = Rescue {
            schema_version: 1,
            queue: name,
            why: format!("received to archive the queue, and could not be sent back: {why}"),
            messages: rest
                .iter()
                .map(|(priority, body)| Message {
                    priority: *priority,
                    size: body.len(),
                    base64: crate::hexdump::base64(body),
                    _bytes: body,
                })
                .collect(),
        };
        serde_json::to_vec_pretty(&doc).map_err(|e| e.to_string())
    };
    let error = why.clone();
    match dir.write(&base, None, &rescue) {
        Ok(path) => Err(Failure {
            error,
            text: format!(
                "{} message(s) of {shown} could not be sent back ({why}): they are saved in {}",
                rest.len(),
                path.display()
            ),
        }),
        Err(e) => {
            // The last place left: the report itself, so that they can be sent again by hand.
            let all = rescue(None).map(|t| String::from_utf8_lossy(&t).into_owned());
            Err(Failure {
                error,
                text: format!(
                    "{} message(s) of {shown} could not be sent back ({why}) nor saved ({}); \
                     here they are: {}",
                    rest.len(),
                    e.text,
                    all.unwrap_or_default()
                ),
            })
        }
    }
}

/// What restoring needs from an archive's `.json`.
#[derive(Debug, Deserialize)]
struct ArchiveRecord {
    bin: String,
    segment: ArchivedSegment,
}

#[derive(Debug, Deserialize)]
struct ArchivedSegment {
    key: u32,
    mode: u32,
    size: u64,
    owner: ArchivedOwner,
}

#[derive(Debug, Deserialize)]
struct ArchivedOwner {
    uid: u32,
    gid: u32,
}

/// A file restoring trusts, or the directory archives go to, must be the caller's (or root's)
/// and not writable by group or others, as ssh checks its keys: anyone else could have
/// written what it says, or could replace what we write.
fn check_trusted(what: &str, path: &Path, meta: &std::fs::Metadata) -> Result<()> {
    let me = sys::process::effective_uid();
    if meta.uid() != me && meta.uid() != 0 {
        return Err(Error::Denied(format!(
            "refusing {what} {}: it is owned by uid {}, not by you (uid {me}) or root",
            path.display(),
            meta.uid()
        )));
    }
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o022 != 0 {
        return Err(Error::Denied(format!(
            "refusing {what} {}: mode {mode:04o} lets others write it",
            path.display()
        )));
    }
    Ok(())
}

/// Reads an archive record: at most 1 MiB, from a regular file the caller trusts.
fn read_record(record_path: &Path) -> Result<ArchiveRecord> {
    let shown = record_path.display();
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(record_path)
        .map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => Error::NotFound(format!("{shown} does not exist")),
            _ => Error::io(format!("reading {shown}"), e),
        })?;
    let meta = file
        .metadata()
        .map_err(|e| Error::io(format!("reading {shown}"), e))?;
    if !meta.is_file() {
        return Err(Error::Failed(format!("{shown} is not a regular file")));
    }
    check_trusted("the archive record", record_path, &meta)?;
    let mut text = Vec::new();
    file.take(MAX_RECORD_BYTES + 1)
        .read_to_end(&mut text)
        .map_err(|e| Error::io(format!("reading {shown}"), e))?;
    if text.len() as u64 > MAX_RECORD_BYTES {
        return Err(Error::Failed(format!(
            "{shown} is larger than 1 MiB: not a shmctl archive record"
        )));
    }
    serde_json::from_slice(&text)
        .map_err(|e| Error::Failed(format!("{shown} is not a shmctl archive record: {e}")))
}

/// Opens the record's bytes file: a plain name in the record's own directory, a regular
/// file (not a link), trusted, and exactly the record's size.
fn open_bin(record_path: &Path, record: &ArchiveRecord) -> Result<(File, PathBuf)> {
    let name = record.bin.as_str();
    if name.is_empty() || name == "." || name == ".." || name.contains('/') || name.contains('\0') {
        return Err(Error::Denied(format!(
            "refusing {}: its bytes file `{}` is not a plain file name in the record's directory",
            record_path.display(),
            name.escape_debug()
        )));
    }
    let dir = match record_path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let path = dir.join(name);
    let bin = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(&path)
        .map_err(|e| match e.raw_os_error() {
            Some(libc::ELOOP) => Error::Denied(format!(
                "refusing {}: it is a symbolic link",
                path.display()
            )),
            Some(libc::ENOENT) => Error::NotFound(format!("{} does not exist", path.display())),
            _ => Error::io(format!("reading {}", path.display()), e),
        })?;
    let meta = bin
        .metadata()
        .map_err(|e| Error::io(path.display().to_string(), e))?;
    if !meta.is_file() {
        return Err(Error::Denied(format!(
            "refusing {}: not a regular file",
            path.display()
        )));
    }
    check_trusted("the archived bytes", &path, &meta)?;
    if meta.len() != record.segment.size {
        return Err(Error::Failed(format!(
            "archive damaged: {} has {} bytes, the record says {}",
            path.display(),
            meta.len(),
            record.segment.size
        )));
    }
    Ok((bin, path))
}

/// `create --from-archive FILE`: the bytes, size, mode, the owner (as root) and the key
/// when it is free; a taken key only with `private`, under a new private key.
pub fn restore(record_path: &Path, private: bool) -> Result<(Created, Option<String>)> {
    let record = read_record(record_path)?;
    let (mut bin, bin_path) = open_bin(record_path, &record)?;
    let seg = &record.segment;

    // Created 0600 so that we can fill it; the archived mode is set once it holds the bytes.
    let flags = libc::IPC_CREAT | libc::IPC_EXCL | 0o600;
    let mut note = None;
    let (id, key) = match shm::get(seg.key, seg.size, flags) {
        Ok(id) => (id, seg.key),
        Err(e) if e.errno() == Some(libc::EEXIST) && private => {
            note = Some(format!(
                "key {} is taken: restored under a new private key",
                KeyHex(seg.key)
            ));
            (
                shm::get(0, seg.size, flags).map_err(|e| Error::sys("creating the segment", e))?,
                0,
            )
        }
        Err(e) if e.errno() == Some(libc::EEXIST) => {
            return Err(Error::Failed(format!(
                "key {} is taken by another segment; --private restores under a new private key",
                KeyHex(seg.key)
            )))
        }
        Err(e) => return Err(Error::sys("creating the segment", e)),
    };
    let filled = (|| -> Result<()> {
        let mut attachment = Attachment::new(id, seg.size, Access::ReadWrite)
            .map_err(|e| Error::sys("attaching to fill it", e))?;
        let mut buf = vec![0u8; CHUNK];
        let mut offset = 0;
        loop {
            let n = bin
                .read(&mut buf)
                .map_err(|e| Error::io(bin_path.display().to_string(), e))?;
            if n == 0 {
                break;
            }
            attachment
                .write_at(offset, &buf[..n])
                .map_err(|e| Error::sys("filling the segment", e))?;
            offset += n;
        }
        // Root gives it back to its owner; anyone else keeps it.
        let (uid, gid) = if sys::process::effective_uid() == 0 {
            (seg.owner.uid, seg.owner.gid)
        } else {
            let now = shm::stat(id).map_err(|e| Error::sys("reading the new segment", e))?;
            (now.uid, now.gid)
        };
        shm::set_owner_mode(id, uid, gid, seg.mode & 0o777)
            .map_err(|e| Error::sys("restoring the owner and mode", e))
    })();
    if let Err(e) = filled {
        // A half-restored segment is worse than none.
        shm::remove(id).ok();
        return Err(e);
    }
    Ok((
        Created {
            object: NewObject::Segment {
                id,
                key,
                size: seg.size,
            },
            created: true,
        },
        note,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_are_file_name_safe() {
        assert_eq!(stamp(1_764_129_731), "20251126T040211Z");
    }

    #[test]
    fn names_never_collide_and_nothing_is_overwritten() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = ArchiveDir::prepare(tmp.path()).expect("prepare");
        let record = |bin: Option<&str>| Ok(format!("{bin:?}").into_bytes());
        let mut fill = |f: &File| f.write_all_at(b"abc", 0);
        let first = dir
            .write("shm-0-x", Some(&mut fill), &record)
            .expect("first");
        let mut fill = |f: &File| f.write_all_at(b"def", 0);
        let second = dir
            .write("shm-0-x", Some(&mut fill), &record)
            .expect("second");
        assert_eq!(first, tmp.path().join("shm-0-x.json"));
        assert_eq!(second, tmp.path().join("shm-0-x-2.json"));
        assert_eq!(
            std::fs::read(tmp.path().join("shm-0-x.bin")).expect("bin"),
            b"abc"
        );
        assert_eq!(
            std::fs::read(&second).expect("json"),
            b"Some(\"shm-0-x-2.bin\")"
        );
        // A link planted at the next name is skipped, not followed.
        let victim = tmp.path().join("victim");
        std::fs::write(&victim, "keep").expect("write");
        std::os::unix::fs::symlink(&victim, tmp.path().join("shm-0-x-3.json")).expect("link");
        let third = dir.write("shm-0-x", None, &record).expect("third");
        assert_eq!(third, tmp.path().join("shm-0-x-4.json"));
        assert_eq!(std::fs::read(&victim).expect("victim"), b"keep");
    }

    #[test]
    fn a_failed_write_leaves_no_files() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = ArchiveDir::prepare(tmp.path()).expect("prepare");
        let record = |_: Option<&str>| Err("no record".to_string());
        let mut fill = |f: &File| f.write_all_at(b"abc", 0);
        let err = dir.write("x", Some(&mut fill), &record).expect_err("fails");
        assert!(err.text.contains("no record"));
        assert_eq!(std::fs::read_dir(tmp.path()).expect("ls").count(), 0);
    }

    #[test]
    fn a_directory_others_may_write_is_refused() {
        let tmp = tempfile::tempdir().expect("tempdir");
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o777))
            .expect("chmod");
        let err = ArchiveDir::prepare(tmp.path()).expect_err("world-writable");
        assert!(err.to_string().contains("0777"), "{err}");
        let file = tmp.path().join("file");
        std::fs::write(&file, "").expect("write");
        let err = ArchiveDir::prepare(&file).expect_err("a file");
        assert!(err.to_string().contains("not a directory"), "{err}");
        let created = tmp.path().join("new");
        ArchiveDir::prepare(&created).expect("created");
        let mode = std::fs::metadata(&created)
            .expect("meta")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o700);
    }

    #[test]
    fn sparse_files_are_copied_by_their_data() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let source = tmp.path().join("source");
        let file = File::create(&source).expect("create");
        let len = 1u64 << 40; // 1 TiB, nearly all hole
        file.set_len(len).expect("truncate");
        file.write_all_at(b"head", 0).expect("write");
        file.write_all_at(b"tail", len - 4).expect("write");
        let out = File::create(tmp.path().join("copy")).expect("create");
        copy_file(&File::open(&source).expect("open"), len, &out).expect("copy");
        let copied = File::open(tmp.path().join("copy")).expect("open");
        assert_eq!(copied.metadata().expect("meta").len(), len);
        let mut buf = [0u8; 4];
        copied.read_exact_at(&mut buf, 0).expect("read");
        assert_eq!(&buf, b"head");
        copied.read_exact_at(&mut buf, len - 4).expect("read");
        assert_eq!(&buf, b"tail");
        assert!(
            copied.metadata().expect("meta").blocks() < 1 << 16,
            "holes were written"
        );
    }
}
