//! gc in a loop against live workers: it must remove every orphan and never touch a
//! segment whose creator lives or that is attached.
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::*;

const RUN_FOR: Duration = Duration::from_secs(4);
const WORKER: [&str; 3] = ["setuid", "65534", "65534"];

fn worker(args: &[&str]) -> Vec<String> {
    WORKER.iter().chain(args).map(|s| s.to_string()).collect()
}

fn as_strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// Survivors that are missing, marked for destruction or not at their mode.
fn violations(ns: &Ns, survivors: &BTreeMap<i32, Helper>) -> Vec<String> {
    let segments = ns.segments();
    survivors
        .keys()
        .filter_map(|id| match segments.iter().find(|s| s["id"] == *id) {
            None => Some(format!("survivor {id} vanished")),
            Some(s) if s["status"] != Value::Array(vec![]) => {
                Some(format!("survivor {id} marked: {s}"))
            }
            Some(s) if s["mode"] != 0o600 => {
                Some(format!("survivor {id} left at mode {}", s["mode"]))
            }
            Some(_) => None,
        })
        .collect()
}

#[test]
fn gc_in_a_loop_removes_orphans_and_never_a_live_segment() {
    let Some(ns) = Ns::new() else { return };
    if root_only(&ns, "workers run as another uid") {
        return;
    }
    let mut survivors: BTreeMap<i32, Helper> = BTreeMap::new();
    let spawn_survivor = |attached: bool| {
        let mut args = worker(&["create", "0", "4096", "0600"]);
        if attached {
            args.push("attach".into());
        }
        let helper = ns.spawn_helper(&as_strs(&args));
        (helper.id(), helper)
    };
    for attached in [false, true, false, true] {
        let (id, helper) = spawn_survivor(attached);
        survivors.insert(id, helper);
    }

    let stop = AtomicBool::new(false);
    let gc_runs = AtomicUsize::new(0);
    let mut orphans = Vec::new();
    let mut seen_violations = Vec::new();
    std::thread::scope(|scope| {
        let gc_loop = scope.spawn(|| {
            let mut failures = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let out = ns.shmctl(&["gc", "--yes", "--json"]);
                if !out.status.success() {
                    failures.push(format!("{:?}: {}", out.status.code(), text(&out.stderr)));
                }
                gc_runs.fetch_add(1, Ordering::Relaxed);
            }
            failures
        });

        let deadline = Instant::now() + RUN_FOR;
        let mut round = 0;
        while Instant::now() < deadline {
            round += 1;
            // A crash while attached, and a creator that exits without attaching.
            let crasher = ns.spawn_helper(&as_strs(&worker(&[
                "create", "0", "4096", "0600", "attach",
            ])));
            orphans.push(crasher.id());
            crasher.crash();
            orphans.extend(ns.run_helper(&as_strs(&worker(&["create", "0", "4096", "0600"]))));
            if round % 5 == 0 {
                let (id, helper) = spawn_survivor(round % 10 == 0);
                survivors.insert(id, helper);
            }
            seen_violations.extend(violations(&ns, &survivors));
        }
        stop.store(true, Ordering::Relaxed);
        let failures = gc_loop.join().expect("gc loop");
        assert!(failures.is_empty(), "gc failed: {failures:?}");
    });

    seen_violations.extend(violations(&ns, &survivors));
    assert!(
        seen_violations.is_empty(),
        "{} violations: {seen_violations:?}",
        seen_violations.len()
    );
    let runs = gc_runs.load(Ordering::Relaxed);
    assert!(runs >= 10, "gc ran only {runs} times");
    assert!(orphans.len() >= 20, "only {} orphans made", orphans.len());

    // One last run takes what the loop had not reached yet; every orphan is gone.
    assert_success(&ns.shmctl(&["gc", "--yes"]), &["final gc"]);
    let left: Vec<i64> = ns
        .segments()
        .iter()
        .map(|s| s["id"].as_i64().expect("id"))
        .collect();
    for id in &orphans {
        assert!(!left.contains(&(*id as i64)), "orphan {id} survived");
    }
    assert_eq!(left.len(), survivors.len(), "only the survivors remain");
    eprintln!(
        "stress: {runs} gc runs, {} orphans removed, {} survivors kept",
        orphans.len(),
        survivors.len()
    );
}
