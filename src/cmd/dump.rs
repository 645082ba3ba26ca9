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
    // The header, the type, its layout and --count/--expect first: a bad one fails before
    // anything attaches (and moves lpid/atime).
    let header = args.schema.as_deref().map(Header::read).transpose()?;
    let decoding = header
        .as_ref()
        .map(|h| Decoding::new(args, h, segment.size))
        .transpose()?;
    let reader = SegmentReader::open(&segment, args.force)?;
    if reader.disturbed {
        render::note(ctx.quiet, &reader.how);
    } else if ctx.verbose {
        render::note(false, &reader.how);
    }
    if let Some(interval) = args.follow {
        return follow(args, &reader, decoding.as_ref(), interval, out);
    }
    let format = if ctx.json {
        Some(DumpFormat::Json)
    } else {
        args.format
    };
    match (&header, &decoding) {
        (Some(header), Some(decoding)) => decoded(
            args,
            &reader,
            header,
            decoding,
            format.unwrap_or(DumpFormat::Table),
            out,
        ),
        _ => bytes(
            args,
            &reader,
            format.unwrap_or(DumpFormat::Hex),
            ctx.color,
            out,
        ),
    }
}

/// What decoding needs, all checked before the segment is touched.
struct Decoding<'p> {
    type_name: String,
    layouts: schema::Layouts<'p>,
    id: usize,
    fields: Vec<schema::Field>,
    /// sizeof the type.
    size: u64,
    /// How many records are decoded: --count, bounded by what the segment holds.
    records: u64,
    /// --expect: (field path, the value as typed, the value as the field's type).
    expectations: Vec<(String, String, Expected)>,
}

