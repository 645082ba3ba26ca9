//! The removal sequence for the other kinds, with the same care as for segments
//! ([`crate::removal`]): fresh facts → identity and check → mode 000 (no new semop, msgsnd
//! or open by anyone without privilege) → fresh facts again → identity and check again →
//! remove (IPC_RMID, or unlink); any refusal restores the mode.
//!
//! The kernel is reached through [`ObjectControl`] so that tests can change an object
//! between two steps.
use crate::model::Reason;
use crate::objects::Object;
use crate::sys::SysError;

/// The operations the sequence needs, for any kind.
pub trait ObjectControl {
    /// Fresh facts (for a semaphore set, with its semaphores).
    fn stat(&mut self, target: &Object) -> Result<Object, SysError>;
    fn set_mode(&mut self, target: &Object, mode: u32) -> Result<(), SysError>;
    fn remove(&mut self, target: &Object) -> Result<(), SysError>;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectOutcome {
    Removed,
    WouldRemove,
    Kept(Reason),
    /// It vanished before or during the sequence: nothing to do.
    Gone,
    Failed {
        error: SysError,
        text: String,
    },
}

/// One object's line in an `rm`/`gc` report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRemoval {
    /// The facts it was planned with (or the fresher ones the sequence read).
    pub object: Object,
    pub outcome: ObjectOutcome,
    /// Why it was an orphan (gc); empty for `rm`.
    pub evidence: Vec<Reason>,
    /// The archive's record when one was written and the object removed.
    pub archive: Option<std::path::PathBuf>,
}

/// Runs the sequence on one planned object. `check` judges fresh facts: `Err(reason)`
/// keeps the object. A dry run stops after the first check.
pub fn remove_object(
    ctl: &mut dyn ObjectControl,
    planned: Object,
    dry_run: bool,
    check: &mut dyn FnMut(&Object) -> Result<(), Reason>,
) -> ObjectRemoval {
    match close(ctl, planned, dry_run, check) {
        Step::Closed(fresh) => finish(ctl, fresh, check),
        Step::Done(object, outcome) => ObjectRemoval {
            object,
            outcome,
            evidence: Vec::new(),
            archive: None,
        },
    }
}

fn changed(what: &str) -> Reason {
    Reason::new(
        "changed",
        format!("it changed {what}: left alone (run again to judge it anew)"),
    )
}

fn failed(error: SysError, text: &str) -> ObjectOutcome {
    if error.is_gone() {
        ObjectOutcome::Gone
    } else {
        ObjectOutcome::Failed {
            error,
            text: text.to_string(),
        }
    }
}

/// The first half of the sequence: fresh facts, identity, check, mode 000.
pub enum Step {
    /// Closed (mode 000); these are the facts read before, to finish with.
    Closed(Object),
    /// Nothing more to do: the facts it was judged on, and the outcome.
    Done(Object, ObjectOutcome),
}

/// Fresh facts → identity and check → (unless a dry run) mode 000.
pub fn close(
    ctl: &mut dyn ObjectControl,
    planned: Object,
    dry_run: bool,
    check: &mut dyn FnMut(&Object) -> Result<(), Reason>,
) -> Step {
    let label = planned.label();
    let fresh = match ctl.stat(&planned) {
        Ok(fresh) => fresh,
        Err(e) => return Step::Done(planned, failed(e, &format!("reading {label}"))),
    };
    if !planned.same_identity(&fresh) {
        return Step::Done(planned, ObjectOutcome::Kept(changed("since it was judged")));
    }
    if let Err(reason) = check(&fresh) {
        return Step::Done(fresh, ObjectOutcome::Kept(reason));
    }
    if dry_run {
        return Step::Done(fresh, ObjectOutcome::WouldRemove);
    }
    match ctl.set_mode(&fresh, 0) {
        Ok(()) => Step::Closed(fresh),
        Err(e) => Step::Done(fresh, failed(e, &format!("closing {label} (mode 000)"))),
    }
}

