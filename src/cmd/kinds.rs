//! Glue for the other kinds (SysV semaphore sets and message queues, POSIX shared memory,
//! named semaphores and queues): list them, judge them, resolve their selectors, and reach
//! the kernel for their removal sequence.
use std::rc::Rc;

use crate::error::{Error, Result};
use crate::gc::Policy;
use crate::gc_kinds::{self, HolderFacts, WaiterFacts};
use crate::liveness;
use crate::model::{Liveness, Verdict};
use crate::objects::{Holder, Kind, MsgQueue, Object, PosixObject, SemSet, Waiter};
use crate::removal_kinds::ObjectControl;
use crate::select::Selector;
use crate::sys::{self, holders::HolderScan, msg, posix, sem, waiters::WaiterScan, SysError};

use super::Facts;

/// A pid an object recorded, with what it says now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PidState {
    /// `last_op` (a semaphore), `sender` or `receiver` (a queue).
    pub role: &'static str,
    pub pid: i32,
    pub state: Liveness,
}

/// An object with what `ls` and `stat` show beside the kernel's facts.
#[derive(Debug, Clone)]
pub struct ObjectRecord {
    pub object: Object,
    pub owner_name: Option<Rc<str>>,
    pub group_name: Option<Rc<str>>,
    /// sem: each distinct last-op pid; msg: the last sender and receiver.
    pub pids: Vec<PidState>,
    /// POSIX: the processes that map it or hold it open.
    pub holders: Vec<Holder>,
    /// POSIX: false when some processes could not be inspected.
    pub holders_complete: bool,
    /// A queue: the tasks blocked on it (in msgrcv or msgsnd).
    pub waiters: Vec<Waiter>,
    /// A queue: false when some tasks could not be inspected.
    pub waiters_complete: bool,
    pub verdict: Verdict,
}

/// What one run learns once: names, processes, (for POSIX kinds) who holds what, and (for
/// sets and queues) which tasks are blocked on which id.
#[derive(Default)]
pub struct Survey {
    facts: Facts,
    scan: Option<HolderScan>,
    tasks: Option<WaiterScan>,
}

fn sys_error(what: String) -> impl FnOnce(SysError) -> Error {
    move |e| Error::sys(what, e)
}

fn posix_error(what: String) -> impl FnOnce(std::io::Error) -> Error {
    move |e| match e.kind() {
        // A custom message says more ("no mqueue filesystem is mounted on /dev/mqueue").
        std::io::ErrorKind::NotFound if e.get_ref().is_some() => {
            Error::NotFound(format!("{what}: {e}"))
        }
        std::io::ErrorKind::NotFound => Error::NotFound(format!("{what}: no such object")),
        std::io::ErrorKind::InvalidInput => Error::Usage(format!("{what}: {e}")),
        _ => Error::io(what, e),
    }
}

/// A semaphore set with its semaphores when they can be read (read permission).
fn with_semaphores(mut set: SemSet) -> std::result::Result<SemSet, SysError> {
    match sem::semaphores(set.id, set.nsems) {
        Ok(sems) => set.sems = Some(sems),
        Err(e) if e.is_permission() => set.sems = None,
        Err(e) => return Err(e),
    }
    Ok(set)
}

/// Every object of `kind` (not shm) in this namespace.
pub fn list(kind: Kind) -> Result<Vec<Object>> {
    Ok(match kind {
        Kind::Shm => Vec::new(),
        Kind::Sem => {
            let (sets, _) = sem::enumerate().map_err(sys_error("listing semaphore sets".into()))?;
            sets.into_iter()
                .filter_map(|set| with_semaphores(set).ok())
                .map(Object::Sem)
                .collect()
        }
        Kind::Msg => {
            let (queues, _) =
                msg::enumerate().map_err(sys_error("listing message queues".into()))?;
            queues.into_iter().map(Object::Msg).collect()
        }
        Kind::Pshm | Kind::Psem | Kind::Pmq => posix::list(kind)
            .map_err(|e| Error::io(format!("listing {}", kind.title()), e))?
            .into_iter()
            .map(Object::Posix)
            .collect(),
    })
}

