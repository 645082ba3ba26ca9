use std::io::Write;

use crate::cli::RmArgs;
use crate::error::{Error, Exit, Result};
use crate::gc::Policy;
use crate::removal::{self, Kernel, Outcome, Removal, Request};
use crate::render::{self, table::RemovalView};
use crate::sys::{self, procfs};

use super::{archive, exit_of, unresolved, Context, Facts, Resolver};

pub fn run(ctx: Context, args: &RmArgs, out: &mut dyn Write) -> Result<Exit> {
    let mut resolver = Resolver::default();
    let mut targets = Vec::new();
    let mut failed = Vec::new();
    let mut exits = Vec::new();
    for selector in &args.segments {
        match resolver.resolve(selector) {
            Ok(segment)
                if targets
                    .iter()
                    .any(|t: &crate::model::Segment| t.id == segment.id) => {}
            Ok(segment) => targets.push(segment),
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
    let items = remove_all(
        targets,
        request,
        args.archive.as_deref(),
        &Policy::default(),
        &|_| Ok(()),
    )?;
    for item in &items {
        exits.push(match &item.outcome {
            Outcome::Removed { .. } | Outcome::WouldRemove { .. } | Outcome::Gone { .. } => {
                Exit::Success
            }
            // rm names its targets: leaving one in place is a refusal.
            Outcome::Kept { .. } => Exit::Failure,
            Outcome::Failed { error, .. } => exit_of(error),
        });
    }
    report_failures(ctx, &items);

    if ctx.json {
        render::json::removal(out, args.dry_run, &items, &failed)?;
    } else {
        let view = RemovalView {
            quiet: ctx.quiet,
            list_kept: true,
            summary: false,
        };
        render::table::removal(out, &items, view)?;
    }
    Ok(Exit::merge(exits))
}

/// Runs the removal sequence on each segment, under the namespace's removal lock (not for
/// a dry run) and with signals held back for each segment's sequence. `check` re-judges
/// each segment on fresh facts; `policy` is what an archive's record is judged with.
pub fn remove_all(
    targets: Vec<crate::model::Segment>,
    request: Request,
    archive_dir: Option<&std::path::Path>,
    policy: &Policy,
    check: &dyn Fn(&crate::model::Segment) -> Result<(), crate::model::Reason>,
) -> Result<Vec<Removal>> {
    let _lock = if request.dry_run || targets.is_empty() {
        None
    } else {
        Some(sys::lock::RunLock::acquire().map_err(|e| Error::io("taking the removal lock", e))?)
    };
    let rmid_forced = procfs::shm_rmid_forced().ok();
    let mut facts = Facts::default();
    let now = sys::now_unix();
    let mut items = Vec::with_capacity(targets.len());
    for segment in targets {
        let _blocked =
            sys::lock::SignalsBlocked::new().map_err(|e| Error::io("blocking signals", e))?;
        let item = match archive_dir {
            Some(dir) if !request.dry_run => {
                let plan = facts.record(segment, None, policy, now);
                archive::remove_with_archive(dir, &plan, request, check, rmid_forced)
            }
            _ => Removal::from(removal::remove_segment(
                &mut Kernel,
                segment.id,
                request,
                check,
            )),
        };
        items.push(item);
    }
    Ok(items)
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
