//! JSON for scripts (DESIGN.md "JSON"): numbers as numbers, absent values null, times twice.
use std::io::Write;

use serde::Serialize;

use crate::error::Result;
use crate::model::{
    self, Attacher, Created, FtokKey, KeyHex, Limits, Reason, SegmentDetail, SegmentRecord, Verdict,
};
use crate::removal::Outcome;
use crate::units::{Perms, Rfc3339};

pub const SCHEMA_VERSION: u32 = 1;

/// Writes one document and a final newline. Serialising into one buffer and writing it
/// once is twice as fast as serde's many small writes through `dyn Write`.
pub fn write<T: Serialize>(out: &mut dyn Write, document: &T) -> Result<()> {
    let mut buffer = serde_json::to_vec(document).map_err(std::io::Error::from)?;
    buffer.push(b'\n');
    out.write_all(&buffer)?;
    Ok(())
}

/// Serialises a `Display` value as a JSON string without an intermediate String.
pub(crate) fn display<T: std::fmt::Display, S: serde::Serializer>(
    value: &T,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

fn display_opt<T: std::fmt::Display, S: serde::Serializer>(
    value: &Option<T>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) => serializer.collect_str(v),
        None => serializer.serialize_none(),
    }
}

/// A time as two fields, flattened into its entry: `NAME` (RFC 3339) and `NAME_unix`, both
/// null for "never" (0).
pub struct Rfc3339Pair {
    name: &'static str,
    unix: i64,
}

impl Rfc3339Pair {
    pub fn new(name: &'static str, unix: i64) -> Rfc3339Pair {
        Rfc3339Pair { name, unix }
    }
}

impl Serialize for Rfc3339Pair {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let (text, unix) = time(self.unix);
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry(self.name, &text.map(|t| t.to_string()))?;
        map.serialize_entry(&format!("{}_unix", self.name), &unix)?;
        map.end()
    }
}

/// The status words of a mode, as a JSON list.
struct Status(u32);

impl Serialize for Status {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let words = [(model::SHM_DEST, "dest"), (model::SHM_LOCKED, "locked")];
        let mut seq = serializer.serialize_seq(None)?;
        for (bit, word) in words {
            if self.0 & bit != 0 {
                seq.serialize_element(word)?;
            }
        }
        seq.end()
    }
}

#[derive(Serialize)]
pub struct Owner<'a> {
    uid: u32,
    user: Option<&'a str>,
    gid: u32,
    group: Option<&'a str>,
}

#[derive(Serialize)]
pub struct Creator {
    uid: u32,
    gid: u32,
}

/// The `ls` entry; `stat` adds to it.
#[derive(Serialize)]
pub struct SegmentJson<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: i32,
    key: u32,
    #[serde(serialize_with = "display")]
    key_hex: KeyHex,
    owner: Owner<'a>,
    creator: Creator,
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
    #[serde(skip_serializing_if = "Option::is_none")]
    rss: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    swap: Option<u64>,
}

fn time(unix: i64) -> (Option<Rfc3339>, Option<i64>) {
    if unix == 0 {
        (None, None)
    } else {
        (Some(Rfc3339(unix)), Some(unix))
    }
}

