//! The orphan policy (DESIGN.md "Orphans"): pure functions from an object's facts, the
//! evidence probed about it and the filters to a verdict. `ls`, `stat`, `gc` and the removal
//! sequence's re-check all judge through [`judge`]: one rule, not one per command.
//!
//! Every kind passes the same filters first (`--exclude-key`, `--user`, what the caller may
//! remove); then its own rules (in its module) say what keeps it and what proves it
//! orphaned; `--older-than` comes last.
use super::liveness::REUSE_MARGIN_SECS;
use super::{msg, posix, sem, shm, Object, Reason, Verdict};
use crate::model::{key_hex, Presence};
use crate::objects::{Holder, Waiter};
use crate::units::{elapsed, human_duration, Age};

/// Every code a kept object's reason can carry: the code, the kinds it applies to, what it
/// means. `gc`'s man page is written from this table; a test holds it to the code.
pub const REASON_CODES: &[(&str, &str, &str)] = &[
    ("attached", "shm", "something is attached (nattch > 0)"),
    ("creator_alive", "shm", "the creator pid is alive (and started before the segment)"),
    ("last_user_alive", "shm", "the last attach/detach pid is alive"),
    ("creator_unknown", "shm", "the creator pid is 0: a process in another PID namespace (gc --include-unknown takes it as evidence)"),
    ("last_user_unknown", "shm", "the last user pid is 0, as creator_unknown"),
    ("marked_for_destruction", "shm", "already IPC_RMID'd: it goes at the last detach"),
    ("waiters", "sem, msg", "a set's semncnt/semzcnt, or a task blocked on the set or queue"),
    ("waiters_unknown", "msg", "some tasks could not be inspected (CAP_SYS_PTRACE, hidepid)"),
    ("last_op_alive", "sem", "a pid that last operated on the set is alive"),
    ("last_op_unknown", "sem", "a last-op pid is 0 (another PID namespace)"),
    ("unreadable", "sem", "no permission to read the semaphores (GETALL)"),
    ("sender_alive", "msg", "the last sender is alive"),
    ("receiver_alive", "msg", "the last receiver is alive"),
    ("sender_unknown", "msg", "the last sender pid is 0 (another PID namespace)"),
    ("receiver_unknown", "msg", "the last receiver pid is 0 (another PID namespace)"),
    ("held", "pshm, psem, pmq", "a process maps it or holds it open"),
    ("holders_unknown", "pshm, psem, pmq", "some processes could not be inspected"),
    ("too_young", "every kind", "active within --older-than"),
    ("excluded", "every kind", "named by --exclude-key"),
    ("not_owner", "every kind", "an ordinary user's gc: neither owner nor creator (the kernel would refuse)"),
    ("changed", "every kind", "something changed between the plan and the removal: the mode was restored"),
];

/// Every code of the evidence that makes an object an orphan.
pub const EVIDENCE_CODES: &[(&str, &str, &str)] = &[
    ("nattch_zero", "shm", "nothing attached"),
    ("creator_dead", "shm", "kill(creator, 0) says ESRCH"),
    (
        "creator_exited",
        "shm",
        "the creator is a zombie: exited, not reaped, it holds nothing",
    ),
    (
        "creator_pid_reused",
        "shm",
        "the creator pid now belongs to a process started after the segment",
    ),
    (
        "last_user_dead",
        "shm",
        "the last user is dead (or a zombie)",
    ),
    ("never_attached", "shm", "no process ever attached (lpid 0)"),
    (
        "creator_unknown",
        "shm",
        "with --include-unknown: the creator is in another PID namespace",
    ),
    (
        "last_user_unknown",
        "shm",
        "with --include-unknown: the last user is in another PID namespace",
    ),
    ("no_waiters", "sem, msg", "nobody waits on it"),
    (
        "waiters_unknown",
        "msg",
        "with --include-unknown: some tasks could not be inspected",
    ),
    ("last_op_dead", "sem", "every last-op pid is dead"),
    (
        "last_op_pid_reused",
        "sem",
        "a last-op pid now belongs to a younger process",
    ),
    (
        "last_op_unknown",
        "sem",
        "with --include-unknown: a last-op pid is 0",
    ),
    ("never_operated", "sem", "no semop since it was made"),
    ("sender_dead", "msg", "the last sender is dead"),
    ("receiver_dead", "msg", "the last receiver is dead"),
    ("never_sent", "msg", "nothing was ever sent to it"),
    ("never_received", "msg", "nothing was ever received from it"),
    (
        "not_held",
        "pshm, psem, pmq",
        "no process maps it or holds it open",
    ),
];

