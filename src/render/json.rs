//! JSON for scripts (DESIGN.md "JSON"): numbers as numbers, absent values null, times twice.
use std::io::Write;

use serde::Serialize;

use crate::error::Result;
use crate::model::{self, Attacher, Created, FtokKey, Limits, SegmentDetail, SegmentRecord};
use crate::removal::Outcome;
use crate::units::{perms_string, rfc3339_utc};

pub const SCHEMA_VERSION: u32 = 1;

/// Writes one document and a final newline.
pub fn write<T: Serialize>(out: &mut dyn Write, document: &T) -> Result<()> {
    serde_json::to_writer(&mut *out, document).map_err(std::io::Error::from)?;
    writeln!(out)?;
    Ok(())
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
    key_hex: String,
    owner: Owner<'a>,
    creator: Creator,
    mode: u32,
    perms: String,
    size: u64,
    nattch: u64,
    status: Vec<&'static str>,
    cpid: i32,
    lpid: i32,
    atime: Option<String>,
    atime_unix: Option<i64>,
    dtime: Option<String>,
    dtime_unix: Option<i64>,
    ctime: Option<String>,
    ctime_unix: Option<i64>,
    creator_state: &'static str,
    last_state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rss: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    swap: Option<u64>,
}

fn time(unix: i64) -> (Option<String>, Option<i64>) {
    if unix == 0 {
        (None, None)
    } else {
        (Some(rfc3339_utc(unix)), Some(unix))
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
            key_hex: model::key_hex(s.key),
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
            perms: perms_string(s.perms()),
            size: s.size,
            nattch: s.nattch,
            status: s.status(),
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
            rss: memory.map(|m| m.rss),
            swap: memory.map(|m| m.swap),
        }
    }
}

#[derive(Serialize)]
struct Segments<T> {
    schema_version: u32,
    segments: Vec<T>,
}

pub fn ls(out: &mut dyn Write, records: &[SegmentRecord], with_memory: bool) -> Result<()> {
    let segments = records
        .iter()
        .map(|r| SegmentJson::new(r, with_memory))
        .collect();
    write(
        out,
        &Segments {
            schema_version: SCHEMA_VERSION,
            segments,
        },
    )
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
    pub selector: String,
    pub error: ErrorJson,
}

#[derive(Serialize)]
struct StatDocument<'a> {
    schema_version: u32,
    segments: Vec<StatJson<'a>>,
    failed: &'a [Unresolved],
}

pub fn stat(out: &mut dyn Write, details: &[SegmentDetail], failed: &[Unresolved]) -> Result<()> {
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

pub fn limits(out: &mut dyn Write, l: &Limits) -> Result<()> {
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
    struct Doc {
        schema_version: u32,
        shm: Shm,
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
        },
    )
}

#[derive(Serialize)]
struct RemovedJson {
    #[serde(rename = "type")]
    kind: &'static str,
    id: i32,
    key: u32,
    key_hex: String,
    size: u64,
    nattch: u64,
    marked_for_destruction: bool,
}

#[derive(Serialize)]
struct KeptJson {
    #[serde(rename = "type")]
    kind: &'static str,
    id: i32,
    key: Option<u32>,
    key_hex: Option<String>,
    reason: ErrorJson,
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
    removed: Vec<RemovedJson>,
    kept: Vec<KeptJson>,
    failed: Vec<FailedJson<'a>>,
}

/// The `rm`/`gc` document: every item lands in exactly one of removed, kept, failed.
pub fn removal(
    out: &mut dyn Write,
    dry_run: bool,
    outcomes: &[Outcome],
    unresolved: &[Unresolved],
) -> Result<()> {
    let mut doc = RemovalDocument {
        schema_version: SCHEMA_VERSION,
        dry_run,
        removed: vec![],
        kept: vec![],
        failed: vec![],
    };
    for outcome in outcomes {
        match outcome {
            Outcome::Removed { segment, marked } => doc.removed.push(removed(segment, *marked)),
            Outcome::WouldRemove { segment } => {
                doc.removed.push(removed(segment, segment.nattch > 0))
            }
            Outcome::Kept { segment, reason } => doc.kept.push(KeptJson {
                kind: "shm",
                id: segment.id,
                key: Some(segment.key),
                key_hex: Some(model::key_hex(segment.key)),
                reason: ErrorJson {
                    code: reason.code.to_string(),
                    text: reason.text.clone(),
                },
            }),
            Outcome::Gone { id } => doc.kept.push(KeptJson {
                kind: "shm",
                id: *id,
                key: None,
                key_hex: None,
                reason: ErrorJson {
                    code: "gone".into(),
                    text: "already gone".into(),
                },
            }),
            Outcome::Failed {
                id,
                segment,
                error,
                text,
            } => doc.failed.push(FailedJson {
                kind: "shm",
                selector: None,
                id: Some(*id),
                key: segment.as_ref().map(|s| s.key),
                key_hex: segment.as_ref().map(|s| model::key_hex(s.key)),
                error: ErrorJson {
                    code: error.code().to_string(),
                    text: format!("{text}: {}", error.text()),
                },
            }),
        }
    }
    for u in unresolved {
        doc.failed.push(FailedJson {
            kind: "shm",
            selector: Some(&u.selector),
            id: None,
            key: None,
            key_hex: None,
            error: ErrorJson {
                code: u.error.code.clone(),
                text: u.error.text.clone(),
            },
        });
    }
    write(out, &doc)
}

fn removed(segment: &model::Segment, marked: bool) -> RemovedJson {
    RemovedJson {
        kind: "shm",
        id: segment.id,
        key: segment.key,
        key_hex: model::key_hex(segment.key),
        size: segment.size,
        nattch: segment.nattch,
        marked_for_destruction: marked,
    }
}
