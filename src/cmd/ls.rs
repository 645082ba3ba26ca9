use std::io::Write;

use crate::cli::{Format, LsArgs};
use crate::column::{self, Column};
use crate::error::{Error, Exit, Result};
use crate::gc::Policy;
use crate::model::Limits;
use crate::render;
use crate::sys::{self, procfs, shm};

use super::{Context, Facts};

/// A `--user` value: a uid, or a name to look up.
pub fn parse_user(user: &str) -> Result<u32> {
    if let Ok(uid) = user.parse::<u32>() {
        return Ok(uid);
    }
    sys::users::uid_of(user).ok_or_else(|| Error::Usage(format!("no such user `{user}`")))
}

pub fn run(ctx: Context, args: &LsArgs, out: &mut dyn Write) -> Result<Exit> {
    let columns = match &args.columns {
        Some(list) => Column::parse_list(list).map_err(Error::Usage)?,
        None if args.orphans => column::DEFAULT
            .iter()
            .copied()
            .chain([Column::Why])
            .collect(),
        None => column::DEFAULT.to_vec(),
    };
    let sort = args
        .sort
        .as_deref()
        .map(Column::parse)
        .transpose()
        .map_err(Error::Usage)?;
    let user = args.user.as_deref().map(parse_user).transpose()?;
    let json = ctx.json || args.format == Format::Json;

    let (segments, source) = shm::enumerate().map_err(|e| Error::sys("listing segments", e))?;
    if ctx.verbose {
        render::note(
            false,
            &format!("enumerated {} segments via {source:?}", segments.len()),
        );
    }
    let now = sys::now_unix();
    let with_memory = columns.iter().any(|c| c.needs_memory());
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
                .is_none_or(|d| now - s.last_activity() >= d as i64)
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

    // With --output the whole result goes to a file at once, atomically.
    let mut buffered = Vec::new();
    let sink: &mut dyn Write = if args.output.is_some() {
        &mut buffered
    } else {
        out
    };
    if json {
        render::json::ls(sink, &records, with_memory)?;
    } else if args.format == Format::Prometheus {
        let limits = match (shm::limits(), shm::usage()) {
            (Ok(shm), Ok((_, usage))) => Some(Limits {
                shm,
                usage,
                page_size: sys::page_size(),
            }),
            _ => None,
        };
        render::prometheus::metrics(sink, &records, limits.as_ref(), now)?;
    } else {
        render::table::ls(sink, &records, &columns, !args.no_headers, now)?;
    }
    if let Some(path) = &args.output {
        render::write_atomically(path, &buffered)
            .map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
    }
    Ok(Exit::Success)
}