impl<'a> SegmentJson<'a> {
    /// `with_memory`: include rss/swap (when they were asked for).
    pub fn new(record: &'a SegmentRecord, with_memory: bool) -> SegmentJson<'a> {
        let s = &record.segment;
        let (atime, atime_unix) = time(s.atime);
        let (dtime, dtime_unix) = time(s.dtime);
        let (ctime, ctime_unix) = time(s.ctime);
        let memory = record.memory.filter(|_| with_memory);
        SegmentJson {
            kind: "shm",
            id: s.id,
            key: s.key,
            key_hex: KeyHex(s.key),
            owner: Owner {
                uid: s.uid,
                user: record.owner_name.as_deref(),
                gid: s.gid,
                group: record.group_name.as_deref(),
            },
            creator: Creator {
                uid: s.cuid,
                gid: s.cgid,
            },
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
            creator_state: record.creator_state.as_str(),
            last_state: record.last_state.as_str(),
            orphan: record.verdict.is_orphan(),
            evidence: match &record.verdict {
                Verdict::Orphan { evidence } => Some(evidence),
                Verdict::Kept(_) => None,
            },
            kept: match &record.verdict {
                Verdict::Kept(reason) => Some(reason),
                Verdict::Orphan { .. } => None,
            },
            rss: memory.map(|m| m.rss),
            swap: memory.map(|m| m.swap),
        }
    }
}

/// Streams entry by entry: 10,000 segments make a 5 MB document, and building it whole in
/// memory costs more in page faults than the kernel spends enumerating.
pub fn ls(out: &mut dyn Write, records: &[SegmentRecord], with_memory: bool) -> Result<()> {
    write!(out, "{{\"schema_version\":{SCHEMA_VERSION},\"segments\":[")?;
    let mut entry = Vec::with_capacity(1024);
    for (i, record) in records.iter().enumerate() {
        entry.clear();
        if i > 0 {
            entry.push(b',');
        }
        serde_json::to_writer(&mut entry, &SegmentJson::new(record, with_memory))
            .map_err(std::io::Error::from)?;
        out.write_all(&entry)?;
    }
    out.write_all(
        b"]}
",
    )?;
    Ok(())
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

#[derive(Serialize)]
struct StatJson<'a> {
    #[serde(flatten)]
    base: SegmentJson<'a>,
    rss: Option<u64>,
    swap: Option<u64>,
    creator_cmdline: Option<&'a str>,
    last_cmdline: Option<&'a str>,
    attached: Vec<AttacherJson<'a>>,
    attached_complete: bool,
    shm_rmid_forced: Option<u32>,
}

#[derive(Serialize)]
pub struct ErrorJson {
    pub code: String,
    pub text: String,
}

/// A selector that named nothing (or could not be looked up).
#[derive(Serialize)]
pub struct Unresolved {
    /// The kind the selector names (`shm`, `sem` …).
    #[serde(rename = "type")]
    pub kind: crate::objects::Kind,
    pub selector: String,
    pub error: ErrorJson,
}

#[derive(Serialize)]
struct StatDocument<'a> {
    schema_version: u32,
    segments: Vec<StatJson<'a>>,
    /// The other kinds, each under its `ls` key (`semaphore_sets` …), when any was named.
    #[serde(flatten)]
    others: std::collections::BTreeMap<&'static str, Vec<super::objects::ObjectJson<'a>>>,
    failed: &'a [Unresolved],
}

pub fn stat(
    out: &mut dyn Write,
    details: &[SegmentDetail],
    others: &'_ [crate::cmd::kinds::ObjectRecord],
    failed: &[Unresolved],
) -> Result<()> {
    let mut by_kind = std::collections::BTreeMap::new();
    for record in others {
        by_kind
            .entry(super::objects::json_key(record.object.kind()))
            .or_insert_with(Vec::new)
            .push(super::objects::ObjectJson::new(record));
    }
    let segments = details
        .iter()
        .map(|d| StatJson {
            base: SegmentJson::new(&d.record, false),
            rss: d.record.memory.map(|m| m.rss),
            swap: d.record.memory.map(|m| m.swap),
            creator_cmdline: d.creator_cmdline.as_deref(),
            last_cmdline: d.last_cmdline.as_deref(),
            attached: d.attachers.iter().map(AttacherJson::from).collect(),
            attached_complete: d.attached_complete,
            shm_rmid_forced: d.shm_rmid_forced,
        })
        .collect();
    write(
        out,
        &StatDocument {
            schema_version: SCHEMA_VERSION,
            segments,
            others: by_kind,
            failed,
        },
    )
}

