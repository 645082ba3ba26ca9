//! `ls`: the tables of every kind, with chosen columns, without headers, of orphans and of
//! nothing; the JSON document; the Prometheus metrics.

use super::{as_lists, lists_of, records, root_policy, text, CLOCK, NOW};
use crate::ipc::columns::{self, Choice};
use crate::ipc::{Kind, Record};
use crate::model::{Limits, ShmLimits, ShmUsage};
use crate::render::entries::{self, List};
use crate::render::golden::{check, check_json};
use crate::render::{objects, prometheus};

/// The tables of `ls`, each kind with its columns, as `cmd/ls.rs` passes them.
fn ls_tables(lists: &[List], choice: Option<&Choice>, headers: bool, orphans: bool) -> String {
    let columns: Vec<Vec<&columns::Column>> = lists
        .iter()
        .map(|l| columns::for_kind(l.kind, choice, orphans))
        .collect();
    let each: Vec<(&List, &[&columns::Column])> = lists
        .iter()
        .zip(&columns)
        .map(|(l, c)| (l, c.as_slice()))
        .collect();
    text(|out| objects::tables(out, &each, headers, CLOCK))
}

#[test]
fn ls_tables_of_every_kind() {
    let all = lists_of(&records(&root_policy(), false));
    let lists = as_lists(&all);
    check("ls-all.table", &ls_tables(&lists, None, true, false));
    check(
        "ls-all-no-headers.table",
        &ls_tables(&lists, None, false, false),
    );
    check("ls-shm.table", &ls_tables(&lists[..1], None, true, false));
    // `--columns` naming every column: each kind shows those it has.
    let every = Choice::parse(&columns::names().join(",")).expect("columns");
    let with_memory = lists_of(&records(&root_policy(), true));
    check(
        "ls-all-columns.table",
        &ls_tables(&as_lists(&with_memory), Some(&every), true, false),
    );
    // `--orphans`: only orphans, and why each is one.
    let orphans: Vec<(Kind, Vec<Record>)> = all
        .iter()
        .map(|(kind, records)| {
            let orphans = records.iter().filter(|r| r.verdict.is_orphan());
            (*kind, orphans.cloned().collect())
        })
        .collect();
    check(
        "ls-orphans.table",
        &ls_tables(&as_lists(&orphans), None, true, true),
    );
}

#[test]
fn ls_json_of_every_kind() {
    let all = lists_of(&records(&root_policy(), false));
    let lists = as_lists(&all);
    check_json("ls-all.json", &text(|out| entries::ls(out, &lists, false)));
    // `ls --columns +RSS --json`: a segment's rss and swap (segment 7 is not in
    // /proc/sysvipc/shm: it was made after that was read).
    let with_memory = lists_of(&records(&root_policy(), true));
    let segments = &as_lists(&with_memory)[..1];
    check_json(
        "ls-shm-memory.json",
        &text(|out| entries::ls(out, segments, true)),
    );
}

/// `ls --all` where nothing exists and no mqueue filesystem is mounted on /dev/mqueue.
#[test]
fn ls_of_nothing_and_of_what_cannot_be_read() {
    let why = "no mqueue filesystem is mounted on /dev/mqueue".to_string();
    let lists: Vec<List> = Kind::ALL
        .iter()
        .map(|&kind| List {
            kind,
            records: &[],
            unavailable: (kind == Kind::Pmq).then_some(why.as_str()),
        })
        .collect();
    check("ls-empty.table", &ls_tables(&lists, None, true, false));
    check_json(
        "ls-empty.json",
        &text(|out| entries::ls(out, &lists, false)),
    );
}

#[test]
fn prometheus_metrics() {
    let all = lists_of(&records(&root_policy(), false));
    let limits = Limits {
        shm: ShmLimits {
            max_segment_bytes: 1 << 30,
            min_segment_bytes: 1,
            max_segments: 4096,
            max_segments_per_process: 4096,
            max_total_pages: 1 << 21,
        },
        usage: ShmUsage {
            used_segments: 4,
            used_pages: 16_642,
            rss_pages: 1025,
            swap_pages: 15_616,
        },
        page_size: 4096,
    };
    check(
        "metrics.prom",
        &text(|out| prometheus::metrics(out, &as_lists(&all), Some(&limits), NOW)),
    );
}