/// Fresh facts of one object by the selector that names it.
pub fn resolve(selector: &Selector) -> Result<Object> {
    match selector {
        Selector::SysV { kind, id } => stat_sysv(*kind, *id).map_err(|e| {
            if e.is_gone() {
                Error::NotFound(format!("no {} has id {id}", noun(*kind)))
            } else {
                Error::sys(format!("{kind}:{id}"), e)
            }
        }),
        Selector::Posix { kind, name } => posix::stat(*kind, name)
            .map(Object::Posix)
            .map_err(posix_error(format!("{kind}:{name}"))),
        _ => Err(Error::Usage(format!(
            "`{selector}` is a shared memory segment"
        ))),
    }
}

fn noun(kind: Kind) -> &'static str {
    match kind {
        Kind::Shm => "shared memory segment",
        Kind::Sem => "semaphore set",
        Kind::Msg => "message queue",
        Kind::Pshm => "POSIX shared memory object",
        Kind::Psem => "named semaphore",
        Kind::Pmq => "POSIX message queue",
    }
}

fn stat_sysv(kind: Kind, id: i32) -> std::result::Result<Object, SysError> {
    match kind {
        Kind::Sem => Ok(Object::Sem(with_semaphores(sem::stat(id)?)?)),
        _ => Ok(Object::Msg(msg::stat(id)?)),
    }
}

impl Survey {
    /// The holder scan, made once per run (reading every process's maps and descriptors).
    fn scan(&mut self) -> Option<&HolderScan> {
        if self.scan.is_none() {
            self.scan = rescan();
        }
        self.scan.as_ref()
    }

    /// Forgets what `kind`'s verdict reads from /proc (the holders of POSIX objects, the
    /// blocked tasks of sets and queues): the removal sequence judges on fresh facts, read
    /// again when next needed.
    pub fn refresh(&mut self, kind: Kind) {
        if kind.is_posix() {
            self.scan = None;
        } else {
            self.tasks = None;
        }
    }

    /// [`Survey::refresh`] for every kind.
    pub fn refresh_all(&mut self) {
        self.scan = None;
        self.tasks = None;
    }

    /// The scan of every task, made once per run when a set's or a queue's verdict first
    /// needs it.
    fn tasks(tasks: &mut Option<WaiterScan>) -> &WaiterScan {
        tasks.get_or_insert_with(|| sys::waiters::scan().unwrap_or_else(|_| WaiterScan::failed()))
    }

    fn waiter_facts(tasks: &mut Option<WaiterScan>, object: &Object) -> WaiterFacts {
        let scan = Self::tasks(tasks);
        let waiters = match object {
            Object::Sem(set) => scan.on_set(set.id),
            Object::Msg(queue) => scan.on_queue(queue.id),
            Object::Posix(_) => &[],
        };
        WaiterFacts {
            waiters: waiters.to_vec(),
            uninspected: scan.uninspected.len(),
            unseen: scan.unseen,
        }
    }

