//! The orphan rules of the other kinds (issue #7): pure functions from an object's facts,
//! injected process facts and the filters to a verdict, as [`crate::gc`] is for segments.
//!
//! None of these kinds records its creator, so nothing can prove that the process that
//! made an object is gone: `gc` demands `--older-than` for them (the command line enforces
//! it), and the evidence is what each kind does record.
//! - A semaphore set: nobody waits on it, and every last-op pid is dead (or it was never
//!   operated on).
//! - A message queue: no task is blocked on it (in msgrcv or msgsnd), and its last sender
//!   and last receiver are dead (or it was never used). A task whose system call cannot be
//!   read might be blocked on it: that keeps the queue unless --include-unknown.
//! - A POSIX object: no process maps it or holds a descriptor on it. A process whose maps
//!   or descriptors cannot be read might: that keeps the object unless --include-unknown.
use std::collections::BTreeSet;

use crate::gc::{reuse_text, too_young, Owners, Policy};
use crate::liveness;
use crate::model::{key_hex, Liveness, Presence, Reason, Verdict};
use crate::objects::{Hold, Holder, MsgQueue, PosixObject, SemSet, Waiter};

impl Owners {
    /// Whether an object with this owner and creator uid is considered.
    pub fn admits_ids(self, uid: u32, cuid: u32) -> bool {
        match self {
            Owners::Any => true,
            Owners::Uid(wanted) => uid == wanted,
            Owners::Caller(caller) => uid == caller || cuid == caller,
        }
    }
}

/// Probes a pid (kill 0 and its start time); injected so that the rules stay pure.
pub type Probe<'a> = dyn FnMut(i32) -> Presence + 'a;

/// What the scan of every task says about one queue or set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaiterFacts {
    /// The tasks blocked on it.
    pub waiters: Vec<Waiter>,
    /// Tasks whose system call could not be read, any of which may be blocked on it.
    pub uninspected: usize,
    /// Why some tasks could not even be seen (/proc unreadable, hidepid), if so.
    pub unseen: Option<&'static str>,
}

/// Scans the tasks (once per run) when a verdict needs it; injected like [`Probe`].
pub type Waiters<'a> = dyn FnMut() -> WaiterFacts + 'a;

/// "pid 123 (app) is blocked in msgrcv on it (thread 124) and 2 more".
fn waiter_text(waiters: &[Waiter]) -> Option<String> {
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

fn kept(code: &'static str, text: String) -> Verdict {
    Verdict::Kept(Reason::new(code, text))
}

/// The owner facts every kind's verdict starts from: the key (0 for POSIX), the owner and
/// creator uids, whether removing means chmod + unlink (POSIX) or IPC_SET + IPC_RMID, and the
/// owner's name for the texts.
#[derive(Debug, Clone, Copy)]
pub struct Ownership<'a> {
    pub key: u32,
    pub uid: u32,
    pub cuid: u32,
    pub posix: bool,
    pub owner_name: Option<&'a str>,
}

fn filters(policy: &Policy, o: Ownership) -> Option<Verdict> {
    let Ownership { key, uid, cuid, .. } = o;
    if key != 0 && policy.exclude_keys.contains(&key) {
        return Some(kept(
            "excluded",
            format!("key {} excluded by --exclude-key", key_hex(key)),
        ));
    }
    if !policy.owners.admits_ids(uid, cuid) {
        return Some(kept(
            "not_owner",
            format!("owned by uid {uid}, not considered"),
        ));
    }
    crate::gc::not_permitted(&policy.caller, o.posix, uid, cuid, o.owner_name).map(Verdict::Kept)
}

