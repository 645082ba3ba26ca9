//! `stat`: one block, and one JSON entry, per object — every kind, with the processes
//! behind it.
use super::{not_found, record, root_policy, scene, text, Thing, CLOCK, PG_DUMP, POSTGRES};
use crate::ipc::{Detail, Kind, Liveness, Object, Record};
use crate::render::golden::{check, check_json};
use crate::render::{entries, objects};

fn cmdline(pid: i32) -> Option<String> {
    match pid {
        POSTGRES => Some("/usr/lib/postgresql/16/bin/postgres -D /var/lib/postgresql/16/main"),
        PG_DUMP => Some("pg_dump --format=custom app"),
        _ => None,
    }
    .map(String::from)
}

/// The record `stat` makes (`Survey::stat_record`), with shm_rmid_forced 0.
fn stat_record(t: &Thing) -> Record {
    let mut record = record(&root_policy(), t);
    let cmdlines = record
        .pids
        .iter()
        .filter(|p| p.state == Liveness::Alive)
        .filter_map(|p| Some((*p, cmdline(p.pid)?)))
        .collect();
    let mut detail = Detail {
        cmdlines,
        attached_complete: true,
        ..Detail::default()
    };
    if let Object::Shm(s) = &t.object {
        detail.attachers = t.attachers.clone();
        detail.attached_complete = t.attachers.len() as u64 >= s.nattch;
        detail.maps_readable = t.maps_readable;
        detail.shm_rmid_forced = Some(0);
        record.memory = t.memory;
    }
    record.detail = Some(Box::new(detail));
    record
}

/// What `stat 5 32774 7 sem:3 sem:9 msg:4 pshm:/evil… psem:/lock pmq:/jobs sem:99` shows
/// (sem:99 names nothing).
fn stat_records() -> Vec<Record> {
    let scene = scene();
    [
        "5",
        "32774",
        "7",
        "sem:3",
        "sem:9",
        "msg:4",
        "pshm:/evil\x1b[31m\nname",
        "psem:/lock",
        "pmq:/jobs",
    ]
    .iter()
    .map(|selector| {
        let t = scene
            .iter()
            .find(|t| t.object.selector() == *selector)
            .expect(selector);
        stat_record(t)
    })
    .collect()
}

#[test]
fn stat_of_each_kind() {
    let records = stat_records();
    check(
        "stat-all.txt",
        &text(|out| objects::stat(out, &records, CLOCK)),
    );
    let failed = [not_found(Kind::Sem, "sem:99", "no semaphore set has id 99")];
    check_json(
        "stat-all.json",
        &text(|out| entries::stat(out, &records, &failed)),
    );
}
