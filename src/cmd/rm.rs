//! `rm` and what `gc` shares with it: the session, the archive, the report, the exit code.
use std::io::Write;
use std::time::Duration;

use crate::cli::RmArgs;
use crate::error::{Error, Exit, Result};
use crate::ipc::archive::{Archive, ArchiveDir, ArchivedMessage, RecordWriter};
use crate::ipc::batch::{Batch, Check, Remover, Session};
use crate::ipc::journal::Restored;
use crate::ipc::probe::Survey;
use crate::ipc::removal::{Outcome, Removal, Request};
use crate::ipc::{Object, Reason, Record};
use crate::render::{self, json::Unresolved, RemovalView, Report};
use crate::sys::{self, procfs, SysError};

use super::{exit_of, Context};

pub fn run(ctx: Context, args: &RmArgs, out: &mut dyn Write) -> Result<Exit> {
    if args.kinds.is_some() && !args.all {
        return Err(Error::Usage(
            "--kind goes with --all: named objects say their kind (sem:ID, pmq:NAME …)".into(),
        ));
    }
    // Everything that can be checked is checked before anything changes.
    let archive_dir = ArchiveDir::for_run(args.removing.archive.as_deref(), args.dry_run)?;
    let mut session = begin(ctx, args.dry_run, args.removing.wait)?;
    // --all lists under the lock, so that the plan is made on what no other run changes.
    let (objects, failed, mut exits) = match args.all {
        true => (everything(args)?, Vec::new(), Vec::new()),
        false => super::resolve_all(ctx, &args.segments),
    };
    // rm judges nothing but permission and use: what it names, it removes if it may.
    let check = Check::Rm {
        force: args.force,
        caller: super::caller(),
    };
    let request = Request {
        force: args.force,
        dry_run: args.dry_run,
        expected_nattch: 0,
        judged: false,
    };
    let planned = objects.into_iter().map(|o| (o, Vec::new())).collect();
    let mut survey = Survey::default();
    let batch = remove(
        &mut session,
        &mut survey,
        planned,
        request,
        &check,
        archive_dir.map(|dir| archive(dir, args.removing.drain)),
        lists_removed(ctx),
    );
    exits.extend(batch.items.iter().map(|item| match &item.outcome {
        // rm names its targets: leaving one in place is a refusal.
        Outcome::Kept(reason) if reason.code == "not_owner" => Exit::PermissionDenied,
        // --all keeps what is in use by design; a named target kept is a refusal.
        Outcome::Kept(_) if args.all => Exit::Success,
        Outcome::Kept(_) => Exit::Failure,
        Outcome::Failed { error, .. } => exit_of(error),
        _ => Exit::Success,
    }));
    report(
        ctx,
        &mut session,
        &batch,
        &failed,
        args.dry_run,
        &mut exits,
        false,
        out,
    )?;
    Ok(Exit::merge(exits))
}

/// `rm --all`: every object of the kinds asked for (shm by default) that the caller may
/// remove; other users' objects are left out quietly, as `ipcrm --all` leaves what it may
/// not remove.
fn everything(args: &RmArgs) -> Result<Vec<Object>> {
    let kinds = args
        .kinds
        .clone()
        .map_or_else(|| vec![crate::ipc::Kind::Shm], |k| k.0);
    let owners = super::caller_owners();
    let mut objects = Vec::new();
    for kind in kinds {
        objects.extend(crate::ipc::kernel::list(kind)?.into_iter().filter(|o| {
            let owner = o.owner();
            owners.admits(owner.uid, owner.cuid)
        }));
    }
    Ok(objects)
}

/// The run's session: a dry run's (nothing locked), or the lock and the journal, telling
/// people when another run makes it wait.
pub fn begin(ctx: Context, dry_run: bool, wait: Duration) -> Result<Session> {
    if dry_run {
        return Session::dry().map_err(|e| Error::io("catching signals", e));
    }
    let mut waiting = |holder: Option<i32>| {
        let who = holder.map_or_else(String::new, |pid| format!(" (held by pid {pid})"));
        let secs = i64::try_from(wait.as_secs()).unwrap_or(i64::MAX);
        render::note(
            ctx.quiet,
            &format!(
                "another shmctl run is removing in this IPC namespace{who}: waiting up to {} for it",
                crate::units::human_duration(secs)
            ),
        );
    };
    Session::begin(wait, &mut waiting).map_err(|e| Error::Failed(e.to_string()))
}

