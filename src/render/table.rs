//! Tables and text for people: sizes and ages made human, times local.
use std::io::Write;

use comfy_table::{presets, CellAlignment, ContentArrangement, Table};

use crate::column::Column;
use crate::error::Result;
use crate::model::{self, Created, FtokKey, Limits, Liveness, SegmentDetail, SegmentRecord};
use crate::removal::{Outcome, Removal};
use crate::units::{elapsed, human_duration, human_size, local_time, perms_string, rfc3339_utc};

use super::{escape, escape_owned};

fn or_dash(value: Option<String>) -> String {
    value.unwrap_or_else(|| "-".to_string())
}

fn short_time(unix: i64) -> String {
    if unix == 0 {
        "-".to_string()
    } else {
        local_time(unix)
    }
}

fn cell(column: Column, record: &SegmentRecord, now: i64) -> String {
    let s = &record.segment;
    match column {
        Column::Key => model::key_hex(s.key),
        Column::Id => s.id.to_string(),
        Column::Owner => record
            .owner_name
            .as_deref()
            .map_or_else(|| s.uid.to_string(), String::from),
        Column::Uid => s.uid.to_string(),
        Column::Group => record
            .group_name
            .as_deref()
            .map_or_else(|| s.gid.to_string(), String::from),
        Column::Gid => s.gid.to_string(),
        Column::Cuid => s.cuid.to_string(),
        Column::Cgid => s.cgid.to_string(),
        Column::Perms => perms_string(s.perms()),
        Column::Mode => format!("{:04o}", s.perms()),
        Column::Size => human_size(s.size),
        Column::Nattch => s.nattch.to_string(),
        Column::Status => {
            let status = s.status();
            if status.is_empty() {
                "-".to_string()
            } else {
                status.join(",")
            }
        }
        Column::Cpid => s.cpid.to_string(),
        Column::Creator => record.creator_state.as_str().to_string(),
        Column::Lpid => s.lpid.to_string(),
        Column::Last => record.last_state.as_str().to_string(),
        Column::Age => or_dash(s.creation_bound().map(|t| human_duration(elapsed(now, t)))),
        Column::Idle => human_duration(elapsed(now, s.last_activity())),
        Column::Ctime => short_time(s.ctime),
        Column::Atime => short_time(s.atime),
        Column::Dtime => short_time(s.dtime),
        Column::Rss => or_dash(record.memory.map(|m| human_size(m.rss))),
        Column::Swap => or_dash(record.memory.map(|m| human_size(m.swap))),
        Column::Orphan => if record.verdict.is_orphan() {
            "yes"
        } else {
            "no"
        }
        .to_string(),
        Column::Why => crate::column::why(&record.verdict),
    }
}