/// The second half, on an object [`close`] closed: fresh facts again → identity and check
/// again (as others see it) → remove, or restore the mode.
pub fn finish(
    ctl: &mut dyn ObjectControl,
    fresh: Object,
    check: &mut dyn FnMut(&Object) -> Result<(), Reason>,
) -> ObjectRemoval {
    let label = fresh.label();
    let mode = fresh.mode();
    let restore = |ctl: &mut dyn ObjectControl, object: &Object| ctl.set_mode(object, mode).ok();
    let (object, outcome) = 'sequence: {
        let again = match ctl.stat(&fresh) {
            Ok(again) => again,
            Err(e) => {
                restore(ctl, &fresh);
                break 'sequence (fresh, failed(e, &format!("reading {label} again")));
            }
        };
        if !fresh.same_identity(&again) {
            restore(ctl, &fresh);
            break 'sequence (
                fresh,
                ObjectOutcome::Kept(changed("while it was being removed")),
            );
        }
        // Judged as others see it: our mode 000 moved its ctime, which is no one's activity.
        if let Err(reason) = check(&again.as_before(&fresh, false)) {
            restore(ctl, &again);
            break 'sequence (again, ObjectOutcome::Kept(reason));
        }
        match ctl.remove(&again) {
            Ok(()) => (again, ObjectOutcome::Removed),
            Err(e) => {
                restore(ctl, &again);
                (again, failed(e, &format!("removing {label}")))
            }
        }
    };
    ObjectRemoval {
        object,
        outcome,
        evidence: Vec::new(),
        archive: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objects::{MsgQueue, Object};

    fn queue() -> Object {
        Object::Msg(MsgQueue {
            id: 2,
            key: 7,
            uid: 0,
            gid: 0,
            cuid: 0,
            cgid: 0,
            mode: 0o640,
            bytes: 0,
            messages: 0,
            max_bytes: 16384,
            lspid: 0,
            lrpid: 0,
            stime: 0,
            rtime: 0,
            ctime: 100,
        })
    }

    /// A queue that changes according to a script of (after-which-stat, change).
    struct Fake {
        object: Option<Object>,
        stats: usize,
        on_second_stat: Option<fn(&mut Object)>,
        log: Vec<String>,
    }

    impl ObjectControl for Fake {
        fn stat(&mut self, _: &Object) -> Result<Object, SysError> {
            self.stats += 1;
            if self.stats == 2 {
                if let (Some(change), Some(object)) = (self.on_second_stat, &mut self.object) {
                    change(object);
                }
            }
            self.object
                .clone()
                .ok_or_else(|| SysError::new("msgctl(IPC_STAT)", libc::EINVAL))
        }
        fn set_mode(&mut self, _: &Object, mode: u32) -> Result<(), SysError> {
            self.log.push(format!("mode {mode:o}"));
            if let Some(Object::Msg(q)) = &mut self.object {
                q.mode = mode;
                q.ctime += 1; // IPC_SET moves ctime
            }
            Ok(())
        }
        fn remove(&mut self, _: &Object) -> Result<(), SysError> {
            self.log.push("remove".into());
            self.object = None;
            Ok(())
        }
    }

    fn fake(on_second_stat: Option<fn(&mut Object)>) -> Fake {
        Fake {
            object: Some(queue()),
            stats: 0,
            on_second_stat,
            log: vec![],
        }
    }

    #[test]
    fn removes_after_closing_it() {
        let mut ctl = fake(None);
        let r = remove_object(&mut ctl, queue(), false, &mut |_| Ok(()));
        assert_eq!(r.outcome, ObjectOutcome::Removed);
        assert_eq!(ctl.log, ["mode 0", "remove"]);
    }

    #[test]
    fn a_message_sent_meanwhile_keeps_it_and_restores_the_mode() {
        let mut ctl = fake(Some(|o| {
            if let Object::Msg(q) = o {
                q.messages = 1;
                q.stime = 200;
            }
        }));
        let r = remove_object(&mut ctl, queue(), false, &mut |_| Ok(()));
        assert!(matches!(r.outcome, ObjectOutcome::Kept(ref reason) if reason.code == "changed"));
        assert_eq!(ctl.log, ["mode 0", "mode 640"]);
    }

    #[test]
    fn the_second_check_can_keep_it() {
        let mut ctl = fake(None);
        let mut calls = 0;
        let mut check = |_: &Object| {
            calls += 1;
            if calls == 2 {
                Err(Reason::new("held", "open in pid 9"))
            } else {
                Ok(())
            }
        };
        let r = remove_object(&mut ctl, queue(), false, &mut check);
        assert!(matches!(r.outcome, ObjectOutcome::Kept(ref reason) if reason.code == "held"));
        assert_eq!(ctl.log, ["mode 0", "mode 640"]);
    }

    #[test]
    fn our_own_mode_change_is_not_activity() {
        let mut ctl = fake(None);
        let mut seen = Vec::new();
        let mut check = |o: &Object| {
            if let Object::Msg(q) = o {
                seen.push((q.mode, q.ctime));
            }
            Ok(())
        };
        let r = remove_object(&mut ctl, queue(), false, &mut check);
        assert_eq!(r.outcome, ObjectOutcome::Removed);
        assert_eq!(
            seen,
            [(0o640, 100), (0o640, 100)],
            "both checks see the queue as before"
        );
    }

    #[test]
    fn dry_run_and_gone() {
        let mut ctl = fake(None);
        let r = remove_object(&mut ctl, queue(), true, &mut |_| Ok(()));
        assert_eq!(r.outcome, ObjectOutcome::WouldRemove);
        assert!(ctl.log.is_empty());
        let mut ctl = fake(None);
        ctl.object = None;
        let r = remove_object(&mut ctl, queue(), false, &mut |_| Ok(()));
        assert_eq!(r.outcome, ObjectOutcome::Gone);
    }
}
