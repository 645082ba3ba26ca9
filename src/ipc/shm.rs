//! What only System V shared memory segments know: their orphan rules (nattch is the
//! kernel's authority; the creator and the last user must be proven dead), what changes
//! their identity, and the pids they record.
use super::liveness;
use super::policy::{kept, reuse_text, Evidence, Notes, Policy};
use super::{Liveness, PidState, Reason, Verdict};
use crate::model::{key_hex, Presence, Segment};

fn presence(ev: &mut Evidence, pid: i32) -> Presence {
    if pid > 0 {
        (ev.presence)(pid)
    } else {
        Presence::Absent
    }
}

/// The first reason to keep it wins, in this order: marked_for_destruction, attached,
/// creator_alive, creator_unknown, last_user_alive, last_user_unknown.
pub(crate) fn judge(policy: &Policy, s: &Segment, ev: &mut Evidence) -> Verdict {
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
    let mut notes = Notes::new(ev);
    notes.add(|| Reason::new("nattch_zero", "nattch 0: nothing attached"));
    let creator_presence = presence(ev, s.cpid);
    let creator = liveness::creator(s, creator_presence);
    match creator {
        Liveness::Alive => return kept("creator_alive", format!("creator {} alive", s.cpid)),
        Liveness::Unknown if !policy.include_unknown => {
            return kept(
                "creator_unknown",
                "creator pid 0: it lives in another PID namespace",
            )
        }
        Liveness::Unknown => notes.add(|| {
            Reason::new(
                "creator_unknown",
                "creator pid 0 (another PID namespace), included by --include-unknown",
            )
        }),
        Liveness::Reused => notes.add(|| {
            let text = reuse_text(
                "creator",
                s.cpid,
                creator_presence,
                s.creation_bound(),
                "the segment",
            );
            Reason::new("creator_pid_reused", text)
        }),
        Liveness::Exited => notes.add(|| {
            Reason::new(
                "creator_exited",
                format!("creator {} exited (a zombie: it holds no mapping)", s.cpid),
            )
        }),
        Liveness::Dead | Liveness::Never => {
            notes.add(|| Reason::new("creator_dead", format!("creator {} dead", s.cpid)))
        }
    }
    let last_presence = presence(ev, s.lpid);
    let last_user = liveness::last_user(s, last_presence);
    match last_user {
        Liveness::Never => notes.add(|| Reason::new("never_attached", "never attached")),
        Liveness::Alive => return kept("last_user_alive", format!("last user {} alive", s.lpid)),
        Liveness::Unknown if !policy.include_unknown => {
            return kept(
                "last_user_unknown",
                "last user pid 0 with an attach time: it lives in another PID namespace",
            )
        }
        Liveness::Unknown => notes.add(|| {
            Reason::new(
                "last_user_unknown",
                "last user pid 0 (another PID namespace), included by --include-unknown",
            )
        }),
        Liveness::Reused => notes.add(|| {
            let reference = Some(s.atime.max(s.dtime));
            let text = reuse_text(
                "last user",
                s.lpid,
                last_presence,
                reference,
                "its last attach or detach",
            );
            Reason::new("last_user_dead", text)
        }),
        // The creator's evidence says it.
        Liveness::Dead | Liveness::Exited if s.lpid == s.cpid && last_user == creator => {}
        Liveness::Dead => {
            notes.add(|| Reason::new("last_user_dead", format!("last user {} dead", s.lpid)))
        }
        Liveness::Exited => notes.add(|| {
            Reason::new(
                "last_user_dead",
                format!(
                    "last user {} exited (a zombie: it holds no mapping)",
                    s.lpid
                ),
            )
        }),
    }
    notes.orphan()
}

/// The creator and the last user, with what they are now.
pub(crate) fn pids(s: &Segment, presence: &mut dyn FnMut(i32) -> Presence) -> Vec<PidState> {
    let mut probe = |pid: i32| {
        if pid > 0 {
            presence(pid)
        } else {
            Presence::Absent
        }
    };
    vec![
        PidState {
            role: "creator",
            pid: s.cpid,
            state: liveness::creator(s, probe(s.cpid)),
        },
        PidState {
            role: "last_user",
            pid: s.lpid,
            state: liveness::last_user(s, probe(s.lpid)),
        },
    ]
}