/// A semaphore set. The set records one time of last semop (otime) and, per semaphore,
/// the pid of the last operation (semop, SETVAL, SETALL): a process that started after the
/// later of otime and ctime cannot be the one recorded.
///
/// The kernel's semncnt and semzcnt count the tasks waiting; a task the task scan finds in
/// semop on the set (one entering the call, not yet counted) keeps it too. Tasks the scan
/// could not read do not: the kernel's counts are the authority.
pub fn judge_sem(
    policy: &Policy,
    set: &SemSet,
    owner_name: Option<&str>,
    probe: &mut Probe,
    waiters: &mut Waiters,
    now: i64,
) -> Verdict {
    let ownership = Ownership {
        key: set.key,
        uid: set.uid,
        cuid: set.cuid,
        posix: false,
        owner_name,
    };
    if let Some(verdict) = filters(policy, ownership) {
        return verdict;
    }
    let Some(sems) = &set.sems else {
        return kept(
            "unreadable",
            "its semaphores cannot be read (no read permission): waiters and last pids unknown"
                .to_string(),
        );
    };
    let counted = set.waiters().unwrap_or(0);
    if counted > 0 {
        return kept("waiters", format!("{counted} process(es) waiting on it"));
    }
    if let Some(text) = waiter_text(&waiters().waiters) {
        return kept("waiters", text);
    }
    let mut evidence = vec![Reason::new("no_waiters", "nobody waits on it")];
    let pids: BTreeSet<i32> = sems.iter().map(|s| s.pid).filter(|&p| p > 0).collect();
    if pids.is_empty() {
        if set.otime == 0 {
            evidence.push(Reason::new("never_operated", "never operated on"));
        } else if policy.include_unknown {
            evidence.push(Reason::new(
                "last_op_unknown",
                "last-op pids 0 (another PID namespace), included by --include-unknown",
            ));
        } else {
            return kept(
                "last_op_unknown",
                "operated on, but every last-op pid is 0: a process in another PID namespace"
                    .to_string(),
            );
        }
    }
    let reference = set.last_activity();
    for pid in pids {
        let presence = probe(pid);
        match liveness::recorded(pid, reference, presence) {
            Liveness::Dead => evidence.push(Reason::new(
                "last_op_dead",
                format!("last-op pid {pid} dead"),
            )),
            Liveness::Exited => evidence.push(Reason::new(
                "last_op_dead",
                format!("last-op pid {pid} exited (a zombie)"),
            )),
            Liveness::Reused => evidence.push(Reason::new(
                "last_op_pid_reused",
                reuse_text(pid, presence, Some(reference), "its last operation"),
            )),
            // A pid > 0 is never "never" nor "unknown": alive is what is left.
            Liveness::Alive | Liveness::Never | Liveness::Unknown => {
                return kept("last_op_alive", format!("last-op pid {pid} alive"))
            }
        }
    }
    if let Some(reason) = too_young(policy, set.last_activity(), now) {
        return Verdict::Kept(reason);
    }
    Verdict::Orphan { evidence }
}

