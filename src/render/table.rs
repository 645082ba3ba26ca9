//! Tables and text for people: sizes and ages made human, times local.
use std::io::Write;

use comfy_table::{presets, CellAlignment, ContentArrangement, Table};

use super::escape::escape;
use crate::model::{self, Created, FtokKey, Limits};
use crate::units::human_size;
use std::io::Result;

pub fn created(out: &mut dyn Write, c: &Created) -> Result<()> {
    use model::NewObject;
    let verb = if c.created {
        "created"
    } else {
        "exists (not created)"
    };
    let value = |value: Option<u32>| value.map(|v| format!(" value {v}")).unwrap_or_default();
    match &c.object {
        NewObject::Segment { id, key, size } => {
            writeln!(
                out,
                "shm {id} key {} size {size} {verb}",
                model::key_hex(*key)
            )
        }
        NewObject::Set {
            id,
            key,
            nsems,
            value: v,
        } => writeln!(
            out,
            "sem {id} key {} nsems {nsems}{} {verb}",
            model::key_hex(*key),
            value(*v)
        ),
        NewObject::Queue { id, key, max_bytes } => writeln!(
            out,
            "msg {id} key {} qbytes {max_bytes} {verb}",
            model::key_hex(*key)
        ),
        NewObject::PosixShm { name, size, .. } => {
            writeln!(out, "pshm {} size {size} {verb}", escape(name))
        }
        NewObject::PosixSem { name, value: v, .. } => {
            writeln!(out, "psem {}{} {verb}", escape(name), value(*v))
        }
        NewObject::PosixQueue {
            name,
            max_messages,
            max_message_bytes,
            ..
        } => writeln!(
            out,
            "pmq {} maxmsg {max_messages} msgsize {max_message_bytes} {verb}",
            escape(name)
        ),
    }?;
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

pub fn limits(
    out: &mut dyn Write,
    l: &Limits,
    others: &crate::objects::OtherLimits,
    exact: bool,
) -> Result<()> {
    let size = move |v: u64| size_text(v, exact);
    let unlimited = |v: u64, show: &dyn Fn(u64) -> String| {
        if v >= 1 << 53 {
            "unlimited".to_string()
        } else {
            show(v)
        }
    };
    let bytes = |v: u64| match exact {
        true => format!("{v} bytes"),
        false => format!("{v} bytes ({})", human_size(v)),
    };
    let pages = |v: u64| format!("{v} pages ({})", size(v.saturating_mul(l.page_size)));
    let rows = [
        (
            "max segment size",
            unlimited(l.shm.max_segment_bytes, &bytes),
        ),
        ("min segment size", size(l.shm.min_segment_bytes)),
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
    other_limits(out, others, exact)
}

/// A size for `limits`: `4096 bytes` with `--bytes`, else `4.0 KiB`.
fn size_text(v: u64, exact: bool) -> String {
    if exact {
        format!("{v} byte{}", if v == 1 { "" } else { "s" })
    } else {
        human_size(v)
    }
}

/// `limits` for the other kinds, after shared memory's block.
fn other_limits(out: &mut dyn Write, l: &crate::objects::OtherLimits, exact: bool) -> Result<()> {
    let size = move |v: u64| size_text(v, exact);
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
            ("max message size", l.msg.map(|m| size(m.max_message_bytes))),
            ("default queue size", l.msg.map(|m| size(m.max_queue_bytes))),
            ("used queues", l.msg_usage.map(|u| u.queues.to_string())),
            ("used messages", l.msg_usage.map(|u| u.messages.to_string())),
            ("used bytes", l.msg_usage.map(|u| size(u.bytes))),
        ],
    )?;
    block(
        out,
        "POSIX shared memory (/dev/shm)",
        vec![
            ("size", l.shm_fs.map(|f| size(f.total_bytes))),
            ("used", l.shm_fs.map(|f| size(f.used_bytes))),
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
                l.mqueue.map(|m| size(m.max_message_bytes)),
            ),
            (
                "default messages",
                l.mqueue.map(|m| m.default_messages.to_string()),
            ),
            (
                "default msg size",
                l.mqueue.map(|m| size(m.default_message_bytes)),
            ),
            ("queues", l.mqueue_count.map(|n| n.to_string())),
        ],
    )
}