impl<'p> Decoding<'p> {
    fn new(args: &DumpArgs, header: &'p Header, segment_size: u64) -> Result<Decoding<'p>> {
        let type_name = args.type_name.clone().unwrap_or_default();
        let (layouts, id) = header.find(&type_name)?;
        let size = layouts.record_layout(id).map(|l| l.size).ok_or_else(|| {
            Error::Failed(format!(
                "`{type_name}` has no layout (declared but never defined?)"
            ))
        })?;
        let available = segment_size.saturating_sub(args.offset);
        let records = records(&type_name, size, args.count, available)?;
        let needed = size.saturating_mul(args.count);
        if needed > available && !args.partial {
            return Err(Error::Failed(format!(
                "{type_name} × {} is {needed} bytes but shm has {available} from offset {}: --partial decodes what fits",
                args.count, args.offset
            )));
        }
        let fields = layouts.fields(id);
        let expectations = parse_expectations(&args.expect, &fields, &header.program, &layouts)?;
        Ok(Decoding {
            type_name,
            layouts,
            id,
            fields,
            size,
            records,
            expectations,
        })
    }
}

/// How many of `count` records of `size` bytes to decode from `available` bytes: never
/// more than start inside them, and a type of no bytes
/// is refused more than once — every copy is at the same place, and `--count` huge would
/// print forever.
fn records(type_name: &str, size: u64, count: u64, available: u64) -> Result<u64> {
    if size == 0 {
        if count > 1 {
            return Err(Error::Usage(format!(
                "`{type_name}` is 0 bytes: --count {count} would decode the same empty record {count} times"
            )));
        }
        return Ok(count);
    }
    Ok(count.min(available.div_ceil(size)))
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

/// Field by field through a C header's layout, record by record. Each record is read into a
/// buffer of what the segment holds of it: bounded by the segment, never by the type.
fn decoded(
    args: &DumpArgs,
    reader: &SegmentReader,
    header: &Header,
    d: &Decoding,
    format: DumpFormat,
    out: &mut dyn Write,
) -> Result<Exit> {
    let program = &header.program;
    let available = reader.size().saturating_sub(args.offset);
    let thread_alive = |tid: i32| std::path::Path::new(&format!("/proc/{tid}")).exists();
    let decoder = Decoder {
        layouts: &d.layouts,
        thread_alive: &thread_alive,
    };

    let mut failures = Vec::new();
    let buf_len = usize::try_from(d.size.min(available))
        .map_err(|_| Error::Failed(format!("{available} bytes do not fit in memory")))?;
    let mut buf = vec![0u8; buf_len];
    let mut json = render::json::DumpStream::start(
        out,
        &d.type_name,
        d.size,
        reader.size(),
        args.count,
        format == DumpFormat::Json,
    )
    .map_err(Error::output)?;
    for index in 0..d.records {
        let Some(at) = index
            .checked_mul(d.size)
            .and_then(|o| o.checked_add(args.offset))
            .filter(|&at| at < reader.size() || d.size == 0)
        else {
            break;
        };
        let n = reader.read_at(at, &mut buf)?;
        let bytes = &buf[..n];
        let value = decoder.value(&schema::Ty::Record(d.id), bytes);
        for (path, expected, want) in &d.expectations {
            let actual = lookup(&value, path);
            if !matches_expectation(actual, want) {
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
                &d.fields,
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

/// An --expect value, parsed as its field's type: what cannot be one (`a=nan` for an int,
/// 300 for a uint8_t, a name no constant has) is a usage error, not a mismatch.
#[derive(Debug, Clone, PartialEq)]
enum Expected {
    /// Integers, enums (a constant's name is its value), bitfields and pointers.
    Int(i128),
    Bool(bool),
    Float(f64),
    Str(String),
}

fn parse_expectations(
    expect: &[String],
    fields: &[schema::Field],
    program: &schema::Program,
    layouts: &schema::Layouts,
) -> Result<Vec<(String, String, Expected)>> {
    expect
        .iter()
        .map(|e| {
            let (path, value) = e
                .split_once('=')
                .ok_or_else(|| Error::Usage(format!("--expect `{e}` is not FIELD=VALUE")))?;
            let Some(field) = fields.iter().find(|f| f.path == path) else {
                let known: Vec<&str> = fields.iter().map(|f| f.path.as_str()).collect();
                return Err(Error::Usage(format!(
                    "--expect: no field `{path}`; fields: {}",
                    known.join(", ")
                )));
            };
            let expected = expected_value(field, value, program, layouts).map_err(|why| {
                Error::Usage(format!(
                    "--expect {path}={value}: {why} for `{path}` ({})",
                    field.ty.display(program)
                ))
            })?;
            Ok((path.to_string(), value.to_string(), expected))
        })
        .collect()
}

/// `text` as a value of `field`'s type.
fn expected_value(
    field: &schema::Field,
    text: &str,
    program: &schema::Program,
    layouts: &schema::Layouts,
) -> std::result::Result<Expected, String> {
    use crate::encode::{enum_value, integer, parse_bool};
    use schema::Ty;
    let native_signed = layouts.target == schema::Target::X86_64;
    let bits = match field.bit_width {
        Some(width) => width as u32,
        None => (field.size as u32).saturating_mul(8),
    };
    Ok(match field.ty.resolved() {
        Ty::Int { signed, .. } => Expected::Int(integer(
            text,
            bits,
            signed.unwrap_or(native_signed || field.bit_width.is_some()),
        )?),
        Ty::Enum(id) => Expected::Int(enum_value(program, *id, text)?),
        Ty::Pointer(_) => Expected::Int(integer(text, 64, false)?),
        Ty::Bool { .. } => Expected::Bool(parse_bool(text)?),
        Ty::Float { size: 4, .. } => {
            Expected::Float(finite(text.parse::<f32>().map(f64::from), text)?)
        }
        Ty::Float { .. } | Ty::LongDouble => Expected::Float(finite(text.parse::<f64>(), text)?),
        Ty::Array { of, .. } if matches!(of.resolved(), Ty::Int { name, size: 1, .. } if name == "char") => {
            Expected::Str(text.to_string())
        }
        _ => return Err("only numbers, enums, bools, pointers and strings can be compared".into()),
    })
}

/// A number `==` can find: NaN equals nothing, not even a NaN.
fn finite(
    parsed: std::result::Result<f64, std::num::ParseFloatError>,
    text: &str,
) -> std::result::Result<f64, String> {
    match parsed {
        Ok(f) if f.is_nan() => Err("NaN is equal to nothing, not even a NaN".into()),
        Ok(f) => Ok(f),
        Err(_) => Err(format!("`{text}` is not a number")),
    }
}

/// The value at a dotted path of a decoded record.
fn lookup<'v>(value: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.').try_fold(value, |v, part| match v {
        Value::Record(members) => members.iter().find(|(n, _)| n == part).map(|(_, v)| v),
        _ => None,
    })
}

fn matches_expectation(actual: Option<&Value>, expected: &Expected) -> bool {
    match (actual, expected) {
        (Some(Value::Int { value, .. }), Expected::Int(e)) => value == e,
        (Some(Value::Enum { value, .. }), Expected::Int(e)) => value == e,
        (Some(Value::Pointer(p)), Expected::Int(e)) => i128::from(*p) == *e,
        (Some(Value::Bool { value, .. }), Expected::Bool(e)) => value == e,
        (Some(Value::Str { text, .. }), Expected::Str(e)) => text == e,
        (Some(Value::Float(f)), Expected::Float(e)) => f == e,
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
    for index in 0..d.records {
        let Some(record) = usize::try_from(index * d.size)
            .ok()
            .and_then(|start| bytes.get(start..))
        else {
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

/// `--follow`: one view held open; the first look in full, then only what changed, until
/// SIGINT or SIGTERM (exit 0).
fn follow(
    args: &DumpArgs,
    reader: &SegmentReader,
    decoding: Option<&Decoding>,
    interval: std::time::Duration,
    out: &mut dyn Write,
) -> Result<Exit> {
    let interrupts =
        crate::sys::lock::Interrupts::catch().map_err(|e| Error::io("catching signals", e))?;
    let mut previous = observe(args, reader, decoding)?;
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
        let current = observe(args, reader, decoding)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_is_bounded_by_the_segment_and_refused_for_empty_types() {
        assert_eq!(records("P", 8, u64::MAX, 24).expect("fits"), 3);
        assert_eq!(records("P", 8, u64::MAX, 20).expect("partial"), 3);
        assert_eq!(records("P", 8, 2, 24).expect("fewer"), 2);
        assert_eq!(records("P", 8, 5, 0).expect("none left"), 0);
        assert_eq!(records("E", 0, 1, 24).expect("once"), 1);
        let refused = records("E", 0, u64::MAX, 24).expect_err("forever");
        assert!(matches!(refused, Error::Usage(_)), "{refused:?}");
        assert!(refused.to_string().contains("0 bytes"), "{refused}");
    }

    const S: &str = "enum Mode { IDLE, RUN = 5 }; struct S { int a; unsigned char u; float f; \
                     double d; _Bool ok; int level:5; enum Mode mode; void *p; char name[4]; \
                     int arr[2]; };";

    fn expect(text: &str) -> Result<Vec<(String, String, Expected)>> {
        let program = schema::parse("t.h", S).expect("parse");
        let layouts = schema::Layouts::new(&program, schema::Target::X86_64).expect("layout");
        let fields = layouts.fields(0);
        parse_expectations(&[text.to_string()], &fields, &program, &layouts)
    }

    fn parsed(text: &str) -> Expected {
        expect(text).expect(text).remove(0).2
    }

    #[test]
    fn expected_values_are_parsed_as_their_fields_type() {
        assert_eq!(parsed("a=-40"), Expected::Int(-40));
        assert_eq!(parsed("a=0x10"), Expected::Int(16));
        assert_eq!(parsed("u=255"), Expected::Int(255));
        assert_eq!(parsed("level=-16"), Expected::Int(-16));
        assert_eq!(parsed("mode=RUN"), Expected::Int(5));
        assert_eq!(parsed("mode=5"), Expected::Int(5));
        assert_eq!(parsed("ok=true"), Expected::Bool(true));
        assert_eq!(parsed("f=0.1"), Expected::Float(f64::from(0.1f32)));
        assert_eq!(parsed("d=inf"), Expected::Float(f64::INFINITY));
        assert_eq!(parsed("p=0x7f00"), Expected::Int(0x7f00));
        assert_eq!(parsed("name=hi"), Expected::Str("hi".into()));
    }

    #[test]
    fn malformed_expected_values_are_usage_errors() {
        for bad in [
            "a=nan",
            "a=1.5",
            "a=",
            "u=256",
            "u=-1",
            "level=16",
            "mode=RUNNING",
            "ok=yes",
            "f=nan",
            "d=NaN",
            "d=abc",
            "p=-1",
            "arr=1",
            "nope=1",
            "a",
        ] {
            let err = expect(bad).expect_err(bad);
            assert!(matches!(err, Error::Usage(_)), "{bad}: {err:?}");
        }
        let err = expect("a=nan").expect_err("nan").to_string();
        assert!(err.contains("`nan` is not an integer"), "{err}");
    }

    #[test]
    fn expectations_match_values_of_their_type() {
        let int = |value| Some(Value::Int { value, bits: 32 });
        assert!(matches_expectation(int(5).as_ref(), &Expected::Int(5)));
        assert!(!matches_expectation(int(5).as_ref(), &Expected::Int(6)));
        let mode = Value::Enum {
            name: Some("RUN".into()),
            value: 5,
        };
        assert!(matches_expectation(Some(&mode), &Expected::Int(5)));
        assert!(matches_expectation(
            Some(&Value::Float(f64::from(0.1f32))),
            &Expected::Float(f64::from(0.1f32))
        ));
        assert!(
            !matches_expectation(None, &Expected::Int(0)),
            "missing never matches"
        );
        assert!(!matches_expectation(
            Some(&Value::Missing),
            &Expected::Int(0)
        ));
    }
}
