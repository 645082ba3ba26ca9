//! The object model, written once for every kind (DESIGN.md "Architecture"): what an IPC
//! object is, the record `ls` and `stat` show, and the one road every kind takes —
//! kernel facts → [`probe`] (evidence) → [`policy`] (verdict) → [`removal`] and [`batch`]
//! (the guarded sequence, in one session per run) → `render`.
//!
//! What only one kind knows — its rules, its identity across the removal sequence, its
//! columns' cells, its stat lines, its JSON fields — lives in that kind's module ([`shm`],
//! [`sem`], [`msg`], [`posix`]); everything else is written once, here and beside.
use std::rc::Rc;

pub mod archive;
pub mod batch;
pub mod columns;
#[cfg(test)]
pub(crate) mod fixtures;
pub mod journal;
pub mod kernel;
pub mod liveness;
pub mod msg;
pub mod namespaces;
pub mod policy;
pub mod posix;
pub mod probe;
pub mod removal;
pub mod select;
pub mod sem;
pub mod shm;

use crate::model::{Attacher, Segment, SegmentMemory};
pub use crate::model::{KeyHex, Liveness, Reason, Verdict};
pub use crate::objects::Kind;
use crate::objects::{Holder, MsgQueue, PosixObject, SemSet, Waiter};

/// One IPC object of any kind, as the kernel (or its file) describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Object {
    Shm(Segment),
    Sem(SemSet),
    Msg(MsgQueue),
    /// Boxed: twice the size of the others, it would double every object's size (and a gc
    /// moves each object a dozen times).
    Posix(Box<PosixObject>),
}

impl Object {
    pub fn posix(p: PosixObject) -> Object {
        Object::Posix(Box::new(p))
    }
}

/// Who owns an object and who made it (a POSIX file's creator is its owner).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner {
    pub uid: u32,
    pub gid: u32,
    pub cuid: u32,
    pub cgid: u32,
}

impl Object {
    pub fn kind(&self) -> Kind {
        match self {
            Object::Shm(_) => Kind::Shm,
            Object::Sem(_) => Kind::Sem,
            Object::Msg(_) => Kind::Msg,
            Object::Posix(p) => p.kind,
        }
    }

    /// The SysV id; None for a POSIX object.
    pub fn id(&self) -> Option<i32> {
        match self {
            Object::Shm(s) => Some(s.id),
            Object::Sem(s) => Some(s.id),
            Object::Msg(q) => Some(q.id),
            Object::Posix(_) => None,
        }
    }

    /// The SysV key; None for a POSIX object.
    pub fn key(&self) -> Option<u32> {
        match self {
            Object::Shm(s) => Some(s.key),
            Object::Sem(s) => Some(s.key),
            Object::Msg(q) => Some(q.key),
            Object::Posix(_) => None,
        }
    }

    /// A POSIX object's name (`/name`).
    pub fn name(&self) -> Option<&str> {
        match self {
            Object::Posix(p) => Some(&p.name),
            _ => None,
        }
    }

    /// How reports name it: `shm 5 key 0x00001234`, `sem 3 key 0x00000051`, `pshm /data`.
    pub fn label(&self) -> String {
        match (self.id(), self.key(), self) {
            (Some(id), Some(key), _) => format!("{} {id} key {}", self.kind(), KeyHex(key)),
            (_, _, Object::Posix(p)) => format!("{} {}", p.kind, p.name),
            _ => self.kind().to_string(),
        }
    }

    /// The selector that names it again: `5`, `sem:3`, `pshm:/data`.
    pub fn selector(&self) -> String {
        match self {
            Object::Shm(s) => s.id.to_string(),
            Object::Posix(p) => p.selector(),
            other => format!("{}:{}", other.kind(), other.id().unwrap_or_default()),
        }
    }

    pub fn owner(&self) -> Owner {
        let (uid, gid, cuid, cgid) = match self {
            Object::Shm(s) => (s.uid, s.gid, s.cuid, s.cgid),
            Object::Sem(s) => (s.uid, s.gid, s.cuid, s.cgid),
            Object::Msg(q) => (q.uid, q.gid, q.cuid, q.cgid),
            Object::Posix(p) => (p.uid, p.gid, p.uid, p.gid),
        };
        Owner {
            uid,
            gid,
            cuid,
            cgid,
        }
    }

    /// The permission bits (`0777`).
    pub fn perms(&self) -> u32 {
        match self {
            Object::Shm(s) => s.perms(),
            Object::Sem(s) => s.mode & 0o777,
            Object::Msg(q) => q.mode & 0o777,
            Object::Posix(p) => p.mode & 0o777,
        }
    }

