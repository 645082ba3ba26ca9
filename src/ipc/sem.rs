//! What only System V semaphore sets know. A set records one time of last semop (otime)
//! and, per semaphore, the pid of the last operation (semop, SETVAL, SETALL): it is an
//! orphan when nobody waits on it and every last-op pid is dead (or it was never operated
//! on). None of this says who made it, so `gc` needs `--older-than` for sets.
use std::collections::BTreeSet;

use super::liveness;
use super::policy::{kept, reuse_text, Evidence, Notes, Policy};
use super::{Liveness, PidState, Reason, Verdict};
use crate::objects::{SemSet, Waiter};

/// "pid 123 (app) is blocked in msgrcv on it (thread 124) and 2 more".
pub(crate) fn waiter_text(waiters: &[Waiter]) -> Option<String> {
    let first = waiters.first()?;
    let thread = if first.tid == first.pid {
        String::new()
    } else {
        format!(" (thread {})", first.tid)
    };
    let more = match waiters.len() {
        1 => String::new(),
        n => format!(" and {} more", n - 1),
    };
    Some(format!(
        "pid {} ({}) is blocked in {} on it{thread}{more}",
        first.pid,
        first.comm,
        first.call.as_str()
    ))
}

/// The kernel's semncnt and semzcnt count the tasks waiting; a task the task scan finds in
/// semop on the set (one entering the call, not yet counted) keeps it too. Tasks the scan
/// could not read do not: the kernel's counts are the authority.
pub(crate) fn judge(policy: &Policy, set: &SemSet, ev: &mut Evidence) -> Verdict {
    let Some(sems) = &set.sems else {
        return kept(
            "unreadable",
            "its semaphores cannot be read (no read permission): waiters and last pids unknown",
        );
    };
    let counted = set.waiters().unwrap_or(0);
    if counted > 0 {
        return kept("waiters", format!("{counted} process(es) waiting on it"));
    }
    if let Some(text) = waiter_text(&(ev.waiters)().waiters) {
        return kept("waiters", text);
    }
    let mut notes = Notes::new(ev);
    notes.add(|| Reason::new("no_waiters", "nobody waits on it"));
    let pids: BTreeSet<i32> = sems.iter().map(|s| s.pid).filter(|&p| p > 0).collect();
    if pids.is_empty() {
        if set.otime == 0 {
            notes.add(|| Reason::new("never_operated", "never operated on"));
        } else if policy.include_unknown {
            notes.add(|| {
                Reason::new(
                    "last_op_unknown",
                    "last-op pids 0 (another PID namespace), included by --include-unknown",
                )
            });
        } else {
            return kept(
                "last_op_unknown",
                "operated on, but every last-op pid is 0: a process in another PID namespace",
            );
        }
    }
    let reference = set.last_activity();
    for pid in pids {
        let presence = (ev.presence)(pid);
        match liveness::recorded(pid, reference, presence) {
            Liveness::Dead => {
                notes.add(|| Reason::new("last_op_dead", format!("last-op pid {pid} dead")))
            }
            Liveness::Exited => notes.add(|| {
                Reason::new(
                    "last_op_dead",
                    format!("last-op pid {pid} exited (a zombie)"),
                )
            }),
            Liveness::Reused => notes.add(|| {
                Reason::new(
                    "last_op_pid_reused",
                    reuse_text(
                        "last-op",
                        pid,
                        presence,
                        Some(reference),
                        "its last operation",
                    ),
                )
            }),
            // A pid > 0 is never "never" nor "unknown": alive is what is left.
            Liveness::Alive | Liveness::Never | Liveness::Unknown => {
                return kept("last_op_alive", format!("last-op pid {pid} alive"))
            }
        }
    }
    notes.orphan()
}

/// Each distinct last-op pid, with what it is now.
pub(crate) fn pids(
    set: &SemSet,
    presence: &mut dyn FnMut(i32) -> crate::model::Presence,
) -> Vec<PidState> {
    let pids: BTreeSet<i32> = set
        .sems
        .iter()
        .flatten()
        .map(|s| s.pid)
        .filter(|&p| p > 0)
        .collect();
    let reference = set.last_activity();
    pids.into_iter()
        .map(|pid| PidState {
            role: "last_op",
            pid,
            state: liveness::recorded(pid, reference, presence(pid)),
        })
        .collect()
}

