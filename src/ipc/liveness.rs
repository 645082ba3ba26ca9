//! Is the process behind a cpid or lpid still there? Pure rules over probed facts
//! (DESIGN.md "Orphans", KERNEL-NOTES.md §4). When in doubt, alive.
use crate::model::{Liveness, Presence, Segment};

/// A process that started more than this after the reference time cannot be the one the
/// segment recorded.
pub const REUSE_MARGIN_SECS: f64 = 2.0;

/// The creator: cpid 0 is unknown (another PID namespace); compared with the creation bound.
pub fn creator(segment: &Segment, presence: Presence) -> Liveness {
    if segment.cpid <= 0 {
        return Liveness::Unknown;
    }
    judge(presence, segment.creation_bound())
}

/// The last process to attach or detach: lpid 0 is "never" when nothing ever attached
/// (atime 0), else unknown; compared with max(atime, dtime).
pub fn last_user(segment: &Segment, presence: Presence) -> Liveness {
    if segment.lpid <= 0 {
        return if segment.atime == 0 {
            Liveness::Never
        } else {
            Liveness::Unknown
        };
    }
    let reference = segment.atime.max(segment.dtime);
    judge(presence, (reference > 0).then_some(reference))
}

/// A pid recorded with the time it last acted (a queue's lspid with stime, a semaphore's
/// pid with the set's latest change): 0 is "never" when that time is 0, else unknown (a
/// process in another PID namespace); otherwise judged against that time.
pub fn recorded(pid: i32, at: i64, presence: Presence) -> Liveness {
    if pid <= 0 {
        return if at == 0 {
            Liveness::Never
        } else {
            Liveness::Unknown
        };
    }
    judge(presence, (at > 0).then_some(at))
}

/// A non-zero pid's state: dead when absent; reused when the process now behind it started
/// more than the margin after `reference` (the latest time the recorded process acted) —
/// a zombie too, which is checked first; otherwise exited when it is a zombie.
pub fn judge(presence: Presence, reference: Option<i64>) -> Liveness {
    let younger = |started: f64| {
        reference.is_some_and(|reference| started > reference as f64 + REUSE_MARGIN_SECS)
    };
    match presence {
        Presence::Absent => Liveness::Dead,
        Presence::Present {
            started: Some(started),
        }
        | Presence::Exited { started }
            if younger(started) =>
        {
            Liveness::Reused
        }
        Presence::Exited { .. } => Liveness::Exited,
        // Unreadable start time (hidden process, no /proc): keep.
        Presence::Present { .. } => Liveness::Alive,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(cpid: i32, lpid: i32, ctime: i64, atime: i64, dtime: i64) -> Segment {
        Segment {
            cpid,
            lpid,
            ctime,
            atime,
            dtime,
            ..super::super::fixtures::segment()
        }
    }

    const T: i64 = 1_800_000_000;

    fn started(t: f64) -> Presence {
        Presence::Present { started: Some(t) }
    }

    #[test]
    fn creator_dead_when_pid_free() {
        assert_eq!(
            creator(&seg(42, 0, T, 0, 0), Presence::Absent),
            Liveness::Dead
        );
    }

    #[test]
    fn creator_zero_is_unknown_even_if_absent() {
        assert_eq!(
            creator(&seg(0, 0, T, 0, 0), Presence::Absent),
            Liveness::Unknown
        );
    }

    #[test]
    fn reuse_on_both_sides_of_the_margin() {
        let s = seg(42, 0, T, 0, 0);
        assert_eq!(creator(&s, started(T as f64 + 2.5)), Liveness::Reused);
        assert_eq!(creator(&s, started(T as f64 + 2.0)), Liveness::Alive);
        assert_eq!(creator(&s, started(T as f64 + 1.5)), Liveness::Alive);
        assert_eq!(creator(&s, started(T as f64 - 100.0)), Liveness::Alive);
    }

    #[test]
    fn creation_bound_uses_earliest_time() {
        // ctime moved by an IPC_SET long after the first attach: atime is the bound.
        let s = seg(42, 7, T + 1000, T, T + 10);
        assert_eq!(creator(&s, started(T as f64 + 500.0)), Liveness::Reused);
    }

    #[test]
    fn unreadable_start_time_is_alive() {
        let present = Presence::Present { started: None };
        assert_eq!(creator(&seg(42, 0, T, 0, 0), present), Liveness::Alive);
        assert_eq!(last_user(&seg(42, 43, T, T, 0), present), Liveness::Alive);
    }

    #[test]
    fn a_zombie_has_exited_unless_its_pid_was_reused() {
        let s = seg(42, 43, T, T + 10, T + 100);
        let zombie = |t: f64| Presence::Exited { started: t };
        assert_eq!(creator(&s, zombie(T as f64 - 100.0)), Liveness::Exited);
        assert_eq!(creator(&s, zombie(T as f64 + 2.0)), Liveness::Exited);
        assert_eq!(creator(&s, zombie(T as f64 + 2.5)), Liveness::Reused);
        assert_eq!(last_user(&s, zombie(T as f64 + 50.0)), Liveness::Exited);
        assert_eq!(last_user(&s, zombie(T as f64 + 103.0)), Liveness::Reused);
        assert_eq!(recorded(7, T, zombie(T as f64)), Liveness::Exited);
        assert_eq!(recorded(7, 0, zombie(T as f64)), Liveness::Exited);
    }

    #[test]
    fn last_user_never_and_unknown() {
        assert_eq!(
            last_user(&seg(42, 0, T, 0, 0), Presence::Absent),
            Liveness::Never
        );
        assert_eq!(
            last_user(&seg(42, 0, T, T + 5, 0), Presence::Absent),
            Liveness::Unknown
        );
    }

    #[test]
    fn last_user_compared_with_latest_attach_or_detach() {
        let s = seg(42, 43, T, T + 10, T + 100);
        assert_eq!(last_user(&s, started(T as f64 + 50.0)), Liveness::Alive);
        assert_eq!(last_user(&s, started(T as f64 + 103.0)), Liveness::Reused);
        assert_eq!(last_user(&s, Presence::Absent), Liveness::Dead);
    }
}
