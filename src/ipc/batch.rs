//! One removal run (`rm`, `gc`), for every kind at once: one lock, one journal and one
//! signal scope for the whole run ([`Session`]), and one loop ([`Remover`]).
//!
//! A run that removes takes the lock first (waiting at most `--wait`), then restores what a
//! killed run left at mode 000 (see [`super::journal`]), and journals every mode change of
//! its own until the run ends. A dry run takes neither lock nor journal: it changes nothing.
//! SIGINT/SIGTERM stop the loop between two objects, never inside one's sequence.
use std::collections::VecDeque;
use std::time::Duration;

use super::archive::{self, Archive};
use super::journal::{Entry, Journal, Restored, Target};
use super::kernel::Running;
use super::policy::{Caller, Policy};
use super::probe::Survey;
use super::removal::{self, Kernel, Outcome, Removal, Request, Step, Tally};
use super::{Kind, Object, Reason, Verdict};
use crate::sys::lock::{Interrupts, LockError, RunLock};
use crate::sys::{msg, posix, sem, shm, SysError};

/// Why a session could not begin: the lock, or the journal beside it.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("cannot take the removal lock: {0}")]
    Lock(#[from] LockError),
    #[error("{what}: {err}")]
    Io { what: String, err: std::io::Error },
}

pub struct Session {
    lock: Option<RunLock>,
    journal: Option<Journal>,
    /// How many of the objects after the current one [`Session::begin_ahead`] has already
    /// written for.
    ahead: usize,
    interrupts: Interrupts,
    /// Objects a killed run had left at mode 000, found when the run began.
    pub restored: Vec<Restored>,
}

impl Session {
    /// A dry run: signals are caught, nothing is locked or journalled.
    pub fn dry() -> std::io::Result<Session> {
        Ok(Session {
            lock: None,
            journal: None,
            ahead: 0,
            interrupts: Interrupts::catch()?,
            restored: Vec::new(),
        })
    }

    /// A run that removes: the lock (waiting at most `wait`; `waiting` is told once, with
    /// the holder's pid if known, when it has to wait), the journal, and the restoration of
    /// what a killed run left behind.
    pub fn begin(
        wait: Duration,
        waiting: &mut dyn FnMut(Option<i32>),
    ) -> Result<Session, SessionError> {
        let lock = RunLock::acquire(wait, waiting)?;
        let mut journal = Journal::open(&lock.dir, lock.ns)?;
        let io = |what: String| move |err| SessionError::Io { what, err };
        let interrupts = Interrupts::catch().map_err(io("catching signals".into()))?;
        let shown = journal.path.display().to_string();
        let unfinished = journal
            .unfinished()
            .map_err(io(format!("reading {shown}")))?;
        let restored: Vec<Restored> = unfinished.into_iter().filter_map(restore).collect();
        journal
            .reset(&stuck(&restored))
            .map_err(io(format!("writing {shown}")))?;
        Ok(Session {
            lock: Some(lock),
            journal: Some(journal),
            ahead: 0,
            interrupts,
            restored,
        })
    }

    /// The kernel for this run's removal sequences: every mode change journalled.
    pub fn kernel(&mut self) -> Journalled<'_> {
        Journalled {
            journal: self.journal.as_mut(),
        }
    }

    /// Before `next` is closed: unless its `begin` line is written already, writes those of
    /// `next` and of the objects after it (`rest`, the next [`AHEAD`] - 1 at most) that the
    /// sequence will close, in one write.
    fn begin_ahead<'o>(
        &mut self,
        next: &'o Object,
        rest: impl Iterator<Item = &'o Object>,
        request: Request,
    ) {
        let Some(journal) = self.journal.as_mut() else {
            return;
        };
        if self.ahead > 0 {
            self.ahead -= 1;
            return;
        }
        let closes = |o: &&Object| o.perms() != 0 && !(request.force && o.attachments() > 0);
        let mut covered = 0;
        let entries = std::iter::once(next)
            .chain(rest.take(AHEAD - 1).inspect(|_| covered += 1))
            .filter(closes)
            .map(Entry::of_object);
        // On failure nothing is lost: each object's own begin writes its line, and fails
        // its sequence before the mode changes if that write fails too.
        journal.begin_ahead(entries).ok();
        self.ahead = covered;
    }

    /// Ends the entry of an object whose sequence ended without closing it.
    fn settle(&mut self, object: &Object) {
        if let Some(journal) = self.journal.as_mut() {
            journal.settle(&Target::of_object(object));
        }
    }

    /// The signal that asked the run to stop, if one came.
    pub fn pending_signal(&self) -> Option<i32> {
        self.interrupts.pending()
    }

    /// Empties the journal but for what is still at mode 000 (a restore that failed, when
    /// the run began or in it), which the next run tries again, and lets the next run in:
    /// the report is written without the lock (a reader that is slow to take it must not
    /// hold up other runs). An error says why the journal could not be emptied.
    pub fn end(&mut self) -> Result<(), String> {
        let Some(mut journal) = self.journal.take() else {
            return Ok(());
        };
        let mut keep = stuck(&self.restored);
        keep.extend(journal.left_open());
        let result = journal.reset(&keep).map_err(|e| {
            format!(
                "could not empty the removal journal {}: {e} (the next run re-checks its objects)",
                journal.path.display()
            )
        });
        self.lock = None;
        result
    }
}

