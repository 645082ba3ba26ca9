//! The JSON of IPC objects (DESIGN.md "JSON"): an `ls`/`stat` entry for every kind, the
//! `ls`, `stat` and `rm`/`gc` documents, and an archive's record. A segment's entry keeps the
//! shape scripts have relied on since the first release; every other kind's entry is the
//! owner, the kind's own fields and the verdict.
use std::io::Write;

use serde::Serialize;

use super::json::{
    display, display_opt, time, write, ErrorJson, Rfc3339Pair, Unresolved, SCHEMA_VERSION,
};
use crate::ipc::archive::ArchivedMessage;
use crate::ipc::removal::{Outcome, Removal};
use crate::ipc::{json_key, KeyHex, Kind, Object, Reason, Record, Verdict};
use crate::model::{Attacher, SHM_DEST, SHM_LOCKED};
use crate::objects::{Hold, Holder, IpcCall, QueueState, SemValue, Waiter};
use crate::units::{Perms, Rfc3339};
use std::io::Result;

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

/// The status words of a segment's mode, as a JSON list.
struct Status(u32);

impl Serialize for Status {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = serializer.serialize_seq(None)?;
        for (bit, word) in [(SHM_DEST, "dest"), (SHM_LOCKED, "locked")] {
            if self.0 & bit != 0 {
                seq.serialize_element(word)?;
            }
        }
        seq.end()
    }
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

#[derive(Serialize)]
struct AttacherJson<'a> {
    pid: i32,
    comm: &'a str,
    address: String,
    length: u64,
    writable: bool,
}

impl<'a> From<&'a Attacher> for AttacherJson<'a> {
    fn from(a: &'a Attacher) -> Self {
        AttacherJson {
            pid: a.pid,
            comm: &a.comm,
            address: format!("{:#x}", a.address),
            length: a.length,
            writable: a.writable,
        }
    }
}

/// A segment's `ls`/`stat` entry: plain fields, no flattening (10,000 of them stream fast).
#[derive(Serialize)]
pub struct SegmentEntry<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: i32,
    key: u32,
    #[serde(serialize_with = "display")]
    key_hex: KeyHex,
    owner: OwnerJson<'a>,
    creator: CreatorJson,
    mode: u32,
    #[serde(serialize_with = "display")]
    perms: Perms,
    size: u64,
    nattch: u64,
    status: Status,
    cpid: i32,
    lpid: i32,
    #[serde(serialize_with = "display_opt")]
    atime: Option<Rfc3339>,
    atime_unix: Option<i64>,
    #[serde(serialize_with = "display_opt")]
    dtime: Option<Rfc3339>,
    dtime_unix: Option<i64>,
    #[serde(serialize_with = "display_opt")]
    ctime: Option<Rfc3339>,
    ctime_unix: Option<i64>,
    creator_state: &'static str,
    last_state: &'static str,
    orphan: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    evidence: Option<&'a [Reason]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    kept: Option<&'a Reason>,
    /// rss/swap: when asked for (`ls --columns +RSS`), and always in `stat` (null when
    /// /proc/sysvipc/shm could not be read).
    #[serde(skip_serializing_if = "Option::is_none")]
    rss: Option<Option<u64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    swap: Option<Option<u64>>,
    // What `stat` adds.
    #[serde(skip_serializing_if = "Option::is_none")]
    creator_cmdline: Option<Option<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_cmdline: Option<Option<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attached: Option<Vec<AttacherJson<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attached_complete: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    shm_rmid_forced: Option<Option<u32>>,
}

/// Another kind's own fields.
#[derive(Serialize)]
#[serde(untagged)]
enum Fields<'a> {
    Sem {
        id: i32,
        key: u32,
        #[serde(serialize_with = "display")]
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
        #[serde(serialize_with = "display")]
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

/// Another kind's `ls`/`stat` entry: `type`, the owner, the kind's fields, the verdict.
#[derive(Serialize)]
pub struct ObjectEntry<'a> {
    #[serde(rename = "type")]
    kind: Kind,
    owner: OwnerJson<'a>,
    mode: u32,
    #[serde(serialize_with = "display")]
    perms: Perms,
    #[serde(flatten)]
    fields: Fields<'a>,
    orphan: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    evidence: Option<&'a [Reason]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    kept: Option<&'a Reason>,
}

