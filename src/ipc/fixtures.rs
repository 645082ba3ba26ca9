//! Objects for the tests of the pure layers: one of each kind, owned by uid 1000, made at
//! [`T`]; a test changes what it is about with struct update syntax.
use std::path::PathBuf;

use crate::model::Segment;
use crate::objects::{Kind, MsgQueue, PosixObject, SemSet, Semaphore};

pub const T: i64 = 1_800_000_000;

pub fn segment() -> Segment {
    Segment {
        id: 5,
        key: 0x5a00c062,
        uid: 1000,
        gid: 1000,
        cuid: 1000,
        cgid: 1000,
        mode: 0o600,
        size: 4096,
        nattch: 0,
        cpid: 4242,
        lpid: 0,
        atime: 0,
        dtime: 0,
        ctime: T,
    }
}

pub fn sem(value: u32, pid: i32, ncnt: u32, zcnt: u32) -> Semaphore {
    Semaphore {
        value,
        pid,
        ncnt,
        zcnt,
    }
}

pub fn set(otime: i64, sems: Vec<Semaphore>) -> SemSet {
    SemSet {
        id: 3,
        key: 0x51,
        uid: 1000,
        gid: 1000,
        cuid: 1000,
        cgid: 1000,
        mode: 0o600,
        nsems: sems.len() as u64,
        otime,
        ctime: T,
        sems: Some(sems),
    }
}

pub fn queue(lspid: i32, stime: i64, lrpid: i32, rtime: i64) -> MsgQueue {
    MsgQueue {
        id: 4,
        key: 0x61,
        uid: 1000,
        gid: 1000,
        cuid: 1000,
        cgid: 1000,
        mode: 0o600,
        bytes: 0,
        messages: 0,
        max_bytes: 16384,
        lspid,
        lrpid,
        stime,
        rtime,
        ctime: T,
    }
}

pub fn posix(ctime: i64) -> PosixObject {
    PosixObject {
        kind: Kind::Pshm,
        name: "/x".into(),
        raw_name: "/x".into(),
        path: PathBuf::from("/dev/shm/x"),
        dev: 1,
        ino: 2,
        uid: 1000,
        gid: 1000,
        mode: 0o600,
        size: 10,
        atime: ctime,
        mtime: ctime,
        ctime,
        queue: None,
        semaphore: None,
    }
}
