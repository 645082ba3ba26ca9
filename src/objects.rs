//! The rest of the IPC family, as plain values: SysV semaphore sets and message queues,
//! POSIX shared memory (`/dev/shm`), glibc named semaphores (`/dev/shm/sem.*`) and POSIX
//! message queues (`/dev/mqueue`). No syscalls here.
use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// The six kinds of IPC object, by the codes of `--type` and of the selectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Shm,
    Sem,
    Msg,
    Pshm,
    Psem,
    Pmq,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::Shm,
        Kind::Sem,
        Kind::Msg,
        Kind::Pshm,
        Kind::Psem,
        Kind::Pmq,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Shm => "shm",
            Kind::Sem => "sem",
            Kind::Msg => "msg",
            Kind::Pshm => "pshm",
            Kind::Psem => "psem",
            Kind::Pmq => "pmq",
        }
    }

    /// The heading of the kind's table.
    pub fn title(self) -> &'static str {
        match self {
            Kind::Shm => "System V shared memory segments",
            Kind::Sem => "System V semaphore sets",
            Kind::Msg => "System V message queues",
            Kind::Pshm => "POSIX shared memory (/dev/shm)",
            Kind::Psem => "POSIX named semaphores (/dev/shm/sem.*)",
            Kind::Pmq => "POSIX message queues (/dev/mqueue)",
        }
    }

    pub fn is_posix(self) -> bool {
        matches!(self, Kind::Pshm | Kind::Psem | Kind::Pmq)
    }

    pub fn parse(text: &str) -> Result<Kind, String> {
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(text.trim()))
            .ok_or_else(|| {
                format!("unknown kind `{text}`: the kinds are shm, sem, msg, pshm, psem, pmq")
            })
    }

    /// `shm,sem,…` (or `all`), in the canonical order, without repeats.
    pub fn parse_list(text: &str) -> Result<Vec<Kind>, String> {
        if text.trim().eq_ignore_ascii_case("all") {
            return Ok(Kind::ALL.to_vec());
        }
        let mut kinds = text
            .split(',')
            .map(Kind::parse)
            .collect::<Result<Vec<_>, _>>()?;
        kinds.sort();
        kinds.dedup();
        Ok(kinds)
    }
}

/// A `--type` list, as one value (clap would take a `Vec` for repeated values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kinds(pub Vec<Kind>);

impl Kinds {
    pub fn parse(text: &str) -> Result<Kinds, String> {
        Kind::parse_list(text).map(Kinds)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One semaphore of a set (semctl GETVAL/GETPID/GETNCNT/GETZCNT).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Semaphore {
    pub value: u32,
    /// The last process to operate on it (semop, SETVAL, SETALL); 0 when none, or one in
    /// another PID namespace.
    pub pid: i32,
    /// Processes waiting for the value to increase.
    pub ncnt: u32,
    /// Processes waiting for the value to become zero.
    pub zcnt: u32,
}

/// A SysV semaphore set, as `semid_ds` describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SemSet {
    pub id: i32,
    pub key: u32,
    pub uid: u32,
    pub gid: u32,
    pub cuid: u32,
    pub cgid: u32,
    /// Permission bits (`0777`).
    pub mode: u32,
    pub nsems: u64,
    /// Last semop; 0 means never.
    pub otime: i64,
    /// Creation or last IPC_SET/SETVAL/SETALL.
    pub ctime: i64,
    /// The semaphores, when they were read (it needs read permission on the set).
    pub sems: Option<Vec<Semaphore>>,
}

impl SemSet {
    pub fn last_activity(&self) -> i64 {
        self.otime.max(self.ctime)
    }

    /// Processes blocked on the set, when the semaphores were read.
    pub fn waiters(&self) -> Option<u64> {
        self.sems.as_ref().map(|s| {
            s.iter()
                .map(|s| u64::from(s.ncnt) + u64::from(s.zcnt))
                .sum()
        })
    }

