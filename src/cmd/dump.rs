use std::io::Write;

use clap::ValueEnum;

use crate::cli::{DumpArgs, DumpFormat};
use crate::decode::{Decoder, Value};
use crate::error::{Error, Exit, Result};
use crate::hexdump::HexDumper;
use crate::render;
use crate::schema;

use super::read::SegmentReader;
use super::types::Types;
use super::Context;

const CHUNK: usize = 64 * 1024;

pub fn run(ctx: Context, args: &DumpArgs, out: &mut dyn Write) -> Result<Exit> {
    let format = match (ctx.json, args.format) {
        (true, Some(format)) if format != DumpFormat::Json => {
            return Err(Error::Usage(format!(
                "--json and --format {} ask for two formats: give one",
                format
                    .to_possible_value()
                    .map_or("?".into(), |v| v.get_name().to_string())
            )))
        }
        (true, _) => Some(DumpFormat::Json),
        (false, format) => format,
    };
    let segment = super::segment(&args.segment)?;
    if args.offset > segment.size {
        return Err(Error::Usage(format!(
            "--offset {} is past the end of shm {} ({} bytes)",
            args.offset, segment.id, segment.size
        )));
    }
    // The header, the type, its layout and --count/--expect first: a bad one fails before
    // anything attaches (and moves lpid/atime).
    let header = Types::for_segment(ctx, args.schema.as_deref(), &args.debug, &segment)?;
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
    fn new(args: &DumpArgs, header: &'p Types, segment_size: u64) -> Result<Decoding<'p>> {
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
        let expectations = parse_expectations(&args.expect, &fields, header.program(), &layouts)?;
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
    if format == DumpFormat::Json {
        let length = end.saturating_sub(args.offset);
        let mut read = |at: u64, buf: &mut [u8]| reader.read_at(at, buf);
        render::json::dump_bytes(out, args.offset, length, &mut read)?;
        return Ok(Exit::Success);
    }
    let mut buf = vec![0u8; CHUNK];
    let mut offset = args.offset;
    let mut dumper = HexDumper::new(!args.no_squeeze, color);
    while offset < end {
        let want = ((end - offset) as usize).min(CHUNK);
        let n = reader.read_at(offset, &mut buf[..want])?;
        if n == 0 {
            break;
        }
        match format {
            DumpFormat::Raw => out.write_all(&buf[..n]).map_err(Error::output)?,
            DumpFormat::Hex | DumpFormat::Table | DumpFormat::Json => dumper
                .chunk(out, offset, &buf[..n])
                .map_err(Error::output)?,
        }
        offset += n as u64;
    }
    if format != DumpFormat::Raw {
        dumper.end(out, offset).map_err(Error::output)?;
    }
    Ok(Exit::Success)
}

/// Field by field through a C header's layout, record by record. Each record is read into a
/// buffer of what the segment holds of it: bounded by the segment, never by the type.
fn decoded(
    args: &DumpArgs,
    reader: &SegmentReader,
    header: &Types,
    d: &Decoding,
    format: DumpFormat,
    out: &mut dyn Write,
) -> Result<Exit> {
    let program = header.program();
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
        let record = schema::Ty::Record(d.id);
        if !d.expectations.is_empty() {
            let value = decoder.value(&record, bytes);
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
        }
        if format == DumpFormat::Json {
            json.value(out, &decoder, &record, bytes)
                .map_err(Error::output)?;
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

/// Which threads a decoded mutex's owner was found alive or gone, as one look saw them: the
/// text of a held mutex depends on it, so a later look compares against the same answers.
#[derive(Default)]
struct Threads(std::cell::RefCell<std::collections::HashMap<i32, bool>>);

impl Threads {
    fn alive(&self, tid: i32) -> bool {
        *self
            .0
            .borrow_mut()
            .entry(tid)
            .or_insert_with(|| std::path::Path::new(&format!("/proc/{tid}")).exists())
    }

    /// The same threads asked again, and whether any answer changed.
    fn again(&self) -> (Threads, bool) {
        let now: std::collections::HashMap<i32, bool> = self
            .0
            .borrow()
            .keys()
            .map(|&tid| (tid, std::path::Path::new(&format!("/proc/{tid}")).exists()))
            .collect();
        let changed = now != *self.0.borrow();
        (Threads(std::cell::RefCell::new(now)), changed)
    }
}

/// A look's changes, held until they are counted: in memory up to a few MiB, then in an
/// unnamed temporary file, so that a segment rewritten whole does not grow the heap.
#[derive(Default)]
struct Spool {
    memory: Vec<u8>,
    file: Option<std::fs::File>,
}

impl Spool {
    const MEMORY: usize = 4 << 20;

    fn copy_to(&mut self, out: &mut dyn Write) -> std::io::Result<()> {
        use std::io::{Seek, SeekFrom};
        if let Some(file) = &mut self.file {
            file.seek(SeekFrom::Start(0))?;
            std::io::copy(file, out)?;
        }
        out.write_all(&self.memory)
    }
}

impl Write for Spool {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if self.file.is_none() && self.memory.len() + bytes.len() > Self::MEMORY {
            let mut file = tempfile::tempfile()?;
            file.write_all(&self.memory)?;
            self.memory = Vec::new();
            self.file = Some(file);
        }
        match &mut self.file {
            Some(file) => file.write(bytes),
            None => self.memory.write(bytes),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What `--follow` last showed: one copy of the bytes and the threads' liveness it was
/// decoded with. Each look compares the live segment against it a piece at a time, writes
/// what changed and takes the new bytes in, so the view holds the segment's size and no more.
struct View<'v> {
    args: &'v DumpArgs,
    decoding: Option<&'v Decoding<'v>>,
    saved: Vec<u8>,
    threads: Threads,
}

impl View<'_> {
    fn label(&self, index: u64, field: &schema::Field) -> String {
        if self.args.count > 1 {
            format!("record {index} {}", field.path)
        } else {
            field.path.clone()
        }
    }

    /// The byte range of each record in `saved` (the last one may be cut short).
    fn records(&self, d: &Decoding) -> impl Iterator<Item = (u64, std::ops::Range<usize>)> {
        let (size, len) = (d.size as usize, self.saved.len());
        (0..d.records).map_while(move |index| {
            let start = usize::try_from(index).ok()?.checked_mul(size)?;
            (start < len || size == 0).then(|| (index, start.min(len)..(start + size).min(len)))
        })
    }

    fn texts(&self, d: &Decoding, threads: &Threads, record: &[u8]) -> Vec<String> {
        let alive = |tid: i32| threads.alive(tid);
        let decoder = Decoder {
            layouts: &d.layouts,
            thread_alive: &alive,
        };
        d.fields
            .iter()
            .map(|field| render::table::value_text(&decoder.field(field, record), self.args.hex))
            .collect()
    }

    /// The first look, in full.
    fn show(&self, out: &mut dyn Write) -> Result<()> {
        match self.decoding {
            None => {
                let mut dumper = HexDumper::new(false, false);
                for (i, piece) in self.saved.chunks(CHUNK).enumerate() {
                    let at = self.args.offset + (i * CHUNK) as u64;
                    dumper.chunk(out, at, piece).map_err(Error::output)?;
                }
            }
            Some(d) => {
                for (index, range) in self.records(d) {
                    let texts = self.texts(d, &self.threads, &self.saved[range]);
                    for (field, text) in d.fields.iter().zip(texts) {
                        writeln!(out, "{}: {text}", self.label(index, field))
                            .map_err(Error::output)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Compares the live segment with what was shown, writes each change to `spool` and
    /// keeps the new bytes; returns how many changes there were.
    fn update(&mut self, reader: &SegmentReader, spool: &mut Spool) -> Result<u64> {
        let mut live = vec![0u8; CHUNK.min(self.saved.len())];
        let mut dirty: Vec<std::ops::Range<usize>> = Vec::new();
        let mut dumper = HexDumper::new(false, false);
        let mut changes = 0;
        for start in (0..self.saved.len()).step_by(CHUNK.max(1)) {
            let end = (start + CHUNK).min(self.saved.len());
            let at = self.args.offset + start as u64;
            let n = reader.read_at(at, &mut live[..end - start])?;
            let (now, before) = (&live[..n], &mut self.saved[start..start + n]);
            if now == &before[..] {
                continue;
            }
            if self.decoding.is_none() {
                // Hex: each changed line as it is now, and the piece taken in.
                for (i, (line, old)) in now.chunks(16).zip(before.chunks(16)).enumerate() {
                    if line != old {
                        let offset = at + (i * 16) as u64;
                        dumper.chunk(spool, offset, line).map_err(Error::output)?;
                        changes += 1;
                    }
                }
                before.copy_from_slice(now);
            } else {
                match dirty.last_mut() {
                    Some(last) if last.end == start => last.end = start + n,
                    _ => dirty.push(start..start + n),
                }
            }
        }
        let Some(d) = self.decoding else {
            return Ok(changes);
        };
        // Decoded: each record the changed bytes touch (every record when a mutex owner's
        // liveness changed), its fields before and after; the record's bytes are read
        // into the saved copy, so nothing but its fields' texts is held beside it.
        let (threads, liveness_changed) = self.threads.again();
        let records: Vec<(u64, std::ops::Range<usize>)> = self
            .records(d)
            .filter(|(_, range)| {
                liveness_changed
                    || dirty
                        .iter()
                        .any(|dirty| dirty.start < range.end && range.start < dirty.end)
            })
            .collect();
        for (index, range) in records {
            let before = self.texts(d, &self.threads, &self.saved[range.clone()]);
            let at = self.args.offset + range.start as u64;
            reader.read_at(at, &mut self.saved[range.clone()])?;
            let now = self.texts(d, &threads, &self.saved[range]);
            for ((field, before), now) in d.fields.iter().zip(before).zip(now) {
                if before != now {
                    let label = self.label(index, field);
                    writeln!(spool, "{label}: {before} → {now}").map_err(Error::output)?;
                    changes += 1;
                }
            }
        }
        self.threads = threads;
        Ok(changes)
    }
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
    let end = match args.length {
        Some(length) => reader.size().min(args.offset.saturating_add(length)),
        None => reader.size(),
    };
    let length = usize::try_from(end - args.offset)
        .map_err(|_| Error::Failed(format!("{} bytes do not fit in memory", end - args.offset)))?;
    let mut saved = vec![0u8; length];
    let n = reader.read_at(args.offset, &mut saved)?;
    saved.truncate(n);
    let mut view = View {
        args,
        decoding,
        saved,
        threads: Threads::default(),
    };
    view.show(out)?;
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
        let mut spool = Spool::default();
        let changes = view.update(reader, &mut spool)?;
        if changes > 0 {
            writeln!(
                out,
                "--- {}: {changes} change(s)",
                crate::units::rfc3339_utc(crate::sys::now_unix())
            )
            .map_err(Error::output)?;
            spool.copy_to(out).map_err(Error::output)?;
            out.flush().map_err(Error::output)?;
        }
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