/// What differs between two reads of a segment that matters to its identity, in words;
/// None when key, cuid, size, cpid, lpid, atime and dtime held (ctime moves with our own
/// IPC_SET). Compared as numbers first: this runs once per removed segment.
pub(crate) fn changes(before: &Segment, after: &Segment) -> Option<String> {
    if before.same_identity(after) {
        return None;
    }
    let fields: [(&str, i128, i128); 7] = [
        ("key", before.key.into(), after.key.into()),
        ("cuid", before.cuid.into(), after.cuid.into()),
        ("size", before.size.into(), after.size.into()),
        ("cpid", before.cpid.into(), after.cpid.into()),
        ("lpid", before.lpid.into(), after.lpid.into()),
        ("atime", before.atime.into(), after.atime.into()),
        ("dtime", before.dtime.into(), after.dtime.into()),
    ];
    let changes: Vec<String> = fields
        .iter()
        .filter(|(_, a, b)| a != b)
        .map(|(name, a, b)| match *name {
            "key" => format!("key {} → {}", key_hex(*a as u32), key_hex(*b as u32)),
            _ => format!("{name} {a} → {b}"),
        })
        .collect();
    Some(changes.join(", "))
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{self, T};
    use super::super::policy::tests::{codes, judge_with, GONE};
    use super::super::policy::{HolderFacts, WaiterFacts};
    use super::super::Object;
    use super::*;
    use crate::units::Age;

    fn seg() -> Segment {
        fixtures::segment()
    }

    fn started(t: f64) -> Presence {
        Presence::Present { started: Some(t) }
    }

    /// The creator (4242) is `creator`, every other pid `last`.
    fn verdict(policy: &Policy, s: &Segment, creator: Presence, last: Presence) -> Verdict {
        let cpid = s.cpid;
        judge_with(
            policy,
            &Object::Shm(s.clone()),
            &mut |pid| if pid == cpid { creator } else { last },
            WaiterFacts::default(),
            HolderFacts::default(),
            T + 7200,
        )
    }

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
    fn attached_and_marked_are_kept_whatever_the_filters() {
        let s = Segment {
            nattch: 1,
            lpid: 7,
            atime: T,
            ..seg()
        };
        let p = Policy {
            older_than: Age::from_secs(999_999),
            ..Policy::default()
        };
        assert_eq!(codes(&verdict(&p, &s, GONE, GONE)), ["attached"]);
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
            "creator pid 4242 now belongs to a process started 3s after the segment"
        );
        // Within the margin: in doubt, alive. Started before the segment: the real creator.
        for t in [T as f64 + 1.9, T as f64 + 2.0, T as f64 - 500.0] {
            assert_eq!(
                codes(&verdict(&p, &seg(), started(t), GONE)),
                ["creator_alive"]
            );
        }
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
    fn pid_zero_is_unknown_unless_included() {
        let included = Policy {
            include_unknown: true,
            ..Policy::default()
        };
        let s = Segment { cpid: 0, ..seg() };
        assert_eq!(
            codes(&verdict(&Policy::default(), &s, GONE, GONE)),
            ["creator_unknown"]
        );
        assert_eq!(
            codes(&verdict(&included, &s, GONE, GONE)),
            ["nattch_zero", "creator_unknown", "never_attached"]
        );
        // lpid 0: never attached without an atime, another PID namespace with one.
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
        assert!(verdict(&included, &hidden, GONE, GONE).is_orphan());
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
    fn identity_changes_are_named() {
        let a = seg();
        let mut b = a.clone();
        b.ctime += 5;
        b.mode = 0;
        assert_eq!(changes(&a, &b), None);
        b.lpid = 9;
        b.key = 0;
        assert_eq!(
            changes(&a, &b).as_deref(),
            Some("key 0x5a00c062 → 0x00000000, lpid 0 → 9")
        );
    }
}