    /// The facts that name one set across the removal sequence (ctime and mode move with
    /// our own IPC_SET).
    pub fn same_identity(&self, other: &SemSet) -> bool {
        (self.id, self.key, self.cuid, self.nsems, self.otime)
            == (other.id, other.key, other.cuid, other.nsems, other.otime)
    }
}

/// A SysV message queue, as `msqid_ds` describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MsgQueue {
    pub id: i32,
    pub key: u32,
    pub uid: u32,
    pub gid: u32,
    pub cuid: u32,
    pub cgid: u32,
    pub mode: u32,
    /// Bytes in the queue now (`__msg_cbytes`).
    pub bytes: u64,
    /// Messages in the queue now.
    pub messages: u64,
    /// The most bytes the queue may hold (`msg_qbytes`).
    pub max_bytes: u64,
    /// Last sender and receiver; 0 when none, or one in another PID namespace.
    pub lspid: i32,
    pub lrpid: i32,
    /// Unix seconds; 0 means never.
    pub stime: i64,
    pub rtime: i64,
    pub ctime: i64,
}

impl MsgQueue {
    pub fn last_activity(&self) -> i64 {
        self.stime.max(self.rtime).max(self.ctime)
    }

    pub fn same_identity(&self, other: &MsgQueue) -> bool {
        (
            self.id,
            self.key,
            self.cuid,
            self.messages,
            self.bytes,
            self.stime,
            self.rtime,
        ) == (
            other.id,
            other.key,
            other.cuid,
            other.messages,
            other.bytes,
            other.stime,
            other.rtime,
        )
    }
}

/// One message, as msgrcv returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub mtype: i64,
    pub bytes: Vec<u8>,
}

/// The line a POSIX queue's file reads as: `QSIZE:5 NOTIFY:0 SIGNO:0 NOTIFY_PID:0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct QueueState {
    /// Bytes of message text queued.
    pub qsize: u64,
    /// 0 SIGEV_SIGNAL, 1 SIGEV_NONE, 2 SIGEV_THREAD (meaningful when notify_pid ≠ 0).
    pub notify: i32,
    pub signo: i32,
    /// The process registered for notification (mq_notify); 0 when none.
    pub notify_pid: i32,
}

/// A glibc named semaphore's `sem_t`, read from its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SemValue {
    pub value: u32,
    pub waiters: u32,
}

impl SemValue {
    /// glibc's `sem_t` on 64-bit-atomic targets (the one decoder: for a named semaphore's
    /// file and for a `sem_t` field in a segment): the first u64, little-endian, holds the
    /// value in its low 32 bits and the waiters in its high 32 bits.
    pub fn from_sem_t(bytes: &[u8]) -> Option<SemValue> {
        let data = u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?);
        Some(SemValue {
            value: data as u32,
            waiters: (data >> 32) as u32,
        })
    }
}

/// A POSIX object: a file under /dev/shm or /dev/mqueue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PosixObject {
    pub kind: Kind,
    /// As shm_open/sem_open/mq_open name it, for showing: `/name` (for psem without the
    /// `sem.` prefix); bytes that are not UTF-8 show as U+FFFD.
    pub name: String,
    /// The same name byte for byte, as system calls take it: a name need not be UTF-8, and
    /// two names can show alike.
    #[serde(skip)]
    pub raw_name: OsString,
    pub path: PathBuf,
    pub dev: u64,
    pub ino: u64,
    pub uid: u32,
    pub gid: u32,
    /// Permission bits (`0777`).
    pub mode: u32,
    /// File size: the object's bytes (pshm, psem); for a queue, what the filesystem says.
    pub size: u64,
    pub atime: i64,
    pub mtime: i64,
    pub ctime: i64,
    /// pmq: the queue's state line, when it could be read.
    pub queue: Option<QueueState>,
    /// psem: the semaphore's value, when it could be read.
    pub semaphore: Option<SemValue>,
}

impl PosixObject {
    /// The latest use. A queue's mtime moves with every send and receive, but reading its
    /// state line (as `ls` does) moves its atime and ctime: only mtime counts for a queue.
    pub fn last_activity(&self) -> i64 {
        match self.kind {
            Kind::Pmq => self.mtime,
            _ => self.atime.max(self.mtime).max(self.ctime),
        }
    }

    /// The selector that names it: `pshm:/name`.
    pub fn selector(&self) -> String {
        format!("{}:{}", self.kind, self.name)
    }
}

/// How a process holds a POSIX object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Hold {
    /// It maps the object (/proc/PID/maps).
    Map,
    /// It has a descriptor open on it (/proc/PID/fd).
    Fd,
}

/// A process holding a POSIX object, one entry per mapping or descriptor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Holder {
    pub pid: i32,
    pub comm: String,
    pub how: Hold,
}

/// How many distinct processes `holders` names: one that maps an object and holds it open
/// is one process, not two.
pub fn holding_processes(holders: &[Holder]) -> usize {
    let mut pids: Vec<i32> = holders.iter().map(|h| h.pid).collect();
    pids.sort_unstable();
    pids.dedup();
    pids.len()
}

