//! `rm` and `gc` for the other kinds: the removal sequence under the namespace's lock, with
//! SIGINT/SIGTERM checked between objects, and `--archive`.
//!
//! Archives: a semaphore set's record (its values), a SysV queue's messages (copied with
//! MSG_COPY, which leaves them in place), a POSIX object's bytes, a POSIX queue's messages
//! (only with `--drain`: the only way to read them is to receive them). The archive is
//! written and fsynced before the object is removed; if it cannot be, nothing is removed.
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::gc::Policy;
use crate::model::{Reason, Verdict};
use crate::objects::{Kind, Message, Object};
use crate::removal_kinds::{self, ObjectOutcome, ObjectRemoval, Step};
use crate::render::objects::ObjectJson;
use crate::sys::{self, mqueue, msg, posix, SysError};

use super::kinds::{KindsKernel, ObjectRecord, Survey};

/// What decides, on fresh facts, whether an object may go.
pub enum Check {
    /// `rm`: only evidence of use keeps it (waiters, a live last pid, a holder), unless
    /// `--force`.
    Rm { force: bool },
    /// `gc`: the whole policy, as it planned.
    Gc(Policy),
}

/// Kept codes that mean "in use": what `rm` refuses without `--force`.
const IN_USE: &[&str] = &[
    "waiters",
    "last_op_alive",
    "sender_alive",
    "receiver_alive",
    "held",
];

impl Check {
    /// Judges fresh facts; `rescan`: scan the processes again first (their holders of a
    /// POSIX object, their tasks blocked on a set or a queue).
    fn judge(
        &self,
        survey: &mut Survey,
        object: &Object,
        now: i64,
        rescan: bool,
    ) -> Result<(), Reason> {
        if rescan {
            survey.refresh(object.kind());
        }
        match self {
            Check::Rm { force: true } => Ok(()),
            Check::Rm { force: false } => {
                let policy = Policy {
                    include_unknown: true,
                    ..Policy::default()
                };
                match survey.verdict(&policy, object, now) {
                    Verdict::Kept(reason) if IN_USE.contains(&reason.code) => Err(reason),
                    _ => Ok(()),
                }
            }
            Check::Gc(policy) => match survey.verdict(policy, object, now) {
                Verdict::Kept(reason) => Err(reason),
                Verdict::Orphan { .. } => Ok(()),
            },
        }
    }
}

/// What a batch did, and the signal that stopped it with how many objects it did not reach.
pub type ObjectBatch = (Vec<ObjectRemoval>, Option<(i32, usize)>);

pub struct Archive<'a> {
    pub dir: &'a Path,
    pub drain: bool,
}

/// Removes each planned object (with its gc evidence), stopping between two objects on
/// SIGINT/SIGTERM (the count of those not reached is returned with the signal).
///
/// Objects are closed (mode 000) one by one, then judged again on one fresh scan of /proc
/// (every process's maps and descriptors for POSIX objects, every task's system call for
/// sets and queues), made after the last of them was closed: the same guarantee as a scan
/// per object, which would cost a walk of /proc per object. With `--archive` each object
/// goes through the whole sequence on its own.
pub fn remove_objects(
    planned: Vec<(Object, Vec<Reason>)>,
    dry_run: bool,
    check: &Check,
    archive: Option<Archive>,
    survey: &mut Survey,
) -> Result<ObjectBatch> {
    let _lock = if dry_run || planned.is_empty() {
        None
    } else {
        Some(sys::lock::RunLock::acquire().map_err(|e| Error::io("taking the removal lock", e))?)
    };
    let interrupts =
        sys::lock::Interrupts::catch().map_err(|e| Error::io("catching signals", e))?;
    let now = sys::now_unix();
    let total = planned.len();
    let mut items = Vec::with_capacity(total);
    let mut closed: Vec<(Object, Vec<Reason>)> = Vec::new();
    let mut interrupted = None;
    for (object, evidence) in planned {
        if let Some(signal) = interrupts.pending() {
            interrupted = Some((signal, total - items.len() - closed.len()));
            break;
        }
        let batched = !dry_run && archive.is_none();
        let mut item = match &archive {
            _ if batched => {
                // The first check may use the plan's scan: the one that counts comes after
                // the mode change.
                let mut judge = |o: &Object| check.judge(survey, o, now, false);
                match removal_kinds::close(&mut KindsKernel, object, false, &mut judge) {
                    Step::Closed(fresh) => {
                        closed.push((fresh, evidence));
                        continue;
                    }
                    Step::Done(object, outcome) => ObjectRemoval {
                        object,
                        outcome,
                        evidence: Vec::new(),
                        archive: None,
                    },
                }
            }
            Some(archive) if !dry_run => with_archive(archive, object, check, survey, now),
            _ => {
                let mut judge = |o: &Object| check.judge(survey, o, now, !dry_run);
                removal_kinds::remove_object(&mut KindsKernel, object, dry_run, &mut judge)
            }
        };
        keep_evidence(&mut item, evidence);
        items.push(item);
    }
    // Every closed object is finished (removed or its mode restored), interrupted or not.
    if !closed.is_empty() {
        survey.refresh_all();
        for (fresh, evidence) in closed {
            let mut judge = |o: &Object| check.judge(survey, o, now, false);
            let mut item = removal_kinds::finish(&mut KindsKernel, fresh, &mut judge);
            keep_evidence(&mut item, evidence);
            items.push(item);
        }
    }
    Ok((
        items,
        interrupted.or_else(|| interrupts.pending().map(|signal| (signal, 0))),
    ))
}