pub fn created(out: &mut dyn Write, c: &Created) -> Result<()> {
    #[derive(Serialize)]
    struct Doc {
        schema_version: u32,
        id: i32,
        key: u32,
        key_hex: String,
        size: u64,
        created: bool,
    }
    let doc = Doc {
        schema_version: SCHEMA_VERSION,
        id: c.id,
        key: c.key,
        key_hex: model::key_hex(c.key),
        size: c.size,
        created: c.created,
    };
    write(out, &doc)
}

pub fn key(out: &mut dyn Write, k: &FtokKey) -> Result<()> {
    #[derive(Serialize)]
    struct Doc {
        schema_version: u32,
        key: u32,
        key_hex: String,
        inode: u64,
        device: u64,
        proj: u8,
    }
    let doc = Doc {
        schema_version: SCHEMA_VERSION,
        key: k.key,
        key_hex: model::key_hex(k.key),
        inode: k.inode,
        device: k.device,
        proj: k.proj,
    };
    write(out, &doc)
}

/// Values at or above 2^53 (the kernel's "no limit" is ULONG_MAX − 2^24) cannot round-trip
/// through a JSON double: they are null, with `…_unlimited: true`.
const UNLIMITED: u64 = 1 << 53;

fn limited(value: u64) -> (Option<u64>, bool) {
    if value >= UNLIMITED {
        (None, true)
    } else {
        (Some(value), false)
    }
}

pub fn limits(out: &mut dyn Write, l: &Limits, others: &crate::objects::OtherLimits) -> Result<()> {
    #[derive(Serialize)]
    struct Shm {
        max_segment_bytes: Option<u64>,
        max_segment_bytes_unlimited: bool,
        min_segment_bytes: u64,
        max_segments: u64,
        max_segments_per_process: u64,
        max_total_pages: Option<u64>,
        max_total_pages_unlimited: bool,
        max_total_bytes: Option<u64>,
        max_total_bytes_unlimited: bool,
        page_size: u64,
        used_segments: u64,
        used_pages: u64,
        used_bytes: u64,
        rss_pages: u64,
        swap_pages: u64,
    }
    #[derive(Serialize)]
    struct Sem {
        #[serde(flatten)]
        limits: Option<crate::objects::SemLimits>,
        used_sets: Option<u64>,
        used_semaphores: Option<u64>,
    }
    #[derive(Serialize)]
    struct Msg {
        #[serde(flatten)]
        limits: Option<crate::objects::MsgLimits>,
        used_queues: Option<u64>,
        used_messages: Option<u64>,
        used_bytes: Option<u64>,
    }
    #[derive(Serialize)]
    struct Pshm {
        total_bytes: Option<u64>,
        used_bytes: Option<u64>,
        objects: Option<u64>,
    }
    #[derive(Serialize)]
    struct Pmq {
        #[serde(flatten)]
        limits: Option<crate::objects::MqueueLimits>,
        queues: Option<u64>,
    }
    #[derive(Serialize)]
    struct Doc {
        schema_version: u32,
        shm: Shm,
        sem: Sem,
        msg: Msg,
        pshm: Pshm,
        pmq: Pmq,
    }
    let (max_segment_bytes, max_segment_bytes_unlimited) = limited(l.shm.max_segment_bytes);
    let (max_total_pages, max_total_pages_unlimited) = limited(l.shm.max_total_pages);
    let (max_total_bytes, max_total_bytes_unlimited) =
        limited(l.shm.max_total_pages.saturating_mul(l.page_size));
    let shm = Shm {
        max_segment_bytes,
        max_segment_bytes_unlimited,
        min_segment_bytes: l.shm.min_segment_bytes,
        max_segments: l.shm.max_segments,
        max_segments_per_process: l.shm.max_segments_per_process,
        max_total_pages,
        max_total_pages_unlimited,
        max_total_bytes,
        max_total_bytes_unlimited,
        page_size: l.page_size,
        used_segments: l.usage.used_segments,
        used_pages: l.usage.used_pages,
        used_bytes: l.usage.used_pages.saturating_mul(l.page_size),
        rss_pages: l.usage.rss_pages,
        swap_pages: l.usage.swap_pages,
    };
    write(
        out,
        &Doc {
            schema_version: SCHEMA_VERSION,
            shm,
            sem: Sem {
                limits: others.sem,
                used_sets: others.sem_usage.map(|u| u.sets),
                used_semaphores: others.sem_usage.map(|u| u.semaphores),
            },
            msg: Msg {
                limits: others.msg,
                used_queues: others.msg_usage.map(|u| u.queues),
                used_messages: others.msg_usage.map(|u| u.messages),
                used_bytes: others.msg_usage.map(|u| u.bytes),
            },
            pshm: Pshm {
                total_bytes: others.shm_fs.map(|f| f.total_bytes),
                used_bytes: others.shm_fs.map(|f| f.used_bytes),
                objects: others.shm_fs_count,
            },
            pmq: Pmq {
                limits: others.mqueue,
                queues: others.mqueue_count,
            },
        },
    )
}

