use std::io::Write;

use crate::cli::{Format, LsArgs};
use crate::column::{self, Column};
use crate::error::{Error, Exit, Result};
use crate::gc::Policy;
use crate::model::{Limits, SegmentRecord};
use crate::objects::Kind;
use crate::render;
use crate::sys::{self, procfs, shm};

use super::kinds::{self, ObjectRecord};
use super::{Context, Facts};

/// A `--user` value: a uid, or a name to look up.
pub fn parse_user(user: &str) -> Result<u32> {
    if let Ok(uid) = user.parse::<u32>() {
        return Ok(uid);
    }
    sys::users::uid_of(user).ok_or_else(|| Error::Usage(format!("no such user `{user}`")))
}

/// Shared memory's limits and usage, for the metrics (absent when unreadable).
fn shm_limits() -> Option<Limits> {
    match (shm::limits(), shm::usage()) {
        (Ok(shm), Ok((_, usage))) => Some(Limits {
            shm,
            usage,
            page_size: sys::page_size(),
        }),
        _ => None,
    }
}

/// The shm table's columns, from --columns (or the defaults, plus WHY with --orphans).
fn shm_columns(args: &LsArgs) -> Result<Vec<Column>> {
    Ok(match &args.columns {
        Some(list) => Column::parse_list(list).map_err(Error::Usage)?,
        None if args.orphans => column::DEFAULT
            .iter()
            .copied()
            .chain([Column::Why])
            .collect(),
        None => column::DEFAULT.to_vec(),
    })
}

/// Segments as `ls` shows them: filtered, judged, sorted.
fn segment_records(
    ctx: Context,
    args: &LsArgs,
    user: Option<u32>,
    with_memory: bool,
    now: i64,
) -> Result<Vec<SegmentRecord>> {
    let sort = args
        .sort
        .as_deref()
        .map(Column::parse)
        .transpose()
        .map_err(Error::Usage)?;
    let (segments, source) = shm::enumerate().map_err(|e| Error::sys("listing segments", e))?;
    if ctx.verbose {
        render::note(
            false,
            &format!("enumerated {} segments via {source:?}", segments.len()),
        );
    }
    let memory = if with_memory {
        Some(
            procfs::read_memory()
                .map_err(|e| Error::io("reading /proc/sysvipc/shm for rss/swap", e))?,
        )
    } else {
        None
    };
    let policy = Policy {
        owners: super::caller_owners(),
        ..Policy::default()
    };
    let mut facts = Facts::default();
    let mut records: Vec<_> = segments
        .into_iter()
        .filter(|s| user.is_none_or(|uid| s.uid == uid))
        .filter(|s| {
            args.older_than
                .is_none_or(|d| d.has_passed(s.last_activity(), now))
        })
        .map(|s| {
            let mem = memory.as_ref().and_then(|m| m.get(&s.id).copied());
            facts.record(s, mem, &policy, now)
        })
        .filter(|r| !args.orphans || r.verdict.is_orphan())
        .collect();
    if let Some(column) = sort {
        records.sort_by(|a, b| column.compare(a, b));
    }
    Ok(records)
}

