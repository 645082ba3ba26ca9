use std::cell::RefCell;
use std::io::{BufRead, IsTerminal, Write};

use crate::cli::GcArgs;
use crate::error::{Error, Exit, Result};
use crate::gc::{Owners, Policy};
use crate::model::{Reason, Segment, Verdict};
use crate::removal::{Outcome, Removal, Request};
use crate::render::{self, table::RemovalView};
use crate::sys::{self, shm};

use super::{caller_owners, exit_of, kinds, ls::parse_user, rm, rm_kinds, Context, Facts};
use crate::objects::{Kind, Object};
use crate::removal_kinds::{ObjectOutcome, ObjectRemoval};

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

    // The plan: every segment judged once, each pid probed once.
    let segments = if kinds.contains(&Kind::Shm) {
        shm::enumerate()
            .map_err(|e| Error::sys("listing segments", e))?
            .0
    } else {
        Vec::new()
    };
    let now = sys::now_unix();
    let facts = RefCell::new(Facts::default());
    let mut orphans: Vec<(Segment, Vec<Reason>)> = Vec::new();
    let mut report: Vec<Removal> = Vec::new();
    for segment in segments {
        match facts.borrow_mut().verdict(&policy, &segment, now) {
            Verdict::Orphan { evidence } => orphans.push((segment, evidence)),
            // Quietly: not this caller's to judge (the kernel would refuse), or not asked for.
            Verdict::Kept(reason) if reason.code == "not_owner" => {}
            Verdict::Kept(reason) => report.push(Removal::from(Outcome::Kept { segment, reason })),
        }
    }

    let mut survey = kinds::Survey::default();
    let mut planned: Vec<(Object, Vec<Reason>)> = Vec::new();
    let mut other_report: Vec<ObjectRemoval> = Vec::new();
    for kind in others {
        for object in kinds::list(kind)? {
            match survey.verdict(&policy, &object, now) {
                Verdict::Orphan { evidence } => planned.push((object, evidence)),
                Verdict::Kept(reason) if reason.code == "not_owner" => {}
                Verdict::Kept(reason) => other_report.push(ObjectRemoval {
                    object,
                    outcome: ObjectOutcome::Kept(reason),
                    evidence: Vec::new(),
                    archive: None,
                }),
            }
        }
    }

    let dry_run = args.dry_run || (orphans.is_empty() && planned.is_empty());
    if !dry_run && !args.yes && !confirmed(&orphans, &planned, out)? {
        render::note(ctx.quiet, "nothing removed");
        return Ok(Exit::Success);
    }

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
    let batch = rm::remove_all(targets, request, args.archive.as_deref(), &policy, &check)?;
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
                planned,
                dry_run,
                &rm_kinds::Check::Gc(policy.clone()),
                args.archive.as_deref().map(|dir| rm_kinds::Archive {
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

    if ctx.json {
        render::json::removal(out, dry_run, &report, &other_report, &[])?;
    } else {
        let view = RemovalView {
            quiet: ctx.quiet,
            list_kept: ctx.verbose,
            summary: true,
        };
        render::table::removal(out, &report, &other_report, view)?;
    }
    rm::finish(ctx, interrupted, out)?;
    Ok(Exit::merge(exits))
}

/// Without --yes: on a terminal, show the plan and ask; with no terminal, refuse (exit 2).
fn confirmed(
    orphans: &[(Segment, Vec<Reason>)],
    planned: &[(Object, Vec<Reason>)],
    out: &mut dyn Write,
) -> Result<bool> {
    if !std::io::stdin().is_terminal() {
        return Err(Error::Usage(
            "refusing to remove without confirmation: there is no terminal to ask on; \
             use --yes to remove, or --dry-run to see the plan"
                .to_string(),
        ));
    }
    let plan: Vec<Removal> = orphans
        .iter()
        .map(|(segment, evidence)| Removal {
            outcome: Outcome::WouldRemove {
                segment: segment.clone(),
            },
            evidence: evidence.clone(),
            archive: None,
        })
        .collect();
    let plan_others: Vec<ObjectRemoval> = planned
        .iter()
        .map(|(object, evidence)| ObjectRemoval {
            object: object.clone(),
            outcome: ObjectOutcome::WouldRemove,
            evidence: evidence.clone(),
            archive: None,
        })
        .collect();
    render::table::removal(
        out,
        &plan,
        &plan_others,
        RemovalView {
            quiet: false,
            list_kept: false,
            summary: true,
        },
    )?;
    out.flush()?;
    if plan_others.is_empty() {
        eprint!("Remove {} segment(s)? [y/N] ", plan.len());
    } else {
        eprint!(
            "Remove {} object(s)? [y/N] ",
            plan.len() + plan_others.len()
        );
    }
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Error::io("reading the answer", e))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}
