use std::io::Write;

use crate::cli::{Format, LsArgs};
use crate::error::{Error, Exit, Result};
use crate::ipc::columns::{self, Column};
use crate::ipc::policy::Policy;
use crate::ipc::probe::Survey;
use crate::ipc::{kernel, Kind, Object, Record};
use crate::model::Limits;
use crate::render::{self, entries::List};
use crate::sys::{self, procfs, shm};
use crate::units::Clock;

use super::Context;

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

/// The kinds listed: `--all`, `--kind`, or shm.
fn kinds(args: &LsArgs) -> Vec<Kind> {
    if args.all {
        Kind::ALL.to_vec()
    } else {
        args.filters
            .kinds
            .clone()
            .map_or_else(|| vec![Kind::Shm], |k| k.0)
    }
}

/// `--columns` and `--sort` are checked against the kinds listed: a column none of them
/// has is a usage error, not an empty table.
fn check_columns(args: &LsArgs, kinds: &[Kind]) -> Result<()> {
    let listed = || {
        kinds
            .iter()
            .map(|k| k.as_str())
            .collect::<Vec<_>>()
            .join(",")
    };
    let chosen = args.columns.iter().flat_map(|c| &c.columns).copied();
    for (c, what) in chosen
        .map(|c| (c, ""))
        .chain(args.sort.map(|c| (c, " to sort by")))
    {
        if !kinds.iter().any(|&k| c.has(k)) {
            return Err(Error::Usage(format!(
                "no kind listed ({}) has a column {}{what}",
                listed(),
                c.header
            )));
        }
    }
    Ok(())
}

pub fn run(ctx: Context, args: &LsArgs, out: &mut dyn Write) -> Result<Exit> {
    // A target that would be followed or replaced is refused before anything is computed.
    if let Some(path) = &args.output {
        super::output::check_target(path)?;
    }
    let user = args.filters.user;
    let json = ctx.json || args.format == Format::Json;
    let kinds = kinds(args);
    check_columns(args, &kinds)?;
    let sort = args.sort;
    let tables: Vec<(Kind, Vec<&Column>)> = kinds
        .iter()
        .map(|&k| (k, columns::for_kind(k, args.columns.as_ref(), args.orphans)))
        .collect();
    let with_memory = tables
        .iter()
        .any(|(k, c)| *k == Kind::Shm && c.iter().any(|c| c.needs_memory));
    let memory = if with_memory {
        Some(
            procfs::read_memory()
                .map_err(|e| Error::io("reading /proc/sysvipc/shm for rss/swap", e))?,
        )
    } else {
        None
    };

    let now = sys::now_unix();
    let policy = Policy {
        owners: super::caller_owners(),
        caller: super::caller(),
        ..Policy::default()
    };
    let mut survey = Survey::default();
    let mut lists: Vec<(Kind, Vec<Record>, Option<String>)> = Vec::new();
    for &kind in &kinds {
        let unavailable = kind
            .is_posix()
            .then(|| sys::posix::unavailable(kind))
            .flatten();
        if let Some(why) = &unavailable {
            render::note(
                ctx.quiet || json,
                &format!("no {kind} objects listed: {why}"),
            );
        }
        let objects = kernel::list(kind)?;
        if ctx.verbose {
            render::note(false, &format!("listed {} {kind} object(s)", objects.len()));
        }
        let mut records: Vec<Record> = objects
            .into_iter()
            .filter(|o| user.is_none_or(|uid| o.owner().uid == uid))
            .filter(|o| {
                args.filters
                    .older_than
                    .is_none_or(|d| d.has_passed(o.last_activity(), now))
            })
            .map(|o| {
                let mem = match (&o, &memory) {
                    (Object::Shm(s), Some(m)) => m.get(&s.id).copied(),
                    _ => None,
                };
                let mut record = survey.record(o, &policy, now);
                record.memory = mem;
                record
            })
            .filter(|r| !args.orphans || r.verdict.is_orphan())
            .collect();
        if let Some(column) = sort.filter(|c| c.has(kind)) {
            records.sort_by(|a, b| column.compare(a, b));
        }
        lists.push((kind, records, unavailable));
    }

    let lists: Vec<List> = lists
        .iter()
        .map(|(kind, records, unavailable)| List {
            kind: *kind,
            records,
            unavailable: unavailable.as_deref(),
        })
        .collect();
    // With --output the whole result goes to a file at once, atomically.
    emit(args, out, |sink| {
        if json {
            render::entries::ls(sink, &lists, with_memory).map_err(Error::output)?;
        } else if args.format == Format::Prometheus {
            let limits = kinds.contains(&Kind::Shm).then(shm_limits).flatten();
            render::prometheus::metrics(sink, &lists, limits.as_ref(), now)
                .map_err(Error::output)?;
        } else {
            let each: Vec<(&List, &[&Column])> = lists
                .iter()
                .zip(&tables)
                .map(|(list, (_, columns))| (list, columns.as_slice()))
                .collect();
            render::objects::tables(sink, &each, !args.no_headers, Clock::local(now))
                .map_err(Error::output)?;
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
