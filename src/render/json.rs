//! JSON for scripts (DESIGN.md "JSON"): numbers as numbers, absent values null, times twice.
use std::io::Write;

use serde::Serialize;

use crate::model::{self, Created, FtokKey, Limits};
use crate::units::Rfc3339;
use std::io::Result;

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
) -> std::result::Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

pub(crate) fn display_opt<T: std::fmt::Display, S: serde::Serializer>(
    value: &Option<T>,
    serializer: S,
) -> std::result::Result<S::Ok, S::Error> {
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
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let (text, unix) = time(self.unix);
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry(self.name, &text.map(|t| t.to_string()))?;
        map.serialize_entry(&format!("{}_unix", self.name), &unix)?;
        map.end()
    }
}

pub(crate) fn time(unix: i64) -> (Option<Rfc3339>, Option<i64>) {
    if unix == 0 {
        (None, None)
    } else {
        (Some(Rfc3339(unix)), Some(unix))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorJson {
    pub code: String,
    pub text: String,
}

/// A selector that named nothing (or could not be looked up).
#[derive(Debug, Clone, Serialize)]
pub struct Unresolved {
    /// The kind the selector names (`shm`, `sem` …).
    #[serde(rename = "type")]
    pub kind: crate::objects::Kind,
    pub selector: String,
    pub error: ErrorJson,
}

pub fn created(out: &mut dyn Write, c: &Created) -> Result<()> {
    use model::NewObject;
    /// One document for every kind: `type`, then the kind's own fields (id and key for the
    /// System V kinds, name and path for the POSIX ones), then `created`.
    #[derive(Serialize)]
    struct Doc<'a> {
        schema_version: u32,
        #[serde(flatten)]
        object: Object<'a>,
        created: bool,
    }
    #[derive(Serialize)]
    #[serde(tag = "type", rename_all = "lowercase")]
    enum Object<'a> {
        Shm {
            id: i32,
            key: u32,
            key_hex: String,
            size: u64,
        },
        Sem {
            id: i32,
            key: u32,
            key_hex: String,
            nsems: u64,
            value: Option<u32>,
        },
        Msg {
            id: i32,
            key: u32,
            key_hex: String,
            max_bytes: u64,
        },
        Pshm {
            name: &'a str,
            path: &'a std::path::Path,
            size: u64,
        },
        Psem {
            name: &'a str,
            path: &'a std::path::Path,
            value: Option<u32>,
        },
        Pmq {
            name: &'a str,
            path: &'a std::path::Path,
            max_messages: u64,
            max_message_bytes: u64,
        },
    }
    let object = match &c.object {
        &NewObject::Segment { id, key, size } => Object::Shm {
            id,
            key,
            key_hex: model::key_hex(key),
            size,
        },
        &NewObject::Set {
            id,
            key,
            nsems,
            value,
        } => Object::Sem {
            id,
            key,
            key_hex: model::key_hex(key),
            nsems,
            value,
        },
        &NewObject::Queue { id, key, max_bytes } => Object::Msg {
            id,
            key,
            key_hex: model::key_hex(key),
            max_bytes,
        },
        NewObject::PosixShm { name, path, size } => Object::Pshm {
            name,
            path,
            size: *size,
        },
        NewObject::PosixSem { name, path, value } => Object::Psem {
            name,
            path,
            value: *value,
        },
        NewObject::PosixQueue {
            name,
            path,
            max_messages,
            max_message_bytes,
        } => Object::Pmq {
            name,
            path,
            max_messages: *max_messages,
            max_message_bytes: *max_message_bytes,
        },
    };
    let doc = Doc {
        schema_version: SCHEMA_VERSION,
        object,
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
    views: &[crate::schema::TypeView],
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

pub fn schema_check(out: &mut dyn Write, check: &crate::schema::SizeCheck) -> Result<()> {
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
    let larger = match check.type_size.cmp(&check.segment_size) {
        std::cmp::Ordering::Equal => None,
        std::cmp::Ordering::Less => Some("segment"),
        std::cmp::Ordering::Greater => Some("type"),
    };
    let doc = Doc {
        schema_version: SCHEMA_VERSION,
        type_name: check.type_name,
        type_size: check.type_size,
        id: check.segment_id,
        key_hex: model::key_hex(check.segment_key),
        segment_size: check.segment_size,
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

/// `dump --json` without a schema: the bytes in base64, streamed as they are read, so that
/// nothing the size of the segment is held. `length` is the count to come: `read` fills a
/// buffer from its offset and returns how many bytes it gave (0 at the end).
pub fn dump_bytes(
    out: &mut dyn Write,
    offset: u64,
    length: u64,
    read: &mut dyn FnMut(u64, &mut [u8]) -> crate::error::Result<usize>,
) -> crate::error::Result<()> {
    use crate::error::Error;
    write!(
        out,
        "{{\"schema_version\":{SCHEMA_VERSION},\"offset\":{offset},\"length\":{length},\"base64\":\""
    )
    .map_err(Error::output)?;
    let mut encoder =
        base64::write::EncoderWriter::new(&mut *out, &base64::engine::general_purpose::STANDARD);
    let mut buf = vec![0u8; 64 * 1024];
    let mut done = 0u64;
    while done < length {
        let want = usize::try_from(length - done).map_or(buf.len(), |n| n.min(buf.len()));
        let n = read(offset + done, &mut buf[..want])?;
        if n == 0 {
            return Err(Error::Failed(format!(
                "the segment ended {done} bytes from offset {offset}, not {length}: the JSON is cut short"
            )));
        }
        encoder.write_all(&buf[..n]).map_err(Error::output)?;
        done += n as u64;
    }
    encoder.finish().map_err(Error::output)?;
    drop(encoder);
    out.write_all(b"\"}\n").map_err(Error::output)
}

/// A decoded value as JSON: numbers as numbers, NaN and infinities as strings, a union as
/// an object of every member, an enum by name (or its number when no name matches).
struct DecodedJson<'a>(&'a crate::decode::Value);

impl Serialize for DecodedJson<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use crate::decode::Value;
        use serde::ser::{SerializeMap, SerializeSeq};
        match self.0 {
            Value::Int { value: v, .. } => match (i64::try_from(*v), u64::try_from(*v)) {
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
            Value::Enum { name: None, value } => DecodedJson(&Value::Int {
                value: *value,
                bits: 128,
            })
            .serialize(s),
            Value::Pointer(p) => s.collect_str(&format_args!("{p:#x}")),
            // What a table shows of an array; `dump --json` streams every element through
            // [`Streamed`] instead and never comes here with one.
            Value::Array { items, .. } => {
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

/// A value decoded as it is written: arrays element by element, records member by member,
/// so that the JSON of `int a[1 << 28]` needs no more memory than one element's.
struct Streamed<'d, 't, 'b> {
    decoder: &'d crate::decode::Decoder<'t>,
    ty: &'t crate::schema::types::Ty,
    bytes: &'b [u8],
}

impl Serialize for Streamed<'_, '_, '_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use crate::decode::{Member, Node};
        use serde::ser::{SerializeMap, SerializeSeq};
        let decoder = self.decoder;
        match decoder.node(self.ty, self.bytes) {
            Node::Leaf(value) => DecodedJson(&value).serialize(s),
            Node::Array { of, elements } => {
                let mut seq = s.serialize_seq(Some(elements.len()))?;
                for bytes in elements {
                    seq.serialize_element(&Streamed {
                        decoder,
                        ty: of,
                        bytes,
                    })?;
                }
                seq.end()
            }
            Node::Record(members) => {
                let mut map = s.serialize_map(Some(members.len()))?;
                for (name, member) in members {
                    match member {
                        Member::Typed(ty, bytes) => {
                            map.serialize_entry(name, &Streamed { decoder, ty, bytes })?
                        }
                        Member::Decoded(value) => {
                            map.serialize_entry(name, &DecodedJson(&value))?
                        }
                    }
                }
                map.end()
            }
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
        })
    }

    /// One record of `ty` from `bytes`, written as it is decoded.
    pub fn value(
        &mut self,
        out: &mut dyn Write,
        decoder: &crate::decode::Decoder,
        ty: &crate::schema::types::Ty,
        bytes: &[u8],
    ) -> Result<()> {
        if self.written > 0 {
            out.write_all(b",")?;
        }
        let value = Streamed { decoder, ty, bytes };
        serde_json::to_writer(&mut *out, &value).map_err(std::io::Error::from)?;
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

/// `schema --compare-debug-info --json`.
pub fn schema_compare(
    out: &mut dyn Write,
    type_name: &str,
    (header, debug_info): (&str, &str),
    differences: &[crate::schema::compare::Difference],
) -> Result<()> {
    #[derive(Serialize)]
    struct Diff<'a> {
        field: Option<&'a str>,
        what: &'a str,
        header: Option<&'a str>,
        debug_info: Option<&'a str>,
    }
    #[derive(Serialize)]
    struct Doc<'a> {
        schema_version: u32,
        #[serde(rename = "type")]
        type_name: &'a str,
        header: &'a str,
        debug_info: &'a str,
        same: bool,
        differences: Vec<Diff<'a>>,
    }
    let doc = Doc {
        schema_version: SCHEMA_VERSION,
        type_name,
        header,
        debug_info,
        same: differences.is_empty(),
        differences: differences
            .iter()
            .map(|d| Diff {
                field: d.field.as_deref(),
                what: d.what,
                header: d.header.as_deref(),
                debug_info: d.debug_info.as_deref(),
            })
            .collect(),
    };
    serde_json::to_writer(&mut *out, &doc)?;
    writeln!(out)
}
