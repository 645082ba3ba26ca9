//! `rm` and `gc` for the other kinds: the removal sequence in the run's session (lock,
//! journal, signals), and `--archive`.
//!
//! Archives: a semaphore set's record (its values), a SysV queue's messages (copied with
//! MSG_COPY, which leaves them in place), a POSIX object's bytes, a POSIX queue's messages
//! (only with `--drain`: the only way to read them is to receive them). The archive is
//! written and fsynced before the object is removed; if it cannot be, nothing is removed —
//! and messages received from a POSIX queue go back to it, or, if even that fails, into a
//! rescue file beside the archive.
use std::fs::File;

use serde::Serialize;

use crate::error::Result;
use crate::gc::{Caller, Policy};
use crate::model::{Reason, Verdict};
use crate::objects::{Kind, Message, Object};
use crate::removal_kinds::{self, ObjectOutcome, ObjectRemoval, Step};
use crate::render::objects::ObjectJson;
use crate::sys::{self, mqueue, msg, posix, SysError};

use super::archive::{self, ArchiveDir, ArchiveError};
use super::kinds::{ObjectRecord, Survey};
use super::session::Session;

/// What decides, on fresh facts, whether an object may go.
pub enum Check {
    /// `rm`: only evidence of use keeps it (waiters, a live last pid, a holder), unless
    /// `--force`; what the caller may not remove is kept whatever `--force` says.
    Rm { force: bool, caller: Caller },
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
            Check::Rm { force, caller } => {
                if let Some(reason) = survey.not_permitted(caller, object) {
                    return Err(reason);
                }
                if *force {
                    return Ok(());
                }
                let policy = Policy {
                    include_unknown: true,
                    caller: *caller,
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
    pub dir: &'a ArchiveDir,
    pub drain: bool,
}

/// Removes each planned object (with its gc evidence) in the run's session, stopping between
/// two objects on SIGINT/SIGTERM (the count of those not reached is returned with the signal).
///
/// Objects are closed (mode 000) one by one, then judged again on one fresh scan of /proc
/// (every process's maps and descriptors for POSIX objects, every task's system call for
/// sets and queues), made after the last of them was closed: the same guarantee as a scan
/// per object, which would cost a walk of /proc per object. With `--archive` each object
/// goes through the whole sequence on its own.
pub fn remove_objects(
    session: &mut Session,
    planned: Vec<(Object, Vec<Reason>)>,
    dry_run: bool,
    check: &Check,
    archive: Option<Archive>,
    survey: &mut Survey,
) -> Result<ObjectBatch> {
    let now = sys::now_unix();
    let total = planned.len();
    let mut items = Vec::with_capacity(total);
    let mut closed: Vec<(Object, Vec<Reason>)> = Vec::new();
    let mut interrupted = None;
    for (object, evidence) in planned {
        if let Some(signal) = session.pending_signal() {
            interrupted = Some((signal, total - items.len() - closed.len()));
            break;
        }
        let batched = !dry_run && archive.is_none();
        let mut item = match &archive {
            _ if batched => {
                // The first check may use the plan's scan: the one that counts comes after
                // the mode change.
                let mut judge = |o: &Object| check.judge(survey, o, now, false);
                match removal_kinds::close(&mut session.kernel(), object, false, &mut judge) {
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
            Some(archive) if !dry_run => with_archive(session, archive, object, check, survey, now),
            _ => {
                let mut judge = |o: &Object| check.judge(survey, o, now, !dry_run);
                removal_kinds::remove_object(&mut session.kernel(), object, dry_run, &mut judge)
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
            let mut item = removal_kinds::finish(&mut session.kernel(), fresh, &mut judge);
            keep_evidence(&mut item, evidence);
            items.push(item);
        }
    }
    for item in &mut items {
        explain_refusal(survey, item);
    }
    Ok((
        items,
        interrupted.or_else(|| session.pending_signal().map(|signal| (signal, 0))),
    ))
}

/// A removal the kernel refused (EPERM) says whose object it is and who may remove it.
fn explain_refusal(survey: &mut Survey, item: &mut ObjectRemoval) {
    if let ObjectOutcome::Failed { error, text } = &mut item.outcome {
        if error.is_permission() && error.op != "archive" {
            let restored = text
                .split_once("; ")
                .map(|(_, rest)| format!("; {rest}"))
                .unwrap_or_default();
            *text = format!(
                "{}: {}{restored}",
                item.object.label(),
                survey.permission_text(&item.object)
            );
        }
    }
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
            crate::render::error(&super::rm::failure(text, error));
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

/// Messages received from a POSIX queue, while they are out of it.
type Taken = Vec<(u32, Vec<u8>)>;

/// Judges, archives, then runs the removal sequence; the archive is deleted again when the
/// object stays (and a drained queue gets its messages back).
fn with_archive(
    session: &mut Session,
    archive: &Archive,
    object: Object,
    check: &Check,
    survey: &mut Survey,
    now: i64,
) -> ObjectRemoval {
    // Judge first: nothing is copied (or drained) from an object that stays.
    let mut judge = |o: &Object| check.judge(survey, o, now, true);
    let planned = removal_kinds::remove_object(&mut session.kernel(), object, true, &mut judge);
    if planned.outcome != ObjectOutcome::WouldRemove {
        return planned;
    }
    let object = planned.object;
    // The record, from what this run already knows (names, processes, holders).
    let record = survey.record(object.clone(), &Policy::default(), now);
    let (json, drained) = match write_archive(archive, &record) {
        Ok(written) => written,
        Err(failure) => {
            return refused(
                object,
                failure.error,
                format!("not removed: {}", failure.text),
            )
        }
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
    let mut item =
        removal_kinds::remove_object(&mut session.kernel(), object, false, &mut discounted);
    if item.outcome == ObjectOutcome::Removed {
        item.archive = Some(json);
        return item;
    }
    // It stays: so do its messages, and the archive would describe nothing removed.
    archive.dir.discard(&json);
    archive.dir.discard(&json.with_extension("bin"));
    if let (Some(taken), Object::Posix(p)) = (drained, &item.object) {
        if let Err(lost) = give_back(archive.dir, &p.name, taken) {
            let (error, text) = (lost.error, lost.text);
            let kept = match &item.outcome {
                ObjectOutcome::Kept(reason) => format!("kept ({}): ", reason.text),
                _ => String::new(),
            };
            item.outcome = ObjectOutcome::Failed {
                error,
                text: format!("{kept}{text}"),
            };
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
    messages: Option<&'a [MessageJson]>,
}

/// Why an object's archive was not written (nothing was removed).
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

fn posix_message((priority, body): &(u32, Vec<u8>)) -> MessageJson {
    MessageJson {
        mtype: None,
        priority: Some(*priority),
        size: body.len(),
        base64: crate::hexdump::base64(body),
    }
}

/// Writes the object's archive; returns the record's path and, for a POSIX queue that was
/// drained, its messages (which are now only in the archive). If the archive cannot be
/// written after a drain, the messages go back ([`give_back`]).
fn write_archive(
    archive: &Archive,
    record: &ObjectRecord,
) -> Result<(std::path::PathBuf, Option<Taken>), Failure> {
    let object = &record.object;
    let base = match object {
        Object::Sem(s) => format!(
            "sem-{}-{}-{}",
            s.id,
            crate::model::KeyHex(s.key),
            archive::stamp(s.ctime)
        ),
        Object::Msg(q) => format!(
            "msg-{}-{}-{}",
            q.id,
            crate::model::KeyHex(q.key),
            archive::stamp(q.ctime)
        ),
        Object::Posix(p) => format!(
            "{}-{}-{}",
            p.kind,
            file_name_part(&p.name),
            archive::stamp(p.ctime)
        ),
    };
    let mut messages: Option<Vec<MessageJson>> = None;
    let mut drained: Option<Taken> = None;
    let mut source: Option<(File, u64)> = None;
    match object {
        Object::Sem(_) => {}
        Object::Msg(q) => {
            let max = msg::limits().map_or(8192, |l| l.max_message_bytes as usize);
            let copied = match msg::copy_messages(q.id, max) {
                Err(e) if msg::is_unsupported(&e) && archive.drain => msg::drain(q.id, max),
                Err(e) if msg::is_unsupported(&e) => {
                    return Err(Failure {
                        error: e,
                        text: "this kernel cannot copy a queue's messages (no MSG_COPY): \
                               archiving would receive them, which --drain allows"
                            .to_string(),
                    })
                }
                other => other,
            };
            let copied = copied.map_err(|e| Failure {
                error: e,
                text: format!("reading the messages of msg {}", q.id),
            })?;
            messages = Some(copied.iter().map(sysv_message).collect());
        }
        Object::Posix(p) if p.kind == Kind::Pmq => {
            let queued = p.queue.map_or(0, |q| q.qsize);
            if queued > 0 && !archive.drain {
                return Err(Failure {
                    error: SysError::new("archive", libc::EOPNOTSUPP),
                    text: format!(
                        "{} holds {queued} bytes of messages, which can only be read by \
                         receiving them: archiving drains the queue, which --drain allows",
                        crate::render::escape(&p.name)
                    ),
                });
            }
            if queued > 0 {
                let taken = mqueue::drain(&p.name).map_err(|e| Failure {
                    error: SysError::new("mq_receive", e.raw_os_error().unwrap_or(libc::EIO)),
                    text: format!("draining {}: {e}", crate::render::escape(&p.name)),
                })?;
                messages = Some(taken.iter().map(posix_message).collect());
                drained = Some(taken);
            } else {
                messages = Some(Vec::new());
            }
        }
        Object::Posix(p) => {
            let (file, meta) = posix::open_for_reading(&p.path)
                .map_err(|e| Failure::from(ArchiveError::at(&p.path, e)))?;
            use std::os::unix::fs::MetadataExt;
            source = Some((file, meta.size()));
        }
    }
    let mut fill = |out: &File| match &source {
        Some((file, len)) => archive::copy_file(file, *len, out),
        None => Ok(()),
    };
    let render = |bin: Option<&str>| {
        let doc = RecordJson {
            schema_version: crate::render::json::SCHEMA_VERSION,
            archived_at_unix: sys::now_unix(),
            bin: bin.map(str::to_string),
            object: ObjectJson::new(record),
            messages: messages.as_deref(),
        };
        let mut text =
            serde_json::to_vec_pretty(&doc).map_err(|e| format!("encoding the record: {e}"))?;
        text.push(b'\n');
        Ok(text)
    };
    let bytes = source.is_some().then_some(&mut fill as &mut archive::Fill);
    match archive.dir.write(&base, bytes, &render) {
        Ok(json) => Ok((json, drained)),
        Err(e) => {
            let mut failure = Failure::from(e);
            if let (Some(taken), Object::Posix(p)) = (drained, object) {
                // Never lose data: the received messages go back (or into a rescue file).
                match give_back(archive.dir, &p.name, taken) {
                    Ok(()) => failure.text.push_str("; its messages were sent back"),
                    Err(lost) => {
                        failure.error = lost.error;
                        failure.text = format!("{}; {}", failure.text, lost.text);
                    }
                }
            }
            Err(failure)
        }
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

/// Sends drained messages back to their queue. What cannot be sent back is written to a
/// rescue file beside the archive; the error says where (and is an error either way: exit 1).
fn give_back(dir: &ArchiveDir, name: &str, taken: Taken) -> Result<(), Failure> {
    let (sent, why) = match mqueue::send_back(name, &taken) {
        Ok(()) => return Ok(()),
        Err(partial) => partial,
    };
    let rest = &taken[sent..];
    let shown = crate::render::escape(name);
    let base = format!(
        "pmq-{}-rescue-{}",
        file_name_part(name),
        archive::stamp(sys::now_unix())
    );
    let rescue = |_: Option<&str>| {
        #[derive(Serialize)]
        struct Rescue<'a> {
            schema_version: u32,
            queue: &'a str,
            why: String,
            messages: Vec<MessageJson>,
        }
        let doc = Rescue {
            schema_version: crate::render::json::SCHEMA_VERSION,
            queue: name,
            why: format!("received to archive the queue, and could not be sent back: {why}"),
            messages: rest.iter().map(posix_message).collect(),
        };
        serde_json::to_vec_pretty(&doc).map_err(|e| e.to_string())
    };
    let error = SysError::new("mq_send", why.raw_os_error().unwrap_or(libc::EIO));
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

fn sysv_message(m: &Message) -> MessageJson {
    MessageJson {
        mtype: Some(m.mtype),
        priority: None,
        size: m.bytes.len(),
        base64: crate::hexdump::base64(&m.bytes),
    }
}