    /// Bytes it holds: a segment's size, a queue's queued bytes, a POSIX object's size.
    pub fn bytes(&self) -> u64 {
        match self {
            Object::Shm(s) => s.size,
            Object::Sem(_) => 0,
            Object::Msg(q) => q.bytes,
            Object::Posix(p) => p.queue.map_or(p.size, |q| q.qsize),
        }
    }

    /// Its latest activity: what `--older-than` and IDLE count from.
    pub fn last_activity(&self) -> i64 {
        match self {
            Object::Shm(s) => s.last_activity(),
            Object::Sem(s) => s.last_activity(),
            Object::Msg(q) => q.last_activity(),
            Object::Posix(p) => p.last_activity(),
        }
    }

    /// The earliest it can have been made (AGE, archive names): a segment's creation bound,
    /// the other kinds' ctime (their last change, when nothing earlier is recorded).
    pub fn created(&self) -> i64 {
        match self {
            Object::Shm(s) => s.creation_bound().unwrap_or(s.ctime),
            Object::Sem(s) => s.ctime,
            Object::Msg(q) => q.ctime,
            Object::Posix(p) => p.ctime,
        }
    }

    /// A segment's attachments (nattch); no other kind counts them.
    pub fn attachments(&self) -> u64 {
        match self {
            Object::Shm(s) => s.nattch,
            _ => 0,
        }
    }

    /// Whether `other` (fresh facts) is still the object this one describes, with nothing
    /// changed that matters; mode and ctime are left out (our own IPC_SET or chmod moves
    /// them). None when it is; otherwise what changed, in words.
    pub fn changed_since(&self, other: &Object) -> Option<String> {
        match (self, other) {
            (Object::Shm(a), Object::Shm(b)) => shm::changes(a, b),
            (Object::Sem(a), Object::Sem(b)) => sem::changes(a, b),
            (Object::Msg(a), Object::Msg(b)) => msg::changes(a, b),
            (Object::Posix(a), Object::Posix(b)) => posix::changes(a, b),
            _ => Some("it is another object now".to_string()),
        }
    }

    /// These facts as others see them, before our own change: with `before`'s mode and
    /// ctime (our IPC_SET or chmod moved both), `ours` attachments (an archive's) not
    /// counted. With `received`, a POSIX queue's atime and mtime too (our own receives, when
    /// draining it for its archive, moved them).
    /// Whether these facts, as others see them (see [`Object::as_others_see`]), are still
    /// `before`'s; for a segment without the copy (gc asks it of every segment it removes).
    pub fn seen_unchanged(&self, before: &Object, ours: u64) -> bool {
        match (self, before) {
            (Object::Shm(a), Object::Shm(b)) => {
                // Every field named: one added to Segment must be decided on here.
                let crate::model::Segment {
                    id,
                    key,
                    uid,
                    gid,
                    cuid,
                    cgid,
                    mode: _,
                    size,
                    nattch,
                    cpid,
                    lpid,
                    atime,
                    dtime,
                    ctime: _,
                } = *a;
                (
                    id, key, uid, gid, cuid, cgid, size, cpid, lpid, atime, dtime,
                ) == (
                    b.id, b.key, b.uid, b.gid, b.cuid, b.cgid, b.size, b.cpid, b.lpid, b.atime,
                    b.dtime,
                ) && nattch.saturating_sub(ours) == b.nattch
            }
            _ => self.as_others_see(before, ours, false) == *before,
        }
    }

    pub fn as_others_see(&self, before: &Object, ours: u64, received: bool) -> Object {
        let mut view = self.clone();
        match (&mut view, before) {
            (Object::Shm(v), Object::Shm(b)) => {
                (v.mode, v.ctime) = (b.mode, b.ctime);
                v.nattch = v.nattch.saturating_sub(ours);
            }
            (Object::Sem(v), Object::Sem(b)) => (v.mode, v.ctime) = (b.mode, b.ctime),
            (Object::Msg(v), Object::Msg(b)) => (v.mode, v.ctime) = (b.mode, b.ctime),
            (Object::Posix(v), Object::Posix(b)) => {
                (v.mode, v.ctime) = (b.mode, b.ctime);
                if received {
                    (v.atime, v.mtime) = (b.atime, b.mtime);
                }
            }
            _ => {}
        }
        view
    }
}

/// A pid an object recorded, with what it says now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PidState {
    /// `creator`, `last_user` (a segment), `last_op` (a semaphore), `sender`, `receiver`.
    pub role: &'static str,
    pub pid: i32,
    pub state: Liveness,
}

/// What `stat` shows beyond the record: the processes behind the object now.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Detail {
    /// The command lines of the live pids it recorded (a set's last-op pids share a role:
    /// each pid has its own).
    pub cmdlines: Vec<(PidState, String)>,
    /// A segment: the processes that have it mapped.
    pub attachers: Vec<Attacher>,
    /// False when fewer mappings were found than nattch counts: the others are in processes
    /// whose maps could not be read, or that this PID namespace cannot see.
    pub attached_complete: bool,
    /// Every process visible here had its maps read (so what is missing is invisible here).
    pub maps_readable: bool,
    pub shm_rmid_forced: Option<u32>,
}