/// An `ls` or `stat` entry, of any kind.
#[derive(Serialize)]
#[serde(untagged)]
pub enum EntryJson<'a> {
    Segment(SegmentEntry<'a>),
    Object(ObjectEntry<'a>),
}

fn creator(uid: u32, gid: u32) -> CreatorJson {
    CreatorJson { uid, gid }
}

fn verdict(v: &Verdict) -> (Option<&[Reason]>, Option<&Reason>) {
    match v {
        Verdict::Orphan { evidence } => (Some(evidence), None),
        Verdict::Kept(reason) => (None, Some(reason)),
    }
}

impl<'a> EntryJson<'a> {
    /// `with_memory`: a segment's rss/swap (when they were asked for).
    pub fn new(r: &'a Record, with_memory: bool) -> EntryJson<'a> {
        let o = r.object.owner();
        let owner = OwnerJson {
            uid: o.uid,
            user: r.owner_name.as_deref(),
            gid: o.gid,
            group: r.group_name.as_deref(),
        };
        let state = |role| r.state(role).as_str();
        let (evidence, kept) = verdict(&r.verdict);
        let fields = match &r.object {
            Object::Shm(s) => {
                let (atime, atime_unix) = time(s.atime);
                let (dtime, dtime_unix) = time(s.dtime);
                let (ctime, ctime_unix) = time(s.ctime);
                let detail = r.detail.as_ref();
                let memory = match detail {
                    Some(_) => Some(r.memory),
                    None => with_memory.then_some(r.memory),
                };
                return EntryJson::Segment(SegmentEntry {
                    kind: "shm",
                    id: s.id,
                    key: s.key,
                    key_hex: KeyHex(s.key),
                    owner,
                    creator: creator(s.cuid, s.cgid),
                    mode: s.perms(),
                    perms: Perms(s.perms()),
                    size: s.size,
                    nattch: s.nattch,
                    status: Status(s.mode),
                    cpid: s.cpid,
                    lpid: s.lpid,
                    atime,
                    atime_unix,
                    dtime,
                    dtime_unix,
                    ctime,
                    ctime_unix,
                    creator_state: state("creator"),
                    last_state: state("last_user"),
                    orphan: r.verdict.is_orphan(),
                    evidence,
                    kept,
                    rss: memory.map(|m| m.map(|m| m.rss)),
                    swap: memory.map(|m| m.map(|m| m.swap)),
                    creator_cmdline: detail.map(|d| r.pid("creator").and_then(|p| d.cmdline(p))),
                    last_cmdline: detail.map(|d| r.pid("last_user").and_then(|p| d.cmdline(p))),
                    attached: detail.map(|d| d.attachers.iter().map(AttacherJson::from).collect()),
                    attached_complete: detail.map(|d| d.attached_complete),
                    shm_rmid_forced: detail.map(|d| d.shm_rmid_forced),
                });
            }
            Object::Sem(s) => Fields::Sem {
                id: s.id,
                key: s.key,
                key_hex: KeyHex(s.key),
                creator: creator(s.cuid, s.cgid),
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
            Object::Msg(q) => Fields::Msg {
                id: q.id,
                key: q.key,
                key_hex: KeyHex(q.key),
                creator: creator(q.cuid, q.cgid),
                messages: q.messages,
                bytes: q.bytes,
                max_bytes: q.max_bytes,
                lspid: q.lspid,
                lspid_state: state("sender"),
                lrpid: q.lrpid,
                lrpid_state: state("receiver"),
                stime: Rfc3339Pair::new("stime", q.stime),
                rtime: Rfc3339Pair::new("rtime", q.rtime),
                ctime: Rfc3339Pair::new("ctime", q.ctime),
                waiters: r.waiters.iter().map(WaiterJson::from).collect(),
                waiters_complete: r.waiters_complete,
            },
            Object::Posix(p) => Fields::Posix {
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
            },
        };
        EntryJson::Object(ObjectEntry {
            kind: r.object.kind(),
            owner,
            mode: r.object.perms(),
            perms: Perms(r.object.perms()),
            fields,
            orphan: r.verdict.is_orphan(),
            evidence,
            kept,
        })
    }
}

/// One kind's list in an `ls` document, and why it is empty when the kind cannot be read
/// here (no mqueue filesystem mounted on /dev/mqueue).
pub struct List<'a> {
    pub kind: Kind,
    pub records: &'a [Record],
    pub unavailable: Option<&'a str>,
}

/// `ls --json`: one list per kind listed, every entry with its `type`. Streamed entry by
/// entry: 10,000 segments make a 5 MB document, and building it whole in memory costs more
/// in page faults than the kernel spends enumerating.
pub fn ls(out: &mut dyn Write, lists: &[List], with_memory: bool) -> Result<()> {
    let mut json = LsJson::begin(out, with_memory)?;
    for list in lists {
        json.list(list.kind, list.unavailable, list.records)?;
    }
    json.end()
}

/// `ls --json` written list by list, entry by entry, from records held or made as it goes.
pub struct LsJson<'o> {
    out: &'o mut dyn Write,
    /// A few entries at a time; blocks at least as large as main's buffer go straight to
    /// the descriptor, uncopied.
    entry: Vec<u8>,
    with_memory: bool,
}

impl<'o> LsJson<'o> {
    const BLOCK: usize = 64 * 1024;

    pub fn begin(out: &'o mut dyn Write, with_memory: bool) -> Result<LsJson<'o>> {
        write!(out, "{{\"schema_version\":{SCHEMA_VERSION}")?;
        Ok(LsJson {
            out,
            entry: Vec::with_capacity(Self::BLOCK + 8 * 1024),
            with_memory,
        })
    }

    /// One kind's list, and if its objects could not be looked at, why.
    pub fn list<R: std::borrow::Borrow<Record>>(
        &mut self,
        kind: Kind,
        unavailable: Option<&str>,
        records: impl IntoIterator<Item = R>,
    ) -> Result<()> {
        let key = json_key(kind);
        write!(self.out, ",\"{key}\":[")?;
        for (i, record) in records.into_iter().enumerate() {
            let record = record.borrow();
            if i > 0 {
                self.entry.push(b',');
            }
            match &record.object {
                Object::Shm(s) if record.detail.is_none() => {
                    super::jsonw::segment(&mut self.entry, record, s, self.with_memory)
                }
                _ => serde_json::to_writer(
                    &mut self.entry,
                    &EntryJson::new(record, self.with_memory),
                )
                .map_err(std::io::Error::from)?,
            }
            // Written a few entries at a time: one call per 10,000 entries would cost more.
            if self.entry.len() >= Self::BLOCK {
                self.out.write_all(&self.entry)?;
                self.entry.clear();
            }
        }
        self.out.write_all(&self.entry)?;
        self.entry.clear();
        self.out.write_all(b"]")?;
        if let Some(why) = unavailable {
            write!(
                self.out,
                ",\"{key}_available\":false,\"{key}_unavailable\":"
            )?;
            serde_json::to_writer(&mut *self.out, why).map_err(std::io::Error::from)?;
        }
        Ok(())
    }

    pub fn end(self) -> Result<()> {
        self.out.write_all(b"}\n")?;
        Ok(())
    }
}

/// `stat --json`: `segments` (always), the other kinds' lists when any was named, `failed`.
pub fn stat(out: &mut dyn Write, records: &[Record], failed: &[Unresolved]) -> Result<()> {
    #[derive(Serialize)]
    struct Doc<'a> {
        schema_version: u32,
        segments: Vec<EntryJson<'a>>,
        #[serde(flatten)]
        others: std::collections::BTreeMap<&'static str, Vec<EntryJson<'a>>>,
        failed: &'a [Unresolved],
    }
    let mut doc = Doc {
        schema_version: SCHEMA_VERSION,
        segments: Vec::new(),
        others: std::collections::BTreeMap::new(),
        failed,
    };
    for record in records {
        let entry = EntryJson::new(record, true);
        match record.object.kind() {
            Kind::Shm => doc.segments.push(entry),
            kind => doc.others.entry(json_key(kind)).or_default().push(entry),
        }
    }
    write(out, &doc)
}

/// An `rm`/`gc` entry of a segment (the first release's shape).
#[derive(Serialize)]
struct SegmentItemJson<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    selector: Option<Option<&'a str>>,
    id: Option<i32>,
    key: Option<u32>,
    key_hex: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nattch: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    marked_for_destruction: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    evidence: Option<&'a [Reason]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    archive: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a Reason>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ErrorJson>,
}

