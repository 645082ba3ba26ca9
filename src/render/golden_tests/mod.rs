//! Golden tests of what people and scripts read about IPC objects — `ls` tables, JSON and
//! metrics ([`ls`]), `stat` text and JSON ([`stat`]), the `rm`/`gc` report and archive
//! records ([`removal`]) — each compared with its file under `tests/golden/` (see
//! [`super::golden`]).
//!
//! One scene, built from the fixtures: objects of every kind in the states that matter
//! (orphaned, attached, marked, held, waited on, unreadable, a reused pid, a zombie, a name
//! with control characters), judged by the real rules (policy, liveness) against fake
//! probes, the way `Survey` judges them, and rendered at a fixed clock in UTC.
use std::path::PathBuf;
use std::rc::Rc;

use super::entries::List;
use super::json::{ErrorJson, Unresolved};
use crate::ipc::fixtures::{self, sem, T};
use crate::ipc::policy::{self, Evidence, HolderFacts, Policy, WaiterFacts};
use crate::ipc::{msg, shm, Kind, Object, Record, Verdict};
use crate::model::{Attacher, Presence, Segment, SegmentMemory, SHM_DEST, SHM_LOCKED};
use crate::objects::{Hold, Holder, IpcCall, MsgQueue, PosixObject, QueueState, SemSet};
use crate::objects::{SemValue, Waiter};
use crate::units::{Clock, Zone};

mod ls;
mod removal;
mod stat;

/// Two hours after the fixtures' objects were made.
const NOW: i64 = T + 7200;
const CLOCK: Clock = Clock {
    now: NOW,
    zone: Zone::Utc,
};

/// The processes the objects recorded: the fixtures' creator, long dead; a database and a
/// backup that run; a pid now taken by a younger process; a zombie.
const DEAD: i32 = 4242;
const POSTGRES: i32 = 5151;
const PG_DUMP: i32 = 5160;
const REUSED: i32 = 6100;
const ZOMBIE: i32 = 7070;

fn presence(pid: i32) -> Presence {
    match pid {
        POSTGRES | PG_DUMP => Presence::Present {
            started: Some((T - 3600) as f64),
        },
        REUSED => Presence::Present {
            started: Some((T + 3000) as f64),
        },
        ZOMBIE => Presence::Exited {
            started: (T - 100) as f64,
        },
        _ => Presence::Absent,
    }
}

/// uid 1001 has no name (deleted from /etc/passwd): it shows as a number.
fn name(id: u32) -> Option<Rc<str>> {
    match id {
        0 => Some("root".into()),
        1000 => Some("alice".into()),
        _ => None,
    }
}

/// An object with what the scans would find about it.
struct Thing {
    object: Object,
    holders: Vec<Holder>,
    /// Processes whose /proc could not be read (POSIX objects' holder scan).
    uninspected: usize,
    waiters: Vec<Waiter>,
    /// What /proc/sysvipc/shm says (segments).
    memory: Option<SegmentMemory>,
    /// A segment's mappings found in processes' maps, and whether every map was readable.
    attachers: Vec<Attacher>,
    maps_readable: bool,
}

fn thing(object: Object) -> Thing {
    Thing {
        object,
        holders: Vec::new(),
        uninspected: 0,
        waiters: Vec::new(),
        memory: None,
        attachers: Vec::new(),
        maps_readable: true,
    }
}

fn pshm(name: &str, ctime: i64) -> PosixObject {
    PosixObject {
        name: name.to_string(),
        path: PathBuf::from(format!("/dev/shm{name}")),
        ..fixtures::posix(ctime)
    }
}

fn holder(pid: i32, comm: &str, how: Hold) -> Holder {
    Holder {
        pid,
        comm: comm.to_string(),
        how,
    }
}

fn attacher(pid: i32, comm: &str, address: u64, writable: bool) -> Attacher {
    Attacher {
        pid,
        comm: comm.to_string(),
        address,
        length: 1 << 20,
        writable,
    }
}

