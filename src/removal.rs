//! The removal sequence shared by `rm` and `gc` (DESIGN.md "Removal"):
//! IPC_STAT → check → IPC_SET mode 000 → IPC_STAT → identity unchanged? IPC_RMID : restore.
//!
//! The kernel is reached through [`SegmentControl`] so that tests can change a segment
//! between two steps deterministically.
pub use crate::model::Reason;
use crate::model::Segment;
use crate::sys::{shm, SysError};

/// The three operations the sequence needs.
pub trait SegmentControl {
    fn stat(&mut self, id: i32) -> Result<Segment, SysError>;
    /// IPC_SET keeping the segment's current owner, changing the permission bits.
    fn set_mode(&mut self, segment: &Segment, mode: u32) -> Result<(), SysError>;
    fn remove(&mut self, id: i32) -> Result<(), SysError>;
}

/// The running kernel.
#[derive(Debug, Default)]
pub struct Kernel;

impl SegmentControl for Kernel {
    fn stat(&mut self, id: i32) -> Result<Segment, SysError> {
        shm::stat(id)
    }

    fn set_mode(&mut self, segment: &Segment, mode: u32) -> Result<(), SysError> {
        shm::set_owner_mode(segment.id, segment.uid, segment.gid, mode)
    }

    fn remove(&mut self, id: i32) -> Result<(), SysError> {
        shm::remove(id)
    }
}

/// What to do with one segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Request {
    /// Remove even when attached (IPC_RMID then only marks it for destruction).
    pub force: bool,
    pub dry_run: bool,
    /// The nattch that proves nobody else uses it: 0, or 1 while we hold it for an archive.
    pub expected_nattch: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Destroyed, or with `marked` only marked for destruction (still attached).
    Removed {
        segment: Segment,
        marked: bool,
    },
    /// What a dry run would remove.
    WouldRemove {
        segment: Segment,
    },
    Kept {
        segment: Segment,
        reason: Reason,
    },
    /// It vanished before or during the sequence (EINVAL/EIDRM): nothing to do.
    Gone {
        id: i32,
    },
    Failed {
        id: i32,
        segment: Option<Segment>,
        error: SysError,
        text: String,
    },
}

/// One segment's line in an `rm`/`gc` report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removal {
    pub outcome: Outcome,
    /// Why it was an orphan (gc); empty for `rm`.
    pub evidence: Vec<Reason>,
    /// The archive's record (`.json`) when one was written and the segment removed.
    pub archive: Option<std::path::PathBuf>,
}

impl From<Outcome> for Removal {
    fn from(outcome: Outcome) -> Removal {
        Removal {
            outcome,
            evidence: Vec::new(),
            archive: None,
        }
    }
}

/// Runs the sequence on one segment, starting from `before`: the IPC_STAT the caller
/// planned with (the listing, or the lookup of a selector). The second IPC_STAT, after the
/// mode is 000, is compared with it, so the identity check covers the whole window from
/// the plan to the removal. `check` re-judges the segment on fresh facts (gc's verdict;
/// `rm` accepts everything) and is asked again after the mode change. It sees the segment
/// as other processes see it: without our own attachment (an archive's), and with the
/// ctime and mode our IPC_SET changed put back — a moved ctime would move the creation
/// bound, and with it the PID-reuse judgement.
pub fn remove_segment(
    ctl: &mut dyn SegmentControl,
    before: Segment,
    request: Request,
    check: &dyn Fn(&Segment) -> Result<(), Reason>,
) -> Outcome {
    let id = before.id;
    let failed = |segment: Option<Segment>, error: SysError, text: String| Outcome::Failed {
        id,
        segment,
        error,
        text,
    };
    if let Err(reason) = check(&others_view(&before, &before, request)) {
        return Outcome::Kept {
            segment: before,
            reason,
        };
    }
    if !request.force && before.nattch != request.expected_nattch {
        return Outcome::Kept {
            segment: before.clone(),
            reason: attached(&before, request),
        };
    }
    if request.dry_run {
        return Outcome::WouldRemove { segment: before };
    }
    if request.force && before.nattch > 0 {
        // Nothing to guard: the caller asked for removal whatever is attached.
        return match ctl.remove(id) {
            Ok(()) => Outcome::Removed {
                marked: true,
                segment: before,
            },
            Err(e) if e.is_gone() => Outcome::Gone { id },
            Err(e) => failed(Some(before), e, format!("cannot remove segment {id}")),
        };
    }

    // No new unprivileged attach from here on.
    match ctl.set_mode(&before, 0) {
        Ok(()) => {}
        Err(e) if e.is_gone() => return Outcome::Gone { id },
        Err(e) => {
            return failed(
                Some(before),
                e,
                format!("cannot lock segment {id} (mode 000)"),
            )
        }
    }
    let after = match ctl.stat(id) {
        Ok(s) => s,
        Err(e) if e.is_gone() => return Outcome::Gone { id },
        Err(e) => {
            let text = restore_note(ctl, &before, &before);
            return failed(
                Some(before),
                e,
                format!("cannot re-read segment {id}; {text}"),
            );
        }
    };
    let change = describe_change(&before, &after, request);
    let recheck = check(&others_view(&after, &before, request)).err();
    if change.is_some() || recheck.is_some() {
        let what = change
            .or(recheck.map(|r| r.text.into_owned()))
            .unwrap_or_default();
        let (note, left_closed) = restore(ctl, &after, &before);
        let text = format!("changed during removal ({what}); {note}");
        // Left at mode 000 is not "kept": it is a failure (journalled for the next run).
        if let Some(error) = left_closed {
            return failed(Some(after), error, text);
        }
        return Outcome::Kept {
            segment: after,
            reason: Reason::new("changed", text),
        };
    }
    match ctl.remove(id) {
        Ok(()) => Outcome::Removed {
            segment: before,
            marked: false,
        },
        Err(e) if e.is_gone() => Outcome::Gone { id },
        Err(e) => {
            let note = restore_note(ctl, &after, &before);
            failed(
                Some(before),
                e,
                format!("cannot remove segment {id}; {note}"),
            )
        }
    }
}