/// gc's evidence goes with what was (or would be) removed.
fn keep_evidence(item: &mut ObjectRemoval, evidence: Vec<Reason>) {
    if matches!(
        item.outcome,
        ObjectOutcome::Removed | ObjectOutcome::WouldRemove
    ) {
        item.evidence = evidence;
    }
}

/// Failures on stderr for people (JSON carries them in `failed`).
pub fn report_failures(ctx: super::Context, items: &[ObjectRemoval]) {
    if ctx.json {
        return;
    }
    for item in items {
        if let ObjectOutcome::Failed { error, text } = &item.outcome {
            crate::render::error(&Error::sys(text.clone(), *error));
        }
    }
}

fn refused(object: Object, error: SysError, text: String) -> ObjectRemoval {
    ObjectRemoval {
        object,
        outcome: ObjectOutcome::Failed { error, text },
        evidence: Vec::new(),
        archive: None,
    }
}

/// Judges, archives, then runs the removal sequence; the archive is deleted again when the
/// object stays.
fn with_archive(
    archive: &Archive,
    object: Object,
    check: &Check,
    survey: &mut Survey,
    now: i64,
) -> ObjectRemoval {
    // Judge first: nothing is copied (or drained) from an object that stays.
    let mut judge = |o: &Object| check.judge(survey, o, now, true);
    let planned = removal_kinds::remove_object(&mut KindsKernel, object, true, &mut judge);
    if planned.outcome != ObjectOutcome::WouldRemove {
        return planned;
    }
    let object = planned.object;
    // The record, from what this run already knows (names, processes, holders).
    let record = survey.record(object.clone(), &Policy::default(), now);
    let (files, drained) = match write_archive(archive, &record) {
        Ok(written) => written,
        Err((error, text)) => return refused(object, error, format!("not removed: {text}")),
    };
    // Draining changed the queue: the sequence starts from its drained state, and judges it
    // as it was before our own receives (they moved its times).
    let before = object.clone();
    let object = match (&drained, &object) {
        (Some(_), Object::Posix(p)) => match posix::stat(p.kind, &p.name) {
            Ok(fresh) => Object::Posix(fresh),
            Err(_) => object,
        },
        _ => object,
    };
    let mut discounted = |o: &Object| match drained {
        Some(_) => check.judge(survey, &o.as_before(&before, true), now, true),
        None => check.judge(survey, o, now, true),
    };
    let mut item = removal_kinds::remove_object(&mut KindsKernel, object, false, &mut discounted);
    if item.outcome == ObjectOutcome::Removed {
        item.archive = files.last().cloned();
    } else {
        // It stays: so do its messages, and the archive would describe nothing removed.
        if let (Some(taken), Object::Posix(p)) = (&drained, &item.object) {
            mqueue::send_back(&p.name, taken).ok();
        }
        for path in files {
            std::fs::remove_file(path).ok();
        }
    }
    item
}

#[derive(Serialize)]
struct MessageJson {
    /// SysV: the message type; POSIX: the priority.
    #[serde(skip_serializing_if = "Option::is_none")]
    mtype: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    priority: Option<u32>,
    size: usize,
    base64: String,
}

#[derive(Serialize)]
struct RecordJson<'a> {
    schema_version: u32,
    archived_at_unix: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    bin: Option<String>,
    object: ObjectJson<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    messages: Option<Vec<MessageJson>>,
}

type ArchiveFailure = (SysError, String);

/// The files written (the record last), and a POSIX queue's messages if it was drained.
type Written = (Vec<PathBuf>, Option<Vec<(u32, Vec<u8>)>>);

fn io_failure(path: &Path, e: std::io::Error) -> ArchiveFailure {
    (
        SysError::new("archive", e.raw_os_error().unwrap_or(libc::EIO)),
        format!("{}: {e}", path.display()),
    )
}

