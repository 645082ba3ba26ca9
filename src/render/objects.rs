//! Tables and JSON for the other kinds: semaphore sets, message queues, POSIX objects.
use std::io::Write;

use comfy_table::{presets, CellAlignment, ContentArrangement, Table};
use serde::Serialize;

use crate::cmd::kinds::{ObjectRecord, PidState};
use crate::error::Result;
use crate::model::{KeyHex, Liveness, Reason, Verdict};
use crate::objects::{
    Hold, Holder, IpcCall, Kind, Object, PosixObject, QueueState, SemValue, Waiter,
};
use crate::removal_kinds::{ObjectOutcome, ObjectRemoval};
use crate::units::{elapsed, human_duration, human_size, perms_string, Perms};

use super::json::{ErrorJson, Rfc3339Pair};
use super::table::time_line;
use super::{escape, escape_owned};

/// The JSON key of a kind's list in `ls` and `stat` documents.
pub fn json_key(kind: Kind) -> &'static str {
    match kind {
        Kind::Shm => "segments",
        Kind::Sem => "semaphore_sets",
        Kind::Msg => "message_queues",
        Kind::Pshm => "posix_shm",
        Kind::Psem => "posix_semaphores",
        Kind::Pmq => "posix_queues",
    }
}

fn headers(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Shm => &[],
        Kind::Sem => &[
            "KEY", "ID", "OWNER", "PERMS", "NSEMS", "WAITERS", "LAST-OP", "IDLE", "ORPHAN",
        ],
        Kind::Msg => &[
            "KEY", "ID", "OWNER", "PERMS", "MSGS", "BYTES", "SENDER", "RECEIVER", "IDLE", "ORPHAN",
        ],
        Kind::Pshm => &["NAME", "OWNER", "PERMS", "SIZE", "HELD", "IDLE", "ORPHAN"],
        Kind::Psem => &[
            "NAME", "OWNER", "PERMS", "VALUE", "WAITERS", "HELD", "IDLE", "ORPHAN",
        ],
        Kind::Pmq => &[
            "NAME", "OWNER", "PERMS", "QSIZE", "NOTIFY", "HELD", "IDLE", "ORPHAN",
        ],
    }
}

const NUMERIC: &[&str] = &[
    "ID", "NSEMS", "WAITERS", "MSGS", "BYTES", "SIZE", "HELD", "VALUE", "QSIZE", "NOTIFY",
];

fn pid_text(p: &PidState) -> String {
    match p.state {
        Liveness::Never => "never".to_string(),
        Liveness::Unknown => "0 unknown".to_string(),
        state => format!("{} {}", p.pid, state.as_str()),
    }
}

fn role<'a>(r: &'a ObjectRecord, role: &str) -> Option<&'a PidState> {
    r.pids.iter().find(|p| p.role == role)
}

/// Distinct holding processes; `?` marks a count that may be short.
fn held_text(r: &ObjectRecord) -> String {
    let mut pids: Vec<i32> = r.holders.iter().map(|h| h.pid).collect();
    pids.sort_unstable();
    pids.dedup();
    match (pids.len(), r.holders_complete) {
        (n, true) => n.to_string(),
        (0, false) => "?".to_string(),
        (n, false) => format!("{n}+?"),
    }
}

fn owner_text(r: &ObjectRecord) -> String {
    let (uid, _, _) = r.object.owner();
    r.owner_name
        .as_deref()
        .map_or_else(|| uid.to_string(), String::from)
}

fn orphan_text(verdict: &Verdict) -> String {
    if verdict.is_orphan() { "yes" } else { "no" }.to_string()
}

