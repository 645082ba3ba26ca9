use std::io::Write;

use crate::cli::StatArgs;
use crate::error::{Error, Exit, Result};
use crate::ipc::policy::Policy;
use crate::ipc::probe::Survey;
use crate::ipc::{Kind, Object, Record};
use crate::render::{self, json::Unresolved};
use crate::sys::{self, maps, procfs};
use crate::units::Clock;

use super::Context;

/// Never attaches: everything comes from IPC_STAT/SHM_STAT_ANY and /proc.
pub fn run(ctx: Context, args: &StatArgs, out: &mut dyn Write) -> Result<Exit> {
    let (objects, failed, exits) = super::resolve_all(ctx, &args.segments);
    show(ctx, objects, &failed, out)?;
    Ok(Exit::merge(exits))
}

/// Writes what `stat` shows of `objects` (and, in JSON, the selectors that named nothing).
pub fn show(
    ctx: Context,
    mut objects: Vec<Object>,
    failed: &[Unresolved],
    out: &mut dyn Write,
) -> Result<()> {
    // Segments first, then the other kinds, each in the order named.
    objects.sort_by_key(|o| o.kind() != Kind::Shm);
    let segments = || objects.iter().filter(|o| o.kind() == Kind::Shm);
    let memory = procfs::read_memory().ok();
    let rmid_forced = procfs::shm_rmid_forced().ok();
    // Reading every process's maps costs the most: only when something is attached.
    let attachers = if segments().any(|o| o.attachments() > 0) {
        maps::scan().ok()
    } else {
        None
    };
    let policy = Policy {
        owners: super::caller_owners(),
        caller: super::caller(),
        ..Policy::default()
    };
    let now = sys::now_unix();
    let mut survey = Survey::default();
    let records: Vec<Record> = objects
        .into_iter()
        .map(|o| {
            let mem = match (&o, &memory) {
                (Object::Shm(s), Some(m)) => m.get(&s.id).copied(),
                _ => None,
            };
            survey.stat_record(o, &policy, now, mem, attachers.as_ref(), rmid_forced)
        })
        .collect();
    if ctx.json {
        render::entries::stat(out, &records, failed).map_err(Error::output)?;
    } else {
        render::objects::stat(out, &records, Clock::local(now)).map_err(Error::output)?;
    }
    Ok(())
}