/// A message queue: the tasks blocked on it, its last sender (lspid, at stime) and last
/// receiver (lrpid, at rtime). A queue counts no waiters, so the task scan is the only
/// evidence of a receiver that waits for a first message, or of a sender that waits for
/// room after the last one to send died. The first reason to keep it wins: waiters, the
/// sender's and the receiver's, waiters_unknown, too_young.
pub fn judge_msg(
    policy: &Policy,
    queue: &MsgQueue,
    owner_name: Option<&str>,
    probe: &mut Probe,
    waiters: &mut Waiters,
    now: i64,
) -> Verdict {
    let ownership = Ownership {
        key: queue.key,
        uid: queue.uid,
        cuid: queue.cuid,
        posix: false,
        owner_name,
    };
    if let Some(verdict) = filters(policy, ownership) {
        return verdict;
    }
    let facts = waiters();
    if let Some(text) = waiter_text(&facts.waiters) {
        return kept("waiters", text);
    }
    let unknown = match (facts.uninspected, facts.unseen) {
        (0, None) => None,
        (n, None) => Some(format!("{n} task(s) could not be inspected")),
        (0, Some(why)) => Some(why.to_string()),
        (n, Some(why)) => Some(format!("{n} task(s) could not be inspected and {why}")),
    };
    let mut evidence = vec![match &unknown {
        None => Reason::new(
            "no_waiters",
            "no task is blocked on it (in msgrcv or msgsnd)",
        ),
        Some(text) => Reason::new(
            "waiters_unknown",
            format!("{text}, included by --include-unknown"),
        ),
    }];
    // (who, pid, time, verb, codes: alive, dead, reused, unknown, never)
    let sides = [
        (
            "sender",
            queue.lspid,
            queue.stime,
            "sent to",
            [
                "sender_alive",
                "sender_dead",
                "sender_pid_reused",
                "sender_unknown",
                "never_sent",
            ],
        ),
        (
            "receiver",
            queue.lrpid,
            queue.rtime,
            "received from",
            [
                "receiver_alive",
                "receiver_dead",
                "receiver_pid_reused",
                "receiver_unknown",
                "never_received",
            ],
        ),
    ];
    for (who, pid, at, verb, [alive, dead, reused, unknown, never]) in sides {
        // pid 0 names no process: nothing to probe.
        let presence = if pid > 0 {
            probe(pid)
        } else {
            Presence::Absent
        };
        match liveness::recorded(pid, at, presence) {
            Liveness::Never => evidence.push(Reason::new(never, format!("never {verb}"))),
            Liveness::Unknown if policy.include_unknown => evidence.push(Reason::new(
                unknown,
                format!("last {who} pid 0 (another PID namespace), included by --include-unknown"),
            )),
            Liveness::Unknown => {
                return kept(
                    unknown,
                    format!("last {who} pid 0 with a time: a process in another PID namespace"),
                )
            }
            Liveness::Dead => evidence.push(Reason::new(dead, format!("last {who} {pid} dead"))),
            Liveness::Exited => evidence.push(Reason::new(
                dead,
                format!("last {who} {pid} exited (a zombie)"),
            )),
            Liveness::Reused => evidence.push(Reason::new(
                reused,
                reuse_text(
                    pid,
                    presence,
                    Some(at),
                    &format!("it last {verb} the queue"),
                ),
            )),
            Liveness::Alive => return kept(alive, format!("last {who} {pid} alive")),
        }
    }
    if let (Some(text), false) = (unknown, policy.include_unknown) {
        return kept(
            "waiters_unknown",
            format!("{text}: any may be blocked on it"),
        );
    }
    if let Some(reason) = too_young(policy, queue.last_activity(), now) {
        return Verdict::Kept(reason);
    }
    Verdict::Orphan { evidence }
}

/// What the holder scan says about one POSIX object.
#[derive(Debug, Clone, Copy)]
pub struct HolderFacts<'a> {
    pub holders: &'a [Holder],
    /// Processes whose maps or descriptors could not be read: any of them may hold it.
    pub uninspected: usize,
}