/// An archive's record is the object's `stat` entry, as JSON.
fn write_record(
    record: &Record,
    bin: Option<&str>,
    messages: Option<&[ArchivedMessage]>,
) -> std::result::Result<Vec<u8>, String> {
    render::entries::archive_record(record, bin, messages, sys::now_unix())
}

/// `--archive DIR` (checked) for a run.
pub fn archive(dir: ArchiveDir, drain: bool) -> Archive<'static> {
    const RECORD: &RecordWriter = &write_record;
    Archive {
        dir,
        drain,
        record: RECORD,
        shm_rmid_forced: procfs::shm_rmid_forced().ok(),
    }
}

/// The batch, in the session.
pub fn remove(
    session: &mut Session,
    survey: &mut Survey,
    planned: Vec<(Object, Vec<Reason>)>,
    request: Request,
    check: &Check,
    archive: Option<Archive>,
    list_removed: bool,
) -> Batch {
    let now = sys::now_unix();
    let mut remover = Remover::new(session, request, check, archive.as_ref(), now);
    remover.list_removed(list_removed);
    remover.remove_all(survey, planned)
}

/// Whether the report lists what was removed: JSON does, and text unless quiet (a quiet
/// batch only counts it).
pub fn lists_removed(ctx: Context) -> bool {
    ctx.json || !ctx.quiet
}

/// Ends the session and reports what the batch did (JSON, or lines and, for gc, a
/// summary); a signal that stopped the batch is the run's exit (the process dies of it).
#[allow(clippy::too_many_arguments)]
pub fn report(
    ctx: Context,
    session: &mut Session,
    batch: &Batch,
    unresolved: &[Unresolved],
    dry_run: bool,
    exits: &mut Vec<Exit>,
    summary: bool,
    out: &mut dyn Write,
) -> Result<()> {
    // Only a report that lists no removed object may have left them out.
    debug_assert!(batch.removed_unlisted == 0 || !lists_removed(ctx));
    if let Err(note) = session.end() {
        render::note(ctx.quiet, &note);
    }
    exits.extend(
        session
            .restored
            .iter()
            .filter(|r| r.error.is_some())
            .map(|_| Exit::Failure),
    );
    if !ctx.json {
        report_failures(&batch.items, &session.restored);
    }
    let report = Report {
        dry_run,
        items: &batch.items,
        unresolved,
        restored: &session.restored,
    };
    if ctx.json {
        render::entries::removal(out, &report).map_err(Error::output)?;
    } else {
        let view = RemovalView {
            quiet: ctx.quiet,
            // rm: every kept object is a refusal; gc lists them with -v.
            list_kept: !summary || ctx.verbose,
            summary,
        };
        render::objects::removal(out, &report, view).map_err(Error::output)?;
    }
    if let Some((signal, left)) = batch.interrupted {
        render::note(
            ctx.quiet,
            &format!("interrupted by signal {signal}: {left} object(s) not reached"),
        );
        exits.push(Exit::Signal(signal));
    }
    Ok(())
}

/// A failed removal as an error: a refusal for want of permission says whose object it is
/// (the text does), not which syscall failed.
fn failure(text: &str, error: &SysError) -> Error {
    if error.is_permission() && error.op != "archive" {
        Error::Denied(text.to_string())
    } else {
        Error::sys(text.to_string(), error.clone())
    }
}

/// Failures on stderr for people (JSON carries them in `failed`).
fn report_failures(items: &[Removal], restored: &[Restored]) {
    for item in items {
        if let Outcome::Failed { error, text } = &item.outcome {
            render::error(&failure(text, error));
        }
    }
    for r in restored {
        if let Some(error) = &r.error {
            render::error(&Error::sys(
                format!(
                    "{} was left at mode 0000 by an interrupted run; restoring mode {:04o}",
                    render::escape(&r.entry.label()),
                    r.entry.mode
                ),
                error.clone(),
            ));
        }
    }
}