#[derive(Serialize)]
struct RemovedJson<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: i32,
    key: u32,
    key_hex: String,
    size: u64,
    nattch: u64,
    marked_for_destruction: bool,
    evidence: &'a [Reason],
    archive: Option<String>,
}

#[derive(Serialize)]
struct KeptJson<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: i32,
    key: Option<u32>,
    key_hex: Option<String>,
    reason: &'a Reason,
}

#[derive(Serialize)]
struct FailedJson<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    selector: Option<&'a str>,
    id: Option<i32>,
    key: Option<u32>,
    key_hex: Option<String>,
    error: ErrorJson,
}

#[derive(Serialize)]
struct RemovalDocument<'a> {
    schema_version: u32,
    dry_run: bool,
    removed: Vec<Entry<'a, RemovedJson<'a>>>,
    kept: Vec<Entry<'a, KeptJson<'a>>>,
    failed: Vec<Entry<'a, FailedJson<'a>>>,
    restored: Vec<RestoredJson<'a>>,
}

/// A segment's entry, or another kind's.
#[derive(Serialize)]
#[serde(untagged)]
enum Entry<'a, T> {
    Shm(T),
    Other(super::objects::ObjectRemovedJson<'a>),
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

/// The `rm`/`gc` document: every item lands in exactly one of removed, kept, failed; what a
/// killed run had left at mode 000 is in `restored` (or, when that failed, in `failed`).
pub fn removal(out: &mut dyn Write, report: &super::Report) -> Result<()> {
    let super::Report {
        dry_run,
        items,
        others,
        unresolved,
        restored,
    } = *report;
    let gone = Reason::new("gone", "already gone");
    let mut doc = RemovalDocument {
        schema_version: SCHEMA_VERSION,
        dry_run,
        removed: vec![],
        kept: vec![],
        failed: vec![],
        restored: vec![],
    };
    for r in restored {
        let e = &r.entry;
        let sysv = e.id.is_some();
        match &r.error {
            None => doc.restored.push(RestoredJson {
                kind: e.kind.as_str(),
                id: e.id,
                key: sysv.then_some(e.key),
                key_hex: sysv.then(|| model::key_hex(e.key)),
                name: e.name.as_deref(),
                mode: e.mode,
                perms: crate::units::perms_string(e.mode),
            }),
            Some(error) => doc.failed.push(Entry::Shm(FailedJson {
                kind: e.kind.as_str(),
                selector: e.name.as_deref(),
                id: e.id,
                key: sysv.then_some(e.key),
                key_hex: sysv.then(|| model::key_hex(e.key)),
                error: ErrorJson {
                    code: error.code().to_string(),
                    text: format!(
                        "left at mode 0000 by an interrupted run; restoring mode {:04o} failed: {}",
                        e.mode,
                        error.text()
                    ),
                },
            })),
        }
    }
    for item in items {
        let removed = |segment: &model::Segment, marked: bool| RemovedJson {
            kind: "shm",
            id: segment.id,
            key: segment.key,
            key_hex: model::key_hex(segment.key),
            size: segment.size,
            nattch: segment.nattch,
            marked_for_destruction: marked,
            evidence: &item.evidence,
            archive: item.archive.as_ref().map(|p| p.display().to_string()),
        };
        match &item.outcome {
            Outcome::Removed { segment, marked } => {
                doc.removed.push(Entry::Shm(removed(segment, *marked)))
            }
            Outcome::WouldRemove { segment } => doc
                .removed
                .push(Entry::Shm(removed(segment, segment.nattch > 0))),
            Outcome::Kept { segment, reason } => doc.kept.push(Entry::Shm(KeptJson {
                kind: "shm",
                id: segment.id,
                key: Some(segment.key),
                key_hex: Some(model::key_hex(segment.key)),
                reason,
            })),
            Outcome::Gone { id } => doc.kept.push(Entry::Shm(KeptJson {
                kind: "shm",
                id: *id,
                key: None,
                key_hex: None,
                reason: &gone,
            })),
            Outcome::Failed {
                id,
                segment,
                error,
                text,
            } => doc.failed.push(Entry::Shm(FailedJson {
                kind: "shm",
                selector: None,
                id: Some(*id),
                key: segment.as_ref().map(|s| s.key),
                key_hex: segment.as_ref().map(|s| model::key_hex(s.key)),
                error: ErrorJson {
                    code: error.code().to_string(),
                    text: if error.is_permission() && error.op != "archive" {
                        text.clone()
                    } else {
                        format!("{text}: {}", error.text())
                    },
                },
            })),
        }
    }
    for u in unresolved {
        doc.failed.push(Entry::Shm(FailedJson {
            kind: u.kind.as_str(),
            selector: Some(&u.selector),
            id: None,
            key: None,
            key_hex: None,
            error: ErrorJson {
                code: u.error.code.clone(),
                text: u.error.text.clone(),
            },
        }));
    }
    let gone_object = Reason::new("gone", "already gone");
    for item in others {
        let (list, entry) = super::objects::removal_json(item, &gone_object);
        match list {
            "removed" => doc.removed.push(Entry::Other(entry)),
            "kept" => doc.kept.push(Entry::Other(entry)),
            _ => doc.failed.push(Entry::Other(entry)),
        }
    }
    write(out, &doc)
}

/// The `.json` of an archive: the segment's record (with the verdict), the bytes' file name
/// beside it, and when it was written.
pub fn archive_record(record: &SegmentRecord, bin: &str, now: i64) -> serde_json::Result<Vec<u8>> {
    #[derive(Serialize)]
    struct Doc<'a> {
        schema_version: u32,
        archived_at: Rfc3339String,
        archived_at_unix: i64,
        bin: &'a str,
        segment: SegmentJson<'a>,
    }
    #[derive(Serialize)]
    struct Rfc3339String(#[serde(serialize_with = "display")] Rfc3339);
    let doc = Doc {
        schema_version: SCHEMA_VERSION,
        archived_at: Rfc3339String(Rfc3339(now)),
        archived_at_unix: now,
        bin,
        segment: SegmentJson::new(record, false),
    };
    let mut bytes = serde_json::to_vec_pretty(&doc)?;
    bytes.push(b'\n');
    Ok(bytes)
}

#[derive(Serialize)]
struct FieldJson {
    path: String,
    #[serde(rename = "type")]
    ty: String,
    offset: u64,
    size: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    bit_offset: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bit_width: Option<u64>,
}

#[derive(Serialize)]
struct HoleJson {
    offset: u64,
    size: u64,
}

#[derive(Serialize)]
struct TypeJson<'a> {
    name: &'a str,
    kind: &'static str,
    size: u64,
    align: u64,
    fields: Vec<FieldJson>,
    holes: Vec<HoleJson>,
}

