use std::io::Write;

use crate::cli::StatArgs;
use crate::error::{Exit, Result};
use crate::gc::Policy;
use crate::model::{Liveness, SegmentDetail};
use crate::render;
use crate::sys::{self, maps, procfs};

use super::{kinds, unresolved, Context, Facts, Resolver};
use crate::objects::Kind;

/// Never attaches: everything comes from IPC_STAT/SHM_STAT_ANY and /proc.
pub fn run(ctx: Context, args: &StatArgs, out: &mut dyn Write) -> Result<Exit> {
    let mut resolver = Resolver::default();
    let mut found = Vec::new();
    let mut objects = Vec::new();
    let mut failed = Vec::new();
    let mut exits = Vec::new();
    for selector in &args.segments {
        let resolved = if selector.kind() == Kind::Shm {
            resolver.resolve(selector).map(|s| found.push(s))
        } else {
            kinds::resolve(selector).map(|o| objects.push(o))
        };
        match resolved {
            Ok(()) => {}
            Err(e) => {
                exits.push(e.exit());
                if !ctx.json {
                    render::error(&e);
                }
                failed.push(unresolved(selector, &e));
            }
        }
    }

    let memory = procfs::read_memory().ok();
    let rmid_forced = procfs::shm_rmid_forced().ok();
    // Reading every process's maps costs the most: only when something is attached.
    let scan = if found.iter().any(|s| s.nattch > 0) {
        maps::scan().ok()
    } else {
        None
    };

    let policy = Policy {
        owners: super::caller_owners(),
        ..Policy::default()
    };
    let now = sys::now_unix();
    let mut facts = Facts::default();
    let details: Vec<SegmentDetail> = found
        .into_iter()
        .map(|segment| {
            let attachers = scan
                .as_ref()
                .map(|s| s.attachers(segment.id).to_vec())
                .unwrap_or_default();
            // nattch counts every mapping, wherever it is; the scan sees only this PID
            // namespace's processes, so a complete scan can still find fewer.
            let attached_complete = attachers.len() as u64 >= segment.nattch;
            let maps_readable = scan.as_ref().is_some_and(|s| s.complete);
            let mem = memory.as_ref().and_then(|m| m.get(&segment.id).copied());
            let record = facts.record(segment, mem, &policy, now);
            // Only a live pid's command line belongs to the process the segment recorded.
            let cmdline = |pid: i32, state: Liveness| {
                (state == Liveness::Alive)
                    .then(|| sys::process::cmdline(pid))
                    .flatten()
            };
            SegmentDetail {
                creator_cmdline: cmdline(record.segment.cpid, record.creator_state),
                last_cmdline: cmdline(record.segment.lpid, record.last_state),
                attachers,
                attached_complete,
                maps_readable,
                shm_rmid_forced: rmid_forced,
                record,
            }
        })
        .collect();

    let mut survey = kinds::Survey::default();
    let others: Vec<_> = objects
        .into_iter()
        .map(|o| survey.record(o, &policy, now))
        .collect();

    if ctx.json {
        render::json::stat(out, &details, &others, &failed)?;
    } else {
        render::table::stat(out, &details, now)?;
        for (i, record) in others.iter().enumerate() {
            if i > 0 || !details.is_empty() {
                writeln!(out)?;
            }
            render::objects::stat_block(out, record, now)?;
        }
    }
    Ok(Exit::merge(exits))
}