/// Every object, each kind in the kernel's order.
fn scene() -> Vec<Thing> {
    let segment = fixtures::segment();
    vec![
        // An orphan: nothing attached, the creator dead, never attached.
        Thing {
            memory: Some(SegmentMemory { rss: 4096, swap: 0 }),
            ..thing(Object::Shm(segment.clone()))
        },
        // Marked for destruction (its key is 0 now) and locked, still attached twice.
        Thing {
            memory: Some(SegmentMemory {
                rss: 1 << 20,
                swap: 0,
            }),
            attachers: vec![
                attacher(POSTGRES, "postgres", 0x7f3a_5c00_0000, true),
                attacher(PG_DUMP, "pg_dump", 0x7f11_e820_0000, false),
            ],
            ..thing(Object::Shm(Segment {
                id: 32774,
                key: 0,
                uid: 0,
                gid: 0,
                cuid: 0,
                cgid: 0,
                mode: 0o600 | SHM_DEST | SHM_LOCKED,
                size: 1 << 20,
                nattch: 2,
                cpid: POSTGRES,
                lpid: PG_DUMP,
                atime: T + 3600,
                dtime: T + 1800,
                ctime: T,
            }))
        },
        // Given to a user without a name; its creator's pid is another process's now, its
        // last user a zombie.
        Thing {
            memory: Some(SegmentMemory {
                rss: 3 << 20,
                swap: 61 << 20,
            }),
            ..thing(Object::Shm(Segment {
                id: 6,
                key: 0x1234,
                uid: 1001,
                gid: 1001,
                mode: 0o640,
                size: 64 << 20,
                cpid: REUSED,
                lpid: ZOMBIE,
                atime: T + 60,
                dtime: T + 120,
                ..segment.clone()
            }))
        },
        // Attached in a process this PID namespace cannot see (no mapping found).
        Thing {
            maps_readable: false,
            ..thing(Object::Shm(Segment {
                id: 7,
                key: 0xbad,
                nattch: 1,
                cpid: POSTGRES,
                lpid: POSTGRES,
                atime: T + 7000,
                ..segment
            }))
        },
        // A set someone waits on; an orphaned one; one we may not read.
        thing(Object::Sem(fixtures::set(
            T + 600,
            vec![sem(1, POSTGRES, 0, 0), sem(0, DEAD, 1, 0)],
        ))),
        thing(Object::Sem(SemSet {
            id: 8,
            key: 0x52,
            ..fixtures::set(T + 300, vec![sem(0, DEAD, 0, 0), sem(3, DEAD, 0, 0)])
        })),
        thing(Object::Sem(SemSet {
            id: 9,
            key: 0x53,
            uid: 0,
            gid: 0,
            cuid: 0,
            cgid: 0,
            nsems: 4,
            sems: None,
            ..fixtures::set(0, Vec::new())
        })),
        // A queue a worker thread waits on; an orphaned one.
        Thing {
            waiters: vec![Waiter {
                pid: POSTGRES,
                tid: 5153,
                comm: "worker".to_string(),
                call: IpcCall::Msgrcv,
            }],
            ..thing(Object::Msg(MsgQueue {
                messages: 2,
                bytes: 96,
                ..fixtures::queue(DEAD, T + 300, POSTGRES, T + 400)
            }))
        },
        thing(Object::Msg(MsgQueue {
            id: 10,
            key: 0x62,
            messages: 1,
            bytes: 40,
            ..fixtures::queue(DEAD, T + 300, 0, 0)
        })),
        // /dev/shm: an orphan; a name with an escape sequence and a newline, mapped and
        // open; one written to 5 minutes ago.
        thing(Object::posix(fixtures::posix(T))),
        Thing {
            holders: vec![
                holder(POSTGRES, "postgres", Hold::Map),
                holder(POSTGRES, "postgres", Hold::Fd),
            ],
            ..thing(Object::posix(PosixObject {
                ino: 3,
                mode: 0o644,
                size: 2 << 20,
                ..pshm("/evil\x1b[31m\nname", T + 3600)
            }))
        },
        thing(Object::posix(PosixObject {
            ino: 4,
            size: 4096,
            ..pshm("/fresh", NOW - 300)
        })),
        // Named semaphores: one held, one whose value could not be read.
        Thing {
            holders: vec![holder(POSTGRES, "postgres", Hold::Map)],
            ..thing(Object::posix(PosixObject {
                kind: Kind::Psem,
                name: "/lock".to_string(),
                path: PathBuf::from("/dev/shm/sem.lock"),
                ino: 5,
                size: 32,
                semaphore: Some(SemValue {
                    value: 1,
                    waiters: 0,
                }),
                ..fixtures::posix(T + 600)
            }))
        },
        thing(Object::posix(PosixObject {
            kind: Kind::Psem,
            name: "/gate".to_string(),
            path: PathBuf::from("/dev/shm/sem.gate"),
            ino: 6,
            size: 32,
            ..fixtures::posix(T)
        })),
        // A POSIX queue that notifies postgres; two processes could not be inspected.
        Thing {
            uninspected: 2,
            ..thing(Object::posix(PosixObject {
                kind: Kind::Pmq,
                name: "/jobs".to_string(),
                path: PathBuf::from("/dev/mqueue/jobs"),
                dev: 7,
                ino: 8,
                size: 80,
                queue: Some(QueueState {
                    qsize: 24,
                    notify: 0,
                    signo: 10,
                    notify_pid: POSTGRES,
                }),
                ..fixtures::posix(T + 1800)
            }))
        },
    ]
}