/// `schema --json`: every type with its leaf fields and every padding run.
pub fn schema(
    out: &mut dyn Write,
    program: &crate::schema::Program,
    views: &[crate::cmd::schema::TypeView],
) -> Result<()> {
    #[derive(Serialize)]
    struct Doc<'a> {
        schema_version: u32,
        types: Vec<TypeJson<'a>>,
    }
    let types = views
        .iter()
        .map(|v| TypeJson {
            name: &v.name,
            kind: v.keyword,
            size: v.size,
            align: v.align,
            fields: v
                .fields
                .iter()
                .map(|f| FieldJson {
                    path: f.path.clone(),
                    ty: f.ty.display(program),
                    offset: f.offset,
                    size: f.size,
                    bit_offset: f.bit_offset,
                    bit_width: f.bit_width,
                })
                .collect(),
            holes: v
                .holes
                .iter()
                .map(|&(offset, size)| HoleJson { offset, size })
                .collect(),
        })
        .collect();
    write(
        out,
        &Doc {
            schema_version: SCHEMA_VERSION,
            types,
        },
    )
}

pub fn schema_check(out: &mut dyn Write, check: &crate::cmd::schema::Check) -> Result<()> {
    #[derive(Serialize)]
    struct Doc<'a> {
        schema_version: u32,
        #[serde(rename = "type")]
        type_name: &'a str,
        type_size: u64,
        id: i32,
        key_hex: String,
        segment_size: u64,
        matches: bool,
        /// "segment", "type", or null when they match.
        larger: Option<&'static str>,
    }
    let larger = match check.type_size.cmp(&check.segment.size) {
        std::cmp::Ordering::Equal => None,
        std::cmp::Ordering::Less => Some("segment"),
        std::cmp::Ordering::Greater => Some("type"),
    };
    let doc = Doc {
        schema_version: SCHEMA_VERSION,
        type_name: check.type_name,
        type_size: check.type_size,
        id: check.segment.id,
        key_hex: model::key_hex(check.segment.key),
        segment_size: check.segment.size,
        matches: larger.is_none(),
        larger,
    };
    write(out, &doc)
}

