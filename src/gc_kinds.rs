//! The orphan rules of the other kinds (issue #7): pure functions from an object's facts,
//! injected process facts and the filters to a verdict, as [`crate::gc`] is for segments.
//!
//! None of these kinds records its creator, so nothing can prove that the process that
//! made an object is gone: `gc` demands `--older-than` for them (the command line enforces
//! it), and the evidence is what each kind does record.
//! - A semaphore set: nobody waits on it, and every last-op pid is dead (or it was never
//!   operated on).
//! - A message queue: its last sender and last receiver are dead (or it was never used).
//! - A POSIX object: no process maps it or holds a descriptor on it. A process whose maps
//!   or descriptors cannot be read might: that keeps the object unless --include-unknown.
use std::collections::BTreeSet;

use crate::gc::{reuse_text, too_young, Owners, Policy};
use crate::liveness;
use crate::model::{key_hex, Liveness, Presence, Reason, Verdict};
use crate::objects::{Hold, Holder, MsgQueue, PosixObject, SemSet};

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

fn kept(code: &'static str, text: String) -> Verdict {
    Verdict::Kept(Reason::new(code, text))
}

fn filters(policy: &Policy, key: u32, uid: u32, cuid: u32) -> Option<Verdict> {
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
    None
}

/// A semaphore set. The set records one time of last semop (otime) and, per semaphore,
/// the pid of the last operation (semop, SETVAL, SETALL): a process that started after the
/// later of otime and ctime cannot be the one recorded.
pub fn judge_sem(policy: &Policy, set: &SemSet, probe: &mut Probe, now: i64) -> Verdict {
    if let Some(verdict) = filters(policy, set.key, set.uid, set.cuid) {
        return verdict;
    }
    let Some(sems) = &set.sems else {
        return kept(
            "unreadable",
            "its semaphores cannot be read (no read permission): waiters and last pids unknown"
                .to_string(),
        );
    };
    let waiters = set.waiters().unwrap_or(0);
    if waiters > 0 {
        return kept("waiters", format!("{waiters} process(es) waiting on it"));
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
            Liveness::Reused => evidence.push(Reason::new(
                "last_op_pid_reused",
                reuse_text(pid, presence, Some(reference), "its last operation"),
            )),
            _ => return kept("last_op_alive", format!("last-op pid {pid} alive")),
        }
    }
    if let Some(reason) = too_young(policy, set.last_activity(), now) {
        return Verdict::Kept(reason);
    }
    Verdict::Orphan { evidence }
}