/// An `rm`/`gc` entry of another kind.
#[derive(Serialize)]
struct ObjectItemJson<'a> {
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

#[derive(Serialize)]
#[serde(untagged)]
enum ItemJson<'a> {
    Segment(SegmentItemJson<'a>),
    Object(ObjectItemJson<'a>),
}

#[derive(Serialize)]
struct RestoredJson<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: Option<i32>,
    key: Option<u32>,
    key_hex: Option<String>,
    name: Option<&'a str>,
    mode: u32,
    perms: String,
}

fn error_json(error: &crate::sys::SysError, text: &str) -> ErrorJson {
    ErrorJson {
        code: error.code(),
        text: if error.is_permission() && error.op != "archive" {
            text.to_string()
        } else {
            format!("{text}: {}", error.text())
        },
    }
}

/// Where an item lands (`removed`, `kept`, `failed`) and its entry.
fn item_json<'a>(item: &'a Removal, gone: &'a Reason) -> (usize, ItemJson<'a>) {
    let list = item.outcome.listed() as usize;
    let (reason, error, marked) = match &item.outcome {
        Outcome::Removed { marked } => (None, None, *marked),
        Outcome::WouldRemove => (None, None, item.object.attachments() > 0),
        Outcome::Kept(reason) => (Some(reason), None, false),
        Outcome::Gone => (Some(gone), None, false),
        Outcome::Failed { error, text } => (None, Some(error_json(error, text)), false),
    };
    let archive = item.archive.as_ref().map(|p| p.display().to_string());
    let o = &item.object;
    let entry = match o {
        Object::Shm(s) => {
            let gone_entry = matches!(item.outcome, Outcome::Gone);
            ItemJson::Segment(SegmentItemJson {
                kind: "shm",
                selector: (list == 2).then_some(None),
                id: Some(s.id),
                key: (!gone_entry).then_some(s.key),
                key_hex: (!gone_entry).then(|| KeyHex(s.key).to_string()),
                size: (list == 0).then_some(s.size),
                nattch: (list == 0).then_some(s.nattch),
                marked_for_destruction: (list == 0).then_some(marked),
                evidence: (list == 0).then_some(item.evidence.as_slice()),
                archive: (list == 0).then_some(archive),
                reason,
                error,
            })
        }
        _ => ItemJson::Object(ObjectItemJson {
            kind: o.kind(),
            id: o.id(),
            key: o.key(),
            key_hex: o.key().map(|k| KeyHex(k).to_string()),
            name: o.name(),
            bytes: o.bytes(),
            evidence: &item.evidence,
            reason,
            archive,
            error,
        }),
    };
    (list, entry)
}