/// `schema`: a pahole-style layout per type, every hole and the tail padding marked.
pub fn schema(
    out: &mut dyn Write,
    program: &crate::schema::Program,
    views: &[crate::schema::TypeView],
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

pub fn schema_check(out: &mut dyn Write, check: &crate::schema::SizeCheck) -> Result<()> {
    let (t, n) = (check.type_size, check.segment_size);
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
        check.segment_id,
        model::key_hex(check.segment_key)
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

/// An integer in hex; a negative one as the two's complement of its own width (`int16_t`
/// -40 is 0xffd8, an `int :5` holding -3 is 0x1d), not of an i128.
fn hex_text(value: i128, bits: u32) -> String {
    if value >= 0 {
        return format!("{value:#x}");
    }
    let mask = 1u128.checked_shl(bits).map_or(u128::MAX, |m| m - 1);
    format!("{:#x}", value as u128 & mask)
}

/// A decoded value in a table cell.
pub fn value_text(value: &crate::decode::Value, hex: bool) -> String {
    use crate::decode::Value;
    match value {
        Value::Int { value, bits } if hex => hex_text(*value, *bits),
        Value::Int { value, .. } => value.to_string(),
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
        Value::Array { items, len } => {
            let shown: Vec<String> = items.iter().take(16).map(|v| value_text(v, hex)).collect();
            let more = if *len > shown.len() {
                format!(", … ({len} in all)")
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

/// `schema --compare-debug-info`: one line per difference, or that there is none.
pub fn schema_compare(
    out: &mut dyn Write,
    type_name: &str,
    (header, debug_info): (&str, &str),
    differences: &[crate::schema::compare::Difference],
) -> Result<()> {
    if differences.is_empty() {
        writeln!(
            out,
            "{type_name}: {header} and {debug_info} lay it out the same"
        )?;
        return Ok(());
    }
    writeln!(
        out,
        "{type_name}: {} difference(s) between {header} (header) and {debug_info} (debug info)",
        differences.len()
    )?;
    for d in differences {
        let field = d
            .field
            .as_deref()
            .map_or_else(|| "the type".to_string(), |f| format!("field {f}"));
        let line = match d.what {
            "missing" => format!(
                "{field}: only in the header ({})",
                d.header.as_deref().unwrap_or("")
            ),
            "extra" => format!(
                "{field}: only in the debug info ({})",
                d.debug_info.as_deref().unwrap_or("")
            ),
            what => format!(
                "{field}: {what} {} in the header, {} in the debug info",
                d.header.as_deref().unwrap_or("-"),
                d.debug_info.as_deref().unwrap_or("-")
            ),
        };
        writeln!(out, "  {}", super::escape(&line))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::Value;

    fn int(value: i128, bits: u32) -> Value {
        Value::Int { value, bits }
    }

    #[test]
    fn hex_shows_a_negative_integer_in_its_own_width() {
        assert_eq!(value_text(&int(-40, 16), true), "0xffd8");
        assert_eq!(value_text(&int(-3, 5), true), "0x1d", "an int :5 bitfield");
        assert_eq!(value_text(&int(-1, 8), true), "0xff");
        assert_eq!(value_text(&int(-1, 64), true), "0xffffffffffffffff");
        assert_eq!(
            value_text(&int(i128::MIN, 128), true),
            format!("{:#x}", 1u128 << 127)
        );
        assert_eq!(value_text(&int(0xc0ffee, 32), true), "0xc0ffee");
        assert_eq!(value_text(&int(-40, 16), false), "-40");
        assert_eq!(
            value_text(
                &Value::Array {
                    items: vec![int(-2, 8), int(3, 8)],
                    len: 2
                },
                true
            ),
            "[0xfe, 0x3]"
        );
    }

    #[test]
    fn decoded_fields_carry_their_width_to_hex() {
        let program =
            crate::schema::parse("t.h", "struct S { short t; int level:5; };").expect("parse");
        let layouts =
            crate::schema::Layouts::new(&program, crate::schema::Target::X86_64).expect("layout");
        let decoder = crate::decode::Decoder {
            layouts: &layouts,
            thread_alive: &|_| true,
        };
        // t = -40; level = -3 (0b11101) in bits 16..21.
        let bytes = [0xd8, 0xff, 0x1d, 0, 0, 0, 0, 0];
        let shown: Vec<String> = layouts
            .fields(0)
            .iter()
            .map(|f| value_text(&decoder.field(f, &bytes), true))
            .collect();
        assert_eq!(shown, ["0xffd8", "0x1d"]);
        let mut out = Vec::new();
        decoded(
            &mut out,
            &program,
            &layouts.fields(0),
            &decoder,
            &bytes,
            0,
            0,
            false,
            true,
        )
        .expect("render");
        let out = String::from_utf8(out).expect("utf-8");
        assert!(
            out.contains("0xffd8") && !out.contains("0xffffffff"),
            "{out}"
        );
    }
}