/// A system call in which a task waits on a queue or a set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum IpcCall {
    /// Waits for room in a full queue.
    Msgsnd,
    /// Waits for a message.
    Msgrcv,
    /// Waits for a semaphore to increase, or to become zero.
    Semop,
    Semtimedop,
}

impl IpcCall {
    pub fn as_str(self) -> &'static str {
        match self {
            IpcCall::Msgsnd => "msgsnd",
            IpcCall::Msgrcv => "msgrcv",
            IpcCall::Semop => "semop",
            IpcCall::Semtimedop => "semtimedop",
        }
    }

    /// Its first argument names a message queue (else a semaphore set).
    pub fn on_queue(self) -> bool {
        matches!(self, IpcCall::Msgsnd | IpcCall::Msgrcv)
    }
}

/// A task blocked in one of those calls (`/proc/PID/task/TID/syscall`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Waiter {
    pub pid: i32,
    /// The blocked thread; the pid itself for a single-threaded process.
    pub tid: i32,
    /// The process's command name.
    pub comm: String,
    pub call: IpcCall,
}

/// IPC_INFO of semctl.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SemLimits {
    /// SEMMNI: sets in the namespace.
    pub max_sets: u64,
    /// SEMMSL: semaphores per set.
    pub max_per_set: u64,
    /// SEMMNS: semaphores in the namespace.
    pub max_total: u64,
    /// SEMOPM: operations per semop call.
    pub max_ops_per_call: u64,
    /// SEMVMX: the largest value.
    pub max_value: u64,
}

/// SEM_INFO of semctl: what the namespace uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SemUsage {
    pub sets: u64,
    pub semaphores: u64,
}

/// IPC_INFO of msgctl.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MsgLimits {
    /// MSGMNI: queues in the namespace.
    pub max_queues: u64,
    /// MSGMAX: bytes per message.
    pub max_message_bytes: u64,
    /// MSGMNB: default bytes per queue.
    pub max_queue_bytes: u64,
}

/// MSG_INFO of msgctl.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MsgUsage {
    pub queues: u64,
    pub messages: u64,
    pub bytes: u64,
}

/// /proc/sys/fs/mqueue and the queues present.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MqueueLimits {
    pub max_queues: u64,
    pub max_messages: u64,
    pub max_message_bytes: u64,
    pub default_messages: u64,
    pub default_message_bytes: u64,
}

/// The /dev/shm filesystem: its size and use (statvfs), and the objects in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ShmFs {
    pub total_bytes: u64,
    pub used_bytes: u64,
}

/// `limits` beyond shared memory: each part absent when it could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct OtherLimits {
    pub sem: Option<SemLimits>,
    pub sem_usage: Option<SemUsage>,
    pub msg: Option<MsgLimits>,
    pub msg_usage: Option<MsgUsage>,
    pub mqueue: Option<MqueueLimits>,
    /// POSIX queues present in /dev/mqueue (None when it is not mounted).
    pub mqueue_count: Option<u64>,
    pub shm_fs: Option<ShmFs>,
    /// Objects in /dev/shm (named semaphores included).
    pub shm_fs_count: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_lists() {
        assert_eq!(
            Kind::parse_list("pmq,sem,SEM").expect("list"),
            [Kind::Sem, Kind::Pmq]
        );
        assert_eq!(Kind::parse_list("all").expect("all"), Kind::ALL);
        let err = Kind::parse_list("shm,pipe").expect_err("pipe");
        assert!(err.contains("pipe") && err.contains("pshm"), "{err}");
        assert!(Kind::parse_list("").is_err());
    }

    #[test]
    fn waiters_sum_both_counts() {
        let set = SemSet {
            id: 0,
            key: 1,
            uid: 0,
            gid: 0,
            cuid: 0,
            cgid: 0,
            mode: 0o600,
            nsems: 2,
            otime: 0,
            ctime: 5,
            sems: Some(vec![
                Semaphore {
                    value: 0,
                    pid: 3,
                    ncnt: 1,
                    zcnt: 0,
                },
                Semaphore {
                    value: 1,
                    pid: 0,
                    ncnt: 0,
                    zcnt: 2,
                },
            ]),
        };
        assert_eq!(set.waiters(), Some(3));
        assert_eq!(set.last_activity(), 5);
    }
}
