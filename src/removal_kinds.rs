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
    let (object, outcome, restore_on) = 'sequence: {
        let again = match ctl.stat(&fresh) {
            Ok(again) => again,
            Err(e) => {
                let outcome = failed(e, &format!("reading {label} again"));
                break 'sequence (fresh.clone(), outcome, Some(fresh));
            }
        };
        if !fresh.same_identity(&again) {
            let outcome = ObjectOutcome::Kept(changed("while it was being removed"));
            break 'sequence (fresh.clone(), outcome, Some(fresh));
        }
        // Judged as others see it: our mode 000 moved its ctime, which is no one's activity.
        if let Err(reason) = check(&again.as_before(&fresh, false)) {
            break 'sequence (again.clone(), ObjectOutcome::Kept(reason), Some(again));
        }
        match ctl.remove(&again) {
            Ok(()) => (again, ObjectOutcome::Removed, None),
            Err(e) => {
                let outcome = failed(e, &format!("removing {label}"));
                (again.clone(), outcome, Some(again))
            }
        }
    };
    // Whatever kept it, it gets its mode back; if even that fails, the object is left closed
    // (and journalled, so the next run tries again): that is a failure, said as one.
    let outcome = match restore_on.map(|target| ctl.set_mode(&target, mode)) {
        Some(Err(e)) if !e.is_gone() => {
            let why = match &outcome {
                ObjectOutcome::Kept(reason) => format!("kept ({}), but ", reason.text),
                ObjectOutcome::Failed { text, .. } => format!("{text}; "),
                _ => String::new(),
            };
            ObjectOutcome::Failed {
                error: e,
                text: format!(
                    "{why}restoring {label}'s mode {mode:04o} failed: it is left at 0000 (the \
                     next run tries again)"
                ),
            }
        }
        _ => outcome,
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
        /// Setting any mode but 000 fails (a restore that cannot be done).
        fail_restore: bool,
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
            if self.fail_restore && mode != 0 {
                return Err(SysError::new("msgctl(IPC_SET)", libc::EPERM));
            }
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
            fail_restore: false,
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
    fn a_restore_that_fails_is_reported_as_a_failure() {
        let mut ctl = fake(Some(|o| {
            if let Object::Msg(q) = o {
                q.messages = 1;
            }
        }));
        ctl.fail_restore = true;
        let r = remove_object(&mut ctl, queue(), false, &mut |_| Ok(()));
        let ObjectOutcome::Failed { error, text } = r.outcome else {
            panic!("{:?}", r.outcome)
        };
        assert_eq!(error.errno, libc::EPERM);
        assert!(text.contains("left at 0000"), "{text}");
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
