//! The removal sequence shared by `rm` and `gc`, for every kind (DESIGN.md "Removal"):
//! the plan's facts → check → mode 000 (no new unprivileged attach, semop, msgsnd or open)
//! → fresh facts → identity unchanged and check again → IPC_RMID or unlink; any refusal
//! restores the mode.
//!
//! The kernel is reached through [`Kernel`] so that tests can change an object between two
//! steps deterministically. The sequence is split in two ([`close`], [`finish`]) so that a
//! batch can close many objects, scan the processes once, and finish them all.
use super::{Object, Reason};
use crate::sys::SysError;

/// The three operations the sequence needs, for any kind.
pub trait Kernel {
    /// Fresh facts (for a semaphore set, with its semaphores).
    fn stat(&mut self, target: &Object) -> Result<Object, SysError>;
    /// IPC_SET keeping the object's owner (or chmod), changing the permission bits.
    fn set_mode(&mut self, target: &Object, mode: u32) -> Result<(), SysError>;
    /// IPC_RMID, or unlink.
    fn remove(&mut self, target: &Object) -> Result<(), SysError>;
}

/// What to do with one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Request {
    /// Remove a segment even when attached (IPC_RMID then only marks it for destruction).
    pub force: bool,
    pub dry_run: bool,
    /// The attachments that prove nobody else uses a segment: 0, or 1 while an archive
    /// holds it.
    pub expected_nattch: u64,
    /// The caller judged each planned object an orphan moments ago, with the same policy
    /// on the same facts (gc's plan): [`close`] does not judge those facts again. The check
    /// after closing, on fresh facts, still decides.
    pub judged: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Destroyed, or with `marked` a segment only marked for destruction (still attached).
    Removed {
        marked: bool,
    },
    /// What a dry run would remove.
    WouldRemove,
    Kept(Reason),
    /// It vanished before or during the sequence: nothing to do.
    Gone,
    Failed {
        /// Boxed: a report holds one [`Removal`] per object, nearly all of them removed.
        error: Box<SysError>,
        text: String,
    },
}

/// What a report lists: removed (or, in a dry run, would remove), kept, failed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub removed: usize,
    pub kept: usize,
    pub failed: usize,
}

impl Tally {
    pub fn of(items: &[Removal], restore_failures: usize) -> Tally {
        let mut tally = Tally {
            failed: restore_failures,
            ..Tally::default()
        };
        for item in items {
            match item.outcome.listed() {
                Listed::Removed => tally.removed += 1,
                Listed::Kept => tally.kept += 1,
                Listed::Failed => tally.failed += 1,
            }
        }
        tally
    }

    pub fn add(&mut self, other: Tally) {
        self.removed += other.removed;
        self.kept += other.kept;
        self.failed += other.failed;
    }
}

/// Which of a report's lists an outcome goes to (`removed`, `kept`, `failed`; a dry run's
/// would-remove is `removed`, an object already gone `kept`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listed {
    Removed = 0,
    Kept = 1,
    Failed = 2,
}

impl Outcome {
    pub fn listed(&self) -> Listed {
        match self {
            Outcome::Removed { .. } | Outcome::WouldRemove => Listed::Removed,
            Outcome::Kept(_) | Outcome::Gone => Listed::Kept,
            Outcome::Failed { .. } => Listed::Failed,
        }
    }
}

/// One object's line in an `rm`/`gc` report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removal {
    /// The facts it was planned (or judged) with.
    pub object: Object,
    pub outcome: Outcome,
    /// Why it was an orphan (gc); empty for `rm`.
    pub evidence: Vec<Reason>,
    /// The archive's record when one was written and the object removed.
    pub archive: Option<Box<std::path::Path>>,
}

impl Removal {
    pub fn new(object: Object, outcome: Outcome) -> Removal {
        Removal {
            object,
            outcome,
            evidence: Vec::new(),
            archive: None,
        }
    }
}

/// Judges the object as others see it: `Err(reason)` keeps it.
pub type Check<'a> = dyn FnMut(&Object) -> Result<(), Reason> + 'a;

/// The first half's result.
pub enum Step {
    /// Closed (mode 000): finish it with the facts it was planned with.
    Closed(Object),
    /// Nothing more to do.
    Done(Removal),
}

