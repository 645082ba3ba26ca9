//! One removal run (`rm`, `gc`): the namespace's lock, the journal beside it, the signals
//! caught for the whole run, and the kernel every removal sequence goes through.
//!
//! A run that removes takes the lock first (waiting at most `--wait`), then restores what a
//! killed run left at mode 000 (see [`crate::journal`]), and journals every mode change of
//! its own until the run ends. A dry run takes neither lock nor journal: it changes nothing.
use std::time::Duration;

use crate::error::{Error, Result};
use crate::journal::{Entry, Journal, Restored, Target};
use crate::model::Segment;
use crate::objects::{Kind, Object};
use crate::removal::{Kernel, SegmentControl};
use crate::removal_kinds::ObjectControl;
use crate::render;
use crate::sys::lock::{Interrupts, LockError, RunLock};
use crate::sys::{msg, posix, sem, shm, SysError};

use super::kinds::KindsKernel;
use super::Context;

pub struct Session {
    lock: Option<RunLock>,
    journal: Option<Journal>,
    interrupts: Interrupts,
    /// Objects a killed run had left at mode 000, found when the run began.
    pub restored: Vec<Restored>,
}

fn lock_failure(e: LockError) -> Error {
    Error::Failed(format!("cannot take the removal lock: {e}"))
}

impl Session {
    /// A dry run: signals are caught, nothing is locked or journalled.
    pub fn dry() -> Result<Session> {
        Ok(Session {
            lock: None,
            journal: None,
            interrupts: Interrupts::catch().map_err(|e| Error::io("catching signals", e))?,
            restored: Vec::new(),
        })
    }

    /// A run that removes: the lock (waiting at most `wait`), the journal, and the
    /// restoration of what a killed run left behind.
    pub fn begin(ctx: Context, wait: Duration) -> Result<Session> {
        let mut waiting = |holder: Option<i32>| {
            let who = holder.map_or_else(String::new, |pid| format!(" (held by pid {pid})"));
            render::note(
                ctx.quiet,
                &format!(
                    "another shmctl run is removing in this IPC namespace{who}: waiting up to {} for it",
                    crate::units::human_duration(i64::try_from(wait.as_secs()).unwrap_or(i64::MAX))
                ),
            );
        };
        let lock = RunLock::acquire(wait, &mut waiting).map_err(lock_failure)?;
        let mut journal = Journal::open(&lock.dir, lock.ns).map_err(lock_failure)?;
        let interrupts = Interrupts::catch().map_err(|e| Error::io("catching signals", e))?;
        let unfinished = journal
            .unfinished()
            .map_err(|e| Error::io(format!("reading {}", journal.path.display()), e))?;
        let restored: Vec<Restored> = unfinished.into_iter().filter_map(restore).collect();
        let stuck: Vec<Entry> = restored
            .iter()
            .filter(|r| r.error.is_some())
            .map(|r| r.entry.clone())
            .collect();
        journal
            .reset(&stuck)
            .map_err(|e| Error::io(format!("writing {}", journal.path.display()), e))?;
        Ok(Session {
            lock: Some(lock),
            journal: Some(journal),
            interrupts,
            restored,
        })
    }

    /// The kernel for this run's removal sequences: every mode change journalled.
    pub fn kernel(&mut self) -> Sequence<'_> {
        Sequence {
            journal: self.journal.as_mut(),
        }
    }

    /// The signal that asked the run to stop, if one came.
    pub fn pending_signal(&self) -> Option<i32> {
        self.interrupts.pending()
    }

    /// Empties the journal but for what is still at mode 000 (a restore that failed), which
    /// the next run tries again, and lets the next run in: the report is written without
    /// the lock (a reader that is slow to take it must not hold up other runs).
    pub fn end(&mut self, ctx: Context) {
        let Some(mut journal) = self.journal.take() else {
            return;
        };
        // What is still open: restores that failed when the run began, and what this run
        // left closed (a restore that failed): the next run tries those again.
        let mut keep: Vec<Entry> = self
            .restored
            .iter()
            .filter(|r| r.error.is_some())
            .map(|r| r.entry.clone())
            .collect();
        keep.extend(journal.left_open());
        let result = journal.reset(&keep);
        if let Err(e) = result {
            render::note(
                ctx.quiet,
                &format!(
                    "could not empty the removal journal {}: {e} (the next run re-checks its objects)",
                    journal.path.display()
                ),
            );
        }
        self.lock = None;
    }
}