fn cells(r: &ObjectRecord, now: i64, why: bool) -> Vec<String> {
    let idle = human_duration(elapsed(now, r.object.last_activity()));
    let mut row = match &r.object {
        Object::Sem(s) => {
            let last: Vec<String> = r.pids.iter().map(pid_text).collect();
            vec![
                KeyHex(s.key).to_string(),
                s.id.to_string(),
                owner_text(r),
                perms_string(s.mode),
                s.nsems.to_string(),
                s.waiters().map_or("?".to_string(), |w| w.to_string()),
                if last.is_empty() {
                    "-".to_string()
                } else {
                    last.join(", ")
                },
                idle,
                orphan_text(&r.verdict),
            ]
        }
        Object::Msg(q) => vec![
            KeyHex(q.key).to_string(),
            q.id.to_string(),
            owner_text(r),
            perms_string(q.mode),
            q.messages.to_string(),
            q.bytes.to_string(),
            role(r, "sender").map_or("-".to_string(), pid_text),
            role(r, "receiver").map_or("-".to_string(), pid_text),
            idle,
            orphan_text(&r.verdict),
        ],
        Object::Posix(p) => {
            let mut row = vec![p.name.clone(), owner_text(r), perms_string(p.mode)];
            match p.kind {
                Kind::Psem => {
                    let (value, waiters) = p.semaphore.map_or(("?".into(), "?".into()), |v| {
                        (v.value.to_string(), v.waiters.to_string())
                    });
                    row.extend([value, waiters]);
                }
                Kind::Pmq => row.extend([
                    p.queue.map_or("?".into(), |q| q.qsize.to_string()),
                    match p.queue {
                        Some(q) if q.notify_pid != 0 => q.notify_pid.to_string(),
                        Some(_) => "-".to_string(),
                        None => "?".to_string(),
                    },
                ]),
                _ => row.push(human_size(p.size)),
            }
            row.extend([held_text(r), idle, orphan_text(&r.verdict)]);
            row
        }
    };
    if why {
        row.push(crate::column::why(&r.verdict));
    }
    row
}

/// One kind's `ls` table, aligned like `ipcs`.
pub fn table(
    out: &mut dyn Write,
    kind: Kind,
    records: &[ObjectRecord],
    with_headers: bool,
    why: bool,
    now: i64,
) -> Result<()> {
    if records.is_empty() {
        if with_headers {
            writeln!(out, "none")?;
        }
        return Ok(());
    }
    let mut names: Vec<&str> = headers(kind).to_vec();
    if why {
        names.push("WHY");
    }
    let mut table = Table::new();
    table
        .load_preset(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled);
    if with_headers {
        table.set_header(names.iter().copied());
    }
    for r in records {
        // Escaped before the table measures its columns.
        table.add_row(cells(r, now, why).into_iter().map(escape_owned));
    }
    for (i, name) in names.iter().enumerate() {
        if let Some(col) = table.column_mut(i) {
            col.set_cell_alignment(if NUMERIC.contains(name) {
                CellAlignment::Right
            } else {
                CellAlignment::Left
            });
        }
    }
    for line in table.lines() {
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

#[derive(Serialize)]
struct OwnerJson<'a> {
    uid: u32,
    user: Option<&'a str>,
    gid: u32,
    group: Option<&'a str>,
}

#[derive(Serialize)]
struct CreatorJson {
    uid: u32,
    gid: u32,
}

#[derive(Serialize)]
struct SemaphoreJson {
    num: usize,
    value: u32,
    pid: i32,
    ncnt: u32,
    zcnt: u32,
}

#[derive(Serialize)]
struct PidJson {
    pid: i32,
    state: &'static str,
}

#[derive(Serialize)]
struct HolderJson<'a> {
    pid: i32,
    comm: &'a str,
    how: Hold,
}

impl<'a> From<&'a Holder> for HolderJson<'a> {
    fn from(h: &'a Holder) -> Self {
        HolderJson {
            pid: h.pid,
            comm: &h.comm,
            how: h.how,
        }
    }
}

#[derive(Serialize)]
struct WaiterJson<'a> {
    pid: i32,
    tid: i32,
    comm: &'a str,
    syscall: IpcCall,
}