/// EINVAL/EIDRM on an id, ENOENT on a file: it no longer exists.
fn gone(e: &SysError) -> bool {
    e.is_gone() || e.errno() == Some(libc::ENOENT)
}

fn failed(object: Object, error: SysError, text: String) -> Removal {
    let outcome = if gone(&error) {
        Outcome::Gone
    } else {
        Outcome::Failed {
            error: Box::new(error),
            text,
        }
    };
    Removal::new(object, outcome)
}

/// The plan's facts → check → in use? → (unless a dry run) mode 000. `planned` is the
/// listing's or the selector's IPC_STAT: the fresh read after the mode change is compared
/// with it, so the identity check covers the whole window from the plan to the removal.
pub fn close(ctl: &mut dyn Kernel, planned: Object, request: Request, check: &mut Check) -> Step {
    let done = |object, outcome| Step::Done(Removal::new(object, outcome));
    if !request.judged {
        if let Err(reason) = check(&planned.as_others_see(&planned, request.expected_nattch, false))
        {
            return done(planned, Outcome::Kept(reason));
        }
    }
    let attached = planned.attachments();
    if !request.force && attached != request.expected_nattch {
        let others = attached.saturating_sub(request.expected_nattch);
        let ours = if request.expected_nattch > 0 {
            " besides ours"
        } else {
            ""
        };
        let reason = Reason::new(
            "attached",
            format!(
                "attached {others} time(s){ours} (nattch {attached}); --force marks it for \
                 destruction"
            ),
        );
        return done(planned, Outcome::Kept(reason));
    }
    if request.dry_run {
        return done(planned, Outcome::WouldRemove);
    }
    if request.force && attached > 0 {
        // Nothing to guard: the caller asked for removal whatever is attached.
        return Step::Done(match ctl.remove(&planned) {
            Ok(()) => Removal::new(planned, Outcome::Removed { marked: true }),
            Err(e) => {
                let text = format!("cannot remove {}", planned.label());
                failed(planned, e, text)
            }
        });
    }
    match ctl.set_mode(&planned, 0) {
        Ok(()) => Step::Closed(planned),
        Err(e) => {
            let text = format!("cannot close {} (mode 000)", planned.label());
            Step::Done(failed(planned, e, text))
        }
    }
}

/// Fresh facts → identity, attachments and check again (as others see it) → remove, or
/// restore the mode. `planned` is what [`close`] closed.
pub fn finish(
    ctl: &mut dyn Kernel,
    planned: Object,
    request: Request,
    check: &mut Check,
) -> Removal {
    let after = match ctl.stat(&planned) {
        Ok(after) => after,
        Err(e) if gone(&e) => return Removal::new(planned, Outcome::Gone),
        Err(e) => {
            let (note, _) = restore(ctl, &planned, &planned);
            let text = format!("cannot read {} again; {note}", planned.label());
            return failed(planned, e, text);
        }
    };
    let change = planned.changed_since(&after).or_else(|| {
        (after.attachments() != request.expected_nattch)
            .then(|| format!("nattch {} → {}", planned.attachments(), after.attachments()))
    });
    let kept = match change {
        Some(what) => Some(Reason::new(
            "changed",
            format!("changed during removal ({what})"),
        )),
        None => {
            // A segment judged by the plan whose fresh facts, as others see them, are the
            // plan's gets the plan's verdict: its evidence is its facts (nattch checked just
            // above) and the presence of its pids, each probed once a run — and a dead pid
            // does not come back. Every other kind is judged again on the fresh scans.
            let unchanged = request.judged
                && matches!(planned, Object::Shm(_))
                && after.seen_unchanged(&planned, request.expected_nattch);
            if unchanged {
                None
            } else {
                check(&after.as_others_see(&planned, request.expected_nattch, false)).err()
            }
        }
    };
    if let Some(reason) = kept {
        let (note, left_closed) = restore(ctl, &after, &planned);
        let text = format!("{}; {note}", reason.text);
        // Left at mode 000 is not "kept": it is a failure (journalled for the next run).
        let outcome = match left_closed {
            Some(error) => Outcome::Failed {
                error: Box::new(error),
                text,
            },
            None => Outcome::Kept(Reason::new(reason.code, text)),
        };
        return Removal::new(after, outcome);
    }
    match ctl.remove(&after) {
        Ok(()) => Removal::new(planned, Outcome::Removed { marked: false }),
        Err(e) if gone(&e) => Removal::new(planned, Outcome::Gone),
        Err(e) => {
            let (note, _) = restore(ctl, &after, &planned);
            let text = format!("cannot remove {}; {note}", planned.label());
            failed(planned, e, text)
        }
    }
}

