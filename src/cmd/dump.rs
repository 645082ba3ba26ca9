use std::io::Write;

use crate::cli::{DumpArgs, DumpFormat};
use crate::decode::{Decoder, Value};
use crate::error::{Error, Exit, Result};
use crate::hexdump::HexDumper;
use crate::render;
use crate::schema;

use super::read::SegmentReader;
use super::{Context, Header};

const CHUNK: usize = 64 * 1024;

pub fn run(ctx: Context, args: &DumpArgs, out: &mut dyn Write) -> Result<Exit> {
    let segment = super::segment(&args.segment)?;
    if args.offset > segment.size {
        return Err(Error::Usage(format!(
            "--offset {} is past the end of shm {} ({} bytes)",
            args.offset, segment.id, segment.size
        )));
    }
    // The header first: a bad one fails before anything attaches (and moves lpid/atime).
    let header = args.schema.as_deref().map(Header::read).transpose()?;
    let reader = SegmentReader::open(&segment, args.force)?;
    if reader.disturbed {
        render::note(ctx.quiet, &reader.how);
    } else if ctx.verbose {
        render::note(false, &reader.how);
    }
    if let Some(interval) = args.follow {
        return follow(args, &reader, header.as_ref(), interval, out);
    }
    let format = if ctx.json {
        Some(DumpFormat::Json)
    } else {
        args.format
    };
    match &header {
        Some(header) => decoded(
            args,
            &reader,
            header,
            format.unwrap_or(DumpFormat::Table),
            out,
        ),
        None => bytes(
            args,
            &reader,
            format.unwrap_or(DumpFormat::Hex),
            ctx.color,
            out,
        ),
    }
}

/// Hex, raw or base64 JSON, streamed: the heap does not grow with the segment.
fn bytes(
    args: &DumpArgs,
    reader: &SegmentReader,
    format: DumpFormat,
    color: bool,
    out: &mut dyn Write,
) -> Result<Exit> {
    let end = match args.length {
        Some(length) => reader.size().min(args.offset.saturating_add(length)),
        None => reader.size(),
    };
    let mut buf = vec![0u8; CHUNK];
    let mut offset = args.offset;
    let mut dumper = HexDumper::new(!args.no_squeeze, color);
    let mut collected = Vec::new();
    while offset < end {
        let want = ((end - offset) as usize).min(CHUNK);
        let n = reader.read_at(offset, &mut buf[..want])?;
        if n == 0 {
            break;
        }
        match format {
            DumpFormat::Raw => out.write_all(&buf[..n]).map_err(Error::output)?,
            DumpFormat::Json => collected.extend_from_slice(&buf[..n]),
            DumpFormat::Hex | DumpFormat::Table => dumper
                .chunk(out, offset, &buf[..n])
                .map_err(Error::output)?,
        }
        offset += n as u64;
    }
    match format {
        DumpFormat::Json => {
            render::json::dump_bytes(out, args.offset, &collected).map_err(Error::output)?
        }
        DumpFormat::Hex | DumpFormat::Table => dumper.end(out, offset).map_err(Error::output)?,
        DumpFormat::Raw => {}
    }
    Ok(Exit::Success)
}

