//! What only System V message queues know. A queue counts no waiters, so the scan of every
//! task is the only evidence of a receiver that waits for a first message, or of a sender
//! that waits for room after the last one to send died. Its last sender (lspid, at stime)
//! and receiver (lrpid, at rtime) must be dead too; lrpid can be a receiving *thread's* id,
//! so a receiver thread that exited makes a live process look gone — one reason `gc` needs
//! `--older-than` for queues.
use super::liveness;
use super::policy::{kept, reuse_text, Evidence, Notes, Policy};
use super::sem::waiter_text;
use super::{Liveness, PidState, Reason, Verdict};
use crate::model::Presence;
use crate::objects::MsgQueue;

/// The first reason to keep it wins: waiters, the sender's and the receiver's,
/// waiters_unknown.
pub(crate) fn judge(policy: &Policy, queue: &MsgQueue, ev: &mut Evidence) -> Verdict {
    let facts = (ev.waiters)();
    if let Some(text) = waiter_text(&facts.waiters) {
        return kept("waiters", text);
    }
    let unknown = match (facts.uninspected, facts.unseen) {
        (0, None) => None,
        (n, None) => Some(format!("{n} task(s) could not be inspected")),
        (0, Some(why)) => Some(why.to_string()),
        (n, Some(why)) => Some(format!("{n} task(s) could not be inspected and {why}")),
    };
    let mut notes = Notes::new(ev);
    notes.add(|| match &unknown {
        None => Reason::new(
            "no_waiters",
            "no task is blocked on it (in msgrcv or msgsnd)",
        ),
        Some(text) => Reason::new(
            "waiters_unknown",
            format!("{text}, included by --include-unknown"),
        ),
    });
    for side in SIDES {
        let (pid, at) = (side.pid)(queue);
        // pid 0 names no process: nothing to probe.
        let presence = if pid > 0 {
            (ev.presence)(pid)
        } else {
            Presence::Absent
        };
        let who = side.role;
        let [alive, dead, reused, unknown, never] = side.codes;
        match liveness::recorded(pid, at, presence) {
            Liveness::Never => notes.add(|| Reason::new(never, format!("never {}", side.verb))),
            Liveness::Unknown if policy.include_unknown => notes.add(|| {
                let text = format!(
                    "last {who} pid 0 (another PID namespace), included by --include-unknown"
                );
                Reason::new(unknown, text)
            }),
            Liveness::Unknown => {
                return kept(
                    unknown,
                    format!("last {who} pid 0 with a time: a process in another PID namespace"),
                )
            }
            Liveness::Dead => notes.add(|| Reason::new(dead, format!("last {who} {pid} dead"))),
            Liveness::Exited => {
                notes.add(|| Reason::new(dead, format!("last {who} {pid} exited (a zombie)")))
            }
            Liveness::Reused => notes.add(|| {
                Reason::new(
                    reused,
                    reuse_text(
                        &format!("last {who}"),
                        pid,
                        presence,
                        Some(at),
                        &format!("it last {} the queue", side.verb),
                    ),
                )
            }),
            Liveness::Alive => return kept(alive, format!("last {who} {pid} alive")),
        }
    }
    if let (Some(text), false) = (unknown, policy.include_unknown) {
        return kept(
            "waiters_unknown",
            format!("{text}: any may be blocked on it"),
        );
    }
    notes.orphan()
}