/// The whole sequence on one object.
pub fn remove(
    ctl: &mut dyn Kernel,
    planned: Object,
    request: Request,
    check: &mut Check,
) -> Removal {
    match close(ctl, planned, request, check) {
        Step::Closed(planned) => finish(ctl, planned, request, check),
        Step::Done(removal) => removal,
    }
}

/// Puts the original permission bits back: what to say, and the error when the object is
/// left at mode 000.
fn restore(
    ctl: &mut dyn Kernel,
    current: &Object,
    original: &Object,
) -> (String, Option<SysError>) {
    let mode = original.perms();
    // A POSIX object is the file closed, found again by its path: what has its name now may
    // be another file (made after an unlink), which must keep its own mode. A SysV id is the
    // same object (with its current owner, which IPC_SET keeps).
    let target = if matches!(current, Object::Posix(_)) {
        original
    } else {
        current
    };
    match ctl.set_mode(target, mode) {
        Ok(()) => (format!("mode restored to {mode:04o}"), None),
        Err(e) if gone(&e) => ("it is gone now".to_string(), None),
        Err(e) => (
            format!(
                "restoring mode {mode:04o} failed, it is left at 0000 (the next run tries again): {e}"
            ),
            Some(e),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Segment, SHM_DEST};
    use crate::objects::MsgQueue;

    /// Something another process does to the object between two steps.
    type Interference = Box<dyn FnMut(&mut Object)>;

    /// A kernel holding one object; `on_set_mode` lets a test act between two steps.
    struct FakeKernel {
        object: Option<Object>,
        log: Vec<String>,
        on_set_mode: Option<Interference>,
        fail_remove: Option<i32>,
        /// Setting any mode but 000 fails with this errno (a restore that cannot be done).
        fail_restore: Option<i32>,
    }

    impl FakeKernel {
        fn new(object: Object) -> FakeKernel {
            FakeKernel {
                object: Some(object),
                log: Vec::new(),
                on_set_mode: None,
                fail_remove: None,
                fail_restore: None,
            }
        }

        fn perms(&self) -> u32 {
            self.object.as_ref().map_or(0o7777, Object::perms)
        }
    }

    fn set_perms(object: &mut Object, mode: u32) {
        match object {
            Object::Shm(s) => {
                s.mode = (s.mode & !0o777) | mode;
                s.ctime += 1;
            }
            Object::Msg(q) => {
                q.mode = mode;
                q.ctime += 1;
            }
            _ => unreachable!(),
        }
    }

    impl Kernel for FakeKernel {
        fn stat(&mut self, _: &Object) -> Result<Object, SysError> {
            self.log.push("stat".into());
            self.object
                .clone()
                .ok_or(SysError::new("stat", libc::EINVAL))
        }
        fn set_mode(&mut self, _: &Object, mode: u32) -> Result<(), SysError> {
            self.log.push(format!("set {mode:o}"));
            if let Some(errno) = self.fail_restore.filter(|_| mode != 0) {
                return Err(SysError::new("set", errno));
            }
            let object = self
                .object
                .as_mut()
                .ok_or(SysError::new("set", libc::EIDRM))?;
            set_perms(object, mode);
            if let Some(hook) = self.on_set_mode.as_mut() {
                hook(object);
            }
            Ok(())
        }
        fn remove(&mut self, _: &Object) -> Result<(), SysError> {
            self.log.push("rmid".into());
            if let Some(errno) = self.fail_remove {
                return Err(SysError::new("rmid", errno));
            }
            match self.object.take() {
                Some(Object::Shm(s)) if s.nattch > 0 => {
                    self.object = Some(Object::Shm(Segment {
                        mode: s.mode | SHM_DEST,
                        key: 0,
                        ..s
                    }));
                    Ok(())
                }
                Some(_) => Ok(()),
                None => Err(SysError::new("rmid", libc::EINVAL)),
            }
        }
    }

    #[test]
    fn a_posix_object_replaced_under_its_name_is_never_touched() {
        use crate::objects::PosixObject;
        /// The name now stands for another file (inode + 1) after the mode change.
        struct Replaced {
            log: Vec<(u32, u64)>,
        }
        impl Kernel for Replaced {
            fn stat(&mut self, target: &Object) -> Result<Object, SysError> {
                let Object::Posix(p) = target else {
                    unreachable!()
                };
                Ok(Object::posix(PosixObject {
                    ino: p.ino + 1,
                    mode: 0o600,
                    ..(**p).clone()
                }))
            }
            fn set_mode(&mut self, target: &Object, mode: u32) -> Result<(), SysError> {
                let Object::Posix(p) = target else {
                    unreachable!()
                };
                self.log.push((mode, p.ino));
                Ok(())
            }
            fn remove(&mut self, _: &Object) -> Result<(), SysError> {
                panic!("removed the file that replaced the object")
            }
        }
        let planned = Object::posix(PosixObject {
            ino: 10,
            mode: 0o640,
            ..super::super::fixtures::posix(1_000)
        });
        let mut k = Replaced { log: Vec::new() };
        let r = remove(&mut k, planned, Request::default(), &mut |_| Ok(()));
        assert!(
            matches!(&r.outcome, Outcome::Kept(reason) if reason.code == "changed"),
            "{r:?}"
        );
        // Closed and given back: the file planned, never the one that has its name now.
        assert_eq!(k.log, vec![(0, 10), (0o640, 10)]);
    }

    fn segment() -> Segment {
        Segment {
            id: 7,
            key: 0x1234,
            mode: 0o640,
            cpid: 100,
            ctime: 1_000,
            ..super::super::fixtures::segment()
        }
    }

    fn queue() -> Object {
        Object::Msg(MsgQueue {
            mode: 0o640,
            ..super::super::fixtures::queue(0, 0, 0, 0)
        })
    }

    /// Runs the sequence from what the caller planned with: the object as it is now.
    fn run(k: &mut FakeKernel, request: Request, check: &mut Check) -> Removal {
        let planned = k.object.clone().unwrap_or(Object::Shm(segment()));
        remove(k, planned, request, check)
    }

    fn accept(_: &Object) -> Result<(), Reason> {
        Ok(())
    }

    #[test]
    fn an_unattached_object_goes_through_the_whole_sequence() {
        for object in [Object::Shm(segment()), queue()] {
            let mut k = FakeKernel::new(object);
            let out = run(&mut k, Request::default(), &mut accept);
            assert_eq!(out.outcome, Outcome::Removed { marked: false });
            assert_eq!(k.log, ["set 0", "stat", "rmid"]);
            assert!(k.object.is_none());
        }
    }

    /// gc's plan judged the object: the sequence judges only the fresh facts after closing
    /// (once), and what they say still decides — a verdict that turned keeps it. A segment
    /// whose fresh facts are the plan's keeps the plan's verdict; a set, queue or POSIX
    /// object is always judged again (on fresh scans of the processes).
    #[test]
    fn a_judged_plan_is_judged_again_only_on_fresh_facts() {
        for (object, judged, checks) in [
            (Object::Shm(segment()), false, 2),
            (Object::Shm(segment()), true, 0),
            (queue(), false, 2),
            (queue(), true, 1),
        ] {
            let mut k = FakeKernel::new(object.clone());
            let mut calls = 0;
            let request = Request {
                judged,
                ..Request::default()
            };
            let out = run(&mut k, request, &mut |_| {
                calls += 1;
                Ok(())
            });
            assert_eq!(out.outcome, Outcome::Removed { marked: false });
            assert_eq!(calls, checks, "{:?} judged: {judged}", object.kind());
        }
        // Its owner changed meanwhile (not its identity): judged on what it is now.
        let mut k = FakeKernel::new(Object::Shm(segment()));
        k.on_set_mode = Some(Box::new(|o: &mut Object| {
            if let Object::Shm(s) = o {
                s.uid += 1;
            }
        }));
        let request = Request {
            judged: true,
            ..Request::default()
        };
        let mut seen = Vec::new();
        let out = run(&mut k, request, &mut |o| {
            seen.push(o.owner().uid);
            Err(Reason::new("not_owner", "owned by another uid now"))
        });
        assert!(matches!(out.outcome, Outcome::Kept(ref r) if r.code == "not_owner"));
        assert_eq!(seen, [segment().uid + 1]);
        assert_eq!(
            k.log,
            ["set 0", "stat", "set 640"],
            "closed, judged, restored"
        );
    }

    #[test]
    fn an_attach_between_plan_and_removal_keeps_it_and_restores_the_mode() {
        let mut k = FakeKernel::new(Object::Shm(segment()));
        k.on_set_mode = Some(Box::new(|o: &mut Object| {
            if let Object::Shm(s) = o {
                if s.perms() == 0 {
                    s.nattch = 1;
                    s.lpid = 555;
                    s.atime = 2_000;
                }
            }
        }));
        let out = run(&mut k, Request::default(), &mut accept);
        let Outcome::Kept(reason) = out.outcome else {
            panic!("{out:?}")
        };
        assert_eq!(reason.code, "changed");
        assert!(
            reason.text.contains("lpid 0 → 555") && reason.text.contains("mode restored to 0640"),
            "{}",
            reason.text
        );
        assert_eq!(k.log, ["set 0", "stat", "set 640"]);
        assert_eq!(k.perms(), 0o640);
    }

    #[test]
    fn a_message_sent_meanwhile_keeps_a_queue() {
        let mut k = FakeKernel::new(queue());
        k.on_set_mode = Some(Box::new(|o: &mut Object| {
            if let Object::Msg(q) = o {
                if q.mode == 0 {
                    q.messages = 1;
                    q.stime = 200;
                }
            }
        }));
        let out = run(&mut k, Request::default(), &mut accept);
        assert!(matches!(out.outcome, Outcome::Kept(ref r) if r.code == "changed"));
        assert_eq!(k.log, ["set 0", "stat", "set 640"]);
    }

    #[test]
    fn our_own_ctime_change_is_not_a_change() {
        // Our own IPC_SET moves ctime; the fake does too, and removal proceeds.
        let mut k = FakeKernel::new(Object::Shm(segment()));
        let out = run(&mut k, Request::default(), &mut accept);
        assert_eq!(out.outcome, Outcome::Removed { marked: false });
    }

    #[test]
    fn attached_is_refused_without_force_and_marked_with_it() {
        let attached = Object::Shm(Segment {
            nattch: 2,
            ..segment()
        });
        let mut k = FakeKernel::new(attached.clone());
        let out = run(&mut k, Request::default(), &mut accept);
        assert!(matches!(out.outcome, Outcome::Kept(ref r) if r.code == "attached"));
        assert!(k.log.is_empty(), "{:?}", k.log);

        let mut k = FakeKernel::new(attached);
        let force = Request {
            force: true,
            ..Request::default()
        };
        let out = run(&mut k, force, &mut accept);
        assert_eq!(out.outcome, Outcome::Removed { marked: true });
        let Some(Object::Shm(s)) = k.object else {
            panic!("marked")
        };
        assert!(s.is_marked_for_destruction());
    }

    #[test]
    fn a_dry_run_changes_nothing_and_a_vanished_object_is_gone() {
        let mut k = FakeKernel::new(Object::Shm(segment()));
        let dry = Request {
            dry_run: true,
            ..Request::default()
        };
        assert_eq!(run(&mut k, dry, &mut accept).outcome, Outcome::WouldRemove);
        assert!(k.log.is_empty(), "{:?}", k.log);
        let mut k = FakeKernel::new(Object::Shm(segment()));
        k.object = None;
        assert_eq!(
            run(&mut k, Request::default(), &mut accept).outcome,
            Outcome::Gone
        );
    }

    #[test]
    fn the_check_is_asked_before_and_after_the_mode_change() {
        let mut k = FakeKernel::new(Object::Shm(segment()));
        let mut refuse = |_: &Object| Err(Reason::new("creator_alive", "creator 100 alive"));
        let out = run(&mut k, Request::default(), &mut refuse);
        assert!(matches!(out.outcome, Outcome::Kept(ref r) if r.code == "creator_alive"));
        assert!(k.log.is_empty());

        // Passes before the mode change, fails after it (someone gave the object to another
        // owner meanwhile): kept with that reason, mode restored.
        let mut k = FakeKernel::new(queue());
        let mut calls = 0;
        let mut late = |_: &Object| {
            calls += 1;
            if calls == 2 {
                Err(Reason::new("held", "open in pid 9"))
            } else {
                Ok(())
            }
        };
        let out = run(&mut k, Request::default(), &mut late);
        let Outcome::Kept(reason) = out.outcome else {
            panic!("{:?}", out.outcome)
        };
        assert_eq!(reason.code, "held");
        assert!(
            reason.text.ends_with("mode restored to 0640"),
            "{}",
            reason.text
        );
        assert_eq!(k.perms(), 0o640);
    }

    #[test]
    fn the_check_sees_the_original_ctime_and_mode_and_not_our_attachment() {
        // Our IPC_SET moves ctime; a check judging PID reuse against the creation bound
        // must still see the original one.
        let mut k = FakeKernel::new(Object::Shm(Segment {
            nattch: 1,
            ..segment()
        }));
        let mut seen = Vec::new();
        let mut check = |o: &Object| {
            if let Object::Shm(s) = o {
                seen.push((s.ctime, s.perms(), s.nattch));
            }
            Ok(())
        };
        let ours = Request {
            expected_nattch: 1,
            ..Request::default()
        };
        assert_eq!(
            run(&mut k, ours, &mut check).outcome,
            Outcome::Removed { marked: false }
        );
        assert_eq!(seen, [(1_000, 0o640, 0), (1_000, 0o640, 0)]);
    }

    #[test]
    fn the_real_policy_still_sees_a_reused_pid_after_our_ipc_set() {
        use super::super::policy::{self, Evidence, HolderFacts, Policy, WaiterFacts};
        use crate::model::Presence;
        // Created at 1000; pid 100 now belongs to a process started at 1010 (reused).
        // Our IPC_SET moves ctime to 2000, past that start: judged on the moved ctime the
        // creator would look alive and the orphan would be kept.
        let mut k = FakeKernel::new(Object::Shm(segment()));
        k.on_set_mode = Some(Box::new(|o: &mut Object| {
            if let Object::Shm(s) = o {
                s.ctime = 2_000;
            }
        }));
        let policy = Policy::default();
        let mut check = |o: &Object| {
            let mut reused = |_| Presence::Present {
                started: Some(1_010.0),
            };
            let mut ev = Evidence {
                owner_name: None,
                presence: &mut reused,
                waiters: &mut WaiterFacts::default,
                holders: &mut HolderFacts::default,
                now: 3_000,
                want_evidence: false,
            };
            policy::kept_reason(&policy, o, &mut ev).map_or(Ok(()), Err)
        };
        let out = run(&mut k, Request::default(), &mut check);
        assert_eq!(out.outcome, Outcome::Removed { marked: false });
    }

    #[test]
    fn a_failed_rmid_restores_the_mode() {
        let mut k = FakeKernel::new(Object::Shm(segment()));
        k.fail_remove = Some(libc::EPERM);
        let out = run(&mut k, Request::default(), &mut accept);
        let Outcome::Failed { error, text } = out.outcome else {
            panic!("{out:?}")
        };
        assert_eq!(error.errno(), Some(libc::EPERM));
        assert!(text.contains("mode restored"), "{text}");
        assert_eq!(k.perms(), 0o640);
    }

    #[test]
    fn a_restore_that_fails_is_a_failure_not_a_kept_object() {
        let mut k = FakeKernel::new(queue());
        k.on_set_mode = Some(Box::new(|o: &mut Object| {
            if let Object::Msg(q) = o {
                q.messages = 1;
            }
        }));
        k.fail_restore = Some(libc::EPERM);
        let out = run(&mut k, Request::default(), &mut accept);
        let Outcome::Failed { error, text } = out.outcome else {
            panic!("{:?}", out.outcome)
        };
        assert_eq!(error.errno(), Some(libc::EPERM));
        assert!(text.contains("left at 0000"), "{text}");
        assert_eq!(k.perms(), 0);
    }

    #[test]
    fn an_archive_expects_our_own_attachment() {
        let held = Object::Shm(Segment {
            nattch: 1,
            ..segment()
        });
        let mut k = FakeKernel::new(held);
        let ours = Request {
            expected_nattch: 1,
            ..Request::default()
        };
        assert_eq!(
            run(&mut k, ours, &mut accept).outcome,
            Outcome::Removed { marked: false }
        );
    }
}