/// Whose objects are considered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Owners {
    /// Root: everyone's.
    #[default]
    Any,
    /// `--user U`: objects owned by this uid.
    Uid(u32),
    /// An ordinary caller: the objects it may remove (owner or creator), as IPC_RMID allows.
    Caller(u32),
}

impl Owners {
    /// Whether an object with this owner and creator uid is considered.
    pub fn admits(self, uid: u32, cuid: u32) -> bool {
        match self {
            Owners::Any => true,
            Owners::Uid(wanted) => uid == wanted,
            Owners::Caller(caller) => uid == caller || cuid == caller,
        }
    }
}

/// Who is removing, and so what the kernel lets it remove: a SysV object's owner or creator
/// (or CAP_SYS_ADMIN), a POSIX object's owner (or CAP_FOWNER: /dev/shm is sticky).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    pub uid: u32,
    pub sys_admin: bool,
    pub fowner: bool,
}

impl Default for Caller {
    /// Root: everything (what tests of the rules assume).
    fn default() -> Caller {
        Caller {
            uid: 0,
            sys_admin: true,
            fowner: true,
        }
    }
}

impl Caller {
    /// Whether IPC_SET/IPC_RMID (SysV) or chmod/unlink (POSIX) would be allowed.
    pub fn may_remove(&self, posix: bool, uid: u32, cuid: u32) -> bool {
        if posix {
            self.fowner || uid == self.uid
        } else {
            self.sys_admin || uid == self.uid || cuid == self.uid
        }
    }
}

/// Why `caller` may not remove `object`, in words that say whose it is and who may: judged
/// in the plan, so that a dry run tells the truth.
pub fn not_permitted(caller: &Caller, object: &Object, owner_name: Option<&str>) -> Option<Reason> {
    let o = object.owner();
    let posix = object.kind().is_posix();
    (!caller.may_remove(posix, o.uid, o.cuid))
        .then(|| Reason::new("not_owner", permission_text(object, owner_name)))
}

/// "owned by root (uid 0): only its owner, its creator or root can remove it".
pub fn permission_text(object: &Object, owner_name: Option<&str>) -> String {
    let o = object.owner();
    let owner = match owner_name {
        Some(name) => format!("{name} (uid {})", o.uid),
        None => format!("uid {}", o.uid),
    };
    if object.kind().is_posix() {
        format!("owned by {owner}: only its owner or root can remove it")
    } else if o.cuid != o.uid {
        format!(
            "owned by {owner}, created by uid {}: only its owner, its creator or root can \
             remove it",
            o.cuid
        )
    } else {
        format!("owned by {owner}: only its owner, its creator or root can remove it")
    }
}

/// The filters of `gc` (and what `ls` judges with).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Policy {
    /// `--older-than`: how long without activity.
    pub older_than: Option<Age>,
    pub owners: Owners,
    pub exclude_keys: Vec<u32>,
    /// `--include-unknown`: what cannot be inspected (a pid 0, an unreadable process) does
    /// not keep an object.
    pub include_unknown: bool,
    /// Who judges: what it may not remove is kept as `not_owner`.
    pub caller: Caller,
}

/// What the scan of every task says about one queue or set.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WaiterFacts {
    /// The tasks blocked on it.
    pub waiters: Vec<Waiter>,
    /// Tasks whose system call could not be read, any of which may be blocked on it.
    pub uninspected: usize,
    /// Why some tasks could not even be seen (/proc unreadable, hidepid), if so.
    pub unseen: Option<&'static str>,
}

/// What the holder scan says about one POSIX object.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HolderFacts {
    pub holders: Vec<Holder>,
    /// Processes whose maps or descriptors could not be read: any of them may hold it.
    pub uninspected: usize,
    /// No scan could be made at all (/proc unreadable): nobody could be inspected.
    pub failed: bool,
}