pub fn schema_lint(
    out: &mut dyn Write,
    findings: &[(String, crate::schema::lint::Finding)],
) -> Result<()> {
    #[derive(Serialize)]
    struct FindingJson<'a> {
        #[serde(rename = "type")]
        type_name: &'a str,
        path: Option<&'a str>,
        code: &'static str,
        text: &'a str,
    }
    #[derive(Serialize)]
    struct Doc<'a> {
        schema_version: u32,
        findings: Vec<FindingJson<'a>>,
    }
    let findings = findings
        .iter()
        .map(|(t, f)| FindingJson {
            type_name: t,
            path: f.path.as_deref(),
            code: f.code,
            text: &f.text,
        })
        .collect();
    write(
        out,
        &Doc {
            schema_version: SCHEMA_VERSION,
            findings,
        },
    )
}

/// `dump --json` without a schema: the bytes in base64.
pub fn dump_bytes(out: &mut dyn Write, offset: u64, bytes: &[u8]) -> Result<()> {
    #[derive(Serialize)]
    struct Doc<'a> {
        schema_version: u32,
        offset: u64,
        length: u64,
        base64: &'a str,
    }
    let length = bytes.len() as u64;
    let base64 = &crate::hexdump::base64(bytes);
    write(
        out,
        &Doc {
            schema_version: SCHEMA_VERSION,
            offset,
            length,
            base64,
        },
    )
}

/// A decoded value as JSON: numbers as numbers, NaN and infinities as strings, a union as
/// an object of every member, an enum by name (or its number when no name matches).
struct DecodedJson<'a>(&'a crate::decode::Value);