impl<'a> From<&'a Waiter> for WaiterJson<'a> {
    fn from(w: &'a Waiter) -> Self {
        WaiterJson {
            pid: w.pid,
            tid: w.tid,
            comm: &w.comm,
            syscall: w.call,
        }
    }
}

/// The kind's own fields.
#[derive(Serialize)]
#[serde(untagged)]
enum KindJson<'a> {
    Sem {
        id: i32,
        key: u32,
        #[serde(serialize_with = "super::json::display")]
        key_hex: KeyHex,
        creator: CreatorJson,
        nsems: u64,
        waiters: Option<u64>,
        semaphores: Option<Vec<SemaphoreJson>>,
        last_op_pids: Vec<PidJson>,
        #[serde(flatten)]
        otime: Rfc3339Pair,
        #[serde(flatten)]
        ctime: Rfc3339Pair,
    },
    Msg {
        id: i32,
        key: u32,
        #[serde(serialize_with = "super::json::display")]
        key_hex: KeyHex,
        creator: CreatorJson,
        messages: u64,
        bytes: u64,
        max_bytes: u64,
        lspid: i32,
        lspid_state: &'static str,
        lrpid: i32,
        lrpid_state: &'static str,
        #[serde(flatten)]
        stime: Rfc3339Pair,
        #[serde(flatten)]
        rtime: Rfc3339Pair,
        #[serde(flatten)]
        ctime: Rfc3339Pair,
        waiters: Vec<WaiterJson<'a>>,
        waiters_complete: bool,
    },
    Posix {
        name: &'a str,
        path: String,
        size: u64,
        #[serde(skip_serializing_if = "Option::is_none")]
        queue: Option<QueueState>,
        #[serde(skip_serializing_if = "Option::is_none")]
        semaphore: Option<SemValue>,
        #[serde(flatten)]
        atime: Rfc3339Pair,
        #[serde(flatten)]
        mtime: Rfc3339Pair,
        #[serde(flatten)]
        ctime: Rfc3339Pair,
        holders: Vec<HolderJson<'a>>,
        holders_complete: bool,
    },
}

/// An `ls`/`stat` entry of another kind: `type`, the owner, the kind's fields, the verdict.
#[derive(Serialize)]
pub struct ObjectJson<'a> {
    #[serde(rename = "type")]
    kind: Kind,
    owner: OwnerJson<'a>,
    mode: u32,
    #[serde(serialize_with = "super::json::display")]
    perms: Perms,
    #[serde(flatten)]
    fields: KindJson<'a>,
    orphan: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    evidence: Option<&'a [Reason]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    kept: Option<&'a Reason>,
}

fn state_of(r: &ObjectRecord, name: &str) -> &'static str {
    role(r, name).map_or("never", |p| p.state.as_str())
}