/// What probing found about one object, beside its own facts: injected, so that the rules
/// stay pure (tests give fakes) and each scan is made only when a verdict needs it.
pub struct Evidence<'a> {
    pub owner_name: Option<&'a str>,
    /// `kill(pid, 0)` and the start time, once per pid per run.
    pub presence: &'a mut dyn FnMut(i32) -> Presence,
    /// The tasks blocked on a set or queue.
    pub waiters: &'a mut dyn FnMut() -> WaiterFacts,
    /// Who maps or holds a POSIX object.
    pub holders: &'a mut dyn FnMut() -> HolderFacts,
    pub now: i64,
    /// False for the removal sequence's re-check: only the reason to keep matters.
    pub want_evidence: bool,
}

/// An orphan's evidence, each reason made only when the report shows evidence: a gc of
/// 10,000 objects judges each one twice, and shows none with `--quiet`.
pub(crate) struct Notes {
    want: bool,
    reasons: Vec<Reason>,
}

impl Notes {
    pub(crate) fn new(ev: &Evidence) -> Notes {
        Notes {
            want: ev.want_evidence,
            reasons: Vec::new(),
        }
    }

    pub(crate) fn add(&mut self, reason: impl FnOnce() -> Reason) {
        if self.want {
            self.reasons.push(reason());
        }
    }

    pub(crate) fn orphan(self) -> Verdict {
        Verdict::Orphan {
            evidence: self.reasons,
        }
    }
}

pub(crate) fn kept(code: &'static str, text: impl Into<std::borrow::Cow<'static, str>>) -> Verdict {
    Verdict::Kept(Reason::new(code, text))
}

/// Judges one object: the filters, its kind's rules, then `--older-than`.
pub fn judge(policy: &Policy, object: &Object, ev: &mut Evidence) -> Verdict {
    if let Some(verdict) = filters(policy, object, ev.owner_name) {
        return verdict;
    }
    let verdict = match object {
        Object::Shm(s) => shm::judge(policy, s, ev),
        Object::Sem(s) => sem::judge(policy, s, ev),
        Object::Msg(q) => msg::judge(policy, q, ev),
        Object::Posix(p) => posix::judge(policy, p, ev),
    };
    match verdict {
        Verdict::Orphan { .. } => match too_young(policy, object.last_activity(), ev.now) {
            Some(reason) => Verdict::Kept(reason),
            None => verdict,
        },
        kept => kept,
    }
}

/// What keeps `object`, if anything: [`judge`] for the removal sequence's re-check.
#[cfg(test)]
pub fn kept_reason(policy: &Policy, object: &Object, ev: &mut Evidence) -> Option<Reason> {
    match judge(policy, object, ev) {
        Verdict::Kept(reason) => Some(reason),
        Verdict::Orphan { .. } => None,
    }
}

/// `--exclude-key`, `--user` (or an ordinary caller's own), and what the caller may remove.
fn filters(policy: &Policy, object: &Object, owner_name: Option<&str>) -> Option<Verdict> {
    let o = object.owner();
    match object.key() {
        Some(key) if key != 0 && policy.exclude_keys.contains(&key) => {
            return Some(kept(
                "excluded",
                format!("key {} excluded by --exclude-key", key_hex(key)),
            ))
        }
        _ => {}
    }
    if !policy.owners.admits(o.uid, o.cuid) {
        return Some(kept(
            "not_owner",
            format!("owned by uid {}, not considered", o.uid),
        ));
    }
    not_permitted(&policy.caller, object, owner_name).map(Verdict::Kept)
}

/// `--older-than`: what keeps an object last active at `last` (a time from the kernel or
/// a file, never trusted to be in the past) when judged at `now`.
pub(crate) fn too_young(policy: &Policy, last: i64, now: i64) -> Option<Reason> {
    let min = policy.older_than?;
    (!min.has_passed(last, now)).then(|| {
        Reason::new(
            "too_young",
            format!(
                "last activity {} ago, younger than --older-than {}",
                human_duration(elapsed(now, last)),
                human_duration(min.secs())
            ),
        )
    })
}