/// `ls --all` / `--type`: one table (or JSON list) per kind.
fn run_kinds(
    ctx: Context,
    args: &LsArgs,
    kinds: &[Kind],
    user: Option<u32>,
    json: bool,
    out: &mut dyn Write,
) -> Result<Exit> {
    if !kinds.contains(&Kind::Shm) && (args.columns.is_some() || args.sort.is_some()) {
        return Err(Error::Usage(
            "--columns and --sort choose the shm table's columns and order: the other kinds' \
             tables have fixed columns"
                .to_string(),
        ));
    }
    let now = sys::now_unix();
    let columns = shm_columns(args)?;
    let with_memory = columns.iter().any(|c| c.needs_memory());
    let segments = if kinds.contains(&Kind::Shm) {
        Some(segment_records(ctx, args, user, with_memory, now)?)
    } else {
        None
    };
    let policy = Policy {
        owners: super::caller_owners(),
        ..Policy::default()
    };
    let mut survey = kinds::Survey::default();
    let mut others: Vec<(Kind, Vec<ObjectRecord>)> = Vec::new();
    for &kind in kinds.iter().filter(|&&k| k != Kind::Shm) {
        if kind.is_posix() && !sys::posix::mounted(kind) {
            render::note(
                ctx.quiet || json,
                &format!(
                    "{} is not mounted here: no {kind} objects listed",
                    kind.title()
                ),
            );
        }
        let records = kinds::list(kind)?
            .into_iter()
            .filter(|o| user.is_none_or(|uid| o.owner().0 == uid))
            .filter(|o| {
                args.older_than
                    .is_none_or(|d| d.has_passed(o.last_activity(), now))
            })
            .map(|o| survey.record(o, &policy, now))
            .filter(|r| !args.orphans || r.verdict.is_orphan())
            .collect();
        others.push((kind, records));
    }

    emit(args, out, |sink| {
        if json {
            let shm = segments.as_deref().map(|s| (s, with_memory));
            render::objects::ls_json(sink, shm, &others)?;
        } else if args.format == Format::Prometheus {
            let limits = segments.as_ref().and_then(|_| shm_limits());
            render::prometheus::metrics(sink, segments.as_deref(), &others, limits.as_ref(), now)?;
        } else {
            let headers = !args.no_headers;
            let mut first = true;
            let mut title = |sink: &mut dyn Write, kind: Kind| -> Result<()> {
                if headers {
                    if !first {
                        writeln!(sink)?;
                    }
                    writeln!(sink, "{}", kind.title())?;
                }
                first = false;
                Ok(())
            };
            if let Some(records) = &segments {
                title(sink, Kind::Shm)?;
                render::table::ls(sink, records, &columns, headers, now)?;
            }
            for (kind, records) in &others {
                title(sink, *kind)?;
                render::objects::table(sink, *kind, records, headers, args.orphans, now)?;
            }
        }
        Ok(())
    })
}

pub fn run(ctx: Context, args: &LsArgs, out: &mut dyn Write) -> Result<Exit> {
    // A target that would be followed or replaced is refused before anything is computed.
    if let Some(path) = &args.output {
        super::output::check_target(path)?;
    }
    let user = args.user.as_deref().map(parse_user).transpose()?;
    let json = ctx.json || args.format == Format::Json;
    let kinds = if args.all {
        Kind::ALL.to_vec()
    } else {
        args.kinds.clone().map_or_else(|| vec![Kind::Shm], |k| k.0)
    };
    if kinds != [Kind::Shm] {
        return run_kinds(ctx, args, &kinds, user, json, out);
    }
    let columns = shm_columns(args)?;
    let with_memory = columns.iter().any(|c| c.needs_memory());
    let now = sys::now_unix();
    let records = segment_records(ctx, args, user, with_memory, now)?;

    // With --output the whole result goes to a file at once, atomically.
    emit(args, out, |sink| {
        if json {
            render::json::ls(sink, &records, with_memory)?;
        } else if args.format == Format::Prometheus {
            render::prometheus::metrics(sink, Some(&records), &[], shm_limits().as_ref(), now)?;
        } else {
            render::table::ls(sink, &records, &columns, !args.no_headers, now)?;
        }
        Ok(())
    })
}

/// Writes what `write` writes to stdout, or with `--output FILE` to FILE all at once,
/// atomically.
fn emit(
    args: &LsArgs,
    out: &mut dyn Write,
    write: impl FnOnce(&mut dyn Write) -> Result<()>,
) -> Result<Exit> {
    let Some(path) = &args.output else {
        write(out)?;
        return Ok(Exit::Success);
    };
    let mut buffered = Vec::new();
    write(&mut buffered)?;
    super::output::write_atomically(path, &buffered)?;
    Ok(Exit::Success)
}