/// Field by field through a C header's layout, record by record.
fn decoded(
    args: &DumpArgs,
    reader: &SegmentReader,
    header: &Header,
    format: DumpFormat,
    out: &mut dyn Write,
) -> Result<Exit> {
    let type_name = args.type_name.as_deref().unwrap_or_default();
    let (layouts, id) = header.find(type_name)?;
    let program = &header.program;
    let size = layouts.record_layout(id).map_or(0, |l| l.size);
    let available = reader.size() - args.offset;
    let needed = size.saturating_mul(args.count);
    if needed > available && !args.partial {
        return Err(Error::Failed(format!(
            "{type_name} × {} is {needed} bytes but shm has {available} from offset {}: --partial decodes what fits",
            args.count, args.offset
        )));
    }
    let thread_alive = |tid: i32| std::path::Path::new(&format!("/proc/{tid}")).exists();
    let decoder = Decoder {
        layouts: &layouts,
        thread_alive: &thread_alive,
    };
    let fields = layouts.fields(id);
    let expectations = parse_expectations(&args.expect, &fields)?;

    let mut failures = Vec::new();
    let mut buf = vec![0u8; size as usize];
    let mut json = render::json::DumpStream::start(
        out,
        type_name,
        size,
        reader.size(),
        args.count,
        format == DumpFormat::Json,
    )
    .map_err(Error::output)?;
    for index in 0..args.count {
        let at = args.offset + index * size;
        if at >= reader.size() {
            break;
        }
        let n = reader.read_at(at, &mut buf)?;
        let bytes = &buf[..n];
        let value = decoder.value(&schema::Ty::Record(id), bytes);
        for (path, expected) in &expectations {
            let actual = lookup(&value, path);
            if !matches_expectation(actual, expected) {
                let shown = actual.map_or("missing".to_string(), |v| {
                    render::table::value_text(v, false)
                });
                failures.push(format!(
                    "record {index}: {path} is {shown}, expected {expected}"
                ));
            }
        }
        if format == DumpFormat::Json {
            json.value(out, &value).map_err(Error::output)?;
        } else {
            render::table::decoded(
                out,
                program,
                &fields,
                &decoder,
                bytes,
                at,
                index,
                args.count > 1,
                args.hex,
            )
            .map_err(Error::output)?;
        }
    }
    json.finish(out).map_err(Error::output)?;
    if failures.is_empty() {
        Ok(Exit::Success)
    } else {
        for failure in &failures {
            render::error(&Error::Failed(format!("--expect: {failure}")));
        }
        Ok(Exit::Failure)
    }
}

fn parse_expectations(
    expect: &[String],
    fields: &[schema::Field],
) -> Result<Vec<(String, String)>> {
    expect
        .iter()
        .map(|e| {
            let (path, value) = e
                .split_once('=')
                .ok_or_else(|| Error::Usage(format!("--expect `{e}` is not FIELD=VALUE")))?;
            if !fields.iter().any(|f| f.path == path) {
                let known: Vec<&str> = fields.iter().map(|f| f.path.as_str()).collect();
                return Err(Error::Usage(format!(
                    "--expect: no field `{path}`; fields: {}",
                    known.join(", ")
                )));
            }
            Ok((path.to_string(), value.to_string()))
        })
        .collect()
}

/// The value at a dotted path of a decoded record.
fn lookup<'v>(value: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.').try_fold(value, |v, part| match v {
        Value::Record(members) => members.iter().find(|(n, _)| n == part).map(|(_, v)| v),
        _ => None,
    })
}

fn matches_expectation(actual: Option<&Value>, expected: &str) -> bool {
    let int = || {
        let e = expected.trim();
        match e.strip_prefix("0x") {
            Some(hex) => i128::from_str_radix(hex, 16).ok(),
            None => e.parse::<i128>().ok(),
        }
    };
    match actual {
        Some(Value::Int(v)) => int() == Some(*v),
        Some(Value::Enum { name, value }) => {
            name.as_deref() == Some(expected) || int() == Some(*value)
        }
        Some(Value::Bool { value, .. }) => match expected {
            "true" | "1" => *value,
            "false" | "0" => !*value,
            _ => false,
        },
        Some(Value::Str { text, .. }) => text == expected,
        Some(Value::Float(f)) => expected.parse::<f64>().is_ok_and(|e| e == *f),
        Some(Value::Pointer(p)) => int() == Some(i128::from(*p)),
        _ => false,
    }
}