/// Gives one journalled object its mode back if it is still there, still the same and
/// still at mode 000. None when there was nothing to do.
fn restore(entry: Entry) -> Option<Restored> {
    if entry.mode == 0 {
        return None;
    }
    let sysv = |found: std::result::Result<(u32, u32, u32, bool), SysError>,
                set: fn(i32, u32, u32, u32) -> std::result::Result<(), SysError>|
     -> Option<std::result::Result<(), SysError>> {
        let id = entry.id?;
        match found {
            Err(e) if e.is_gone() => None,
            Err(e) => Some(Err(e)),
            Ok((uid, gid, perms, same)) if same && perms == 0 => {
                Some(set(id, uid, gid, entry.mode))
            }
            Ok(_) => None,
        }
    };
    let id = entry.id.unwrap_or(-1);
    let outcome = match entry.kind {
        Kind::Shm => sysv(
            shm::stat(id).map(|s| (s.uid, s.gid, s.perms(), entry.names_segment(&s))),
            shm::set_owner_mode,
        ),
        Kind::Sem => sysv(
            sem::stat(id).map(|s| {
                let same = entry.names_object(&Object::Sem(s.clone()));
                (s.uid, s.gid, s.mode & 0o777, same)
            }),
            sem::set_owner_mode,
        ),
        Kind::Msg => sysv(
            msg::stat(id).map(|q| {
                let same = entry.names_object(&Object::Msg(q.clone()));
                (q.uid, q.gid, q.mode & 0o777, same)
            }),
            msg::set_owner_mode,
        ),
        Kind::Pshm | Kind::Psem | Kind::Pmq => {
            let path = entry.path()?;
            match posix::restore_mode(&path, entry.dev, entry.ino, entry.mode) {
                Ok(posix::Reopened::Restored) => Some(Ok(())),
                Ok(posix::Reopened::NotOurs) => None,
                Err(e) => Some(Err(SysError::new(
                    "chmod",
                    e.raw_os_error().unwrap_or(libc::EIO),
                ))),
            }
        }
    }?;
    Some(Restored {
        entry,
        error: outcome.err(),
    })
}

/// The running kernel, journalling each object's mode before it becomes 000 and marking
/// the end of its sequence once it is removed, gone or restored.
pub struct Sequence<'s> {
    journal: Option<&'s mut Journal>,
}

fn journal_error(e: std::io::Error) -> SysError {
    SysError::new(
        "writing the removal journal",
        e.raw_os_error().unwrap_or(libc::EIO),
    )
}

impl Sequence<'_> {
    /// Before closing (mode 000): the entry is on disk, or the mode is not changed.
    fn begin(&mut self, entry: Entry) -> std::result::Result<(), SysError> {
        match self.journal.as_mut() {
            Some(journal) => journal.begin(&entry).map_err(journal_error),
            None => Ok(()),
        }
    }

    fn end(&mut self, target: Target) {
        if let Some(journal) = self.journal.as_mut() {
            // A lost end line only makes the next run look at an object that is fine.
            journal.end(&target).ok();
        }
    }

    /// The bookkeeping of one mode change: `closing` (to 000 from a real mode) began an
    /// entry; its failure, or any restore that worked or found the object gone, ends it.
    fn after_set_mode(
        &mut self,
        closing: bool,
        result: std::result::Result<(), SysError>,
        target: Target,
    ) -> std::result::Result<(), SysError> {
        let ended = match &result {
            Ok(()) => !closing,
            Err(e) => closing || e.is_gone(),
        };
        if ended {
            self.end(target);
        }
        result
    }

    fn after_remove(
        &mut self,
        result: std::result::Result<(), SysError>,
        target: Target,
    ) -> std::result::Result<(), SysError> {
        if result.as_ref().map_or_else(SysError::is_gone, |()| true) {
            self.end(target);
        }
        result
    }
}

impl SegmentControl for Sequence<'_> {
    fn stat(&mut self, id: i32) -> std::result::Result<Segment, SysError> {
        Kernel.stat(id)
    }

    fn set_mode(&mut self, segment: &Segment, mode: u32) -> std::result::Result<(), SysError> {
        let closing = mode & 0o777 == 0 && segment.perms() != 0;
        if closing {
            self.begin(Entry::of_segment(segment))?;
        }
        let result = Kernel.set_mode(segment, mode);
        self.after_set_mode(closing, result, Target::of_segment(segment.id))
    }

    fn remove(&mut self, id: i32) -> std::result::Result<(), SysError> {
        let result = Kernel.remove(id);
        self.after_remove(result, Target::of_segment(id))
    }
}

impl ObjectControl for Sequence<'_> {
    fn stat(&mut self, target: &Object) -> std::result::Result<Object, SysError> {
        KindsKernel.stat(target)
    }

    fn set_mode(&mut self, target: &Object, mode: u32) -> std::result::Result<(), SysError> {
        let closing = mode & 0o777 == 0 && target.mode() & 0o777 != 0;
        if closing {
            self.begin(Entry::of_object(target))?;
        }
        let result = KindsKernel.set_mode(target, mode);
        self.after_set_mode(closing, result, Target::of_object(target))
    }

    fn remove(&mut self, target: &Object) -> std::result::Result<(), SysError> {
        let result = KindsKernel.remove(target);
        self.after_remove(result, Target::of_object(target))
    }
}