/// What the journal still owes: the restores that failed.
fn stuck(restored: &[Restored]) -> Vec<Entry> {
    restored
        .iter()
        .filter(|r| r.error.is_some())
        .map(|r| r.entry.clone())
        .collect()
}

/// Gives one journalled object its mode back if it is still there, still the same and
/// still at mode 000. None when there was nothing to do.
fn restore(entry: Entry) -> Option<Restored> {
    if entry.mode == 0 {
        return None;
    }
    let id = entry.id.unwrap_or(-1);
    let found = match entry.kind {
        Kind::Shm => shm::stat(id).map(Object::Shm),
        Kind::Sem => sem::stat(id).map(Object::Sem),
        Kind::Msg => msg::stat(id).map(Object::Msg),
        Kind::Pshm | Kind::Psem | Kind::Pmq => {
            let path = entry.path()?;
            let outcome = match posix::restore_mode(&path, entry.dev, entry.ino, entry.mode) {
                Ok(posix::Reopened::Restored) => Ok(()),
                Ok(posix::Reopened::NotOurs) => return None,
                Err(e) => Err(SysError::io("chmod", &e)),
            };
            return Some(Restored {
                entry,
                error: outcome.err(),
            });
        }
    };
    let error = match found {
        Err(e) if e.is_gone() => return None,
        Err(e) => Some(e),
        Ok(object) if entry.names_object(&object) && object.perms() == 0 => {
            Running.set_mode(&object, entry.mode).err()
        }
        Ok(_) => return None,
    };
    Some(Restored { entry, error })
}

/// The running kernel, journalling each object's mode before it becomes 000 and marking
/// the end of its sequence once it is removed, gone or restored.
pub struct Journalled<'s> {
    journal: Option<&'s mut Journal>,
}

impl Kernel for Journalled<'_> {
    fn stat(&mut self, target: &Object) -> Result<Object, SysError> {
        Running.stat(target)
    }

    fn set_mode(&mut self, target: &Object, mode: u32) -> Result<(), SysError> {
        // To 000 from a real mode begins an entry, on disk before the mode changes; its
        // failure, or any restore that worked or found the object gone, ends it.
        let closing = mode & 0o777 == 0 && target.perms() != 0;
        if let (true, Some(journal)) = (closing, self.journal.as_mut()) {
            journal
                .begin_object(target)
                .map_err(|e| SysError::io("writing the removal journal", &e))?;
        }
        let result = Running.set_mode(target, mode);
        match &result {
            Err(e) if e.is_gone() => self.end(target, Ended::Gone),
            Ok(()) if !closing => self.end(target, Ended::Restored),
            Err(_) if closing => self.end(target, Ended::Restored),
            _ => {}
        }
        result
    }

    fn remove(&mut self, target: &Object) -> Result<(), SysError> {
        let result = Running.remove(target);
        if result.as_ref().map_or_else(
            |e| e.is_gone() || e.errno() == Some(libc::ENOENT),
            |()| true,
        ) {
            self.end(target, Ended::Gone);
        }
        result
    }
}

/// How an object's sequence ended: still there at its own mode, or no longer there.
enum Ended {
    Restored,
    Gone,
}

impl Journalled<'_> {
    fn end(&mut self, target: &Object, how: Ended) {
        if let Some(journal) = self.journal.as_mut() {
            let target = Target::of_object(target);
            match how {
                // A lost end line only makes the next run look at an object that is fine.
                Ended::Restored => {
                    journal.end(&target).ok();
                }
                Ended::Gone => journal.gone(&target),
            }
        }
    }
}