impl<'a> ObjectJson<'a> {
    pub fn new(r: &'a ObjectRecord) -> ObjectJson<'a> {
        let (uid, gid, _) = r.object.owner();
        let fields = match &r.object {
            Object::Sem(s) => KindJson::Sem {
                id: s.id,
                key: s.key,
                key_hex: KeyHex(s.key),
                creator: CreatorJson {
                    uid: s.cuid,
                    gid: s.cgid,
                },
                nsems: s.nsems,
                waiters: s.waiters(),
                semaphores: s.sems.as_ref().map(|sems| {
                    sems.iter()
                        .enumerate()
                        .map(|(num, s)| SemaphoreJson {
                            num,
                            value: s.value,
                            pid: s.pid,
                            ncnt: s.ncnt,
                            zcnt: s.zcnt,
                        })
                        .collect()
                }),
                last_op_pids: r
                    .pids
                    .iter()
                    .map(|p| PidJson {
                        pid: p.pid,
                        state: p.state.as_str(),
                    })
                    .collect(),
                otime: Rfc3339Pair::new("otime", s.otime),
                ctime: Rfc3339Pair::new("ctime", s.ctime),
            },
            Object::Msg(q) => KindJson::Msg {
                id: q.id,
                key: q.key,
                key_hex: KeyHex(q.key),
                creator: CreatorJson {
                    uid: q.cuid,
                    gid: q.cgid,
                },
                messages: q.messages,
                bytes: q.bytes,
                max_bytes: q.max_bytes,
                lspid: q.lspid,
                lspid_state: state_of(r, "sender"),
                lrpid: q.lrpid,
                lrpid_state: state_of(r, "receiver"),
                stime: Rfc3339Pair::new("stime", q.stime),
                rtime: Rfc3339Pair::new("rtime", q.rtime),
                ctime: Rfc3339Pair::new("ctime", q.ctime),
                waiters: r.waiters.iter().map(WaiterJson::from).collect(),
                waiters_complete: r.waiters_complete,
            },
            Object::Posix(p) => posix_fields(r, p),
        };
        ObjectJson {
            kind: r.object.kind(),
            owner: OwnerJson {
                uid,
                user: r.owner_name.as_deref(),
                gid,
                group: r.group_name.as_deref(),
            },
            mode: r.object.mode(),
            perms: Perms(r.object.mode()),
            fields,
            orphan: r.verdict.is_orphan(),
            evidence: match &r.verdict {
                Verdict::Orphan { evidence } => Some(evidence),
                Verdict::Kept(_) => None,
            },
            kept: match &r.verdict {
                Verdict::Kept(reason) => Some(reason),
                Verdict::Orphan { .. } => None,
            },
        }
    }
}

fn posix_fields<'a>(r: &'a ObjectRecord, p: &'a PosixObject) -> KindJson<'a> {
    KindJson::Posix {
        name: &p.name,
        path: p.path.display().to_string(),
        size: p.size,
        queue: p.queue,
        semaphore: p.semaphore,
        atime: Rfc3339Pair::new("atime", p.atime),
        mtime: Rfc3339Pair::new("mtime", p.mtime),
        ctime: Rfc3339Pair::new("ctime", p.ctime),
        holders: r.holders.iter().map(HolderJson::from).collect(),
        holders_complete: r.holders_complete,
    }
}

/// One `label  text` line of a stat block; `text` may hold outside text, so it is escaped.
fn label_line(out: &mut dyn Write, label: &str, text: &str) -> Result<()> {
    writeln!(out, "  {label:<14} {}", escape(text))?;
    Ok(())
}

fn state_text(p: &PidState) -> String {
    match p.state {
        Liveness::Never => "never".to_string(),
        Liveness::Unknown => "0: unknown (in another PID namespace)".to_string(),
        Liveness::Reused => format!("{} dead (the pid now belongs to a younger process)", p.pid),
        Liveness::Exited => format!("{} exited (a zombie, not reaped by its parent)", p.pid),
        state => format!("{} {}", p.pid, state.as_str()),
    }
}

/// `stat` of another kind: one block per object.
pub fn stat_block(out: &mut dyn Write, r: &ObjectRecord, now: i64) -> Result<()> {
    writeln!(out, "{}", escape(&r.object.label()))?;
    let (uid, gid, _) = r.object.owner();
    let name = |n: &Option<std::rc::Rc<str>>| n.as_deref().unwrap_or("?").to_string();
    label_line(
        out,
        "owner",
        &format!(
            "{} (uid {uid}), group {} (gid {gid})",
            name(&r.owner_name),
            name(&r.group_name)
        ),
    )?;
    let mode = r.object.mode();
    label_line(out, "mode", &format!("{mode:04o} {}", perms_string(mode)))?;
    match &r.object {
        Object::Sem(s) => {
            label_line(out, "creator", &format!("uid {}, gid {}", s.cuid, s.cgid))?;
            label_line(out, "semaphores", &s.nsems.to_string())?;
            time_line(out, "last semop", s.otime, now)?;
            time_line(out, "changed", s.ctime, now)?;
            match &s.sems {
                None => label_line(out, "values", "unreadable (no read permission)")?,
                Some(sems) => {
                    writeln!(
                        out,
                        "  {:>6} {:>6}  {:<24} {:>5} {:>5}",
                        "SEMNUM", "VALUE", "LAST PID", "NCNT", "ZCNT"
                    )?;
                    for (num, sem) in sems.iter().enumerate() {
                        let pid = r
                            .pids
                            .iter()
                            .find(|p| p.pid == sem.pid)
                            .map_or("-".to_string(), state_text);
                        writeln!(
                            out,
                            "  {num:>6} {:>6}  {pid:<24} {:>5} {:>5}",
                            sem.value, sem.ncnt, sem.zcnt
                        )?;
                    }
                }
            }
        }
        Object::Msg(q) => {
            label_line(out, "creator", &format!("uid {}, gid {}", q.cuid, q.cgid))?;
            label_line(
                out,
                "messages",
                &format!(
                    "{} ({} bytes of at most {})",
                    q.messages,
                    q.bytes,
                    human_size(q.max_bytes)
                ),
            )?;
            for (name, label) in [("sender", "last sender"), ("receiver", "last receiver")] {
                if let Some(p) = role(r, name) {
                    let cmd = (p.state == Liveness::Alive)
                        .then(|| crate::sys::process::cmdline(p.pid))
                        .flatten()
                        .map_or(String::new(), |c| format!(": {c}"));
                    label_line(out, label, &format!("{}{cmd}", state_text(p)))?;
                }
            }
            time_line(out, "last sent", q.stime, now)?;
            time_line(out, "last received", q.rtime, now)?;
            time_line(out, "changed", q.ctime, now)?;
            let complete = if r.waiters_complete {
                ""
            } else {
                " (incomplete: some tasks could not be read)"
            };
            label_line(
                out,
                "blocked on it",
                &format!("{} task(s){complete}", r.waiters.len()),
            )?;
            for w in &r.waiters {
                writeln!(
                    out,
                    "    pid {} tid {} ({}) in {}",
                    w.pid,
                    w.tid,
                    w.comm,
                    w.call.as_str()
                )?;
            }
        }
        Object::Posix(p) => {
            label_line(out, "path", &p.path.display().to_string())?;
            match (p.kind, p.queue, p.semaphore) {
                (Kind::Pmq, Some(q), _) => {
                    let notify = if q.notify_pid == 0 {
                        "no notification registered".to_string()
                    } else {
                        format!("notifies pid {} (signal {})", q.notify_pid, q.signo)
                    };
                    label_line(out, "queued", &format!("{} bytes; {notify}", q.qsize))?
                }
                (Kind::Pmq, None, _) => label_line(out, "queued", "unreadable")?,
                (Kind::Psem, _, Some(v)) => label_line(
                    out,
                    "value",
                    &format!("{}, {} waiter(s)", v.value, v.waiters),
                )?,
                (Kind::Psem, _, None) => label_line(out, "value", "unreadable")?,
                _ => label_line(
                    out,
                    "size",
                    &format!("{} bytes ({})", p.size, human_size(p.size)),
                )?,
            }
            time_line(out, "modified", p.mtime, now)?;
            time_line(out, "accessed", p.atime, now)?;
            time_line(out, "changed", p.ctime, now)?;
            let complete = if r.holders_complete {
                ""
            } else {
                " (incomplete: some processes could not be read)"
            };
            label_line(out, "held by", &format!("{}{complete}", r.holders.len()))?;
            for h in &r.holders {
                let how = match h.how {
                    Hold::Map => "maps it",
                    Hold::Fd => "has it open",
                };
                writeln!(out, "    pid {} ({}) {how}", h.pid, escape(&h.comm))?;
            }
        }
    }
    let verdict = match &r.verdict {
        Verdict::Orphan { evidence } => {
            let texts: Vec<&str> = evidence.iter().map(|e| e.text.as_ref()).collect();
            format!("yes: {}", texts.join("; "))
        }
        Verdict::Kept(reason) => format!("no: {} ({})", reason.text, reason.code),
    };
    label_line(out, "orphan", &verdict)?;
    Ok(())
}

/// An `rm`/`gc` report line for another kind (failures go to stderr through the caller).
pub fn removal_line(
    out: &mut dyn Write,
    item: &ObjectRemoval,
    quiet: bool,
    list_kept: bool,
) -> Result<()> {
    let label = escape_owned(item.object.label());
    let mut why = String::new();
    if !item.evidence.is_empty() {
        let texts: Vec<&str> = item.evidence.iter().map(|e| e.text.as_ref()).collect();
        why = format!(": {}", texts.join("; "));
    }
    if let Some(archive) = &item.archive {
        why.push_str(&format!(" (archived: {})", archive.display()));
    }
    let why = escape_owned(why);
    match &item.outcome {
        ObjectOutcome::Removed if !quiet => writeln!(out, "removed {label}{why}")?,
        ObjectOutcome::WouldRemove => writeln!(out, "would remove {label}{why}")?,
        ObjectOutcome::Kept(reason) if list_kept => writeln!(
            out,
            "kept {label}: {} ({})",
            escape(&reason.text),
            reason.code
        )?,
        ObjectOutcome::Gone if !quiet => writeln!(out, "{label} already gone")?,
        _ => {}
    }
    Ok(())
}

/// An `rm`/`gc` JSON entry for another kind.
#[derive(Serialize)]
pub struct ObjectRemovedJson<'a> {
    #[serde(rename = "type")]
    kind: Kind,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key_hex: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    bytes: u64,
    #[serde(skip_serializing_if = "<[Reason]>::is_empty")]
    evidence: &'a [Reason],
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a Reason>,
    #[serde(skip_serializing_if = "Option::is_none")]
    archive: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ErrorJson>,
}