impl Serialize for DecodedJson<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use crate::decode::Value;
        use serde::ser::{SerializeMap, SerializeSeq};
        match self.0 {
            Value::Int(v) => match (i64::try_from(*v), u64::try_from(*v)) {
                (Ok(i), _) => s.serialize_i64(i),
                (_, Ok(u)) => s.serialize_u64(u),
                _ => s.collect_str(v),
            },
            Value::Float(f) if f.is_nan() => s.serialize_str("NaN"),
            Value::Float(f) if f.is_infinite() => {
                s.serialize_str(if *f > 0.0 { "Infinity" } else { "-Infinity" })
            }
            Value::Float(f) => s.serialize_f64(*f),
            Value::Bool { value, .. } => s.serialize_bool(*value),
            Value::Str { text, .. } => s.serialize_str(text),
            Value::Enum {
                name: Some(name), ..
            } => s.serialize_str(name),
            Value::Enum { name: None, value } => DecodedJson(&Value::Int(*value)).serialize(s),
            Value::Pointer(p) => s.collect_str(&format_args!("{p:#x}")),
            Value::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&DecodedJson(item))?;
                }
                seq.end()
            }
            Value::Record(members) => {
                let mut map = s.serialize_map(Some(members.len()))?;
                for (name, value) in members {
                    map.serialize_entry(name, &DecodedJson(value))?;
                }
                map.end()
            }
            Value::Semaphore {
                value,
                waiters,
                shared,
            } => {
                let mut map = s.serialize_map(Some(3))?;
                map.serialize_entry("value", value)?;
                map.serialize_entry("waiters", waiters)?;
                map.serialize_entry("shared", shared)?;
                map.end()
            }
            Value::Mutex(m) => {
                let mut map = s.serialize_map(Some(6))?;
                map.serialize_entry("state", m.state)?;
                map.serialize_entry("owner_tid", &m.owner_tid)?;
                map.serialize_entry("kind", m.kind)?;
                map.serialize_entry("robust", &m.robust)?;
                map.serialize_entry("shared", &m.shared)?;
                map.serialize_entry("owner_dead", &m.owner_dead)?;
                map.end()
            }
            Value::Condition { waiters, shared } => {
                let mut map = s.serialize_map(Some(2))?;
                map.serialize_entry("waiters", waiters)?;
                map.serialize_entry("shared", shared)?;
                map.end()
            }
            Value::Missing => s.serialize_none(),
        }
    }
}

/// `dump --schema … --json`, streamed record by record:
/// `{"schema_version": 1, "type": …, "size": …, "segment_size": …, "value": {…}}`, or
/// `"values": […]` with `--count`.
pub struct DumpStream {
    enabled: bool,
    many: bool,
    written: u64,
    entry: Vec<u8>,
}

impl DumpStream {
    pub fn start(
        out: &mut dyn Write,
        type_name: &str,
        size: u64,
        segment_size: u64,
        count: u64,
        enabled: bool,
    ) -> Result<DumpStream> {
        if enabled {
            let name = serde_json::to_string(type_name).map_err(std::io::Error::from)?;
            let list = if count > 1 { "values\":[" } else { "value\":" };
            write!(out, "{{\"schema_version\":{SCHEMA_VERSION},\"type\":{name},\"size\":{size},\"segment_size\":{segment_size},\"{list}")?;
        }
        Ok(DumpStream {
            enabled,
            many: count > 1,
            written: 0,
            entry: Vec::with_capacity(256),
        })
    }

    pub fn value(&mut self, out: &mut dyn Write, value: &crate::decode::Value) -> Result<()> {
        self.entry.clear();
        if self.written > 0 {
            self.entry.push(b',');
        }
        serde_json::to_writer(&mut self.entry, &DecodedJson(value))
            .map_err(std::io::Error::from)?;
        out.write_all(&self.entry)?;
        self.written += 1;
        Ok(())
    }

    pub fn finish(self, out: &mut dyn Write) -> Result<()> {
        if self.enabled {
            match (self.many, self.written) {
                (true, _) => out.write_all(b"]}\n")?,
                (false, 0) => out.write_all(b"null}\n")?,
                (false, _) => out.write_all(b"}\n")?,
            }
        }
        Ok(())
    }
}
