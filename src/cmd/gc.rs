use std::io::{BufRead, IsTerminal, Write};

use crate::cli::GcArgs;
use crate::error::{Error, Exit, Result};
use crate::ipc::archive::ArchiveDir;
use crate::ipc::batch::{Check, Planned, Remover};
use crate::ipc::policy::{Owners, Policy};
use crate::ipc::probe::Survey;
use crate::ipc::removal::{Outcome, Removal, Request, Tally};
use crate::ipc::{kernel, Kind, Verdict};
use crate::render::{self, RemovalView, Report};
use crate::sys;

use super::{caller_owners, exit_of, rm, Context};

pub fn run(ctx: Context, args: &GcArgs, out: &mut dyn Write) -> Result<Exit> {
    let mut archive =
        |args: &GcArgs| ArchiveDir::for_run(args.removing.archive.as_deref(), args.dry_run);
    run_with(ctx, args, &mut archive, out).map(|(exit, _)| exit)
}

/// [`run`] with `archive` choosing the archive directory (asked once, after the command
/// line's checks, before anything is locked), and what its report listed.
pub fn run_with(
    ctx: Context,
    args: &GcArgs,
    archive: &mut dyn FnMut(&GcArgs) -> Result<Option<ArchiveDir>>,
    out: &mut dyn Write,
) -> Result<(Exit, Tally)> {
    let owners = match args.filters.user {
        Some(uid) => Owners::Uid(uid),
        None => caller_owners(),
    };
    let policy = Policy {
        older_than: args.filters.older_than,
        owners,
        exclude_keys: args.exclude_key.clone(),
        include_unknown: args.include_unknown,
        caller: super::caller(),
    };
    let kinds = args
        .filters
        .kinds
        .clone()
        .map_or_else(|| vec![Kind::Shm], |k| k.0);
    let others: Vec<&str> = kinds
        .iter()
        .filter(|&&k| k != Kind::Shm)
        .map(|k| k.as_str())
        .collect();
    if !others.is_empty() && args.filters.older_than.is_none() {
        return Err(Error::Usage(format!(
            "gc --kind {} needs --older-than: no kind but shm records its creator, so only \
             an age can tell a leaked object from one that is waiting to be used",
            others.join(",")
        )));
    }
    // With no terminal to ask on, refuse before anything is looked at or locked.
    let asks = !args.dry_run && !args.yes;
    if asks && !std::io::stdin().is_terminal() {
        return Err(Error::Usage(
            "refusing to remove without confirmation: there is no terminal to ask on; \
             use --yes to remove, or --dry-run to see the plan"
                .to_string(),
        ));
    }
    // Everything that can be checked is checked before anything changes.
    let archive_dir = archive(args)?;

    let now = sys::now_unix();
    let mut survey = Survey::default();
    // What shows an orphan's evidence: the question, a dry run's plan, every removed line
    // unless quiet, and JSON.
    let evidence = ctx.json || !ctx.quiet || asks || args.dry_run;
    let mut kept = Vec::new();
    let planner = Planner {
        policy: &policy,
        kinds: &kinds,
        now,
        evidence,
    };
    // --yes: the lock first, so that the plan is made on what no other run is changing, and
    // each orphan removed as soon as it is planned. A question is asked on the whole plan,
    // without holding the lock (a person may take a while to answer).
    let (mut session, asked) = if asks {
        let mut orphans = Vec::new();
        planner.run(&mut survey, &mut kept, &mut |_, one| orphans.push(one))?;
        if !orphans.is_empty() && !confirmed(&orphans)? {
            render::note(ctx.quiet, "nothing removed");
            return Ok((Exit::Success, Tally::default()));
        }
        (rm::begin(ctx, false, args.removing.wait)?, Some(orphans))
    } else {
        (rm::begin(ctx, args.dry_run, args.removing.wait)?, None)
    };
    let request = Request {
        force: false,
        dry_run: args.dry_run,
        expected_nattch: 0,
        // The plan judged each of them: the sequence judges again on fresh facts only.
        judged: true,
    };
    // Each object is judged again on fresh facts inside the removal sequence.
    let check = Check::Gc(policy.clone());
    let archive = archive_dir.map(|dir| rm::archive(dir, args.removing.drain));
    let mut remover = Remover::new(
        &mut session,
        request,
        &check,
        archive.as_ref(),
        sys::now_unix(),
    );
    remover.list_removed(rm::lists_removed(ctx));
    let listed = match asked {
        Some(orphans) => {
            for one in orphans {
                remover.push(&mut survey, one);
            }
            Ok(())
        }
        None => planner.run(&mut survey, &mut kept, &mut |s, one| remover.push(s, one)),
    };
    let mut batch = remover.finish(&mut survey);
    // A listing that failed before anything was planned fails the run as it always did;
    // one that failed part way (a fallback listing) is said after the report of what the
    // run did before it.
    let failed_listing = match listed {
        Err(e) if batch.items.is_empty() && batch.removed_unlisted == 0 && kept.is_empty() => {
            return Err(e)
        }
        Err(e) => Some(e),
        Ok(()) => None,
    };
    let mut exits: Vec<Exit> = batch
        .items
        .iter()
        .filter_map(|item| match &item.outcome {
            Outcome::Failed { error, .. } => Some(exit_of(error)),
            _ => None,
        })
        .collect();
    // What it keeps is listed first; moved in front in place, not by copying every removal.
    batch.items.splice(0..0, kept);
    rm::report(
        ctx,
        &mut session,
        &batch,
        &[],
        args.dry_run,
        &mut exits,
        true,
        out,
    )?;
    if let Some(e) = failed_listing {
        return Err(e);
    }
    let restore_failures = session
        .restored
        .iter()
        .filter(|r| r.error.is_some())
        .count();
    Ok((Exit::merge(exits), batch.tally(restore_failures)))
}

