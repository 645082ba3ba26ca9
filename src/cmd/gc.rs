use std::cell::RefCell;
use std::io::{BufRead, IsTerminal, Write};

use crate::cli::GcArgs;
use crate::error::{Error, Exit, Result};
use crate::gc::{Owners, Policy};
use crate::model::{Reason, Segment, Verdict};
use crate::removal::{Outcome, Removal, Request};
use crate::render::{self, table::RemovalView};
use crate::sys::{self, shm};

use super::archive::ArchiveDir;
use super::session::Session;
use super::{caller_owners, exit_of, kinds, ls::parse_user, rm, rm_kinds, Context, Facts};
use crate::objects::{Kind, Object};
use crate::removal_kinds::{ObjectOutcome, ObjectRemoval};

/// What gc found to remove, and what it keeps (reported).
struct Plan {
    orphans: Vec<(Segment, Vec<Reason>)>,
    report: Vec<Removal>,
    planned: Vec<(Object, Vec<Reason>)>,
    other_report: Vec<ObjectRemoval>,
    survey: kinds::Survey,
}

impl Plan {
    fn is_empty(&self) -> bool {
        self.orphans.is_empty() && self.planned.is_empty()
    }
}

pub fn run(ctx: Context, args: &GcArgs, out: &mut dyn Write) -> Result<Exit> {
    let owners = match &args.user {
        Some(user) => Owners::Uid(parse_user(user)?),
        None => caller_owners(),
    };
    let policy = Policy {
        older_than: args.older_than,
        owners,
        exclude_keys: args.exclude_key.clone(),
        include_unknown: args.include_unknown,
        caller: super::caller(),
    };

    let kinds = args.kinds.clone().map_or_else(|| vec![Kind::Shm], |k| k.0);
    let others: Vec<Kind> = kinds.iter().copied().filter(|&k| k != Kind::Shm).collect();
    if !others.is_empty() && args.older_than.is_none() {
        return Err(Error::Usage(format!(
            "gc --type {} needs --older-than: no kind but shm records its creator, so only \
             an age can tell a leaked object from one that is waiting to be used",
            others
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(",")
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
    let archive_dir = ArchiveDir::for_run(args.archive.as_deref(), args.dry_run)?;

    let now = sys::now_unix();
    let facts = RefCell::new(Facts::default());
    // --yes: the lock first, so that the plan is made on what no other run is changing. A
    // question is asked without holding the lock (a person may take a while to answer).
    let (mut session, plan) = if args.dry_run {
        (
            Session::dry()?,
            plan(&policy, &kinds, &others, &facts, now)?,
        )
    } else if args.yes {
        let session = Session::begin(ctx, args.wait)?;
        (session, plan(&policy, &kinds, &others, &facts, now)?)
    } else {
        let plan = plan(&policy, &kinds, &others, &facts, now)?;
        if !plan.is_empty() && !confirmed(&plan, out)? {
            render::note(ctx.quiet, "nothing removed");
            return Ok(Exit::Success);
        }
        (Session::begin(ctx, args.wait)?, plan)
    };
    let Plan {
        orphans,
        mut report,
        planned,
        mut other_report,
        mut survey,
    } = plan;
    let dry_run = args.dry_run;

    // Each segment is judged again on fresh facts inside the removal sequence.
    let check = |s: &Segment| match facts.borrow_mut().kept_reason(&policy, s, now) {
        None => Ok(()),
        Some(reason) => Err(reason),
    };
    let request = Request {
        force: false,
        dry_run,
        expected_nattch: 0,
    };
    let (targets, evidence): (Vec<Segment>, Vec<Vec<Reason>>) = orphans.into_iter().unzip();
    let batch = rm::remove_all(
        &mut session,
        targets,
        request,
        archive_dir.as_ref(),
        &policy,
        &check,
    )?;
    let removed = batch.items;
    let mut exits = Vec::new();
    for (mut item, evidence) in removed.into_iter().zip(evidence) {
        match &item.outcome {
            Outcome::Failed { error, .. } => exits.push(exit_of(error)),
            Outcome::Removed { .. } | Outcome::WouldRemove { .. } => item.evidence = evidence,
            Outcome::Kept { .. } | Outcome::Gone { .. } => {}
        }
        report.push(item);
    }
    rm::report_failures(ctx, &report);

    let interrupted = match batch.interrupted {
        Some((signal, left)) => Some((signal, left + planned.len())),
        None => {
            let (items, interrupted) = rm_kinds::remove_objects(
                &mut session,
                planned,
                dry_run,
                &rm_kinds::Check::Gc(policy.clone()),
                archive_dir.as_ref().map(|dir| rm_kinds::Archive {
                    dir,
                    drain: args.drain,
                }),
                &mut survey,
            )?;
            for item in &items {
                if let ObjectOutcome::Failed { error, .. } = &item.outcome {
                    exits.push(exit_of(error));
                }
            }
            other_report.extend(items);
            interrupted
        }
    };
    rm_kinds::report_failures(ctx, &other_report);
    session.end(ctx);
    exits.extend(rm::restore_exits(&session.restored));
    rm::report_restore_failures(ctx, &session.restored);

    let report = render::Report {
        dry_run,
        items: &report,
        others: &other_report,
        unresolved: &[],
        restored: &session.restored,
    };
    if ctx.json {
        render::json::removal(out, &report)?;
    } else {
        let view = RemovalView {
            quiet: ctx.quiet,
            list_kept: ctx.verbose,
            summary: true,
        };
        render::table::removal(out, &report, view)?;
    }
    rm::finish(ctx, interrupted, out)?;
    Ok(Exit::merge(exits))
}

/// Every object judged once, each pid probed once. What the `--user` filter leaves out is
/// dropped quietly; what the caller may not remove is reported as kept (`not_owner`).
fn plan(
    policy: &Policy,
    kinds: &[Kind],
    others: &[Kind],
    facts: &RefCell<Facts>,
    now: i64,
) -> Result<Plan> {
    let segments = if kinds.contains(&Kind::Shm) {
        shm::enumerate()
            .map_err(|e| Error::sys("listing segments", e))?
            .0
    } else {
        Vec::new()
    };
    let mut orphans = Vec::new();
    let mut report = Vec::new();
    for segment in segments {
        match facts.borrow_mut().verdict(policy, &segment, now) {
            Verdict::Orphan { evidence } => orphans.push((segment, evidence)),
            // Not asked for (or not this caller's, and so not considered).
            Verdict::Kept(reason)
                if reason.code == "not_owner" && !policy.owners.admits(&segment) => {}
            Verdict::Kept(reason) => report.push(Removal::from(Outcome::Kept { segment, reason })),
        }
    }
    let mut survey = kinds::Survey::default();
    let mut planned = Vec::new();
    let mut other_report = Vec::new();
    for &kind in others {
        for object in kinds::list(kind)? {
            let (uid, _, cuid) = object.owner();
            match survey.verdict(policy, &object, now) {
                Verdict::Orphan { evidence } => planned.push((object, evidence)),
                Verdict::Kept(reason)
                    if reason.code == "not_owner" && !policy.owners.admits_ids(uid, cuid) => {}
                Verdict::Kept(reason) => other_report.push(ObjectRemoval {
                    object,
                    outcome: ObjectOutcome::Kept(reason),
                    evidence: Vec::new(),
                    archive: None,
                }),
            }
        }
    }
    Ok(Plan {
        orphans,
        report,
        planned,
        other_report,
        survey,
    })
}

/// Without --yes on a terminal: show the plan where the question is asked and ask.
fn confirmed(plan: &Plan, out: &mut dyn Write) -> Result<bool> {
    let items: Vec<Removal> = plan
        .orphans
        .iter()
        .map(|(segment, evidence)| Removal {
            outcome: Outcome::WouldRemove {
                segment: segment.clone(),
            },
            evidence: evidence.clone(),
            archive: None,
        })
        .collect();
    let others: Vec<ObjectRemoval> = plan
        .planned
        .iter()
        .map(|(object, evidence)| ObjectRemoval {
            object: object.clone(),
            outcome: ObjectOutcome::WouldRemove,
            evidence: evidence.clone(),
            archive: None,
        })
        .collect();
    let report = render::Report {
        dry_run: true,
        items: &items,
        others: &others,
        unresolved: &[],
        restored: &[],
    };
    render::table::removal(
        out,
        &report,
        RemovalView {
            quiet: false,
            list_kept: false,
            summary: true,
        },
    )?;
    out.flush()?;
    if others.is_empty() {
        eprint!("Remove {} segment(s)? [y/N] ", items.len());
    } else {
        eprint!("Remove {} object(s)? [y/N] ", items.len() + others.len());
    }
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Error::io("reading the answer", e))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}