/// One observation of the segment for `--follow`: (label, text) per hex line or per field.
fn observe(
    args: &DumpArgs,
    reader: &SegmentReader,
    decoding: Option<&Decoding>,
) -> Result<Vec<(String, String)>> {
    let end = match args.length {
        Some(length) => reader.size().min(args.offset.saturating_add(length)),
        None => reader.size(),
    };
    let mut bytes = vec![0u8; (end - args.offset) as usize];
    let n = reader.read_at(args.offset, &mut bytes)?;
    bytes.truncate(n);
    let Some(d) = decoding else {
        let mut text = Vec::new();
        HexDumper::new(false, false)
            .chunk(&mut text, args.offset, &bytes)
            .map_err(Error::output)?;
        let text = String::from_utf8_lossy(&text).into_owned();
        return Ok(text
            .lines()
            .map(|l| (l[..8].to_string(), l.to_string()))
            .collect());
    };
    let thread_alive = |tid: i32| std::path::Path::new(&format!("/proc/{tid}")).exists();
    let decoder = Decoder {
        layouts: &d.layouts,
        thread_alive: &thread_alive,
    };
    let mut fields = Vec::new();
    for index in 0..args.count {
        let start = (index * d.size) as usize;
        let Some(record) = bytes.get(start..) else {
            break;
        };
        for field in &d.fields {
            let label = if args.count > 1 {
                format!("record {index} {}", field.path)
            } else {
                field.path.clone()
            };
            fields.push((
                label,
                render::table::value_text(&decoder.field(field, record), args.hex),
            ));
        }
    }
    Ok(fields)
}

/// What `--follow` decodes with.
struct Decoding<'p> {
    layouts: schema::Layouts<'p>,
    fields: Vec<schema::Field>,
    size: u64,
}

/// `--follow`: one view held open; the first look in full, then only what changed, until
/// SIGINT or SIGTERM (exit 0).
fn follow(
    args: &DumpArgs,
    reader: &SegmentReader,
    header: Option<&Header>,
    interval: std::time::Duration,
    out: &mut dyn Write,
) -> Result<Exit> {
    let interrupts =
        crate::sys::lock::Interrupts::catch().map_err(|e| Error::io("catching signals", e))?;
    let decoding = match header {
        Some(header) => {
            let (layouts, id) = header.find(args.type_name.as_deref().unwrap_or_default())?;
            let size = layouts.record_layout(id).map_or(0, |l| l.size);
            let fields = layouts.fields(id);
            Some(Decoding {
                layouts,
                fields,
                size,
            })
        }
        None => None,
    };
    let mut previous = observe(args, reader, decoding.as_ref())?;
    for (label, text) in &previous {
        match decoding {
            Some(_) => writeln!(out, "{label}: {text}").map_err(Error::output)?,
            None => writeln!(out, "{text}").map_err(Error::output)?,
        }
    }
    out.flush().map_err(Error::output)?;
    let slice = interval.min(std::time::Duration::from_millis(50));
    loop {
        let started = std::time::Instant::now();
        while started.elapsed() < interval {
            if interrupts.pending().is_some() {
                out.flush().map_err(Error::output)?;
                return Ok(Exit::Success);
            }
            std::thread::sleep(slice);
        }
        let current = observe(args, reader, decoding.as_ref())?;
        let changes: Vec<String> = current
            .iter()
            .enumerate()
            .filter(|(i, now)| previous.get(*i) != Some(now))
            .map(|(i, (label, now))| match (&decoding, previous.get(i)) {
                (Some(_), Some((_, before))) => format!("{label}: {before} → {now}"),
                (Some(_), None) => format!("{label}: {now}"),
                (None, _) => now.clone(),
            })
            .collect();
        if !changes.is_empty() {
            writeln!(
                out,
                "--- {}: {} change(s)",
                crate::units::rfc3339_utc(crate::sys::now_unix()),
                changes.len()
            )
            .map_err(Error::output)?;
            for change in &changes {
                writeln!(out, "{change}").map_err(Error::output)?;
            }
            out.flush().map_err(Error::output)?;
        }
        previous = current;
    }
}