/// What decides, on the plan's facts and on fresh ones, whether an object may go.
pub enum Check {
    /// `rm`: what the caller may not remove is kept whatever `--force` says; then, unless
    /// `--force`, only evidence of use keeps an object (waiters, a live last pid, a holder;
    /// for a segment, its attachments, which the sequence itself counts).
    Rm { force: bool, caller: Caller },
    /// `gc`: the whole policy, as it planned.
    Gc(Policy),
}

/// Kept codes that mean "in use": what `rm` refuses without `--force`.
const IN_USE: &[&str] = &[
    "waiters",
    "last_op_alive",
    "sender_alive",
    "receiver_alive",
    "held",
];

impl Check {
    pub fn judge(&self, survey: &mut Survey, object: &Object, now: i64) -> Result<(), Reason> {
        match self {
            Check::Rm { force, caller } => {
                if let Some(reason) = survey.not_permitted(caller, object) {
                    return Err(reason);
                }
                if *force || object.kind() == Kind::Shm {
                    return Ok(());
                }
                let policy = Policy {
                    include_unknown: true,
                    caller: *caller,
                    ..Policy::default()
                };
                match survey.verdict(&policy, object, now) {
                    Verdict::Kept(reason) if IN_USE.contains(&reason.code) => Err(reason),
                    _ => Ok(()),
                }
            }
            Check::Gc(policy) => survey.kept_reason(policy, object, now).map_or(Ok(()), Err),
        }
    }
}

/// How many `begin` lines go out in one write. A run killed inside such a batch leaves the
/// lines of objects it did not close yet; the next run finds those at their own mode and
/// leaves them alone.
const AHEAD: usize = 32;

/// What a batch did, and the signal that stopped it with how many objects it did not reach.
pub struct Batch {
    pub items: Vec<Removal>,
    /// Removed objects left out of `items`: a quiet report (no JSON) shows none of them,
    /// so a quiet run counts them instead of holding a record of each (10,000 of them were
    /// 1.8 MB of fresh pages, about a tenth of gc's time).
    pub removed_unlisted: usize,
    pub interrupted: Option<(i32, usize)>,
}

impl Batch {
    /// What the report lists, with what it only counted.
    pub fn tally(&self, restore_failures: usize) -> Tally {
        let mut tally = Tally::of(&self.items, restore_failures);
        tally.removed += self.removed_unlisted;
        tally
    }
}

/// An object to remove, with gc's evidence.
pub type Planned = (Object, Vec<Reason>);

/// One batch in the run's session: each planned object (with its gc evidence) is
/// [`pushed`](Remover::push) as soon as it is planned, and its sequence runs [`AHEAD`]
/// objects later (the journal's lines for those go out in one write). gc lists, judges and
/// removes segment by segment this way, so that each segment's kernel object is still in
/// the cache when it is removed (listing all first and removing after cost a sixth more
/// time).
///
/// Sets, queues and POSIX objects are judged on scans of every task or process: they are
/// closed (mode 000) one by one, then judged again on one fresh scan made after the last of
/// them was closed — the same guarantee as a scan per object, which would cost a walk of
/// /proc per object. A segment's evidence is the kernel's nattch, read again in its own
/// sequence. With `--archive` each object goes through the whole sequence on its own.
pub struct Remover<'r> {
    session: &'r mut Session,
    request: Request,
    check: &'r Check,
    archive: Option<&'r Archive<'r>>,
    now: i64,
    /// Pushed, not yet begun.
    waiting: VecDeque<Planned>,
    /// Closed, to be finished after one fresh scan.
    closed: Vec<Planned>,
    items: Vec<Removal>,
    /// False: removed objects are only counted (see [`Batch::removed_unlisted`]).
    list_removed: bool,
    removed_unlisted: usize,
    /// The signal that stopped the batch, and how many objects it did not reach.
    interrupted: Option<(i32, usize)>,
}