/// One side of a queue: who, which pid and time, and its codes (alive, dead, reused,
/// unknown, never).
struct Side {
    role: &'static str,
    pid: fn(&MsgQueue) -> (i32, i64),
    verb: &'static str,
    codes: [&'static str; 5],
}

const SIDES: [Side; 2] = [
    Side {
        role: "sender",
        pid: |q| (q.lspid, q.stime),
        verb: "sent to",
        codes: [
            "sender_alive",
            "sender_dead",
            "sender_pid_reused",
            "sender_unknown",
            "never_sent",
        ],
    },
    Side {
        role: "receiver",
        pid: |q| (q.lrpid, q.rtime),
        verb: "received from",
        codes: [
            "receiver_alive",
            "receiver_dead",
            "receiver_pid_reused",
            "receiver_unknown",
            "never_received",
        ],
    },
];

/// The last sender and receiver, with what they are now.
pub(crate) fn pids(queue: &MsgQueue, presence: &mut dyn FnMut(i32) -> Presence) -> Vec<PidState> {
    SIDES
        .iter()
        .map(|side| {
            let (pid, at) = (side.pid)(queue);
            let seen = if pid > 0 {
                presence(pid)
            } else {
                Presence::Absent
            };
            PidState {
                role: side.role,
                pid,
                state: liveness::recorded(pid, at, seen),
            }
        })
        .collect()
}

/// A queue stays itself while its id, key, creator and traffic hold: a message sent or
/// received between the plan and the removal means it is in use.
pub(crate) fn changes(before: &MsgQueue, after: &MsgQueue) -> Option<String> {
    (!before.same_identity(after)).then(|| "a message was sent or received".to_string())
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{queue, T};
    use super::super::policy::tests::{absent, alive, codes, judge_waited, policy, NOW};
    use super::super::policy::{HolderFacts, Owners, WaiterFacts};
    use super::super::Object;
    use super::*;
    use crate::objects::{IpcCall, Waiter};

    fn verdict(
        policy: &Policy,
        q: &MsgQueue,
        presence: &mut dyn FnMut(i32) -> Presence,
        waiters: WaiterFacts,
    ) -> Verdict {
        judge_waited(policy, Object::Msg(q.clone()), presence, waiters, NOW)
    }

    fn waiting(waiters: Vec<Waiter>, uninspected: usize) -> WaiterFacts {
        WaiterFacts {
            waiters,
            uninspected,
            unseen: None,
        }
    }

    fn waiter(pid: i32, tid: i32, call: IpcCall) -> Waiter {
        Waiter {
            pid,
            tid,
            comm: "app".into(),
            call,
        }
    }

    #[test]
    fn senders_and_receivers() {
        let none = WaiterFacts::default;
        let v = verdict(&policy(), &queue(0, 0, 0, 0), &mut absent, none());
        assert_eq!(codes(&v), ["no_waiters", "never_sent", "never_received"]);
        let q = queue(10, T, 0, 0);
        let v = verdict(&policy(), &q, &mut absent, none());
        assert_eq!(codes(&v), ["no_waiters", "sender_dead", "never_received"]);
        assert_eq!(
            codes(&verdict(&policy(), &q, &mut alive, none())),
            ["sender_alive"]
        );
        let q = queue(10, T, 11, T + 5);
        let mut probe = |pid| if pid == 11 { alive(pid) } else { absent(pid) };
        assert_eq!(
            codes(&verdict(&policy(), &q, &mut probe, none())),
            ["receiver_alive"]
        );
        let mut zombie = |_| Presence::Exited {
            started: (T - 100) as f64,
        };
        let Verdict::Orphan { evidence } = verdict(&policy(), &q, &mut zombie, none()) else {
            panic!("an orphan")
        };
        assert_eq!(evidence[1].text, "last sender 10 exited (a zombie)");
        assert_eq!(evidence[2].text, "last receiver 11 exited (a zombie)");
        let v = verdict(&policy(), &queue(0, T, 0, 0), &mut absent, none());
        assert_eq!(codes(&v), ["sender_unknown"]);
        let v = verdict(&policy(), &queue(10, NOW - 10, 0, 0), &mut absent, none());
        assert_eq!(codes(&v), ["too_young"]);
    }

    #[test]
    fn waiters_keep_a_queue_whatever_its_pids_say() {
        // Never used, or its last sender dead: a blocked receiver or sender keeps it.
        for q in [queue(0, 0, 0, 0), queue(10, T, 0, 0)] {
            let one = waiting(vec![waiter(12, 12, IpcCall::Msgrcv)], 0);
            assert_eq!(
                verdict(&policy(), &q, &mut absent, one),
                Verdict::Kept(Reason::new(
                    "waiters",
                    "pid 12 (app) is blocked in msgrcv on it"
                ))
            );
        }
        // A thread, among others; even with unreadable tasks and --include-unknown.
        let two = waiting(
            vec![
                waiter(12, 14, IpcCall::Msgsnd),
                waiter(13, 13, IpcCall::Msgsnd),
            ],
            3,
        );
        let p = Policy {
            include_unknown: true,
            ..policy()
        };
        let Verdict::Kept(reason) = verdict(&p, &queue(10, T, 0, 0), &mut absent, two) else {
            panic!("kept")
        };
        assert_eq!(
            reason.text,
            "pid 12 (app) is blocked in msgsnd on it (thread 14) and 1 more"
        );
    }

    #[test]
    fn unreadable_tasks_keep_a_queue_unless_included() {
        let q = queue(10, T, 0, 0);
        let some = waiting(Vec::new(), 2);
        assert_eq!(
            verdict(&policy(), &q, &mut absent, some.clone()),
            Verdict::Kept(Reason::new(
                "waiters_unknown",
                "2 task(s) could not be inspected: any may be blocked on it"
            ))
        );
        let hidden = WaiterFacts {
            unseen: Some("/proc hides other users' processes (hidepid)"),
            ..waiting(Vec::new(), 0)
        };
        let Verdict::Kept(reason) = verdict(&policy(), &q, &mut absent, hidden) else {
            panic!("kept")
        };
        assert_eq!(
            reason.text,
            "/proc hides other users' processes (hidepid): any may be blocked on it"
        );
        let both = WaiterFacts {
            unseen: Some("/proc could not be read"),
            ..waiting(Vec::new(), 1)
        };
        let Verdict::Kept(reason) = verdict(&policy(), &q, &mut absent, both) else {
            panic!("kept")
        };
        assert!(
            reason
                .text
                .starts_with("1 task(s) could not be inspected and /proc could not"),
            "{reason:?}"
        );
        let p = Policy {
            include_unknown: true,
            ..policy()
        };
        assert_eq!(
            codes(&verdict(&p, &q, &mut absent, some.clone())),
            ["waiters_unknown", "sender_dead", "never_received"]
        );
        // Proven use says more than doubt: a live sender is the reason given.
        assert_eq!(
            codes(&verdict(&policy(), &q, &mut alive, some.clone())),
            ["sender_alive"]
        );
        // And the age filter still applies after it.
        let young = queue(10, NOW - 10, 0, 0);
        assert_eq!(
            codes(&verdict(&p, &young, &mut absent, some)),
            ["too_young"]
        );
    }

    #[test]
    fn the_task_scan_is_made_only_when_a_verdict_needs_it() {
        let scans = std::cell::Cell::new(0);
        let judge_counting = |policy: &Policy, object: Object| {
            let mut counting = || {
                scans.set(scans.get() + 1);
                WaiterFacts::default()
            };
            let mut ev = Evidence {
                owner_name: None,
                presence: &mut absent,
                waiters: &mut counting,
                holders: &mut HolderFacts::default,
                now: NOW,
                want_evidence: true,
            };
            super::super::policy::judge(policy, &object, &mut ev)
        };
        let someone_elses = Policy {
            owners: Owners::Caller(0),
            ..policy()
        };
        judge_counting(&someone_elses, Object::Msg(queue(0, 0, 0, 0)));
        let counted = crate::objects::SemSet {
            id: 3,
            key: 0x51,
            uid: 0,
            gid: 0,
            cuid: 0,
            cgid: 0,
            mode: 0o600,
            nsems: 1,
            otime: T,
            ctime: T,
            sems: Some(vec![crate::objects::Semaphore {
                value: 0,
                pid: 7,
                ncnt: 1,
                zcnt: 0,
            }]),
        };
        judge_counting(&policy(), Object::Sem(counted));
        assert_eq!(
            scans.get(),
            0,
            "not_owner, and a set the kernel counts waiters on"
        );
        judge_counting(&policy(), Object::Msg(queue(0, 0, 0, 0)));
        assert_eq!(scans.get(), 1);
    }
}