/// The `ls` table, aligned like `ipcs`: no borders, numbers right-aligned.
pub fn ls(
    out: &mut dyn Write,
    records: &[SegmentRecord],
    columns: &[Column],
    headers: bool,
    now: i64,
) -> Result<()> {
    if records.is_empty() {
        if headers {
            writeln!(out, "no shared memory segments")?;
        }
        return Ok(());
    }
    let mut table = Table::new();
    table
        .load_preset(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled);
    if headers {
        table.set_header(columns.iter().map(|c| c.header()));
    }
    for record in records {
        // Escaped before the table measures its columns.
        table.add_row(columns.iter().map(|&c| escape_owned(cell(c, record, now))));
    }
    for (i, c) in columns.iter().enumerate() {
        if let Some(col) = table.column_mut(i) {
            col.set_cell_alignment(if c.is_numeric() {
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

pub(super) fn time_line(out: &mut dyn Write, label: &str, unix: i64, now: i64) -> Result<()> {
    if unix == 0 {
        writeln!(out, "  {label:<14} never")?;
    } else {
        let ago = human_duration(elapsed(now, unix));
        writeln!(
            out,
            "  {label:<14} {}  ({}, {ago} ago)",
            local_time(unix),
            rfc3339_utc(unix)
        )?;
    }
    Ok(())
}

fn pid_line(
    out: &mut dyn Write,
    label: &str,
    pid: i32,
    state: Liveness,
    cmdline: Option<&str>,
) -> Result<()> {
    let meaning = match state {
        Liveness::Alive => "alive",
        Liveness::Dead => "dead",
        Liveness::Exited => "exited (a zombie: it holds no mapping)",
        Liveness::Reused => "dead (the pid now belongs to a younger process)",
        Liveness::Unknown => "unknown (pid 0: in another PID namespace)",
        Liveness::Never => "never attached",
    };
    match cmdline {
        Some(cmd) => writeln!(out, "  {label:<14} {pid} {meaning}: {}", escape(cmd))?,
        None => writeln!(out, "  {label:<14} {pid} {meaning}")?,
    }
    Ok(())
}

/// `stat`: one block per segment.
pub fn stat(out: &mut dyn Write, details: &[SegmentDetail], now: i64) -> Result<()> {
    for (i, d) in details.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        let r = &d.record;
        let s = &r.segment;
        writeln!(
            out,
            "shm {} key {} ({})",
            s.id,
            model::key_hex(s.key),
            s.key
        )?;
        let name = |n: &Option<std::rc::Rc<str>>| escape(n.as_deref().unwrap_or("?")).into_owned();
        writeln!(
            out,
            "  {:<14} {} (uid {}), group {} (gid {})",
            "owner",
            name(&r.owner_name),
            s.uid,
            name(&r.group_name),
            s.gid
        )?;
        writeln!(out, "  {:<14} uid {}, gid {}", "creator", s.cuid, s.cgid)?;
        writeln!(
            out,
            "  {:<14} {:04o} {}",
            "mode",
            s.perms(),
            perms_string(s.perms())
        )?;
        let status = s.status();
        writeln!(
            out,
            "  {:<14} {}",
            "status",
            if status.is_empty() {
                "-".to_string()
            } else {
                status.join(", ")
            }
        )?;
        writeln!(
            out,
            "  {:<14} {} bytes ({})",
            "size",
            s.size,
            human_size(s.size)
        )?;
        match r.memory {
            Some(m) => writeln!(
                out,
                "  {:<14} {} resident, {} swapped",
                "memory",
                human_size(m.rss),
                human_size(m.swap)
            )?,
            None => writeln!(
                out,
                "  {:<14} unknown (/proc/sysvipc/shm unreadable)",
                "memory"
            )?,
        }
        writeln!(out, "  {:<14} {}", "nattch", s.nattch)?;
        pid_line(
            out,
            "cpid",
            s.cpid,
            r.creator_state,
            d.creator_cmdline.as_deref(),
        )?;
        pid_line(out, "lpid", s.lpid, r.last_state, d.last_cmdline.as_deref())?;
        time_line(out, "ctime", s.ctime, now)?;
        time_line(out, "atime", s.atime, now)?;
        time_line(out, "dtime", s.dtime, now)?;
        if d.attached_complete {
            writeln!(out, "  {:<14} {}", "attached", d.attachers.len())?;
        } else {
            let others = if d.maps_readable {
                "the others are in processes this PID namespace cannot see"
            } else {
                "the others are in processes whose maps could not be read (run as root), or \
                 that this PID namespace cannot see"
            };
            writeln!(
                out,
                "  {:<14} {} ({} found: {others})",
                "attached",
                s.nattch,
                d.attachers.len()
            )?;
        }
        for a in &d.attachers {
            let rw = if a.writable { "rw" } else { "ro" };
            writeln!(
                out,
                "    pid {} ({}) at {:#x}, {} bytes, {rw}",
                a.pid,
                escape(&a.comm),
                a.address,
                a.length
            )?;
        }
        match d.shm_rmid_forced {
            Some(v) => writeln!(out, "  {:<14} {v}", "shm_rmid_forced")?,
            None => writeln!(out, "  {:<14} unknown", "shm_rmid_forced")?,
        }
    }
    Ok(())
}

pub fn created(out: &mut dyn Write, c: &Created) -> Result<()> {
    let verb = if c.created {
        "created"
    } else {
        "exists (not created)"
    };
    writeln!(
        out,
        "shm {} key {} size {} {verb}",
        c.id,
        model::key_hex(c.key),
        c.size
    )?;
    Ok(())
}

pub fn key(out: &mut dyn Write, k: &FtokKey) -> Result<()> {
    writeln!(out, "key {} ({})", model::key_hex(k.key), k.key)?;
    writeln!(out, "  proj   {:#04x} ({}) -> bits 24-31", k.proj, k.proj)?;
    writeln!(
        out,
        "  device {:#x} -> low 8 bits {:#04x} -> bits 16-23",
        k.device,
        k.device & 0xff
    )?;
    writeln!(
        out,
        "  inode  {} -> low 16 bits {:#06x} -> bits 0-15",
        k.inode,
        k.inode & 0xffff
    )?;
    writeln!(
        out,
        "  note: files whose inodes differ by a multiple of 65536 on devices with the same low byte get the same key, and recreating the file changes it"
    )?;
    Ok(())
}

pub fn limits(out: &mut dyn Write, l: &Limits, others: &crate::objects::OtherLimits) -> Result<()> {
    let unlimited = |v: u64, show: &dyn Fn(u64) -> String| {
        if v >= 1 << 53 {
            "unlimited".to_string()
        } else {
            show(v)
        }
    };
    let bytes = |v: u64| format!("{v} bytes ({})", human_size(v));
    let pages = |v: u64| format!("{v} pages ({})", human_size(v.saturating_mul(l.page_size)));
    let rows = [
        (
            "max segment size",
            unlimited(l.shm.max_segment_bytes, &bytes),
        ),
        ("min segment size", human_size(l.shm.min_segment_bytes)),
        ("max segments", l.shm.max_segments.to_string()),
        (
            "max per process",
            l.shm.max_segments_per_process.to_string(),
        ),
        ("max total", unlimited(l.shm.max_total_pages, &pages)),
        ("page size", l.page_size.to_string()),
        ("used segments", l.usage.used_segments.to_string()),
        ("used memory", pages(l.usage.used_pages)),
        ("resident", pages(l.usage.rss_pages)),
        ("swapped", pages(l.usage.swap_pages)),
    ];
    writeln!(out, "shared memory")?;
    for (label, value) in rows {
        writeln!(out, "  {label:<18} {value}")?;
    }
    super::objects::limits(out, others)
}

/// How much of an `rm`/`gc` report people see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemovalView {
    /// No lines for what went well.
    pub quiet: bool,
    /// A line for every kept segment (rm: always, they are refusals; gc: with -v).
    pub list_kept: bool,
    /// gc's closing line: counts, bytes, and why the rest were kept.
    pub summary: bool,
}

fn evidence_text(item: &Removal) -> String {
    let mut text = String::new();
    if !item.evidence.is_empty() {
        let reasons: Vec<&str> = item.evidence.iter().map(|e| e.text.as_ref()).collect();
        text = format!(": {}", reasons.join("; "));
    }
    if let Some(archive) = &item.archive {
        text.push_str(&format!(" (archived: {})", archive.display()));
    }
    escape_owned(text)
}

/// One line per segment of `rm`/`gc`; failures go to stderr through the caller.
pub fn removal(out: &mut dyn Write, report: &super::Report, view: RemovalView) -> Result<()> {
    use crate::removal_kinds::ObjectOutcome;
    let super::Report {
        dry_run,
        items,
        others,
        restored,
        ..
    } = *report;
    for r in restored.iter().filter(|r| r.error.is_none()) {
        writeln!(
            out,
            "restored {} to mode {:04o}: an interrupted run had left it at 0000",
            super::escape(&r.entry.label()),
            r.entry.mode
        )?;
    }
    let (mut removed, mut bytes, mut would) = (0, 0, dry_run);
    let mut failed = 0;
    let mut kept: Vec<(&str, usize)> = Vec::new();
    let mut count_kept = |code: &'static str| match kept.iter_mut().find(|(c, _)| *c == code) {
        Some((_, n)) => *n += 1,
        None => kept.push((code, 1)),
    };
    for item in items {
        match &item.outcome {
            Outcome::Removed {
                segment: s,
                marked: false,
            } => {
                removed += 1;
                bytes += s.size;
                if !view.quiet {
                    let why = evidence_text(item);
                    writeln!(
                        out,
                        "removed shm {} key {} ({}){why}",
                        s.id,
                        model::key_hex(s.key),
                        human_size(s.size)
                    )?
                }
            }
            Outcome::Removed {
                segment: s,
                marked: true,
            } => {
                removed += 1;
                if !view.quiet {
                    writeln!(
                        out,
                        "marked shm {} key {} for destruction: {} attachment(s) remain, it goes at the last detach",
                        s.id,
                        model::key_hex(s.key),
                        s.nattch
                    )?
                }
            }
            Outcome::WouldRemove { segment: s } => {
                (removed, bytes, would) = (removed + 1, bytes + s.size, true);
                let how = if s.nattch > 0 {
                    " (attached: would only be marked for destruction)"
                } else {
                    ""
                };
                let why = evidence_text(item);
                writeln!(
                    out,
                    "would remove shm {} key {} ({}){how}{why}",
                    s.id,
                    model::key_hex(s.key),
                    human_size(s.size)
                )?
            }
            Outcome::Kept { segment: s, reason } => {
                count_kept(reason.code);
                if view.list_kept {
                    writeln!(
                        out,
                        "kept shm {} key {}: {} ({})",
                        s.id,
                        model::key_hex(s.key),
                        escape(&reason.text),
                        reason.code
                    )?
                }
            }
            Outcome::Gone { id } if !view.quiet => writeln!(out, "shm {id} already gone")?,
            Outcome::Gone { .. } => {}
            Outcome::Failed { .. } => failed += 1,
        }
    }
    let segments = removed;
    for item in others {
        super::objects::removal_line(out, item, view.quiet, view.list_kept)?;
        match &item.outcome {
            ObjectOutcome::Removed => (removed, bytes) = (removed + 1, bytes + item.object.bytes()),
            ObjectOutcome::WouldRemove => {
                (removed, bytes, would) = (removed + 1, bytes + item.object.bytes(), true)
            }
            ObjectOutcome::Kept(reason) => count_kept(reason.code),
            ObjectOutcome::Gone => {}
            ObjectOutcome::Failed { .. } => failed += 1,
        }
    }
    failed += restored.iter().filter(|r| r.error.is_some()).count();
    if view.summary && !view.quiet {
        let verb = if would { "would remove" } else { "removed" };
        let what = if removed == segments {
            "segment(s)"
        } else {
            "object(s)"
        };
        let mut line = match (removed, failed) {
            (0, 0) => "nothing to remove".to_string(),
            (0, _) => format!("{verb} nothing"),
            _ => format!("{verb} {removed} {what}, {}", human_size(bytes)),
        };
        if failed > 0 {
            line.push_str(&format!("; failed {failed}"));
        }
        if !kept.is_empty() {
            let total: usize = kept.iter().map(|(_, n)| n).sum();
            let parts: Vec<String> = kept.iter().map(|(code, n)| format!("{code} {n}")).collect();
            line.push_str(&format!("; kept {total}: {}", parts.join(", ")));
        }
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// `schema`: a pahole-style layout per type, every hole and the tail padding marked.
pub fn schema(
    out: &mut dyn Write,
    program: &crate::schema::Program,
    views: &[crate::cmd::schema::TypeView],
) -> Result<()> {
    for (i, view) in views.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        let types: Vec<String> = view.fields.iter().map(|f| f.ty.display(program)).collect();
        let type_width = types
            .iter()
            .map(|t| t.chars().count())
            .max()
            .unwrap_or(4)
            .max(4);
        let offset_width = format!("{:#x}", view.size).len().max(4);
        writeln!(out, "{} {} {{", view.keyword, view.name)?;
        // Fields and holes in offset order (a field before a hole at the same offset).
        let mut rows: Vec<(u64, u8, String)> = Vec::new();
        for (field, ty) in view.fields.iter().zip(&types) {
            let (offset, size, name) = match (field.bit_offset, field.bit_width) {
                (Some(bit), Some(width)) => {
                    let place = format!("{:#0w$x}:{}", bit / 8, bit % 8, w = offset_width);
                    (
                        place,
                        format!(":{width}"),
                        format!("{} (bits {}..{})", field.path, bit, bit + width),
                    )
                }
                _ => (
                    format!("{:#0w$x}", field.offset, w = offset_width),
                    field.size.to_string(),
                    field.path.clone(),
                ),
            };
            let line = format!(
                "  {offset:<w$}  {size:>6}  {ty:<tw$}  {name}",
                w = offset_width + 2,
                tw = type_width
            );
            rows.push((field.bit_offset.unwrap_or(field.offset * 8), 0, line));
        }
        for (offset, size) in &view.holes {
            let what = if offset + size == view.size {
                "padding at the end"
            } else {
                "padding"
            };
            let s = if *size == 1 { "" } else { "s" };
            let line = format!(
                "  {:<w$}  {:>6}  /* {size} byte{s} {what} */",
                format!("{:#0w2$x}", offset, w2 = offset_width),
                size,
                w = offset_width + 2
            );
            rows.push((offset * 8, 1, line));
        }
        rows.sort_by_key(|(at, kind, _)| (*at, *kind));
        for (_, _, line) in rows {
            writeln!(out, "{}", line.trim_end())?;
        }
        let tail: u64 = view
            .holes
            .iter()
            .filter(|(o, s)| o + s == view.size)
            .map(|(_, s)| s)
            .sum();
        let interior: Vec<u64> = view
            .holes
            .iter()
            .filter(|(o, s)| o + s != view.size)
            .map(|(_, s)| *s)
            .collect();
        let mut padding = Vec::new();
        if !interior.is_empty() {
            padding.push(format!(
                "{} in {} hole(s)",
                interior.iter().sum::<u64>(),
                interior.len()
            ));
        }
        if tail > 0 {
            padding.push(format!("{tail} at the end"));
        }
        let padding = if padding.is_empty() {
            "no padding".to_string()
        } else {
            format!("padding {}", padding.join(", "))
        };
        writeln!(
            out,
            "}}; /* {} bytes ({:#x}), align {}, {} field(s), {padding} */",
            view.size,
            view.size,
            view.align,
            view.fields.len()
        )?;
    }
    Ok(())
}

pub fn schema_check(out: &mut dyn Write, check: &crate::cmd::schema::Check) -> Result<()> {
    let s = check.segment;
    let (t, n) = (check.type_size, s.size);
    let verdict = match t.cmp(&n) {
        std::cmp::Ordering::Equal => "they match".to_string(),
        std::cmp::Ordering::Less => format!("the segment is larger by {} byte(s)", n - t),
        std::cmp::Ordering::Greater => format!(
            "the type is larger by {} byte(s): reading it would run past the segment",
            t - n
        ),
    };
    writeln!(
        out,
        "{} is {t} bytes; shm {} (key {}) is {n} bytes: {verdict}",
        check.type_name,
        s.id,
        model::key_hex(s.key)
    )?;
    Ok(())
}

pub fn schema_lint(
    out: &mut dyn Write,
    findings: &[(String, crate::schema::lint::Finding)],
) -> Result<()> {
    for (type_name, f) in findings {
        match &f.path {
            Some(path) => writeln!(out, "{type_name}.{path}: {} ({})", f.text, f.code)?,
            None => writeln!(out, "{type_name}: {} ({})", f.text, f.code)?,
        }
    }
    if findings.is_empty() {
        writeln!(out, "no findings")?;
    }
    Ok(())
}

/// A sync object's pshared setting, in words.
fn scope(shared: bool) -> &'static str {
    if shared {
        "process-shared"
    } else {
        "process-private"
    }
}

/// A decoded value in a table cell.
pub fn value_text(value: &crate::decode::Value, hex: bool) -> String {
    use crate::decode::Value;
    match value {
        Value::Int(v) if hex => format!("{v:#x}"),
        Value::Int(v) => v.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Bool { value, raw } if *raw > 1 => format!("{value} (byte {raw:#04x}, not 0 or 1)"),
        Value::Bool { value, .. } => value.to_string(),
        Value::Str {
            text,
            terminated: true,
        } => format!("\"{text}\""),
        Value::Str {
            text,
            terminated: false,
        } => format!("\"{text}\" (no NUL: fills the array)"),
        Value::Enum {
            name: Some(name),
            value,
        } => format!("{name} ({value})"),
        Value::Enum { name: None, value } => format!("{value} (no constant has this value)"),
        Value::Pointer(p) => format!("{p:#x}"),
        Value::Array(items) => {
            let shown: Vec<String> = items.iter().take(16).map(|v| value_text(v, hex)).collect();
            let more = if items.len() > 16 {
                format!(", … ({} in all)", items.len())
            } else {
                String::new()
            };
            format!("[{}{more}]", shown.join(", "))
        }
        Value::Record(members) => {
            let shown: Vec<String> = members
                .iter()
                .map(|(n, v)| format!("{n}: {}", value_text(v, hex)))
                .collect();
            format!("{{{}}}", shown.join(", "))
        }
        Value::Semaphore {
            value,
            waiters,
            shared,
        } => format!("value {value}, {waiters} waiter(s), {}", scope(*shared)),
        Value::Mutex(m) => {
            let mut text = match m.state {
                "free" => "free".to_string(),
                state => format!("{state} by tid {}", m.owner_tid),
            };
            let mut traits = vec![m.kind];
            if m.robust {
                traits.push("robust");
            }
            if m.shared {
                traits.push("process-shared");
            }
            text.push_str(&format!(" ({})", traits.join(", ")));
            if m.owner_dead {
                text.push_str(" — OWNER DEAD: nobody will release it");
            }
            text
        }
        Value::Condition { waiters, shared } => format!("{waiters} waiter(s), {}", scope(*shared)),
        Value::Missing => "(past the end of the segment)".to_string(),
    }
}

/// One decoded record: Offset | Field | Type | Size | Value.
#[allow(clippy::too_many_arguments)]
pub fn decoded(
    out: &mut dyn Write,
    program: &crate::schema::Program,
    fields: &[crate::schema::Field],
    decoder: &crate::decode::Decoder,
    bytes: &[u8],
    at: u64,
    index: u64,
    numbered: bool,
    hex: bool,
) -> Result<()> {
    if numbered {
        writeln!(
            out,
            "{}record {index} at {at:#x}",
            if index > 0 { "\n" } else { "" }
        )?;
    }
    let mut table = Table::new();
    table
        .load_preset(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled);
    table.set_header(["OFFSET", "FIELD", "TYPE", "SIZE", "VALUE"]);
    for field in fields {
        let offset = match field.bit_offset {
            Some(bit) => format!("{:#06x}:{}", at + bit / 8, bit % 8),
            None => format!("{:#06x}", at + field.offset),
        };
        let size = match field.bit_width {
            Some(width) => format!(":{width}"),
            None => field.size.to_string(),
        };
        let value = value_text(&decoder.field(field, bytes), hex);
        table.add_row([
            offset,
            field.path.clone(),
            field.ty.display(program),
            size,
            value,
        ]);
    }
    if let Some(col) = table.column_mut(3) {
        col.set_cell_alignment(CellAlignment::Right);
    }
    for line in table.lines() {
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}