fn others_view(current: &Segment, original: &Segment, request: Request) -> Segment {
    Segment {
        nattch: current.nattch.saturating_sub(request.expected_nattch),
        ctime: original.ctime,
        mode: original.mode,
        ..current.clone()
    }
}

fn attached(segment: &Segment, request: Request) -> Reason {
    let ours = if request.expected_nattch > 0 {
        " besides ours"
    } else {
        ""
    };
    let others = segment.nattch.saturating_sub(request.expected_nattch);
    Reason::new(
        "attached",
        format!(
            "attached {others} time(s){ours} (nattch {}); --force marks it for destruction",
            segment.nattch
        ),
    )
}

/// Puts the original permission bits back; says whether that worked.
fn restore_note(ctl: &mut dyn SegmentControl, current: &Segment, original: &Segment) -> String {
    restore(ctl, current, original).0
}

/// Puts the original permission bits back: what to say, and the error when the segment is
/// left at mode 000.
fn restore(
    ctl: &mut dyn SegmentControl,
    current: &Segment,
    original: &Segment,
) -> (String, Option<SysError>) {
    match ctl.set_mode(current, original.perms()) {
        Ok(()) => (format!("mode restored to {:04o}", original.perms()), None),
        Err(e) if e.is_gone() => ("it is gone now".to_string(), None),
        Err(e) => (
            format!(
                "restoring mode {:04o} failed, it is left at 0000 (the next run tries again): {e}",
                original.perms()
            ),
            Some(e),
        ),
    }
}

