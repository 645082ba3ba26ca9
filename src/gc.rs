//! The orphan policy (DESIGN.md "Orphans"): pure functions from a segment's facts, the
//! process facts and the filters to a verdict. No syscalls here; `ls`, `gc` and the removal
//! sequence's re-check all judge through [`judge`], so there is one rule, not two.
use crate::liveness::{self, REUSE_MARGIN_SECS};
use crate::model::{key_hex, Liveness, Presence, Reason, Segment, Verdict};
use crate::units::{elapsed, human_duration, Age};

/// Whose segments are considered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Owners {
    /// Root: everyone's.
    #[default]
    Any,
    /// `--user U`: segments owned by this uid.
    Uid(u32),
    /// An ordinary caller: the segments it may remove (owner or creator), as IPC_RMID allows.
    Caller(u32),
}

impl Owners {
    pub fn admits(self, segment: &Segment) -> bool {
        match self {
            Owners::Any => true,
            Owners::Uid(uid) => segment.uid == uid,
            Owners::Caller(uid) => segment.uid == uid || segment.cuid == uid,
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

/// Why `caller` may not remove an object owned by `uid` (created by `cuid`), in words that
/// say whose it is and who may: judged in the plan, so that a dry run tells the truth.
pub fn not_permitted(
    caller: &Caller,
    posix: bool,
    uid: u32,
    cuid: u32,
    owner_name: Option<&str>,
) -> Option<Reason> {
    if caller.may_remove(posix, uid, cuid) {
        return None;
    }
    Some(Reason::new(
        "not_owner",
        permission_text(posix, uid, cuid, owner_name),
    ))
}

/// "owned by root (uid 0): only its owner, its creator or root can remove it".
pub fn permission_text(posix: bool, uid: u32, cuid: u32, owner_name: Option<&str>) -> String {
    let owner = match owner_name {
        Some(name) => format!("{name} (uid {uid})"),
        None => format!("uid {uid}"),
    };
    if posix {
        format!("owned by {owner}: only its owner or root can remove it")
    } else if cuid != uid {
        format!("owned by {owner}, created by uid {cuid}: only its owner, its creator or root can remove it")
    } else {
        format!("owned by {owner}: only its owner, its creator or root can remove it")
    }
}

/// The filters of `gc` (and what `ls` judges with).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Policy {
    /// `--older-than`: time without activity (attach, detach, change).
    pub older_than: Option<Age>,
    pub owners: Owners,
    pub exclude_keys: Vec<u32>,
    /// `--include-unknown`: a pid 0 (another PID namespace) does not keep a segment.
    pub include_unknown: bool,
    /// Who judges: what it may not remove is kept as `not_owner`.
    pub caller: Caller,
}

/// The facts a verdict is made of.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Facts<'a> {
    pub segment: &'a Segment,
    /// What probing cpid found (ignored when cpid is 0).
    pub creator: Presence,
    /// What probing lpid found (ignored when lpid is 0).
    pub last_user: Presence,
    pub now: i64,
    /// The owner's user name, for the texts that say whose it is.
    pub owner_name: Option<&'a str>,
}

/// Judges one segment. The first reason to keep it wins, in this order: excluded, not_owner,
/// marked_for_destruction, attached, creator_alive, creator_unknown, last_user_alive,
/// last_user_unknown, too_young.
pub fn judge(policy: &Policy, facts: &Facts) -> Verdict {
    verdict(policy, facts, true)
}

/// What keeps the segment, if anything: [`judge`] without building the evidence, for the
/// removal sequence's re-check on fresh facts.
pub fn kept_reason(policy: &Policy, facts: &Facts) -> Option<Reason> {
    match verdict(policy, facts, false) {
        Verdict::Kept(reason) => Some(reason),
        Verdict::Orphan { .. } => None,
    }
}

fn verdict(policy: &Policy, facts: &Facts, want_evidence: bool) -> Verdict {
    let s = facts.segment;
    let kept = |code, text: String| Verdict::Kept(Reason::new(code, text));
    if policy.exclude_keys.contains(&s.key) && s.key != 0 {
        return kept(
            "excluded",
            format!("key {} excluded by --exclude-key", key_hex(s.key)),
        );
    }
    if !policy.owners.admits(s) {
        return kept(
            "not_owner",
            format!("owned by uid {}, not considered", s.uid),
        );
    }
    if let Some(reason) = not_permitted(&policy.caller, false, s.uid, s.cuid, facts.owner_name) {
        return Verdict::Kept(reason);
    }
    if s.is_marked_for_destruction() {
        return kept(
            "marked_for_destruction",
            format!(
                "already marked for destruction; it goes when its {} attachment(s) detach",
                s.nattch
            ),
        );
    }
    if s.nattch > 0 {
        return kept("attached", format!("attached {} time(s)", s.nattch));
    }

    let mut evidence = Vec::new();
    let mut note = |reason: &dyn Fn() -> Reason| {
        if want_evidence {
            evidence.push(reason());
        }
    };
    note(&|| Reason::new("nattch_zero", "nattch 0: nothing attached"));
    let creator = liveness::creator(s, facts.creator);
    match creator {
        Liveness::Alive => return kept("creator_alive", format!("creator {} alive", s.cpid)),
        Liveness::Unknown if !policy.include_unknown => {
            return kept(
                "creator_unknown",
                "creator pid 0: it lives in another PID namespace".to_string(),
            )
        }
        Liveness::Unknown => note(&|| {
            Reason::new(
                "creator_unknown",
                "creator pid 0 (another PID namespace), included by --include-unknown",
            )
        }),
        Liveness::Reused => note(&|| {
            Reason::new(
                "creator_pid_reused",
                reuse_text(s.cpid, facts.creator, s.creation_bound(), "the segment"),
            )
        }),
        Liveness::Exited => note(&|| {
            Reason::new(
                "creator_exited",
                format!("creator {} exited (a zombie: it holds no mapping)", s.cpid),
            )
        }),
        Liveness::Dead | Liveness::Never => {
            note(&|| Reason::new("creator_dead", format!("creator {} dead", s.cpid)))
        }
    }
    let last_user = liveness::last_user(s, facts.last_user);
    match last_user {
        Liveness::Never => note(&|| Reason::new("never_attached", "never attached")),
        Liveness::Alive => return kept("last_user_alive", format!("last user {} alive", s.lpid)),
        Liveness::Unknown if !policy.include_unknown => {
            return kept(
                "last_user_unknown",
                "last user pid 0 with an attach time: it lives in another PID namespace"
                    .to_string(),
            )
        }
        Liveness::Unknown => note(&|| {
            Reason::new(
                "last_user_unknown",
                "last user pid 0 (another PID namespace), included by --include-unknown",
            )
        }),
        Liveness::Reused => {
            let reference = Some(s.atime.max(s.dtime));
            note(&|| {
                let text = reuse_text(
                    s.lpid,
                    facts.last_user,
                    reference,
                    "its last attach or detach",
                );
                Reason::new("last_user_dead", text)
            });
        }
        // The creator's evidence says it.
        Liveness::Dead | Liveness::Exited if s.lpid == s.cpid && last_user == creator => {}
        Liveness::Dead => {
            note(&|| Reason::new("last_user_dead", format!("last user {} dead", s.lpid)))
        }
        Liveness::Exited => note(&|| {
            Reason::new(
                "last_user_dead",
                format!(
                    "last user {} exited (a zombie: it holds no mapping)",
                    s.lpid
                ),
            )
        }),
    }

    if let Some(reason) = too_young(policy, s.last_activity(), facts.now) {
        return Verdict::Kept(reason);
    }
    Verdict::Orphan { evidence }
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

pub(crate) fn reuse_text(
    pid: i32,
    presence: Presence,
    reference: Option<i64>,
    what: &str,
) -> String {
    match (presence.started(), reference) {
        (Some(started), Some(reference)) => {
            let later = (started - reference as f64).round() as i64;
            format!("pid {pid} now belongs to a process started {} after {what}", human_duration(later))
        }
        _ => format!("pid {pid} now belongs to a younger process (more than {REUSE_MARGIN_SECS} s after {what})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: i64 = 1_800_000_000;

    fn seg() -> Segment {
        Segment {
            id: 5,
            key: 0x5a00c062,
            uid: 1000,
            gid: 1000,
            cuid: 1000,
            cgid: 1000,
            mode: 0o600,
            size: 4096,
            nattch: 0,
            cpid: 4242,
            lpid: 0,
            atime: 0,
            dtime: 0,
            ctime: T,
        }
    }

    fn started(t: f64) -> Presence {
        Presence::Present { started: Some(t) }
    }

    fn verdict(policy: &Policy, s: &Segment, creator: Presence, last: Presence) -> Verdict {
        judge(
            policy,
            &Facts {
                segment: s,
                creator,
                last_user: last,
                now: T + 7200,
                owner_name: None,
            },
        )
    }

    fn codes(v: &Verdict) -> Vec<&'static str> {
        match v {
            Verdict::Orphan { evidence } => evidence.iter().map(|e| e.code).collect(),
            Verdict::Kept(reason) => vec![reason.code],
        }
    }

    const GONE: Presence = Presence::Absent;

    #[test]
    fn dead_creator_never_attached_is_an_orphan() {
        let v = verdict(&Policy::default(), &seg(), GONE, GONE);
        assert!(v.is_orphan());
        assert_eq!(codes(&v), ["nattch_zero", "creator_dead", "never_attached"]);
    }

    #[test]
    fn crashed_attacher_is_an_orphan_with_last_user_dead() {
        let s = Segment {
            lpid: 4243,
            atime: T + 1,
            dtime: T + 60,
            ..seg()
        };
        assert_eq!(
            codes(&verdict(&Policy::default(), &s, GONE, GONE)),
            ["nattch_zero", "creator_dead", "last_user_dead"]
        );
        // The creator attached last itself: one piece of evidence names it.
        let s = Segment { lpid: 4242, ..s };
        assert_eq!(
            codes(&verdict(&Policy::default(), &s, GONE, GONE)),
            ["nattch_zero", "creator_dead"]
        );
    }

    #[test]
    fn attached_and_marked_are_kept() {
        let s = Segment {
            nattch: 1,
            lpid: 7,
            atime: T,
            ..seg()
        };
        assert_eq!(
            codes(&verdict(&Policy::default(), &s, GONE, GONE)),
            ["attached"]
        );
        let s = Segment { mode: 0o1600, ..s };
        assert_eq!(
            codes(&verdict(&Policy::default(), &s, GONE, GONE)),
            ["marked_for_destruction"]
        );
    }

    #[test]
    fn pid_reuse_on_both_sides_of_the_margin() {
        let p = Policy::default();
        let v = verdict(&p, &seg(), started(T as f64 + 3.0), GONE);
        assert_eq!(
            codes(&v),
            ["nattch_zero", "creator_pid_reused", "never_attached"]
        );
        let Verdict::Orphan { evidence } = v else {
            unreachable!()
        };
        assert_eq!(
            evidence[1].text,
            "pid 4242 now belongs to a process started 3s after the segment"
        );
        // Within the margin: in doubt, alive.
        assert_eq!(
            codes(&verdict(&p, &seg(), started(T as f64 + 1.9), GONE)),
            ["creator_alive"]
        );
        assert_eq!(
            codes(&verdict(&p, &seg(), started(T as f64 + 2.0), GONE)),
            ["creator_alive"]
        );
        // Started before the segment: the real creator, alive.
        assert_eq!(
            codes(&verdict(&p, &seg(), started(T as f64 - 500.0), GONE)),
            ["creator_alive"]
        );
    }

    #[test]
    fn last_user_reuse_compares_with_latest_attach_or_detach() {
        let s = Segment {
            lpid: 77,
            atime: T + 10,
            dtime: T + 100,
            ..seg()
        };
        let v = verdict(&Policy::default(), &s, GONE, started(T as f64 + 103.0));
        assert_eq!(codes(&v), ["nattch_zero", "creator_dead", "last_user_dead"]);
        let v = verdict(&Policy::default(), &s, GONE, started(T as f64 + 50.0));
        assert_eq!(codes(&v), ["last_user_alive"]);
    }

    #[test]
    fn a_zombie_creator_or_last_user_has_exited() {
        let zombie = Presence::Exited {
            started: T as f64 - 100.0,
        };
        let p = Policy::default();
        let v = verdict(&p, &seg(), zombie, GONE);
        assert_eq!(
            codes(&v),
            ["nattch_zero", "creator_exited", "never_attached"]
        );
        let Verdict::Orphan { evidence } = v else {
            unreachable!()
        };
        assert_eq!(
            evidence[1].text,
            "creator 4242 exited (a zombie: it holds no mapping)"
        );
        // The creator attached last and exited: its one piece of evidence says so.
        let s = Segment {
            lpid: 4242,
            atime: T + 1,
            dtime: T + 60,
            ..seg()
        };
        assert_eq!(
            codes(&verdict(&p, &s, zombie, zombie)),
            ["nattch_zero", "creator_exited"]
        );
        // Another last user, a zombie: last_user_dead, saying it exited.
        let s = Segment { lpid: 4243, ..s };
        let v = verdict(&p, &s, GONE, zombie);
        assert_eq!(codes(&v), ["nattch_zero", "creator_dead", "last_user_dead"]);
        let Verdict::Orphan { evidence } = v else {
            unreachable!()
        };
        assert!(
            evidence[2].text.contains("exited (a zombie"),
            "{evidence:?}"
        );
        // A zombie that started after the segment existed is a reused pid.
        let young = Presence::Exited {
            started: T as f64 + 10.0,
        };
        assert_eq!(
            codes(&verdict(&p, &seg(), young, GONE)),
            ["nattch_zero", "creator_pid_reused", "never_attached"]
        );
    }

    #[test]
    fn cpid_zero_is_unknown_unless_included() {
        let s = Segment { cpid: 0, ..seg() };
        assert_eq!(
            codes(&verdict(&Policy::default(), &s, GONE, GONE)),
            ["creator_unknown"]
        );
        let p = Policy {
            include_unknown: true,
            ..Policy::default()
        };
        assert_eq!(
            codes(&verdict(&p, &s, GONE, GONE)),
            ["nattch_zero", "creator_unknown", "never_attached"]
        );
    }

    #[test]
    fn lpid_zero_with_and_without_an_atime() {
        let never = Segment {
            lpid: 0,
            atime: 0,
            ..seg()
        };
        assert_eq!(
            codes(&verdict(&Policy::default(), &never, GONE, GONE)),
            ["nattch_zero", "creator_dead", "never_attached"]
        );
        let hidden = Segment {
            lpid: 0,
            atime: T + 5,
            dtime: T + 6,
            ..seg()
        };
        assert_eq!(
            codes(&verdict(&Policy::default(), &hidden, GONE, GONE)),
            ["last_user_unknown"]
        );
        let p = Policy {
            include_unknown: true,
            ..Policy::default()
        };
        assert!(verdict(&p, &hidden, GONE, GONE).is_orphan());
    }

    #[test]
    fn unreadable_start_time_and_hidden_processes_are_alive() {
        // kill(pid, 0) → EPERM (another user's process, hidepid): present, start unknown.
        let hidden = Presence::Present { started: None };
        assert_eq!(
            codes(&verdict(&Policy::default(), &seg(), hidden, GONE)),
            ["creator_alive"]
        );
        let s = Segment {
            lpid: 9,
            atime: T,
            ..seg()
        };
        assert_eq!(
            codes(&verdict(&Policy::default(), &s, GONE, hidden)),
            ["last_user_alive"]
        );
    }

    #[test]
    fn age_filter_never_wraps() {
        let policy = |secs| Policy {
            older_than: Age::from_secs(secs),
            ..Policy::default()
        };
        // The bound keeps everything that has existed on a Unix clock.
        assert!(too_young(&policy(36_525 * 86_400), 0, T).is_some());
        // Times from the far past or future saturate instead of overflowing.
        assert!(too_young(&policy(3600), i64::MIN, T).is_none());
        assert!(too_young(&policy(3600), i64::MIN, i64::MAX).is_none());
        let future = too_young(&policy(0), i64::MAX, T).expect("kept");
        assert!(future.text.contains("ago"), "{}", future.text);
        assert!(too_young(&policy(0), T, T).is_none());
    }

    #[test]
    fn filters() {
        let s = seg(); // idle for 2 h at `now`
        let young = Policy {
            older_than: Age::from_secs(3 * 3600),
            ..Policy::default()
        };
        let v = verdict(&young, &s, GONE, GONE);
        assert_eq!(codes(&v), ["too_young"]);
        assert!(
            matches!(v, Verdict::Kept(ref r) if r.text.contains("2h ago")),
            "{v:?}"
        );
        let old_enough = Policy {
            older_than: Age::from_secs(3600),
            ..Policy::default()
        };
        assert!(verdict(&old_enough, &s, GONE, GONE).is_orphan());

        let excluded = Policy {
            exclude_keys: vec![0x5a00c062],
            ..Policy::default()
        };
        assert_eq!(codes(&verdict(&excluded, &s, GONE, GONE)), ["excluded"]);

        assert_eq!(
            codes(&verdict(
                &Policy {
                    owners: Owners::Uid(0),
                    ..Policy::default()
                },
                &s,
                GONE,
                GONE
            )),
            ["not_owner"]
        );
        assert!(verdict(
            &Policy {
                owners: Owners::Uid(1000),
                ..Policy::default()
            },
            &s,
            GONE,
            GONE
        )
        .is_orphan());
        // An ordinary caller may remove what it created even if another user owns it now.
        let given_away = Segment { uid: 0, ..s };
        assert!(verdict(
            &Policy {
                owners: Owners::Caller(1000),
                ..Policy::default()
            },
            &given_away,
            GONE,
            GONE
        )
        .is_orphan());
        assert_eq!(
            codes(&verdict(
                &Policy {
                    owners: Owners::Caller(2000),
                    ..Policy::default()
                },
                &given_away,
                GONE,
                GONE
            )),
            ["not_owner"]
        );
    }

    #[test]
    fn safety_reasons_win_over_filters() {
        let s = Segment {
            nattch: 2,
            lpid: 8,
            atime: T,
            ..seg()
        };
        let p = Policy {
            older_than: Age::from_secs(999_999),
            ..Policy::default()
        };
        assert_eq!(codes(&verdict(&p, &s, GONE, GONE)), ["attached"]);
    }
}