/// A POSIX object: held when a process maps it or has a descriptor on it.
pub fn judge_posix(
    policy: &Policy,
    object: &PosixObject,
    owner_name: Option<&str>,
    facts: HolderFacts,
    now: i64,
) -> Verdict {
    let ownership = Ownership {
        key: 0,
        uid: object.uid,
        cuid: object.uid,
        posix: true,
        owner_name,
    };
    if let Some(verdict) = filters(policy, ownership) {
        return verdict;
    }
    if let Some(holder) = facts.holders.first() {
        let how = match holder.how {
            Hold::Map => "mapped by",
            Hold::Fd => "open in",
        };
        let more = match facts.holders.len() {
            1 => String::new(),
            n => format!(" and {} more", n - 1),
        };
        return kept(
            "held",
            format!("{how} pid {} ({}){more}", holder.pid, holder.comm),
        );
    }
    let mut evidence = vec![Reason::new(
        "not_held",
        "no process maps it or holds it open",
    )];
    if facts.uninspected > 0 && policy.include_unknown {
        evidence.push(Reason::new(
            "holders_unknown",
            format!(
                "{} process(es) could not be inspected, included by --include-unknown",
                facts.uninspected
            ),
        ));
    } else if facts.uninspected > 0 {
        return kept(
            "holders_unknown",
            format!(
                "{} process(es) could not be inspected (their /proc entries are unreadable), any of which may hold it",
                facts.uninspected
            ),
        );
    }
    if let Some(reason) = too_young(policy, object.last_activity(), now) {
        return Verdict::Kept(reason);
    }
    Verdict::Orphan { evidence }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::objects::{IpcCall, Kind, Semaphore};

    const T: i64 = 1_800_000_000;
    const NOW: i64 = T + 7200;

    fn policy() -> Policy {
        Policy {
            older_than: crate::units::Age::from_secs(3600),
            ..Policy::default()
        }
    }

    fn sem(value: u32, pid: i32, ncnt: u32, zcnt: u32) -> Semaphore {
        Semaphore {
            value,
            pid,
            ncnt,
            zcnt,
        }
    }

    fn set(otime: i64, sems: Vec<Semaphore>) -> SemSet {
        SemSet {
            id: 3,
            key: 0x51,
            uid: 1000,
            gid: 1000,
            cuid: 1000,
            cgid: 1000,
            mode: 0o600,
            nsems: sems.len() as u64,
            otime,
            ctime: T,
            sems: Some(sems),
        }
    }

    fn codes(v: &Verdict) -> Vec<&'static str> {
        match v {
            Verdict::Orphan { evidence } => evidence.iter().map(|e| e.code).collect(),
            Verdict::Kept(r) => vec![r.code],
        }
    }

    fn nobody() -> WaiterFacts {
        WaiterFacts {
            waiters: Vec::new(),
            uninspected: 0,
            unseen: None,
        }
    }

    fn absent(_: i32) -> Presence {
        Presence::Absent
    }

    fn alive(_: i32) -> Presence {
        Presence::Present {
            started: Some((T - 100) as f64),
        }
    }

    #[test]
    fn sem_never_operated_is_an_orphan_when_old() {
        let s = set(0, vec![sem(1, 0, 0, 0)]);
        let v = judge_sem(&policy(), &s, None, &mut absent, &mut nobody, NOW);
        assert_eq!(codes(&v), ["no_waiters", "never_operated"]);
        assert!(v.is_orphan());
        let v = judge_sem(&policy(), &s, None, &mut absent, &mut nobody, T + 60);
        assert_eq!(codes(&v), ["too_young"]);
    }

    #[test]
    fn sem_waiter_or_live_pid_keeps_it() {
        let s = set(T, vec![sem(0, 7, 1, 0)]);
        assert_eq!(
            codes(&judge_sem(
                &policy(),
                &s,
                None,
                &mut absent,
                &mut nobody,
                NOW
            )),
            ["waiters"]
        );
        let s = set(T, vec![sem(0, 0, 0, 1)]);
        assert_eq!(
            codes(&judge_sem(
                &policy(),
                &s,
                None,
                &mut absent,
                &mut nobody,
                NOW
            )),
            ["waiters"]
        );
        let s = set(T, vec![sem(0, 7, 0, 0), sem(1, 8, 0, 0)]);
        let mut probe = |pid| if pid == 8 { alive(pid) } else { absent(pid) };
        assert_eq!(
            codes(&judge_sem(
                &policy(),
                &s,
                None,
                &mut probe,
                &mut nobody,
                NOW
            )),
            ["last_op_alive"]
        );
    }

    #[test]
    fn sem_dead_and_reused_pids() {
        let s = set(T, vec![sem(0, 7, 0, 0), sem(1, 8, 0, 0), sem(1, 7, 0, 0)]);
        let mut probe = |pid| match pid {
            8 => Presence::Present {
                started: Some((T + 60) as f64),
            },
            _ => Presence::Absent,
        };
        let v = judge_sem(&policy(), &s, None, &mut probe, &mut nobody, NOW);
        assert_eq!(
            codes(&v),
            ["no_waiters", "last_op_dead", "last_op_pid_reused"]
        );
    }

    fn zombie(_: i32) -> Presence {
        Presence::Exited {
            started: (T - 100) as f64,
        }
    }

    #[test]
    fn zombies_are_dead_last_op_pids_senders_and_receivers() {
        let s = set(T, vec![sem(0, 7, 0, 0)]);
        let v = judge_sem(&policy(), &s, None, &mut zombie, &mut nobody, NOW);
        assert_eq!(codes(&v), ["no_waiters", "last_op_dead"]);
        let Verdict::Orphan { evidence } = v else {
            unreachable!()
        };
        assert_eq!(evidence[1].text, "last-op pid 7 exited (a zombie)");
        let q = queue(10, T, 11, T + 5);
        let v = judge_msg(&policy(), &q, None, &mut zombie, &mut nobody, NOW);
        assert_eq!(codes(&v), ["no_waiters", "sender_dead", "receiver_dead"]);
        let Verdict::Orphan { evidence } = v else {
            unreachable!()
        };
        assert_eq!(evidence[1].text, "last sender 10 exited (a zombie)");
        assert_eq!(evidence[2].text, "last receiver 11 exited (a zombie)");
    }

    #[test]
    fn sem_pid_zero_after_an_operation_is_unknown() {
        let s = set(T, vec![sem(0, 0, 0, 0)]);
        assert_eq!(
            codes(&judge_sem(
                &policy(),
                &s,
                None,
                &mut absent,
                &mut nobody,
                NOW
            )),
            ["last_op_unknown"]
        );
        let p = Policy {
            include_unknown: true,
            ..policy()
        };
        assert!(judge_sem(&p, &s, None, &mut absent, &mut nobody, NOW).is_orphan());
    }

    #[test]
    fn sem_unreadable_owner_and_excluded() {
        let mut s = set(0, vec![]);
        s.sems = None;
        assert_eq!(
            codes(&judge_sem(
                &policy(),
                &s,
                None,
                &mut absent,
                &mut nobody,
                NOW
            )),
            ["unreadable"]
        );
        let p = Policy {
            owners: Owners::Caller(1001),
            ..policy()
        };
        assert_eq!(
            codes(&judge_sem(&p, &s, None, &mut absent, &mut nobody, NOW)),
            ["not_owner"]
        );
        let p = Policy {
            exclude_keys: vec![0x51],
            ..policy()
        };
        assert_eq!(
            codes(&judge_sem(&p, &s, None, &mut absent, &mut nobody, NOW)),
            ["excluded"]
        );
    }

    fn queue(lspid: i32, stime: i64, lrpid: i32, rtime: i64) -> MsgQueue {
        MsgQueue {
            id: 4,
            key: 0x61,
            uid: 1000,
            gid: 1000,
            cuid: 1000,
            cgid: 1000,
            mode: 0o600,
            bytes: 0,
            messages: 0,
            max_bytes: 16384,
            lspid,
            lrpid,
            stime,
            rtime,
            ctime: T,
        }
    }

    #[test]
    fn msg_rules() {
        let q = queue(0, 0, 0, 0);
        assert_eq!(
            codes(&judge_msg(
                &policy(),
                &q,
                None,
                &mut absent,
                &mut nobody,
                NOW
            )),
            ["no_waiters", "never_sent", "never_received"]
        );
        let q = queue(10, T, 0, 0);
        assert_eq!(
            codes(&judge_msg(
                &policy(),
                &q,
                None,
                &mut absent,
                &mut nobody,
                NOW
            )),
            ["no_waiters", "sender_dead", "never_received"]
        );
        assert_eq!(
            codes(&judge_msg(
                &policy(),
                &q,
                None,
                &mut alive,
                &mut nobody,
                NOW
            )),
            ["sender_alive"]
        );
        let q = queue(10, T, 11, T + 5);
        let mut probe = |pid| if pid == 11 { alive(pid) } else { absent(pid) };
        assert_eq!(
            codes(&judge_msg(
                &policy(),
                &q,
                None,
                &mut probe,
                &mut nobody,
                NOW
            )),
            ["receiver_alive"]
        );
        let q = queue(0, T, 0, 0);
        assert_eq!(
            codes(&judge_msg(
                &policy(),
                &q,
                None,
                &mut absent,
                &mut nobody,
                NOW
            )),
            ["sender_unknown"]
        );
        let q = queue(10, NOW - 10, 0, 0);
        assert_eq!(
            codes(&judge_msg(
                &policy(),
                &q,
                None,
                &mut absent,
                &mut nobody,
                NOW
            )),
            ["too_young"]
        );
    }

    fn waiter(pid: i32, tid: i32, call: IpcCall) -> Waiter {
        Waiter {
            pid,
            tid,
            comm: "app".into(),
            call,
        }
    }

    fn scanned(waiters: Vec<Waiter>, uninspected: usize) -> WaiterFacts {
        WaiterFacts {
            waiters,
            uninspected,
            unseen: None,
        }
    }

    #[test]
    fn msg_waiters_keep_a_queue_whatever_its_pids_say() {
        // Never used, or its last sender dead: a blocked receiver or sender keeps it.
        for q in [queue(0, 0, 0, 0), queue(10, T, 0, 0)] {
            let mut one = || scanned(vec![waiter(12, 12, IpcCall::Msgrcv)], 0);
            let v = judge_msg(&policy(), &q, None, &mut absent, &mut one, NOW);
            assert_eq!(
                v,
                Verdict::Kept(Reason::new(
                    "waiters",
                    "pid 12 (app) is blocked in msgrcv on it"
                ))
            );
        }
        // A thread, among others; even with unreadable tasks and --include-unknown.
        let q = queue(10, T, 0, 0);
        let mut two = || {
            scanned(
                vec![
                    waiter(12, 14, IpcCall::Msgsnd),
                    waiter(13, 13, IpcCall::Msgsnd),
                ],
                3,
            )
        };
        let p = Policy {
            include_unknown: true,
            ..policy()
        };
        let Verdict::Kept(reason) = judge_msg(&p, &q, None, &mut absent, &mut two, NOW) else {
            panic!("kept")
        };
        assert_eq!(
            reason.text,
            "pid 12 (app) is blocked in msgsnd on it (thread 14) and 1 more"
        );
    }

    #[test]
    fn msg_unreadable_tasks_keep_a_queue_unless_included() {
        let q = queue(10, T, 0, 0);
        let mut some = || scanned(Vec::new(), 2);
        let v = judge_msg(&policy(), &q, None, &mut absent, &mut some, NOW);
        assert_eq!(
            v,
            Verdict::Kept(Reason::new(
                "waiters_unknown",
                "2 task(s) could not be inspected: any may be blocked on it"
            ))
        );
        let mut hidden = || WaiterFacts {
            unseen: Some("/proc hides other users' processes (hidepid)"),
            ..scanned(Vec::new(), 0)
        };
        let Verdict::Kept(reason) = judge_msg(&policy(), &q, None, &mut absent, &mut hidden, NOW)
        else {
            panic!("kept")
        };
        assert_eq!(reason.code, "waiters_unknown");
        assert_eq!(
            reason.text,
            "/proc hides other users' processes (hidepid): any may be blocked on it"
        );
        let mut both = || WaiterFacts {
            unseen: Some("/proc could not be read"),
            ..scanned(Vec::new(), 1)
        };
        let Verdict::Kept(reason) = judge_msg(&policy(), &q, None, &mut absent, &mut both, NOW)
        else {
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
        let v = judge_msg(&p, &q, None, &mut absent, &mut some, NOW);
        assert_eq!(
            codes(&v),
            ["waiters_unknown", "sender_dead", "never_received"]
        );
        // Proven use says more than doubt: a live sender is the reason given.
        assert_eq!(
            codes(&judge_msg(&policy(), &q, None, &mut alive, &mut some, NOW)),
            ["sender_alive"]
        );
        // And the age filter still applies after it.
        let young = queue(10, NOW - 10, 0, 0);
        assert_eq!(
            codes(&judge_msg(&p, &young, None, &mut absent, &mut some, NOW)),
            ["too_young"]
        );
    }

    #[test]
    fn the_task_scan_is_made_only_when_a_verdict_needs_it() {
        let scans = std::cell::Cell::new(0);
        let mut counting = || {
            scans.set(scans.get() + 1);
            nobody()
        };
        let q = queue(0, 0, 0, 0);
        let p = Policy {
            owners: Owners::Caller(0),
            ..policy()
        };
        judge_msg(&p, &q, None, &mut absent, &mut counting, NOW);
        let s = set(T, vec![sem(0, 7, 1, 0)]);
        judge_sem(&policy(), &s, None, &mut absent, &mut counting, NOW);
        assert_eq!(
            scans.get(),
            0,
            "not_owner, and a set the kernel counts waiters on"
        );
        judge_msg(&policy(), &q, None, &mut absent, &mut counting, NOW);
        assert_eq!(scans.get(), 1);
    }

    #[test]
    fn sem_task_scan_is_evidence_but_not_doubt() {
        let s = set(T, vec![sem(1, 7, 0, 0)]);
        let mut entering = || scanned(vec![waiter(9, 9, IpcCall::Semtimedop)], 0);
        assert_eq!(
            judge_sem(&policy(), &s, None, &mut absent, &mut entering, NOW),
            Verdict::Kept(Reason::new(
                "waiters",
                "pid 9 (app) is blocked in semtimedop on it"
            ))
        );
        // Unreadable tasks: semncnt and semzcnt are the authority.
        let mut unreadable = || scanned(Vec::new(), 5);
        let v = judge_sem(&policy(), &s, None, &mut absent, &mut unreadable, NOW);
        assert_eq!(codes(&v), ["no_waiters", "last_op_dead"]);
    }

    fn posix(ctime: i64) -> PosixObject {
        PosixObject {
            kind: Kind::Pshm,
            name: "/x".into(),
            path: PathBuf::from("/dev/shm/x"),
            dev: 1,
            ino: 2,
            uid: 1000,
            gid: 1000,
            mode: 0o600,
            size: 10,
            atime: ctime,
            mtime: ctime,
            ctime,
            queue: None,
            semaphore: None,
        }
    }

    #[test]
    fn posix_rules() {
        let none = HolderFacts {
            holders: &[],
            uninspected: 0,
        };
        let v = judge_posix(&policy(), &posix(T), None, none, NOW);
        assert_eq!(codes(&v), ["not_held"]);
        assert!(v.is_orphan());
        assert_eq!(
            codes(&judge_posix(&policy(), &posix(NOW - 5), None, none, NOW)),
            ["too_young"]
        );
        let holders = [Holder {
            pid: 9,
            comm: "app".into(),
            how: Hold::Fd,
        }];
        let held = HolderFacts {
            holders: &holders,
            uninspected: 3,
        };
        let v = judge_posix(&policy(), &posix(T), None, held, NOW);
        assert_eq!(codes(&v), ["held"]);
        let unknown = HolderFacts {
            holders: &[],
            uninspected: 3,
        };
        assert_eq!(
            codes(&judge_posix(&policy(), &posix(T), None, unknown, NOW)),
            ["holders_unknown"]
        );
        let p = Policy {
            include_unknown: true,
            ..policy()
        };
        assert_eq!(
            codes(&judge_posix(&p, &posix(T), None, unknown, NOW)),
            ["not_held", "holders_unknown"]
        );
        let p = Policy {
            owners: Owners::Caller(0),
            ..policy()
        };
        assert_eq!(
            codes(&judge_posix(&p, &posix(T), None, none, NOW)),
            ["not_owner"]
        );
    }
}
