//! What only POSIX objects know (shared memory and glibc named semaphores in `/dev/shm`,
//! message queues in `/dev/mqueue`): they are files, held while a process maps one or has a
//! descriptor on it. A process whose maps or descriptors cannot be read might: that keeps
//! the object unless `--include-unknown`. Nothing records who made one, so `gc` needs
//! `--older-than` for them.
use super::policy::{kept, Evidence, Notes, Policy};
use super::{Reason, Verdict};
use crate::objects::{Hold, PosixObject};

pub(crate) fn judge(policy: &Policy, object: &PosixObject, ev: &mut Evidence) -> Verdict {
    let _ = object;
    let facts = (ev.holders)();
    if let Some(holder) = facts.holders.first() {
        let how = match holder.how {
            Hold::Map => "mapped by",
            Hold::Fd => "open in",
        };
        let more = match crate::objects::holding_processes(&facts.holders) {
            0 | 1 => String::new(),
            n => format!(" and {} more process(es)", n - 1),
        };
        return kept(
            "held",
            format!("{how} pid {} ({}){more}", holder.pid, holder.comm),
        );
    }
    let mut notes = Notes::new(ev);
    notes.add(|| Reason::new("not_held", "no process maps it or holds it open"));
    let doubt = match (facts.failed, facts.uninspected) {
        (true, _) => Some("no process could be inspected (/proc is unreadable)".to_string()),
        (false, 0) => None,
        (false, n) => Some(format!(
            "{n} process(es) could not be inspected (their /proc entries are unreadable)"
        )),
    };
    match doubt {
        None => {}
        Some(text) if policy.include_unknown => notes.add(|| {
            Reason::new(
                "holders_unknown",
                format!("{text}, included by --include-unknown"),
            )
        }),
        Some(text) => {
            return kept(
                "holders_unknown",
                format!("{text}, any of which may hold it"),
            )
        }
    }
    notes.orphan()
}

/// An object stays itself while its path, device, inode, size and mtime hold (our chmod
/// moves mode and ctime).
pub(crate) fn changes(a: &PosixObject, b: &PosixObject) -> Option<String> {
    let same = (a.kind, &a.path, a.dev, a.ino, a.size, a.mtime)
        == (b.kind, &b.path, b.dev, b.ino, b.size, b.mtime);
    (!same).then(|| "it was written to or replaced".to_string())
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{posix, T};
    use super::super::policy::tests::{codes, judge_with, policy, NOW};
    use super::super::policy::{HolderFacts, Owners, WaiterFacts};
    use super::super::Object;
    use super::*;
    use crate::model::Presence;
    use crate::objects::Holder;

    fn verdict(policy: &Policy, p: &PosixObject, holders: HolderFacts) -> Verdict {
        judge_with(
            policy,
            &Object::posix(p.clone()),
            &mut |_| Presence::Absent,
            WaiterFacts::default(),
            holders,
            NOW,
        )
    }

    #[test]
    fn holders_and_doubt() {
        let none = HolderFacts::default();
        let v = verdict(&policy(), &posix(T), none.clone());
        assert_eq!(codes(&v), ["not_held"]);
        assert_eq!(
            codes(&verdict(&policy(), &posix(NOW - 5), none.clone())),
            ["too_young"]
        );
        let held = HolderFacts {
            holders: vec![Holder {
                pid: 9,
                comm: "app".into(),
                how: Hold::Fd,
            }],
            uninspected: 3,
            failed: false,
        };
        assert_eq!(codes(&verdict(&policy(), &posix(T), held)), ["held"]);
        let unknown = HolderFacts {
            uninspected: 3,
            ..HolderFacts::default()
        };
        assert_eq!(
            codes(&verdict(&policy(), &posix(T), unknown.clone())),
            ["holders_unknown"]
        );
        let included = Policy {
            include_unknown: true,
            ..policy()
        };
        assert_eq!(
            codes(&verdict(&included, &posix(T), unknown)),
            ["not_held", "holders_unknown"]
        );
        let p = Policy {
            owners: Owners::Caller(0),
            ..policy()
        };
        assert_eq!(codes(&verdict(&p, &posix(T), none)), ["not_owner"]);
    }

    #[test]
    fn a_scan_that_failed_says_so_and_counts_no_processes() {
        let failed = HolderFacts {
            failed: true,
            ..HolderFacts::default()
        };
        let Verdict::Kept(reason) = verdict(&policy(), &posix(T), failed) else {
            panic!("kept")
        };
        assert_eq!(reason.code, "holders_unknown");
        assert_eq!(
            reason.text,
            "no process could be inspected (/proc is unreadable), any of which may hold it"
        );
    }
}