/// What differs between the two reads, in words; None when the identity (ctime aside) and
/// nattch held. Compared as numbers first: this runs once per removed segment.
fn describe_change(before: &Segment, after: &Segment, request: Request) -> Option<String> {
    if before.same_identity(after) && after.nattch == request.expected_nattch {
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
    let mut changes: Vec<String> = fields
        .iter()
        .filter(|(_, a, b)| a != b)
        .map(|(name, a, b)| match *name {
            "key" => format!(
                "key {} → {}",
                crate::model::key_hex(*a as u32),
                crate::model::key_hex(*b as u32)
            ),
            _ => format!("{name} {a} → {b}"),
        })
        .collect();
    if after.nattch != request.expected_nattch {
        changes.push(format!("nattch {} → {}", before.nattch, after.nattch));
    }
    Some(changes.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Something another process does to the segment between two steps.
    type Interference = Box<dyn FnMut(&mut Segment)>;

    /// A kernel holding one segment; `on_set_mode` lets a test act between two steps.
    struct FakeKernel {
        segment: Option<Segment>,
        log: Vec<String>,
        on_set_mode: Option<Interference>,
        fail_remove: Option<i32>,
        /// Setting any mode but 000 fails with this errno (a restore that cannot be done).
        fail_restore: Option<i32>,
    }

    impl FakeKernel {
        fn new(segment: Segment) -> FakeKernel {
            FakeKernel {
                segment: Some(segment),
                log: Vec::new(),
                on_set_mode: None,
                fail_remove: None,
                fail_restore: None,
            }
        }
    }

    impl SegmentControl for FakeKernel {
        fn stat(&mut self, id: i32) -> Result<Segment, SysError> {
            self.log.push("stat".into());
            self.segment
                .clone()
                .filter(|s| s.id == id)
                .ok_or(SysError::new("stat", libc::EINVAL))
        }
        fn set_mode(&mut self, _: &Segment, mode: u32) -> Result<(), SysError> {
            self.log.push(format!("set {mode:o}"));
            if let Some(errno) = self.fail_restore.filter(|_| mode != 0) {
                return Err(SysError::new("set", errno));
            }
            let seg = self
                .segment
                .as_mut()
                .ok_or(SysError::new("set", libc::EIDRM))?;
            seg.mode = (seg.mode & !0o777) | mode;
            seg.ctime += 1;
            if let Some(hook) = self.on_set_mode.as_mut() {
                hook(seg);
            }
            Ok(())
        }
        fn remove(&mut self, _: i32) -> Result<(), SysError> {
            self.log.push("rmid".into());
            if let Some(errno) = self.fail_remove {
                return Err(SysError::new("rmid", errno));
            }
            match self.segment.take() {
                Some(s) if s.nattch > 0 => {
                    self.segment = Some(Segment {
                        mode: s.mode | crate::model::SHM_DEST,
                        key: 0,
                        ..s
                    });
                    Ok(())
                }
                Some(_) => Ok(()),
                None => Err(SysError::new("rmid", libc::EINVAL)),
            }
        }
    }

    fn segment() -> Segment {
        Segment {
            id: 7,
            key: 0x1234,
            uid: 1000,
            gid: 1000,
            cuid: 1000,
            cgid: 1000,
            mode: 0o640,
            size: 4096,
            nattch: 0,
            cpid: 100,
            lpid: 0,
            atime: 0,
            dtime: 0,
            ctime: 1_000,
        }
    }

    /// Runs the sequence from what the caller planned with: the segment as it is now.
    fn run(
        k: &mut FakeKernel,
        request: Request,
        check: &dyn Fn(&Segment) -> Result<(), Reason>,
    ) -> Outcome {
        let planned = k.segment.clone().unwrap_or_else(segment);
        remove_segment(k, planned, request, check)
    }

    fn accept(_: &Segment) -> Result<(), Reason> {
        Ok(())
    }

    #[test]
    fn unattached_segment_goes_through_the_whole_sequence() {
        let mut k = FakeKernel::new(segment());
        let out = run(&mut k, Request::default(), &accept);
        assert!(
            matches!(out, Outcome::Removed { marked: false, .. }),
            "{out:?}"
        );
        assert_eq!(k.log, ["set 0", "stat", "rmid"]);
        assert!(k.segment.is_none());
    }

    #[test]
    fn attach_between_plan_and_removal_keeps_it_and_restores_mode() {
        let mut k = FakeKernel::new(segment());
        k.on_set_mode = Some(Box::new(|s: &mut Segment| {
            if s.perms() == 0 {
                s.nattch = 1;
                s.lpid = 555;
                s.atime = 2_000;
            }
        }));
        let out = run(&mut k, Request::default(), &accept);
        let Outcome::Kept { reason, .. } = out else {
            panic!("{out:?}")
        };
        assert_eq!(reason.code, "changed");
        assert!(
            reason.text.contains("nattch 0 → 1") && reason.text.contains("mode restored to 0640"),
            "{}",
            reason.text
        );
        assert_eq!(k.log, ["set 0", "stat", "set 640"]);
        assert_eq!(k.segment.expect("still there").perms(), 0o640);
    }

    #[test]
    fn ctime_change_alone_is_not_a_change() {
        // Our own IPC_SET moves ctime; the fake does too, and removal proceeds.
        let mut k = FakeKernel::new(segment());
        let out = run(&mut k, Request::default(), &accept);
        assert!(matches!(out, Outcome::Removed { .. }));
    }

    #[test]
    fn attached_is_refused_without_force_and_marked_with_it() {
        let attached = Segment {
            nattch: 2,
            ..segment()
        };
        let mut k = FakeKernel::new(attached.clone());
        let out = run(&mut k, Request::default(), &accept);
        let Outcome::Kept { reason, .. } = out else {
            panic!("{out:?}")
        };
        assert_eq!(reason.code, "attached");
        assert!(k.log.is_empty(), "{:?}", k.log);

        let mut k = FakeKernel::new(attached);
        let out = run(
            &mut k,
            Request {
                force: true,
                ..Request::default()
            },
            &accept,
        );
        assert!(
            matches!(out, Outcome::Removed { marked: true, .. }),
            "{out:?}"
        );
        assert!(k.segment.expect("marked").is_marked_for_destruction());
    }

    #[test]
    fn dry_run_changes_nothing() {
        let mut k = FakeKernel::new(segment());
        let out = run(
            &mut k,
            Request {
                dry_run: true,
                ..Request::default()
            },
            &accept,
        );
        assert!(matches!(out, Outcome::WouldRemove { .. }));
        assert!(k.log.is_empty(), "{:?}", k.log);
    }

    #[test]
    fn vanished_segment_is_gone_not_failed() {
        let mut k = FakeKernel::new(segment());
        k.segment = None;
        assert_eq!(
            run(&mut k, Request::default(), &accept),
            Outcome::Gone { id: 7 }
        );
    }

    #[test]
    fn check_refusal_is_reported_and_rechecked_after_lock() {
        let mut k = FakeKernel::new(segment());
        let refuse = |_: &Segment| Err(Reason::new("creator_alive", "creator 100 alive"));
        let out = run(&mut k, Request::default(), &refuse);
        assert!(matches!(out, Outcome::Kept { ref reason, .. } if reason.code == "creator_alive"));

        // Passes before the mode change, fails after it (someone gave the segment to
        // another owner meanwhile): kept as changed, mode restored.
        let mut k = FakeKernel::new(segment());
        k.on_set_mode = Some(Box::new(|s: &mut Segment| s.uid = 2000));
        let late = |s: &Segment| {
            if s.uid != 1000 {
                Err(Reason::new("not_owner", "owned by uid 2000"))
            } else {
                Ok(())
            }
        };
        let out = run(&mut k, Request::default(), &late);
        assert!(
            matches!(out, Outcome::Kept { ref reason, .. } if reason.code == "changed"),
            "{out:?}"
        );
        assert_eq!(k.segment.expect("kept").perms(), 0o640);
    }

    #[test]
    fn check_sees_the_original_ctime_and_mode_and_not_our_attachment() {
        // Our IPC_SET moves ctime; a check judging PID reuse against the creation bound
        // must still see the original one.
        let mut k = FakeKernel::new(Segment {
            nattch: 1,
            ..segment()
        });
        let seen = std::cell::RefCell::new(Vec::new());
        let check = |s: &Segment| {
            seen.borrow_mut().push((s.ctime, s.perms(), s.nattch));
            Ok(())
        };
        let request = Request {
            expected_nattch: 1,
            ..Request::default()
        };
        assert!(matches!(
            run(&mut k, request, &check),
            Outcome::Removed { .. }
        ));
        assert_eq!(*seen.borrow(), [(1_000, 0o640, 0), (1_000, 0o640, 0)]);
    }

    #[test]
    fn the_real_policy_still_sees_a_reused_pid_after_our_ipc_set() {
        use crate::gc::{self, Policy};
        use crate::model::Presence;
        // Created at 1000; pid 100 now belongs to a process started at 1010 (reused).
        // Our IPC_SET moves ctime to 2000, past that start: judged on the moved ctime the
        // creator would look alive and the orphan would be kept.
        let mut k = FakeKernel::new(segment());
        k.on_set_mode = Some(Box::new(|s: &mut Segment| s.ctime = 2_000));
        let policy = Policy::default();
        let check = |s: &Segment| {
            let facts = gc::Facts {
                segment: s,
                creator: Presence::Present {
                    started: Some(1_010.0),
                },
                last_user: Presence::Absent,
                now: 3_000,
                owner_name: None,
            };
            gc::kept_reason(&policy, &facts).map_or(Ok(()), Err)
        };
        let out = run(&mut k, Request::default(), &check);
        assert!(matches!(out, Outcome::Removed { .. }), "{out:?}");
    }

    #[test]
    fn a_restore_that_fails_is_a_failure_not_a_kept_segment() {
        let mut k = FakeKernel::new(segment());
        k.on_set_mode = Some(Box::new(|s: &mut Segment| {
            if s.perms() == 0 {
                s.nattch = 1;
            }
        }));
        k.fail_restore = Some(libc::EPERM);
        let out = run(&mut k, Request::default(), &accept);
        let Outcome::Failed { error, text, .. } = out else {
            panic!("{out:?}")
        };
        assert_eq!(error.errno, libc::EPERM);
        assert!(text.contains("left at 0000"), "{text}");
        assert_eq!(k.segment.expect("still there").perms(), 0);
    }

    #[test]
    fn failed_rmid_restores_mode() {
        let mut k = FakeKernel::new(segment());
        k.fail_remove = Some(libc::EPERM);
        let out = run(&mut k, Request::default(), &accept);
        let Outcome::Failed { error, text, .. } = out else {
            panic!("{out:?}")
        };
        assert_eq!(error.errno, libc::EPERM);
        assert!(text.contains("mode restored"), "{text}");
        assert_eq!(k.segment.expect("kept").perms(), 0o640);
    }

    #[test]
    fn archive_expects_our_own_attachment() {
        let held = Segment {
            nattch: 1,
            ..segment()
        };
        let mut k = FakeKernel::new(held);
        let out = run(
            &mut k,
            Request {
                expected_nattch: 1,
                ..Request::default()
            },
            &accept,
        );
        assert!(matches!(out, Outcome::Removed { .. }), "{out:?}");
    }
}