/// What `ls` and `stat` judge with as root.
fn root_policy() -> Policy {
    Policy::default()
}

fn verdict(policy: &Policy, t: &Thing) -> Verdict {
    let owner = name(t.object.owner().uid);
    let mut ev = Evidence {
        owner_name: owner.as_deref(),
        presence: &mut presence,
        waiters: &mut || WaiterFacts {
            waiters: t.waiters.clone(),
            ..WaiterFacts::default()
        },
        holders: &mut || HolderFacts {
            holders: t.holders.clone(),
            uninspected: t.uninspected,
            failed: false,
        },
        now: NOW,
        want_evidence: true,
    };
    policy::judge(policy, &t.object, &mut ev)
}

/// The record `ls` makes (`Survey::record`).
fn record(policy: &Policy, t: &Thing) -> Record {
    let o = &t.object;
    let mut probe = presence;
    let pids = match o {
        Object::Shm(s) => shm::pids(s, &mut probe),
        Object::Sem(s) => crate::ipc::sem::pids(s, &mut probe),
        Object::Msg(q) => msg::pids(q, &mut probe),
        Object::Posix(_) => Vec::new(),
    };
    let posix = o.kind().is_posix();
    Record {
        object: o.clone(),
        owner_name: name(o.owner().uid),
        group_name: name(o.owner().gid),
        pids,
        holders: t.holders.clone(),
        holders_complete: !posix || t.uninspected == 0,
        waiters: t.waiters.clone(),
        waiters_complete: true,
        memory: None,
        verdict: verdict(policy, t),
        detail: None,
    }
}

/// Every object's `ls` record; `with_memory` when a column needs rss/swap (ls reads
/// /proc/sysvipc/shm only then).
fn records(policy: &Policy, with_memory: bool) -> Vec<Record> {
    scene()
        .iter()
        .map(|t| Record {
            memory: t.memory.filter(|_| with_memory),
            ..record(policy, t)
        })
        .collect()
}

/// The lists of `ls --all`: every kind, in order.
fn lists_of(records: &[Record]) -> Vec<(Kind, Vec<Record>)> {
    Kind::ALL
        .iter()
        .map(|&kind| {
            let of_kind = records.iter().filter(|r| r.object.kind() == kind);
            (kind, of_kind.cloned().collect())
        })
        .collect()
}

fn as_lists(lists: &[(Kind, Vec<Record>)]) -> Vec<List<'_>> {
    lists
        .iter()
        .map(|(kind, records)| List {
            kind: *kind,
            records,
            unavailable: None,
        })
        .collect()
}

fn text(write: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> String {
    let mut out = Vec::new();
    write(&mut out).expect("render");
    String::from_utf8(out).expect("UTF-8")
}

fn not_found(kind: Kind, selector: &str, text: &str) -> Unresolved {
    Unresolved {
        kind,
        selector: selector.to_string(),
        error: ErrorJson {
            code: "ENOENT".to_string(),
            text: text.to_string(),
        },
    }
}