/// An object with what `ls` and `stat` show beside the kernel's facts.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub object: Object,
    pub owner_name: Option<Rc<str>>,
    pub group_name: Option<Rc<str>>,
    /// The pids it recorded: a segment's creator and last user, a set's distinct last-op
    /// pids, a queue's last sender and receiver.
    pub pids: Vec<PidState>,
    /// POSIX: the processes that map it or hold it open.
    pub holders: Vec<Holder>,
    /// POSIX: false when some processes could not be inspected.
    pub holders_complete: bool,
    /// A queue: the tasks blocked on it (in msgrcv or msgsnd).
    pub waiters: Vec<Waiter>,
    /// A queue: false when some tasks could not be inspected.
    pub waiters_complete: bool,
    /// A segment's rss/swap, read only when shown.
    pub memory: Option<SegmentMemory>,
    pub verdict: Verdict,
    /// `stat` only.
    pub detail: Option<Box<Detail>>,
}

impl Detail {
    /// The command line of the live process recorded as `pid`.
    pub fn cmdline(&self, pid: &PidState) -> Option<&str> {
        self.cmdlines
            .iter()
            .find(|(p, _)| p == pid)
            .map(|(_, c)| c.as_str())
    }
}

impl Record {
    /// The state of the pid recorded in `role`; `never` when none is.
    pub fn state(&self, role: &str) -> Liveness {
        self.pid(role).map_or(Liveness::Never, |p| p.state)
    }

    pub fn pid(&self, role: &str) -> Option<&PidState> {
        self.pids.iter().find(|p| p.role == role)
    }

    /// The owner as people read it: the name, or the uid when it has none.
    pub fn owner_text(&self) -> String {
        self.owner_name
            .as_deref()
            .map_or_else(|| self.object.owner().uid.to_string(), String::from)
    }

    pub fn group_text(&self) -> String {
        self.group_name
            .as_deref()
            .map_or_else(|| self.object.owner().gid.to_string(), String::from)
    }
}

/// The noun people use for a kind's objects.
pub fn noun(kind: Kind) -> &'static str {
    match kind {
        Kind::Shm => "shared memory segment",
        Kind::Sem => "semaphore set",
        Kind::Msg => "message queue",
        Kind::Pshm => "POSIX shared memory object",
        Kind::Psem => "named semaphore",
        Kind::Pmq => "POSIX message queue",
    }
}

/// The JSON key of a kind's list in `ls` and `stat` documents.
pub fn json_key(kind: Kind) -> &'static str {
    match kind {
        Kind::Shm => "segments",
        Kind::Sem => "semaphore_sets",
        Kind::Msg => "message_queues",
        Kind::Pshm => "posix_shm",
        Kind::Psem => "posix_semaphores",
        Kind::Pmq => "posix_queues",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Segment;

    /// `seen_unchanged` is `as_others_see(..) == before`, field by field.
    #[test]
    fn a_segment_is_seen_unchanged_only_if_nothing_but_our_change_moved() {
        let before = fixtures::segment();
        let changes: Vec<fn(&mut Segment)> = vec![
            |s| s.id += 1,
            |s| s.key ^= 1,
            |s| s.uid += 1,
            |s| s.gid += 1,
            |s| s.cuid += 1,
            |s| s.cgid += 1,
            |s| s.mode = 0,
            |s| s.size += 1,
            |s| s.nattch += 1,
            |s| s.cpid += 1,
            |s| s.lpid += 1,
            |s| s.atime += 1,
            |s| s.dtime += 1,
            |s| s.ctime += 1,
            |s| (s.mode, s.ctime) = (0, s.ctime + 5),
        ];
        for ours in [0, 1] {
            let planned = Object::Shm(Segment {
                nattch: before.nattch + ours,
                ..before.clone()
            });
            for change in &changes {
                let mut after = planned.clone();
                if let Object::Shm(s) = &mut after {
                    change(s);
                }
                let seen = Object::Shm(before.clone());
                assert_eq!(
                    after.seen_unchanged(&seen, ours),
                    after.as_others_see(&seen, ours, false) == seen,
                    "{after:?} against {seen:?}, ours {ours}"
                );
            }
            // Our own IPC_SET moved the mode and ctime: that alone is no change.
            let closed = Object::Shm(Segment {
                mode: 0,
                ctime: before.ctime + 5,
                ..before.clone()
            });
            let seen = Object::Shm(Segment {
                nattch: before.nattch.saturating_sub(ours),
                ..before.clone()
            });
            assert!(closed.seen_unchanged(&seen, 0));
        }
    }
}
