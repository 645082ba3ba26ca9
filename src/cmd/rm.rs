use std::io::Write;
use std::path::Path;

use crate::cli::RmArgs;
use crate::error::{Error, Exit, Result};
use crate::gc::Policy;
use crate::model::{Reason, Segment};
use crate::removal::{self, Kernel, Outcome, Removal, Request};
use crate::render::{self, table::RemovalView};
use crate::sys::{self, procfs};

use super::{archive, exit_of, kinds, rm_kinds, unresolved, Context, Facts, Resolver};
use crate::objects::{Kind, Object};
use crate::removal_kinds::ObjectOutcome;

pub fn run(ctx: Context, args: &RmArgs, out: &mut dyn Write) -> Result<Exit> {
    let mut resolver = Resolver::default();
    let mut targets: Vec<Segment> = Vec::new();
    let mut objects: Vec<(Object, Vec<Reason>)> = Vec::new();
    let mut failed = Vec::new();
    let mut exits = Vec::new();
    for selector in &args.segments {
        let resolved = if selector.kind() == Kind::Shm {
            resolver.resolve(selector).map(|segment| {
                if !targets.iter().any(|t| t.id == segment.id) {
                    targets.push(segment);
                }
            })
        } else {
            kinds::resolve(selector).map(|object| {
                if !objects
                    .iter()
                    .any(|(o, _)| o.selector() == object.selector())
                {
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
    let batch = remove_all(
        targets,
        request,
        args.archive.as_deref(),
        &Policy::default(),
        &|_| Ok(()),
    )?;
    for item in &batch.items {
        exits.push(match &item.outcome {
            Outcome::Removed { .. } | Outcome::WouldRemove { .. } | Outcome::Gone { .. } => {
                Exit::Success
            }
            // rm names its targets: leaving one in place is a refusal.
            Outcome::Kept { .. } => Exit::Failure,
            Outcome::Failed { error, .. } => exit_of(error),
        });
    }
    report_failures(ctx, &batch.items);

    // The other kinds, after the segments (unless a signal stopped the batch).
    let (others, interrupted) = match batch.interrupted {
        Some((signal, left)) => (Vec::new(), Some((signal, left + objects.len()))),
        None => rm_kinds::remove_objects(
            objects,
            args.dry_run,
            &rm_kinds::Check::Rm { force: args.force },
            args.archive.as_deref().map(|dir| rm_kinds::Archive {
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
            ObjectOutcome::Kept(_) => Exit::Failure,
            ObjectOutcome::Failed { error, .. } => exit_of(error),
        });
    }
    rm_kinds::report_failures(ctx, &others);

    if ctx.json {
        render::json::removal(out, args.dry_run, &batch.items, &others, &failed)?;
    } else {
        let view = RemovalView {
            quiet: ctx.quiet,
            list_kept: true,
            summary: false,
        };
        render::table::removal(out, &batch.items, &others, view)?;
    }
    finish(ctx, interrupted, out)?;
    Ok(Exit::merge(exits))
}

/// What a removal batch did, and whether a signal stopped it (with how many segments it
/// did not reach).
pub struct Batch {
    pub items: Vec<Removal>,
    pub interrupted: Option<(i32, usize)>,
}

/// Runs the removal sequence on each planned segment, under the namespace's removal lock
/// (not for a dry run). SIGINT/SIGTERM stop the batch between two segments, never inside
/// one's sequence. `check` re-judges each segment on fresh facts; `policy` is what an
/// archive's record is judged with.
pub fn remove_all(
    targets: Vec<Segment>,
    request: Request,
    archive_dir: Option<&Path>,
    policy: &Policy,
    check: &dyn Fn(&Segment) -> Result<(), Reason>,
) -> Result<Batch> {
    let _lock = if request.dry_run || targets.is_empty() {
        None
    } else {
        Some(sys::lock::RunLock::acquire().map_err(|e| Error::io("taking the removal lock", e))?)
    };
    let interrupts =
        sys::lock::Interrupts::catch().map_err(|e| Error::io("catching signals", e))?;
    let rmid_forced = procfs::shm_rmid_forced().ok();
    let mut facts = Facts::default();
    let now = sys::now_unix();
    let total = targets.len();
    let mut items = Vec::with_capacity(total);
    for segment in targets {
        if let Some(signal) = interrupts.pending() {
            let left = total - items.len();
            return Ok(Batch {
                items,
                interrupted: Some((signal, left)),
            });
        }
        let item = match archive_dir {
            Some(dir) if !request.dry_run => {
                let plan = facts.record(segment, None, policy, now);
                archive::remove_with_archive(dir, &plan, request, check, rmid_forced)
            }
            _ => Removal::from(removal::remove_segment(
                &mut Kernel,
                segment,
                request,
                check,
            )),
        };
        items.push(item);
    }
    let interrupted = interrupts.pending().map(|signal| (signal, 0));
    Ok(Batch { items, interrupted })
}

/// After the report is out: a signal that stopped the batch ends the process as it would
/// have, so that the caller (a shell, systemd) sees it.
pub fn finish(ctx: Context, interrupted: Option<(i32, usize)>, out: &mut dyn Write) -> Result<()> {
    if let Some((signal, left)) = interrupted {
        out.flush()?;
        render::note(
            ctx.quiet,
            &format!("interrupted by signal {signal}: {left} segment(s) not reached"),
        );
        sys::lock::die_of(signal);
    }
    Ok(())
}

/// Failures on stderr for people (JSON carries them in `failed`).
pub fn report_failures(ctx: Context, items: &[Removal]) {
    if ctx.json {
        return;
    }
    for item in items {
        if let Outcome::Failed { error, text, .. } = &item.outcome {
            render::error(&Error::sys(text.clone(), *error));
        }
    }
}