/// Where an item lands: "removed", "kept" or "failed", and its entry.
pub fn removal_json<'a>(
    item: &'a ObjectRemoval,
    gone: &'a Reason,
) -> (&'static str, ObjectRemovedJson<'a>) {
    let (id, key, name) = match &item.object {
        Object::Sem(s) => (Some(s.id), Some(s.key), None),
        Object::Msg(q) => (Some(q.id), Some(q.key), None),
        Object::Posix(p) => (None, None, Some(p.name.as_str())),
    };
    let mut entry = ObjectRemovedJson {
        kind: item.object.kind(),
        id,
        key,
        key_hex: key.map(|k| KeyHex(k).to_string()),
        name,
        bytes: item.object.bytes(),
        evidence: &item.evidence,
        reason: None,
        archive: item.archive.as_ref().map(|p| p.display().to_string()),
        error: None,
    };
    let list = match &item.outcome {
        ObjectOutcome::Removed | ObjectOutcome::WouldRemove => "removed",
        ObjectOutcome::Kept(reason) => {
            entry.reason = Some(reason);
            "kept"
        }
        ObjectOutcome::Gone => {
            entry.reason = Some(gone);
            "kept"
        }
        ObjectOutcome::Failed { error, text } => {
            entry.error = Some(ErrorJson {
                code: error.code().to_string(),
                text: if error.is_permission() && error.op != "archive" {
                    text.clone()
                } else {
                    format!("{text}: {}", error.text())
                },
            });
            "failed"
        }
    };
    (list, entry)
}

