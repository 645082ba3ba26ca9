use std::io::Write;

use crate::cli::RmArgs;
use crate::error::{Error, Exit, Result};
use crate::removal::{self, Kernel, Outcome, Request};
use crate::render;
use crate::sys::lock::{RunLock, SignalsBlocked};

use super::{exit_of, unresolved, Context, Resolver};

pub fn run(ctx: Context, args: &RmArgs, out: &mut dyn Write) -> Result<Exit> {
    let mut resolver = Resolver::default();
    let mut targets = Vec::new();
    let mut failed = Vec::new();
    let mut exits = Vec::new();
    for selector in &args.segments {
        match resolver.resolve(selector) {
            Ok(segment) if targets.contains(&segment.id) => {}
            Ok(segment) => targets.push(segment.id),
            Err(e) => {
                exits.push(e.exit());
                if !ctx.json {
                    render::error(&e);
                }
                failed.push(unresolved(selector, &e));
            }
        }
    }

    let _lock = if args.dry_run || targets.is_empty() {
        None
    } else {
        Some(RunLock::acquire().map_err(|e| Error::io("taking the removal lock", e))?)
    };
    let request = Request {
        force: args.force,
        dry_run: args.dry_run,
        expected_nattch: 0,
    };
    let mut outcomes = Vec::with_capacity(targets.len());
    for id in targets {
        let outcome = {
            let _blocked = SignalsBlocked::new().map_err(|e| Error::io("blocking signals", e))?;
            removal::remove_segment(&mut Kernel, id, request, &|_| Ok(()))
        };
        exits.push(match &outcome {
            Outcome::Removed { .. } | Outcome::WouldRemove { .. } | Outcome::Gone { .. } => {
                Exit::Success
            }
            // rm names its targets: leaving one in place is a refusal.
            Outcome::Kept { .. } => Exit::Failure,
            Outcome::Failed { error, text, .. } => {
                if !ctx.json {
                    render::error(&Error::sys(text.clone(), *error));
                }
                exit_of(error)
            }
        });
        outcomes.push(outcome);
    }

    if ctx.json {
        render::json::removal(out, args.dry_run, &outcomes, &failed)?;
    } else {
        render::table::removal(out, &outcomes, ctx.quiet)?;
    }
    Ok(Exit::merge(exits))
}
