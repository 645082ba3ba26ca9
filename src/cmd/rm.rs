use std::cell::RefCell;
use std::io::Write;

use crate::cli::RmArgs;
use crate::error::{Error, Exit, Result};
use crate::gc::Policy;
use crate::model::{Reason, Segment};
use crate::removal::{self, Outcome, Removal, Request};
use crate::render::{self, table::RemovalView};
use crate::sys::{self, procfs};

use super::archive::{self, ArchiveDir};
use super::session::Session;
use super::{exit_of, kinds, rm_kinds, unresolved, Context, Facts, Resolver};
use crate::journal::Restored;
use crate::objects::{Kind, Object};
use crate::removal_kinds::ObjectOutcome;

pub fn run(ctx: Context, args: &RmArgs, out: &mut dyn Write) -> Result<Exit> {
    // Everything that can be checked is checked before anything changes.
    let archive_dir = ArchiveDir::for_run(args.archive.as_deref(), args.dry_run)?;
    let mut session = if args.dry_run {
        Session::dry()?
    } else {
        Session::begin(ctx, args.wait)?
    };

    let mut resolver = Resolver::default();
    let mut targets: Vec<Segment> = Vec::new();
    let mut objects: Vec<(Object, Vec<Reason>)> = Vec::new();
    // Each object once however often it is named (a set each: thousands of selectors).
    let mut seen_ids = std::collections::HashSet::new();
    let mut seen_objects = std::collections::HashSet::new();
    let mut failed = Vec::new();
    let mut exits = Vec::new();
    for selector in &args.segments {
        let resolved = if selector.kind() == Kind::Shm {
            resolver.resolve(selector).map(|segment| {
                if seen_ids.insert(segment.id) {
                    targets.push(segment);
                }
            })
        } else {
            kinds::resolve(selector).map(|object| {
                if seen_objects.insert(object.selector()) {
                    objects.push((object, Vec::new()));
                }
            })
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

    let request = Request {
        force: args.force,
        dry_run: args.dry_run,
        expected_nattch: 0,
    };
    // rm judges nothing but permission: what it names, it removes if it may.
    let caller = super::caller();
    let facts = RefCell::new(Facts::default());
    let check = |s: &Segment| match facts
        .borrow_mut()
        .not_permitted(&caller, false, s.uid, s.cuid)
    {
        Some(reason) => Err(reason),
        None => Ok(()),
    };
    let batch = remove_all(
        &mut session,
        targets,
        request,
        archive_dir.as_ref(),
        &Policy::default(),
        &check,
    )?;
    for item in &batch.items {
        exits.push(item_exit(&item.outcome));
    }
    report_failures(ctx, &batch.items);

    // The other kinds, after the segments (unless a signal stopped the batch).
    let (others, interrupted) = match batch.interrupted {
        Some((signal, left)) => (Vec::new(), Some((signal, left + objects.len()))),
        None => rm_kinds::remove_objects(
            &mut session,
            objects,
            args.dry_run,
            &rm_kinds::Check::Rm {
                force: args.force,
                caller,
            },
            archive_dir.as_ref().map(|dir| rm_kinds::Archive {
                dir,
                drain: args.drain,
            }),
            &mut kinds::Survey::default(),
        )?,
    };
    for item in &others {
        exits.push(match &item.outcome {
            ObjectOutcome::Removed | ObjectOutcome::WouldRemove | ObjectOutcome::Gone => {
                Exit::Success
            }
            ObjectOutcome::Kept(reason) if reason.code == "not_owner" => Exit::PermissionDenied,
            ObjectOutcome::Kept(_) => Exit::Failure,
            ObjectOutcome::Failed { error, .. } => exit_of(error),
        });
    }
    rm_kinds::report_failures(ctx, &others);
    session.end(ctx);
    exits.extend(restore_exits(&session.restored));
    report_restore_failures(ctx, &session.restored);

    let report = render::Report {
        dry_run: args.dry_run,
        items: &batch.items,
        others: &others,
        unresolved: &failed,
        restored: &session.restored,
    };
    if ctx.json {
        render::json::removal(out, &report)?;
    } else {
        let view = RemovalView {
            quiet: ctx.quiet,
            list_kept: true,
            summary: false,
        };
        render::table::removal(out, &report, view)?;
    }
    finish(ctx, interrupted, out)?;
    Ok(Exit::merge(exits))
}

/// rm's exit code for one segment: leaving a named one in place is a refusal, and one the
/// caller may not remove is a permission failure.
fn item_exit(outcome: &Outcome) -> Exit {
    match outcome {
        Outcome::Removed { .. } | Outcome::WouldRemove { .. } | Outcome::Gone { .. } => {
            Exit::Success
        }
        Outcome::Kept { reason, .. } if reason.code == "not_owner" => Exit::PermissionDenied,
        Outcome::Kept { .. } => Exit::Failure,
        Outcome::Failed { error, .. } => exit_of(error),
    }
}

/// A mode that could not be restored is a failure of the run.
pub fn restore_exits(restored: &[Restored]) -> impl Iterator<Item = Exit> + '_ {
    restored
        .iter()
        .filter_map(|r| r.error.as_ref())
        .map(|_| Exit::Failure)
}

/// Restores that failed, on stderr for people (JSON carries them in `failed`).
pub fn report_restore_failures(ctx: Context, restored: &[Restored]) {
    if ctx.json {
        return;
    }
    for r in restored {
        if let Some(error) = &r.error {
            render::error(&Error::sys(
                format!(
                    "{} was left at mode 0000 by an interrupted run; restoring mode {:04o}",
                    render::escape(&r.entry.label()),
                    r.entry.mode
                ),
                *error,
            ));
        }
    }
}

/// What a removal batch did, and whether a signal stopped it (with how many segments it
/// did not reach).
pub struct Batch {
    pub items: Vec<Removal>,
    pub interrupted: Option<(i32, usize)>,
}

/// Runs the removal sequence on each planned segment in the run's session (lock, journal,
/// signals). SIGINT/SIGTERM stop the batch between two segments, never inside one's
/// sequence. `check` re-judges each segment on fresh facts; `policy` is what an archive's
/// record is judged with.
pub fn remove_all(
    session: &mut Session,
    targets: Vec<Segment>,
    request: Request,
    archive_dir: Option<&ArchiveDir>,
    policy: &Policy,
    check: &dyn Fn(&Segment) -> Result<(), Reason>,
) -> Result<Batch> {
    let rmid_forced = procfs::shm_rmid_forced().ok();
    let mut facts = Facts::default();
    let now = sys::now_unix();
    let total = targets.len();
    let mut items = Vec::with_capacity(total);
    for segment in targets {
        if let Some(signal) = session.pending_signal() {
            let left = total - items.len();
            return Ok(Batch {
                items,
                interrupted: Some((signal, left)),
            });
        }
        let mut item = match archive_dir {
            Some(dir) if !request.dry_run => {
                let plan = facts.record(segment, None, policy, now);
                archive::remove_with_archive(
                    &mut session.kernel(),
                    dir,
                    &plan,
                    request,
                    check,
                    rmid_forced,
                )
            }
            _ => Removal::from(removal::remove_segment(
                &mut session.kernel(),
                segment,
                request,
                check,
            )),
        };
        explain_refusal(&mut facts, &mut item);
        items.push(item);
    }
    let interrupted = session.pending_signal().map(|signal| (signal, 0));
    Ok(Batch { items, interrupted })
}

/// A removal the kernel refused (EPERM) says whose segment it is and who may remove it,
/// not which syscall failed.
fn explain_refusal(facts: &mut Facts, item: &mut Removal) {
    if let Outcome::Failed {
        id,
        segment: Some(segment),
        error,
        text,
    } = &mut item.outcome
    {
        if error.is_permission() && error.op != "archive" {
            let restored = text
                .split_once("; ")
                .map(|(_, rest)| format!("; {rest}"))
                .unwrap_or_default();
            *text = format!(
                "shm {id}: {}{restored}",
                facts.permission_text(false, segment.uid, segment.cuid)
            );
        }
    }
}

/// After the report is out: a signal that stopped the batch ends the process as it would
/// have, so that the caller (a shell, systemd) sees it.
pub fn finish(ctx: Context, interrupted: Option<(i32, usize)>, out: &mut dyn Write) -> Result<()> {
    if let Some((signal, left)) = interrupted {
        out.flush()?;
        render::note(
            ctx.quiet,
            &format!("interrupted by signal {signal}: {left} object(s) not reached"),
        );
        sys::lock::die_of(signal);
    }
    Ok(())
}

/// A failed removal as an error: a refusal for want of permission says whose object it is
/// (the text does), not which syscall failed.
pub fn failure(text: &str, error: &crate::sys::SysError) -> Error {
    if error.is_permission() && error.op != "archive" {
        Error::Denied(text.to_string())
    } else {
        Error::sys(text.to_string(), *error)
    }
}

/// Failures on stderr for people (JSON carries them in `failed`).
pub fn report_failures(ctx: Context, items: &[Removal]) {
    if ctx.json {
        return;
    }
    for item in items {
        if let Outcome::Failed { error, text, .. } = &item.outcome {
            render::error(&failure(text, error));
        }
    }
}