    fn holder_facts<'a>(scan: Option<&'a HolderScan>, object: &PosixObject) -> HolderFacts<'a> {
        match scan {
            Some(scan) => HolderFacts {
                holders: scan.holders_of(object),
                uninspected: scan.uninspected.len(),
            },
            // No scan at all: nobody could be inspected.
            None => HolderFacts {
                holders: &[],
                uninspected: usize::MAX,
            },
        }
    }

    /// The policy's verdict on one object.
    pub fn verdict(&mut self, policy: &Policy, object: &Object, now: i64) -> Verdict {
        let owner = self.facts.user_name(object.owner().0);
        let owner = owner.as_deref();
        let facts = &mut self.facts;
        let tasks = &mut self.tasks;
        let mut waiters = || Self::waiter_facts(tasks, object);
        match object {
            Object::Sem(set) => gc_kinds::judge_sem(
                policy,
                set,
                owner,
                &mut |pid| facts.presence(pid),
                &mut waiters,
                now,
            ),
            Object::Msg(queue) => gc_kinds::judge_msg(
                policy,
                queue,
                owner,
                &mut |pid| facts.presence(pid),
                &mut waiters,
                now,
            ),
            Object::Posix(p) => {
                let scan = self.scan();
                gc_kinds::judge_posix(policy, p, owner, Self::holder_facts(scan, p), now)
            }
        }
    }

    /// The text of a removal the kernel refused (EPERM): whose object it is, who may.
    pub fn permission_text(&mut self, object: &Object) -> String {
        let (uid, _, cuid) = object.owner();
        self.facts
            .permission_text(object.kind().is_posix(), uid, cuid)
    }

    /// Why the caller may not remove `object`, if it may not.
    pub fn not_permitted(
        &mut self,
        caller: &crate::gc::Caller,
        object: &Object,
    ) -> Option<crate::model::Reason> {
        let (uid, _, cuid) = object.owner();
        self.facts
            .not_permitted(caller, object.kind().is_posix(), uid, cuid)
    }

    pub fn record(&mut self, object: Object, policy: &Policy, now: i64) -> ObjectRecord {
        let verdict = self.verdict(policy, &object, now);
        let (uid, gid, _) = object.owner();
        let pids = match &object {
            Object::Sem(set) => self.sem_pids(set),
            Object::Msg(queue) => self.msg_pids(queue),
            Object::Posix(_) => Vec::new(),
        };
        let (holders, holders_complete) = match &object {
            Object::Posix(p) => match self.scan() {
                Some(scan) => (scan.holders_of(p).to_vec(), scan.complete()),
                None => (Vec::new(), false),
            },
            _ => (Vec::new(), true),
        };
        let (waiters, waiters_complete) = match &object {
            Object::Msg(queue) => {
                let scan = Self::tasks(&mut self.tasks);
                (scan.on_queue(queue.id).to_vec(), scan.complete())
            }
            _ => (Vec::new(), true),
        };
        ObjectRecord {
            owner_name: self.facts.user_name(uid),
            group_name: self.facts.group_name(gid),
            object,
            pids,
            holders,
            holders_complete,
            waiters,
            waiters_complete,
            verdict,
        }
    }

    fn sem_pids(&mut self, set: &SemSet) -> Vec<PidState> {
        let mut pids: Vec<i32> = set
            .sems
            .iter()
            .flatten()
            .map(|s| s.pid)
            .filter(|&p| p > 0)
            .collect();
        pids.sort_unstable();
        pids.dedup();
        let reference = set.last_activity();
        pids.into_iter()
            .map(|pid| PidState {
                role: "last_op",
                pid,
                state: liveness::recorded(pid, reference, self.facts.presence(pid)),
            })
            .collect()
    }

    fn msg_pids(&mut self, queue: &MsgQueue) -> Vec<PidState> {
        [
            ("sender", queue.lspid, queue.stime),
            ("receiver", queue.lrpid, queue.rtime),
        ]
        .into_iter()
        .map(|(role, pid, at)| PidState {
            role,
            pid,
            state: liveness::recorded(pid, at, self.facts.presence(pid)),
        })
        .collect()
    }
}

fn rescan() -> Option<HolderScan> {
    let devices: Vec<u64> = [posix::SHM_DIR, posix::MQUEUE_DIR]
        .into_iter()
        .filter_map(|dir| sys::holders::device_of(std::path::Path::new(dir)))
        .collect();
    sys::holders::scan(&devices).ok()
}

/// The running kernel, for the removal sequence.
pub struct KindsKernel;

impl ObjectControl for KindsKernel {
    fn stat(&mut self, target: &Object) -> std::result::Result<Object, SysError> {
        match target {
            Object::Sem(s) => stat_sysv(Kind::Sem, s.id),
            Object::Msg(q) => stat_sysv(Kind::Msg, q.id),
            Object::Posix(p) => posix::stat(p.kind, &p.name)
                .map(Object::Posix)
                .map_err(|e| io_sys("stat", e)),
        }
    }

    fn set_mode(&mut self, target: &Object, mode: u32) -> std::result::Result<(), SysError> {
        match target {
            Object::Sem(s) => sem::set_owner_mode(s.id, s.uid, s.gid, mode),
            Object::Msg(q) => msg::set_owner_mode(q.id, q.uid, q.gid, mode),
            Object::Posix(p) => posix::set_mode(&p.path, mode).map_err(|e| io_sys("chmod", e)),
        }
    }

    fn remove(&mut self, target: &Object) -> std::result::Result<(), SysError> {
        match target {
            Object::Sem(s) => sem::remove(s.id),
            Object::Msg(q) => msg::remove(q.id),
            Object::Posix(p) => posix::unlink(&p.path).map_err(|e| io_sys("unlink", e)),
        }
    }
}

/// A file operation's failure in the kernel layer's terms (ENOENT reads as "gone").
fn io_sys(op: &'static str, e: std::io::Error) -> SysError {
    let errno = match e.raw_os_error() {
        Some(libc::ENOENT) => libc::EIDRM,
        Some(errno) => errno,
        None => libc::EIO,
    };
    SysError::new(op, errno)
}