/// A message queue: its last sender (lspid, at stime) and last receiver (lrpid, at rtime).
pub fn judge_msg(policy: &Policy, queue: &MsgQueue, probe: &mut Probe, now: i64) -> Verdict {
    if let Some(verdict) = filters(policy, queue.key, queue.uid, queue.cuid) {
        return verdict;
    }
    let mut evidence = Vec::new();
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
pub fn judge_posix(policy: &Policy, object: &PosixObject, facts: HolderFacts, now: i64) -> Verdict {
    if let Some(verdict) = filters(policy, 0, object.uid, object.uid) {
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
    use crate::objects::{Kind, Semaphore};

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
        let v = judge_sem(&policy(), &s, &mut absent, NOW);
        assert_eq!(codes(&v), ["no_waiters", "never_operated"]);
        assert!(v.is_orphan());
        let v = judge_sem(&policy(), &s, &mut absent, T + 60);
        assert_eq!(codes(&v), ["too_young"]);
    }

    #[test]
    fn sem_waiter_or_live_pid_keeps_it() {
        let s = set(T, vec![sem(0, 7, 1, 0)]);
        assert_eq!(
            codes(&judge_sem(&policy(), &s, &mut absent, NOW)),
            ["waiters"]
        );
        let s = set(T, vec![sem(0, 0, 0, 1)]);
        assert_eq!(
            codes(&judge_sem(&policy(), &s, &mut absent, NOW)),
            ["waiters"]
        );
        let s = set(T, vec![sem(0, 7, 0, 0), sem(1, 8, 0, 0)]);
        let mut probe = |pid| if pid == 8 { alive(pid) } else { absent(pid) };
        assert_eq!(
            codes(&judge_sem(&policy(), &s, &mut probe, NOW)),
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
        let v = judge_sem(&policy(), &s, &mut probe, NOW);
        assert_eq!(
            codes(&v),
            ["no_waiters", "last_op_dead", "last_op_pid_reused"]
        );
    }

    #[test]
    fn sem_pid_zero_after_an_operation_is_unknown() {
        let s = set(T, vec![sem(0, 0, 0, 0)]);
        assert_eq!(
            codes(&judge_sem(&policy(), &s, &mut absent, NOW)),
            ["last_op_unknown"]
        );
        let p = Policy {
            include_unknown: true,
            ..policy()
        };
        assert!(judge_sem(&p, &s, &mut absent, NOW).is_orphan());
    }

    #[test]
    fn sem_unreadable_owner_and_excluded() {
        let mut s = set(0, vec![]);
        s.sems = None;
        assert_eq!(
            codes(&judge_sem(&policy(), &s, &mut absent, NOW)),
            ["unreadable"]
        );
        let p = Policy {
            owners: Owners::Caller(1001),
            ..policy()
        };
        assert_eq!(codes(&judge_sem(&p, &s, &mut absent, NOW)), ["not_owner"]);
        let p = Policy {
            exclude_keys: vec![0x51],
            ..policy()
        };
        assert_eq!(codes(&judge_sem(&p, &s, &mut absent, NOW)), ["excluded"]);
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
            codes(&judge_msg(&policy(), &q, &mut absent, NOW)),
            ["never_sent", "never_received"]
        );
        let q = queue(10, T, 0, 0);
        assert_eq!(
            codes(&judge_msg(&policy(), &q, &mut absent, NOW)),
            ["sender_dead", "never_received"]
        );
        assert_eq!(
            codes(&judge_msg(&policy(), &q, &mut alive, NOW)),
            ["sender_alive"]
        );
        let q = queue(10, T, 11, T + 5);
        let mut probe = |pid| if pid == 11 { alive(pid) } else { absent(pid) };
        assert_eq!(
            codes(&judge_msg(&policy(), &q, &mut probe, NOW)),
            ["receiver_alive"]
        );
        let q = queue(0, T, 0, 0);
        assert_eq!(
            codes(&judge_msg(&policy(), &q, &mut absent, NOW)),
            ["sender_unknown"]
        );
        let q = queue(10, NOW - 10, 0, 0);
        assert_eq!(
            codes(&judge_msg(&policy(), &q, &mut absent, NOW)),
            ["too_young"]
        );
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
        let v = judge_posix(&policy(), &posix(T), none, NOW);
        assert_eq!(codes(&v), ["not_held"]);
        assert!(v.is_orphan());
        assert_eq!(
            codes(&judge_posix(&policy(), &posix(NOW - 5), none, NOW)),
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
        let v = judge_posix(&policy(), &posix(T), held, NOW);
        assert_eq!(codes(&v), ["held"]);
        let unknown = HolderFacts {
            holders: &[],
            uninspected: 3,
        };
        assert_eq!(
            codes(&judge_posix(&policy(), &posix(T), unknown, NOW)),
            ["holders_unknown"]
        );
        let p = Policy {
            include_unknown: true,
            ..policy()
        };
        assert_eq!(
            codes(&judge_posix(&p, &posix(T), unknown, NOW)),
            ["not_held", "holders_unknown"]
        );
        let p = Policy {
            owners: Owners::Caller(0),
            ..policy()
        };
        assert_eq!(codes(&judge_posix(&p, &posix(T), none, NOW)), ["not_owner"]);
    }
}