impl<'r> Remover<'r> {
    pub fn new(
        session: &'r mut Session,
        request: Request,
        check: &'r Check,
        archive: Option<&'r Archive<'r>>,
        now: i64,
    ) -> Remover<'r> {
        Remover {
            session,
            request,
            check,
            archive,
            now,
            waiting: VecDeque::with_capacity(AHEAD),
            closed: Vec::new(),
            items: Vec::new(),
            list_removed: true,
            removed_unlisted: 0,
            interrupted: None,
        }
    }

    /// Whether each removed object is in the batch's items, or only counted (a quiet
    /// report, which lists none).
    pub fn list_removed(&mut self, list: bool) {
        self.list_removed = list;
    }

    /// One object's outcome, with gc's evidence if it was removed.
    fn record(&mut self, item: Removal, evidence: Vec<Reason>) {
        if !self.list_removed && matches!(item.outcome, Outcome::Removed { .. }) {
            self.removed_unlisted += 1;
            return;
        }
        self.items.push(with_evidence(item, evidence));
    }

    /// Plans `planned`; the sequence of the object pushed [`AHEAD`] - 1 before it runs now.
    /// After a signal, objects are only counted (not reached).
    pub fn push(&mut self, survey: &mut Survey, planned: Planned) {
        if let Some((_, left)) = self.interrupted.as_mut() {
            *left += 1;
            return;
        }
        self.waiting.push_back(planned);
        if self.waiting.len() >= AHEAD {
            self.step(survey);
        }
    }

    /// The sequence of the oldest waiting object (or, on a signal, the end of the batch).
    fn step(&mut self, survey: &mut Survey) {
        let Some((object, evidence)) = self.waiting.pop_front() else {
            return;
        };
        if let Some(signal) = self.session.pending_signal() {
            // Closed objects are finished in any case: they were reached.
            self.interrupted = Some((signal, 1 + self.waiting.len()));
            self.waiting.clear();
            return;
        }
        let (request, check, now) = (self.request, self.check, self.now);
        let session = &mut *self.session;
        let mut judge = |o: &Object| check.judge(survey, o, now);
        let item = match self.archive {
            Some(archive) if !request.dry_run => {
                archive::remove_with_archive(session, survey, archive, object, request, check, now)
            }
            _ if request.dry_run => {
                removal::remove(&mut session.kernel(), object, request, &mut judge)
            }
            _ => {
                session.begin_ahead(&object, self.waiting.iter().map(|(o, _)| o), request);
                let item = if object.kind() == Kind::Shm {
                    removal::remove(&mut session.kernel(), object, request, &mut judge)
                } else {
                    match removal::close(&mut session.kernel(), object, request, &mut judge) {
                        Step::Closed(object) => {
                            self.closed.push((object, evidence));
                            return;
                        }
                        Step::Done(item) => item,
                    }
                };
                // Removed or gone has ended its entry; what stopped before closing has not.
                if matches!(item.outcome, Outcome::Kept(_) | Outcome::Failed { .. }) {
                    session.settle(&item.object);
                }
                item
            }
        };
        self.record(item, evidence);
    }

    /// Removes each of `planned`, then [finishes](Remover::finish) the batch.
    pub fn remove_all(mut self, survey: &mut Survey, planned: Vec<Planned>) -> Batch {
        if self.list_removed {
            self.items.reserve(planned.len());
        }
        for one in planned {
            self.push(survey, one);
        }
        self.finish(survey)
    }

    /// Runs what is still waiting, then finishes every closed object (removed or its mode
    /// restored), interrupted or not.
    pub fn finish(mut self, survey: &mut Survey) -> Batch {
        while !self.waiting.is_empty() {
            self.step(survey);
        }
        if !self.closed.is_empty() {
            for kind in Kind::ALL {
                survey.refresh(kind);
            }
            let (request, check, now) = (self.request, self.check, self.now);
            for (object, evidence) in std::mem::take(&mut self.closed) {
                let mut judge = |o: &Object| check.judge(survey, o, now);
                let item = removal::finish(&mut self.session.kernel(), object, request, &mut judge);
                self.record(item, evidence);
            }
        }
        for item in &mut self.items {
            explain_refusal(survey, item);
        }
        let interrupted = self
            .interrupted
            .or_else(|| self.session.pending_signal().map(|signal| (signal, 0)));
        Batch {
            items: self.items,
            removed_unlisted: self.removed_unlisted,
            interrupted,
        }
    }
}

/// gc's evidence goes with what was (or would be) removed.
fn with_evidence(mut item: Removal, evidence: Vec<Reason>) -> Removal {
    if matches!(item.outcome, Outcome::Removed { .. } | Outcome::WouldRemove) {
        item.evidence = evidence;
    }
    item
}

/// A removal the kernel refused (EPERM) says whose object it is and who may remove it, not
/// which syscall failed.
fn explain_refusal(survey: &mut Survey, item: &mut Removal) {
    if let Outcome::Failed { error, text } = &mut item.outcome {
        if error.is_permission() && error.op != "archive" {
            let restored = text
                .split_once("; ")
                .map(|(_, rest)| format!("; {rest}"))
                .unwrap_or_default();
            *text = format!(
                "{}: {}{restored}",
                item.object.label(),
                survey.permission_text(&item.object)
            );
        }
    }
}