/// `ls --json` with other kinds: `segments` for shm (when asked for) and one list per other
/// kind, every entry with its `type`.
pub fn ls_json(
    out: &mut dyn Write,
    segments: Option<(&[crate::model::SegmentRecord], bool)>,
    others: &[(Kind, Vec<ObjectRecord>)],
) -> Result<()> {
    write!(out, "{{\"schema_version\":{}", super::json::SCHEMA_VERSION)?;
    let mut entry = Vec::with_capacity(1024);
    if let Some((records, with_memory)) = segments {
        out.write_all(b",\"segments\":[")?;
        for (i, record) in records.iter().enumerate() {
            entry.clear();
            if i > 0 {
                entry.push(b',');
            }
            serde_json::to_writer(
                &mut entry,
                &super::json::SegmentJson::new(record, with_memory),
            )
            .map_err(std::io::Error::from)?;
            out.write_all(&entry)?;
        }
        out.write_all(b"]")?;
    }
    for (kind, records) in others {
        write!(out, ",\"{}\":", json_key(*kind))?;
        let entries: Vec<ObjectJson> = records.iter().map(ObjectJson::new).collect();
        serde_json::to_writer(&mut *out, &entries).map_err(std::io::Error::from)?;
    }
    out.write_all(b"}\n")?;
    Ok(())
}