/// A set stays itself while its id, key, creator, size and otime hold (our IPC_SET moves
/// mode and ctime).
pub(crate) fn changes(before: &SemSet, after: &SemSet) -> Option<String> {
    (!before.same_identity(after)).then(|| "it was operated on or replaced".to_string())
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{sem, set, T};
    use super::super::policy::tests::{absent, alive, codes, judge_waited, policy, NOW};
    use super::super::policy::{Owners, WaiterFacts};
    use super::super::Object;
    use super::*;
    use crate::model::Presence;
    use crate::objects::IpcCall;

    fn verdict(
        policy: &Policy,
        s: &SemSet,
        presence: &mut dyn FnMut(i32) -> Presence,
        waiters: WaiterFacts,
        now: i64,
    ) -> Verdict {
        judge_waited(policy, Object::Sem(s.clone()), presence, waiters, now)
    }

    fn none() -> WaiterFacts {
        WaiterFacts::default()
    }

    #[test]
    fn never_operated_is_an_orphan_when_old() {
        let s = set(0, vec![sem(1, 0, 0, 0)]);
        let v = verdict(&policy(), &s, &mut absent, none(), NOW);
        assert_eq!(codes(&v), ["no_waiters", "never_operated"]);
        let v = verdict(&policy(), &s, &mut absent, none(), T + 60);
        assert_eq!(codes(&v), ["too_young"]);
    }

    #[test]
    fn a_waiter_or_a_live_pid_keeps_it() {
        for s in [set(T, vec![sem(0, 7, 1, 0)]), set(T, vec![sem(0, 0, 0, 1)])] {
            assert_eq!(
                codes(&verdict(&policy(), &s, &mut absent, none(), NOW)),
                ["waiters"]
            );
        }
        let s = set(T, vec![sem(0, 7, 0, 0), sem(1, 8, 0, 0)]);
        let mut probe = |pid| if pid == 8 { alive(pid) } else { absent(pid) };
        assert_eq!(
            codes(&verdict(&policy(), &s, &mut probe, none(), NOW)),
            ["last_op_alive"]
        );
    }

    #[test]
    fn dead_reused_and_zombie_pids() {
        let s = set(T, vec![sem(0, 7, 0, 0), sem(1, 8, 0, 0), sem(1, 7, 0, 0)]);
        let mut probe = |pid| match pid {
            8 => Presence::Present {
                started: Some((T + 60) as f64),
            },
            _ => Presence::Absent,
        };
        let v = verdict(&policy(), &s, &mut probe, none(), NOW);
        assert_eq!(
            codes(&v),
            ["no_waiters", "last_op_dead", "last_op_pid_reused"]
        );
        let s = set(T, vec![sem(0, 7, 0, 0)]);
        let mut zombie = |_| Presence::Exited {
            started: (T - 100) as f64,
        };
        let Verdict::Orphan { evidence } = verdict(&policy(), &s, &mut zombie, none(), NOW) else {
            panic!("an orphan")
        };
        assert_eq!(evidence[1].text, "last-op pid 7 exited (a zombie)");
    }

    #[test]
    fn pid_zero_after_an_operation_is_unknown() {
        let s = set(T, vec![sem(0, 0, 0, 0)]);
        assert_eq!(
            codes(&verdict(&policy(), &s, &mut absent, none(), NOW)),
            ["last_op_unknown"]
        );
        let p = Policy {
            include_unknown: true,
            ..policy()
        };
        assert!(verdict(&p, &s, &mut absent, none(), NOW).is_orphan());
    }

    #[test]
    fn unreadable_not_owner_and_excluded() {
        let mut s = set(0, vec![]);
        s.sems = None;
        assert_eq!(
            codes(&verdict(&policy(), &s, &mut absent, none(), NOW)),
            ["unreadable"]
        );
        let p = Policy {
            owners: Owners::Caller(1001),
            ..policy()
        };
        assert_eq!(
            codes(&verdict(&p, &s, &mut absent, none(), NOW)),
            ["not_owner"]
        );
        let p = Policy {
            exclude_keys: vec![0x51],
            ..policy()
        };
        assert_eq!(
            codes(&verdict(&p, &s, &mut absent, none(), NOW)),
            ["excluded"]
        );
    }

    #[test]
    fn the_task_scan_is_evidence_but_not_doubt() {
        let s = set(T, vec![sem(1, 7, 0, 0)]);
        let entering = WaiterFacts {
            waiters: vec![Waiter {
                pid: 9,
                tid: 9,
                comm: "app".into(),
                call: IpcCall::Semtimedop,
            }],
            ..none()
        };
        assert_eq!(
            verdict(&policy(), &s, &mut absent, entering, NOW),
            Verdict::Kept(Reason::new(
                "waiters",
                "pid 9 (app) is blocked in semtimedop on it"
            ))
        );
        // Unreadable tasks: semncnt and semzcnt are the authority.
        let unreadable = WaiterFacts {
            uninspected: 5,
            ..none()
        };
        let v = verdict(&policy(), &s, &mut absent, unreadable, NOW);
        assert_eq!(codes(&v), ["no_waiters", "last_op_dead"]);
    }
}