/// Writes `DIR/<kind>-<id or name>…` (`.bin` for bytes, `.json` for the record), created
/// new, fsynced, the directory fsynced after them. Returns the paths, the record last.
fn write_archive(archive: &Archive, record: &ObjectRecord) -> Result<Written, ArchiveFailure> {
    let object = &record.object;
    let stem = match object {
        Object::Sem(s) => format!("sem-{}-{}", s.id, crate::model::KeyHex(s.key)),
        Object::Msg(q) => format!("msg-{}-{}", q.id, crate::model::KeyHex(q.key)),
        Object::Posix(p) => format!("{}-{}", p.kind, p.name.trim_start_matches('/')),
    };
    let mut bytes = None;
    let mut messages = None;
    let mut drained = None;
    match object {
        Object::Sem(_) => {}
        Object::Msg(q) => {
            let max = msg::limits().map_or(8192, |l| l.max_message_bytes as usize);
            let copied = match msg::copy_messages(q.id, max) {
                Err(e) if msg::is_unsupported(&e) && archive.drain => msg::drain(q.id, max),
                Err(e) if msg::is_unsupported(&e) => {
                    return Err((
                        e,
                        "this kernel cannot copy a queue's messages (no MSG_COPY): archiving \
                         would receive them, which --drain allows"
                            .to_string(),
                    ))
                }
                other => other,
            };
            let copied =
                copied.map_err(|e| (e, format!("reading the messages of msg {}", q.id)))?;
            messages = Some(copied.iter().map(sysv_message).collect());
        }
        Object::Posix(p) if p.kind == Kind::Pmq => {
            let queued = p.queue.map_or(0, |q| q.qsize);
            if queued > 0 && !archive.drain {
                return Err((
                    SysError::new("archive", libc::EOPNOTSUPP),
                    format!(
                        "{} holds {queued} bytes of messages, which can only be read by \
                         receiving them: archiving drains the queue, which --drain allows",
                        p.name
                    ),
                ));
            }
            if queued > 0 {
                let taken = mqueue::drain(&p.name).map_err(|e| {
                    (
                        SysError::new("mq_receive", e.raw_os_error().unwrap_or(libc::EIO)),
                        format!("draining {}: {e}", p.name),
                    )
                })?;
                messages = Some(
                    taken
                        .iter()
                        .map(|(priority, body)| MessageJson {
                            mtype: None,
                            priority: Some(*priority),
                            size: body.len(),
                            base64: crate::hexdump::base64(body),
                        })
                        .collect(),
                );
                drained = Some(taken);
            } else {
                messages = Some(Vec::new());
            }
        }
        Object::Posix(p) => {
            bytes = Some(posix::read_bytes(&p.path, p.size).map_err(|e| io_failure(&p.path, e))?);
        }
    }
    match write_files(archive.dir, &stem, record, bytes.as_deref(), messages) {
        Ok(files) => Ok((files, drained)),
        Err(e) => {
            if let (Some(taken), Object::Posix(p)) = (&drained, object) {
                // Never lose data: put the received messages back.
                mqueue::send_back(&p.name, taken).ok();
            }
            Err(e)
        }
    }
}

fn sysv_message(m: &Message) -> MessageJson {
    MessageJson {
        mtype: Some(m.mtype),
        priority: None,
        size: m.bytes.len(),
        base64: crate::hexdump::base64(&m.bytes),
    }
}

fn write_files(
    dir: &Path,
    stem: &str,
    record: &ObjectRecord,
    bytes: Option<&[u8]>,
    messages: Option<Vec<MessageJson>>,
) -> Result<Vec<PathBuf>, ArchiveFailure> {
    let mut created = Vec::new();
    let result = (|| {
        let bin = match bytes {
            Some(bytes) => {
                let path = dir.join(format!("{stem}.bin"));
                write_new(&path, bytes)?;
                created.push(path);
                Some(format!("{stem}.bin"))
            }
            None => None,
        };
        let doc = RecordJson {
            schema_version: crate::render::json::SCHEMA_VERSION,
            archived_at_unix: sys::now_unix(),
            bin,
            object: ObjectJson::new(record),
            messages,
        };
        let mut text = serde_json::to_vec_pretty(&doc).map_err(|e| {
            (
                SysError::new("archive", libc::EIO),
                format!("encoding the record: {e}"),
            )
        })?;
        text.push(b'\n');
        let path = dir.join(format!("{stem}.json"));
        write_new(&path, &text)?;
        created.push(path);
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| io_failure(dir, e))
    })();
    match result {
        Ok(()) => Ok(created),
        Err(e) => {
            for path in created {
                std::fs::remove_file(path).ok();
            }
            Err(e)
        }
    }
}

fn write_new(path: &Path, bytes: &[u8]) -> Result<(), ArchiveFailure> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| io_failure(path, e))?;
    file.write_all(bytes).map_err(|e| io_failure(path, e))?;
    file.sync_all().map_err(|e| io_failure(path, e))
}