/// `limits` for the other kinds, after shared memory's block.
pub fn limits(out: &mut dyn Write, l: &crate::objects::OtherLimits) -> Result<()> {
    let or_unknown = |v: Option<String>| v.unwrap_or_else(|| "unknown".to_string());
    let block =
        |out: &mut dyn Write, title: &str, rows: Vec<(&str, Option<String>)>| -> Result<()> {
            writeln!(out, "{title}")?;
            for (label, value) in rows {
                writeln!(out, "  {label:<18} {}", or_unknown(value))?;
            }
            Ok(())
        };
    block(
        out,
        "semaphores",
        vec![
            ("max sets", l.sem.map(|s| s.max_sets.to_string())),
            ("max per set", l.sem.map(|s| s.max_per_set.to_string())),
            ("max semaphores", l.sem.map(|s| s.max_total.to_string())),
            (
                "max ops per call",
                l.sem.map(|s| s.max_ops_per_call.to_string()),
            ),
            ("max value", l.sem.map(|s| s.max_value.to_string())),
            ("used sets", l.sem_usage.map(|u| u.sets.to_string())),
            (
                "used semaphores",
                l.sem_usage.map(|u| u.semaphores.to_string()),
            ),
        ],
    )?;
    block(
        out,
        "message queues",
        vec![
            ("max queues", l.msg.map(|m| m.max_queues.to_string())),
            (
                "max message size",
                l.msg.map(|m| human_size(m.max_message_bytes)),
            ),
            (
                "default queue size",
                l.msg.map(|m| human_size(m.max_queue_bytes)),
            ),
            ("used queues", l.msg_usage.map(|u| u.queues.to_string())),
            ("used messages", l.msg_usage.map(|u| u.messages.to_string())),
            ("used bytes", l.msg_usage.map(|u| human_size(u.bytes))),
        ],
    )?;
    block(
        out,
        "POSIX shared memory (/dev/shm)",
        vec![
            ("size", l.shm_fs.map(|f| human_size(f.total_bytes))),
            ("used", l.shm_fs.map(|f| human_size(f.used_bytes))),
            ("objects", l.shm_fs_count.map(|n| n.to_string())),
        ],
    )?;
    block(
        out,
        "POSIX message queues (/dev/mqueue)",
        vec![
            ("max queues", l.mqueue.map(|m| m.max_queues.to_string())),
            ("max messages", l.mqueue.map(|m| m.max_messages.to_string())),
            (
                "max message size",
                l.mqueue.map(|m| human_size(m.max_message_bytes)),
            ),
            (
                "default messages",
                l.mqueue.map(|m| m.default_messages.to_string()),
            ),
            (
                "default msg size",
                l.mqueue.map(|m| human_size(m.default_message_bytes)),
            ),
            ("queues", l.mqueue_count.map(|n| n.to_string())),
        ],
    )
}
