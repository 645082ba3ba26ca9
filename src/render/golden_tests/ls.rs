//! `ls`: the tables of every kind, with chosen columns, without headers, of orphans and of
//! nothing; the JSON document; the Prometheus metrics.

use super::{as_lists, lists_of, records, root_policy, text, CLOCK, NOW};
use crate::ipc::columns::{self, Cells, Choice};
use crate::ipc::{Kind, Object, Record};
use crate::model::{Limits, ShmLimits, ShmUsage};
use crate::render::entries::{self, List};
use crate::render::golden::{check, check_json};
use crate::render::objects::Layout;
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
    text(|out| objects::tables(out, &each, headers, Cells::new(CLOCK), ALIGNED).map(|_| ()))
}

const ALIGNED: Layout = Layout::Aligned { width: None };

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

/// `--bytes`, `--format raw`, `--format export`, a 60-column terminal, the views and
/// `--sort=-size`: the same records laid out every way a script or a narrow terminal asks.
#[test]
fn ls_layouts_views_and_orders() {
    let all = lists_of(&records(&root_policy(), true));
    let lists = as_lists(&all);
    let laid_out = |layout: Layout, cells: Cells, headers: bool| {
        let columns: Vec<Vec<&columns::Column>> = lists
            .iter()
            .map(|l| columns::for_kind(l.kind, None, false))
            .collect();
        let each: Vec<(&List, &[&columns::Column])> = lists
            .iter()
            .zip(&columns)
            .map(|(l, c)| (l, c.as_slice()))
            .collect();
        let mut dropped = Vec::new();
        let shown = text(|out| {
            dropped = objects::tables(out, &each, headers, cells, layout)?;
            Ok(())
        });
        (shown, dropped)
    };
    let exact = Cells {
        exact_sizes: true,
        ..Cells::new(CLOCK)
    };
    check("ls-all-bytes.table", &laid_out(ALIGNED, exact, true).0);
    check(
        "ls-all.raw",
        &laid_out(Layout::Raw, Cells::new(CLOCK), true).0,
    );
    check("ls-all.export", &laid_out(Layout::Export, exact, false).0);
    // A 60-column terminal: no line is wider, and what was left out is named.
    let (narrow, dropped) = laid_out(Layout::Aligned { width: Some(60) }, Cells::new(CLOCK), true);
    assert!(narrow.lines().all(|l| l.chars().count() <= 60), "{narrow}");
    assert!(
        dropped.contains(&"AGE") && dropped.contains(&"ORPHAN"),
        "{dropped:?}"
    );
    assert!(!dropped.contains(&"KEY") && !dropped.contains(&"NAME"));
    check("ls-all-60.table", &narrow);
    let (wide, none) = laid_out(
        Layout::Aligned { width: Some(1000) },
        Cells::new(CLOCK),
        true,
    );
    assert_eq!(
        (wide, none.len()),
        (laid_out(ALIGNED, Cells::new(CLOCK), true).0, 0)
    );

    let mut views = String::new();
    for preset in [
        columns::Preset::Pids,
        columns::Preset::Times,
        columns::Preset::Creators,
    ] {
        let columns: Vec<Vec<&columns::Column>> = lists
            .iter()
            .map(|l| columns::preset(preset, l.kind))
            .collect();
        let each: Vec<(&List, &[&columns::Column])> = lists
            .iter()
            .zip(&columns)
            .map(|(l, c)| (l, c.as_slice()))
            .collect();
        views.push_str(&format!("--view {preset:?}\n"));
        views.push_str(&text(|out| {
            objects::tables(out, &each, true, Cells::new(CLOCK), ALIGNED).map(|_| ())
        }));
        views.push('\n');
    }
    check("ls-views.table", &views);
    let summary = objects::summary(&lists, Cells::new(CLOCK));
    check(
        "ls-summary.table",
        &text(|out| objects::grid_lines(out, &summary, true, ALIGNED).map(|_| ())),
    );

    // --sort=-size: largest first; --sort=size --reverse is the same; --reverse alone
    // turns the kernel's order round.
    let mut by_size: Vec<Record> = all[0].1.clone();
    let minus_size = columns::Sort::parse("-size").expect("sort");
    columns::order(&mut by_size, Some(minus_size), false);
    let sizes: Vec<u64> = by_size.iter().map(|r| r.object.bytes()).collect();
    assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "{sizes:?}");
    let mut again: Vec<Record> = all[0].1.clone();
    columns::order(&mut again, columns::Sort::parse("size").ok(), true);
    let ids = |r: &[Record]| r.iter().map(|r| r.object.id()).collect::<Vec<_>>();
    assert_eq!(ids(&again), ids(&by_size));
    let mut reversed: Vec<Record> = all[0].1.clone();
    columns::order(&mut reversed, None, true);
    let mut kernel = ids(&all[0].1);
    kernel.reverse();
    assert_eq!(ids(&reversed), kernel);
    // Ties keep the kernel's order either way: segments 5 and 7 are both 4 KiB.
    let ties: Vec<_> = ids(&by_size)
        .into_iter()
        .filter(|id| [Some(5), Some(7)].contains(id))
        .collect();
    assert_eq!(ties, [Some(5), Some(7)]);
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

/// The segment entries `ls --json` writes by hand are serde's, byte for byte, for every
/// segment of the scene (orphaned, attached, marked, a reused pid, a name with control
/// characters), with and without rss/swap.
#[test]
fn ls_segment_entries_are_what_serde_writes() {
    for with_memory in [false, true] {
        let records = records(&root_policy(), with_memory);
        let mut segments = 0;
        for r in &records {
            let Object::Shm(s) = &r.object else { continue };
            segments += 1;
            let mut ours = Vec::new();
            super::super::jsonw::segment(&mut ours, r, s, with_memory);
            let theirs =
                serde_json::to_vec(&entries::EntryJson::new(r, with_memory)).expect("serde");
            assert_eq!(
                String::from_utf8_lossy(&ours),
                String::from_utf8_lossy(&theirs)
            );
        }
        assert!(segments >= 3, "{segments} segments in the scene");
    }
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