/// "creator pid 42 now belongs to a process started 3s after the segment": `who` says whose
/// pid it was, since an object's evidence may name several.
pub(crate) fn reuse_text(
    who: &str,
    pid: i32,
    presence: Presence,
    reference: Option<i64>,
    what: &str,
) -> String {
    match (presence.started(), reference) {
        (Some(started), Some(reference)) => {
            let later = (started - reference as f64).round() as i64;
            format!(
                "{who} pid {pid} now belongs to a process started {} after {what}",
                human_duration(later)
            )
        }
        _ => format!(
            "{who} pid {pid} now belongs to a younger process (more than {REUSE_MARGIN_SECS} s after \
             {what})"
        ),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    pub use super::super::fixtures::T;
    use super::*;
    pub const GONE: Presence = Presence::Absent;
    /// Two hours after the fixtures were made.
    pub const NOW: i64 = T + 7200;

    /// gc's policy for the kinds that need `--older-than`: one hour.
    pub fn policy() -> Policy {
        Policy {
            older_than: crate::units::Age::from_secs(3600),
            ..Policy::default()
        }
    }

    pub fn absent(_: i32) -> Presence {
        Presence::Absent
    }

    /// A process that started before the fixtures were made.
    pub fn alive(_: i32) -> Presence {
        Presence::Present {
            started: Some((T - 100) as f64),
        }
    }

    /// [`judge_with`] for a set or queue: `waiters` waiting, no holders.
    pub fn judge_waited(
        policy: &Policy,
        object: Object,
        presence: &mut dyn FnMut(i32) -> Presence,
        waiters: WaiterFacts,
        now: i64,
    ) -> Verdict {
        judge_with(
            policy,
            &object,
            presence,
            waiters,
            HolderFacts::default(),
            now,
        )
    }

    /// Evidence of pids from `presence`, no waiters, `holders` holding.
    pub fn judge_with(
        policy: &Policy,
        object: &Object,
        presence: &mut dyn FnMut(i32) -> Presence,
        waiters: WaiterFacts,
        holders: HolderFacts,
        now: i64,
    ) -> Verdict {
        let mut ev = Evidence {
            owner_name: None,
            presence,
            waiters: &mut || waiters.clone(),
            holders: &mut || holders.clone(),
            now,
            want_evidence: true,
        };
        judge(policy, object, &mut ev)
    }

    pub fn codes(v: &Verdict) -> Vec<&'static str> {
        match v {
            Verdict::Orphan { evidence } => evidence.iter().map(|e| e.code).collect(),
            Verdict::Kept(reason) => vec![reason.code],
        }
    }

    /// Without evidence wanted (a quiet report, the re-check), every kind reaches the same
    /// verdict and builds no reasons.
    #[test]
    fn evidence_is_made_only_when_it_is_wanted() {
        use super::super::fixtures;
        use crate::objects::Semaphore;
        let mut include = policy();
        include.include_unknown = true;
        let sem = Semaphore {
            value: 0,
            pid: 77,
            ncnt: 0,
            zcnt: 0,
        };
        let objects = [
            seg(),
            Object::Sem(fixtures::set(T, vec![sem])),
            Object::Msg(fixtures::queue(70, T, 0, 0)),
            Object::posix(fixtures::posix(T)),
        ];
        let mut orphans = std::collections::BTreeSet::new();
        for policy in [policy(), include] {
            for object in &objects {
                let mut verdicts = [true, false].map(|want| {
                    let mut presence = absent;
                    let mut ev = Evidence {
                        owner_name: None,
                        presence: &mut presence,
                        waiters: &mut || WaiterFacts {
                            uninspected: 2,
                            ..WaiterFacts::default()
                        },
                        holders: &mut HolderFacts::default,
                        now: NOW,
                        want_evidence: want,
                    };
                    judge(&policy, object, &mut ev)
                });
                let [wanted, quiet] = &mut verdicts;
                match (wanted, quiet) {
                    (Verdict::Orphan { evidence: full }, Verdict::Orphan { evidence: none }) => {
                        assert!(!full.is_empty(), "{object:?}");
                        assert!(none.is_empty(), "{object:?}: {none:?}");
                        orphans.insert(object.kind());
                    }
                    (Verdict::Kept(a), Verdict::Kept(b)) => assert_eq!(a, b),
                    (a, b) => panic!("{object:?}: {a:?} but quietly {b:?}"),
                }
            }
        }
        assert_eq!(
            orphans.len(),
            objects.len(),
            "every kind judged an orphan once"
        );
    }

    fn seg() -> Object {
        Object::Shm(super::super::fixtures::segment())
    }

    fn verdict(policy: &Policy, object: &Object) -> Verdict {
        judge_with(
            policy,
            object,
            &mut |_| GONE,
            WaiterFacts::default(),
            HolderFacts::default(),
            T + 7200,
        )
    }

    #[test]
    fn filters_come_first_for_every_kind() {
        let s = seg();
        assert_eq!(
            codes(&verdict(&Policy::default(), &s)),
            ["nattch_zero", "creator_dead", "never_attached"]
        );
        let young = Policy {
            older_than: Age::from_secs(3 * 3600),
            ..Policy::default()
        };
        let v = verdict(&young, &s);
        assert_eq!(codes(&v), ["too_young"]);
        assert!(
            matches!(v, Verdict::Kept(ref r) if r.text.contains("2h ago")),
            "{v:?}"
        );
        let excluded = Policy {
            exclude_keys: vec![0x5a00c062],
            ..Policy::default()
        };
        assert_eq!(codes(&verdict(&excluded, &s)), ["excluded"]);
        let someone_else = Policy {
            owners: Owners::Uid(0),
            ..Policy::default()
        };
        assert_eq!(codes(&verdict(&someone_else, &s)), ["not_owner"]);
        // An ordinary caller may remove what it created even if another user owns it now.
        let Object::Shm(mut given_away) = s.clone() else {
            unreachable!()
        };
        given_away.uid = 0;
        let given_away = Object::Shm(given_away);
        let caller = |uid| Policy {
            owners: Owners::Caller(uid),
            caller: Caller {
                uid,
                sys_admin: false,
                fowner: false,
            },
            ..Policy::default()
        };
        assert!(verdict(&caller(1000), &given_away).is_orphan());
        assert_eq!(codes(&verdict(&caller(2000), &given_away)), ["not_owner"]);
    }

    #[test]
    fn permission_is_judged_with_who_may() {
        let s = seg();
        let nobody = Policy {
            caller: Caller {
                uid: 65534,
                sys_admin: false,
                fowner: false,
            },
            ..Policy::default()
        };
        let v = verdict(&nobody, &s);
        let Verdict::Kept(reason) = v else {
            panic!("{v:?}")
        };
        assert_eq!(reason.code, "not_owner");
        assert_eq!(
            reason.text,
            "owned by uid 1000: only its owner, its creator or root can remove it"
        );
    }

    #[test]
    fn the_age_filter_never_wraps() {
        let s = seg();
        let longest = Policy {
            older_than: Some(Age::MAX),
            ..Policy::default()
        };
        assert_eq!(codes(&verdict(&longest, &s)), ["too_young"]);
        assert!(too_young(&longest, i64::MIN, i64::MAX).is_none());
        assert!(too_young(&longest, i64::MAX, i64::MIN).is_some());
    }

    /// The documented codes are the code's: every code `Reason::new` or `kept` is given in the
    /// policy's sources is documented, and every documented code occurs in them.
    #[test]
    fn every_reason_and_evidence_code_is_documented() {
        let sources = [
            include_str!("shm.rs"),
            include_str!("sem.rs"),
            include_str!("msg.rs"),
            include_str!("posix.rs"),
            include_str!("policy.rs"),
            include_str!("removal.rs"),
            include_str!("archive.rs"),
        ];
        let code_of = |s: &str| s.split("#[cfg(test)]").next().unwrap_or("").to_string();
        let bodies: Vec<String> = sources.iter().map(|s| code_of(s)).collect();
        let documented: Vec<&str> = REASON_CODES
            .iter()
            .chain(EVIDENCE_CODES)
            .map(|(code, ..)| *code)
            .collect();
        let mut given = Vec::new();
        for body in &bodies {
            for call in ["Reason::new(", "kept("] {
                for (at, _) in body.match_indices(call) {
                    let rest = body[at + call.len()..].trim_start();
                    if let Some(lit) = rest.strip_prefix('"') {
                        given.push(lit.split('"').next().unwrap_or("").to_string());
                    }
                }
            }
        }
        assert!(given.len() > 20, "{given:?}");
        for code in &given {
            assert!(
                documented.contains(&code.as_str()),
                "{code} is not documented"
            );
        }
        for code in documented {
            let quoted = format!("\"{code}\"");
            assert!(
                bodies.iter().any(|b| b.contains(&quoted)),
                "{code} is documented but never given"
            );
        }
    }
}