/// How gc plans: every object of `kinds` judged once under `policy` at `now` (each pid
/// probed once), an orphan's evidence kept when the report shows it.
struct Planner<'a> {
    policy: &'a Policy,
    kinds: &'a [Kind],
    now: i64,
    evidence: bool,
}

impl Planner<'_> {
    /// Judges every object as it is listed and hands each orphan to `orphan` at once. What
    /// the `--user` filter leaves out is dropped quietly; what the caller may not remove is
    /// `kept` (`not_owner`).
    fn run(
        &self,
        survey: &mut Survey,
        kept: &mut Vec<Removal>,
        orphan: &mut dyn FnMut(&mut Survey, Planned),
    ) -> Result<()> {
        let policy = self.policy;
        for &kind in self.kinds {
            kernel::each(kind, &mut |object| {
                let o = object.owner();
                match survey.verdict_with(policy, &object, self.now, self.evidence) {
                    Verdict::Orphan { evidence } => orphan(survey, (object, evidence)),
                    // Not asked for (or not this caller's, and so not considered).
                    Verdict::Kept(reason)
                        if reason.code == "not_owner" && !policy.owners.admits(o.uid, o.cuid) => {}
                    Verdict::Kept(reason) => kept.push(Removal::new(object, Outcome::Kept(reason))),
                }
            })?;
        }
        Ok(())
    }
}

/// Without --yes on a terminal: show the plan where the question is asked (stderr, so that
/// with stdout redirected the plan is not in the file and the person still sees it) and ask;
/// stdout is kept for the report.
fn confirmed(orphans: &[Planned]) -> Result<bool> {
    let items: Vec<Removal> = orphans
        .iter()
        .map(|(object, evidence)| Removal {
            evidence: evidence.clone(),
            ..Removal::new(object.clone(), Outcome::WouldRemove)
        })
        .collect();
    let report = Report {
        dry_run: true,
        items: &items,
        unresolved: &[],
        restored: &[],
    };
    let view = RemovalView {
        quiet: false,
        list_kept: false,
        summary: true,
    };
    let mut err = std::io::stderr().lock();
    render::objects::removal(&mut err, &report, view).map_err(Error::output)?;
    err.flush().map_err(Error::output)?;
    let segments = items.iter().all(|i| i.object.kind() == Kind::Shm);
    let what = if segments { "segment(s)" } else { "object(s)" };
    eprint!("Remove {} {what}? [y/N] ", items.len());
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Error::io("reading the answer", e))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}