/// The `rm`/`gc` document: every item lands in exactly one of removed, kept, failed; what a
/// killed run had left at mode 000 is in `restored` (or, when that failed, in `failed`).
pub fn removal(out: &mut dyn Write, report: &super::Report) -> Result<()> {
    #[derive(Serialize)]
    struct Doc<'a> {
        schema_version: u32,
        dry_run: bool,
        removed: Vec<ItemJson<'a>>,
        kept: Vec<ItemJson<'a>>,
        failed: Vec<ItemJson<'a>>,
        restored: Vec<RestoredJson<'a>>,
    }
    let gone = Reason::new("gone", "already gone");
    let mut lists: [Vec<ItemJson>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    let mut restored = Vec::new();
    for r in report.restored {
        let e = &r.entry;
        let sysv = e.id.is_some();
        let key_hex = sysv.then(|| KeyHex(e.key).to_string());
        match &r.error {
            None => restored.push(RestoredJson {
                kind: e.kind.as_str(),
                id: e.id,
                key: sysv.then_some(e.key),
                key_hex,
                name: e.name.as_deref(),
                mode: e.mode,
                perms: crate::units::perms_string(e.mode),
            }),
            Some(error) => lists[2].push(ItemJson::Segment(SegmentItemJson {
                kind: e.kind.as_str(),
                selector: Some(e.name.as_deref()),
                id: e.id,
                key: sysv.then_some(e.key),
                key_hex,
                size: None,
                nattch: None,
                marked_for_destruction: None,
                evidence: None,
                archive: None,
                reason: None,
                error: Some(ErrorJson {
                    code: error.code(),
                    text: format!(
                        "left at mode 0000 by an interrupted run; restoring mode {:04o} failed: {}",
                        e.mode,
                        error.text()
                    ),
                }),
            })),
        }
    }
    // Segments first, then the other kinds, as the report lines are.
    let (segments, others): (Vec<&Removal>, Vec<&Removal>) = report
        .items
        .iter()
        .partition(|i| i.object.kind() == Kind::Shm);
    for item in segments {
        let (list, entry) = item_json(item, &gone);
        lists[list].push(entry);
    }
    for u in report.unresolved {
        lists[2].push(ItemJson::Segment(SegmentItemJson {
            kind: u.kind.as_str(),
            selector: Some(Some(&u.selector)),
            id: None,
            key: None,
            key_hex: None,
            size: None,
            nattch: None,
            marked_for_destruction: None,
            evidence: None,
            archive: None,
            reason: None,
            error: Some(ErrorJson {
                code: u.error.code.clone(),
                text: u.error.text.clone(),
            }),
        }));
    }
    for item in others {
        let (list, entry) = item_json(item, &gone);
        lists[list].push(entry);
    }
    let [removed, kept, failed] = lists;
    write(
        out,
        &Doc {
            schema_version: SCHEMA_VERSION,
            dry_run: report.dry_run,
            removed,
            kept,
            failed,
            restored,
        },
    )
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

/// The `.json` of an archive: the object's `stat` entry (with the verdict), the bytes' file
/// name beside it, its messages (a queue's), and when it was written. A segment's names the
/// entry `segment` (what `create --from-archive` reads); every other kind's, `object`.
pub fn archive_record(
    record: &Record,
    bin: Option<&str>,
    messages: Option<&[ArchivedMessage]>,
    now: i64,
) -> std::result::Result<Vec<u8>, String> {
    #[derive(Serialize)]
    struct Doc<'a> {
        schema_version: u32,
        #[serde(skip_serializing_if = "Option::is_none")]
        archived_at: Option<Rfc3339String>,
        archived_at_unix: i64,
        #[serde(skip_serializing_if = "Option::is_none")]
        bin: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        segment: Option<EntryJson<'a>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        object: Option<EntryJson<'a>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        messages: Option<Vec<MessageJson>>,
    }
    #[derive(Serialize)]
    struct Rfc3339String(#[serde(serialize_with = "display")] Rfc3339);
    let is_shm = record.object.kind() == Kind::Shm;
    let entry = EntryJson::new(record, false);
    let doc = Doc {
        schema_version: SCHEMA_VERSION,
        archived_at: is_shm.then_some(Rfc3339String(Rfc3339(now))),
        archived_at_unix: now,
        bin: if is_shm {
            Some(bin.unwrap_or_default())
        } else {
            bin
        },
        segment: None,
        object: None,
        messages: messages.map(|m| {
            m.iter()
                .map(|m| MessageJson {
                    mtype: m.mtype,
                    priority: m.priority,
                    size: m.bytes.len(),
                    base64: crate::hexdump::base64(&m.bytes),
                })
                .collect()
        }),
    };
    let doc = if is_shm {
        Doc {
            segment: Some(entry),
            ..doc
        }
    } else {
        Doc {
            object: Some(entry),
            ..doc
        }
    };
    let mut bytes = serde_json::to_vec_pretty(&doc).map_err(|e| e.to_string())?;
    bytes.push(b'\n');
    Ok(bytes)
}
