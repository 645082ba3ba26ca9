//! Issue #12: one pipeline, so one set of tests. Every command that lists, looks at or removes
//! objects is run over every kind from one table: the options of `ls` (each column, `--sort`,
//! `--user`, `--older-than`, `--no-headers`), `stat`, `rm` (dry and real), `gc` with an
//! archive, and a SIGTERM in the middle of one `gc --kind all --yes`.
use std::collections::BTreeSet;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::*;

/// One kind's row: how the tests make its objects and name them.
struct KindCase {
    kind: &'static str,
    /// Its list in `ls`/`stat` documents.
    list: &'static str,
    /// A numeric column in which the first object made is the larger.
    numeric: &'static str,
    /// The column that tells the two objects apart in a table (KEY or NAME).
    label: &'static str,
    /// The helper's operations that make object `a` (first) or `b`.
    make: fn(first: bool) -> Vec<&'static str>,
}

const KINDS: &[KindCase] = &[
    KindCase {
        kind: "shm",
        list: "segments",
        numeric: "SIZE",
        label: "KEY",
        make: |a| {
            if a {
                vec!["create", "0x7101", "8192", "0600"]
            } else {
                vec!["create", "0x7102", "4096", "0600"]
            }
        },
    },
    KindCase {
        kind: "sem",
        list: "semaphore_sets",
        numeric: "NSEMS",
        label: "KEY",
        make: |a| {
            if a {
                vec!["semcreate", "0x7101", "3", "0600", "semop", "0", "1"]
            } else {
                vec!["semcreate", "0x7102", "1", "0600", "semop", "0", "1"]
            }
        },
    },
    KindCase {
        kind: "msg",
        list: "message_queues",
        numeric: "MSGS",
        label: "KEY",
        make: |a| {
            if a {
                vec![
                    "msgcreate",
                    "0x7101",
                    "0600",
                    "msgsend",
                    "1",
                    "one",
                    "msgsend",
                    "1",
                    "two",
                ]
            } else {
                vec!["msgcreate", "0x7102", "0600", "msgsend", "1", "one"]
            }
        },
    },
    KindCase {
        kind: "pshm",
        list: "posix_shm",
        numeric: "SIZE",
        label: "NAME",
        make: |a| {
            if a {
                vec!["pshm", "/ek-a", "8192", "0600"]
            } else {
                vec!["pshm", "/ek-b", "4096", "0600"]
            }
        },
    },
    KindCase {
        kind: "psem",
        list: "posix_semaphores",
        numeric: "VALUE",
        label: "NAME",
        make: |a| {
            if a {
                vec!["psem", "/ek-a", "5", "0600"]
            } else {
                vec!["psem", "/ek-b", "1", "0600"]
            }
        },
    },
    KindCase {
        kind: "pmq",
        list: "posix_queues",
        numeric: "QSIZE",
        label: "NAME",
        make: |a| {
            if a {
                vec!["mq", "/ek-a", "0600", "mqsend", "one", "mqsend", "two"]
            } else {
                vec!["mq", "/ek-b", "0600"]
            }
        },
    },
];

impl KindCase {
    /// Makes `a` then `b`, each by a helper that exits: nothing uses them afterwards.
    fn populate(&self, ns: &Ns) {
        for first in [true, false] {
            ns.run_helper(&(self.make)(first));
        }
    }

    fn listed(&self, ns: &Ns, extra: &[&str]) -> Vec<Value> {
        let mut args = vec!["ls", "--json", "--kind", self.kind];
        args.extend(extra);
        ns.json(&args)[self.list]
            .as_array()
            .unwrap_or_else(|| panic!("{}: no {} list", self.kind, self.list))
            .clone()
    }

    /// How the command line names an entry.
    fn selector(&self, entry: &Value) -> String {
        match self.kind {
            "shm" => entry["id"].to_string(),
            "sem" | "msg" => format!("{}:{}", self.kind, entry["id"]),
            _ => format!("{}:{}", self.kind, entry["name"].as_str().expect("name")),
        }
    }

    /// What the label column shows for object `a` or `b`.
    fn label_of(&self, first: bool) -> &'static str {
        match (self.label, first) {
            ("KEY", true) => "0x00007101",
            ("KEY", false) => "0x00007102",
            (_, true) => "/ek-a",
            (_, false) => "/ek-b",
        }
    }
}

/// The columns `ls --help` offers (the column table, as the help prints it).
fn offered_columns(ns: &Ns) -> Vec<String> {
    let out = ns.shmctl(&["ls", "--help"]);
    assert_success(&out, &["ls --help"]);
    let help = text(&out.stdout);
    let start = help.find("Columns:").expect("the help lists the columns") + "Columns:".len();
    let list: String = help[start..]
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let columns: Vec<String> = list
        .split(',')
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .collect();
    assert!(columns.len() > 30, "{columns:?}");
    columns
}

fn rows(stdout: &[u8]) -> Vec<String> {
    text(stdout).lines().map(str::to_string).collect()
}

#[test]
fn ls_takes_every_option_for_every_kind() {
    let Some(ns) = Ns::with_mounts() else { return };
    let columns = offered_columns(&ns);
    for case in KINDS {
        let kind = case.kind;
        case.populate(&ns);
        let all = case.listed(&ns, &[]);
        assert_eq!(all.len(), 2, "{kind}: {all:?}");
        assert!(all.iter().all(|e| e["type"] == kind), "{kind}: {all:?}");

        // The default table: (a title,) a header, two rows; without headers, only the rows.
        let out = ns.shmctl(&["ls", "--kind", kind]);
        assert_success(&out, &["ls --kind", kind]);
        let table = rows(&out.stdout);
        let header = table
            .iter()
            .position(|l| l.split_whitespace().next() == Some(case.label))
            .unwrap_or_else(|| panic!("{kind}: no header in {table:?}"));
        assert_eq!(table.len(), header + 3, "{kind}: {table:?}");
        let defaults: Vec<&str> = table[header].split_whitespace().collect();
        // Without headers the columns are as wide as their cells: the same cells, fewer blanks.
        // Ages and idle times (`0s`, `5m12s`) are masked: the two runs may fall on either side
        // of a second.
        let duration = |w: &str| {
            let w = w.trim_start_matches('-');
            w.starts_with(|c: char| c.is_ascii_digit())
                && w.ends_with(['d', 'h', 'm', 's'])
                && w.chars().all(|c| c.is_ascii_digit() || "dhms".contains(c))
        };
        let words = |lines: &[String]| -> Vec<Vec<String>> {
            lines
                .iter()
                .map(|l| {
                    l.split_whitespace()
                        .map(|w| if duration(w) { "<time>" } else { w })
                        .map(str::to_string)
                        .collect()
                })
                .collect()
        };
        let out = ns.shmctl(&["ls", "--kind", kind, "--no-headers"]);
        assert_eq!(
            words(&rows(&out.stdout)),
            words(&table[header + 1..]),
            "{kind}: --no-headers"
        );

        // Each column the help offers: shown and sortable when the kind has it, else refused
        // with a usage error that says so; the kind's defaults are all among the first.
        let mut has = BTreeSet::new();
        for column in &columns {
            let out = ns.shmctl(&[
                "ls",
                "--kind",
                kind,
                "--columns",
                column,
                "--sort",
                column,
                "--no-headers",
            ]);
            match out.status.code() {
                Some(0) => {
                    let shown = rows(&out.stdout);
                    assert_eq!(shown.len(), 2, "{kind} {column}: {shown:?}");
                    assert!(
                        shown.iter().all(|r| !r.trim().is_empty()),
                        "{kind} {column}"
                    );
                    has.insert(column.as_str());
                }
                Some(2) => assert!(
                    text(&out.stderr).contains(&format!("has a column {column}")),
                    "{kind} {column}: {}",
                    text(&out.stderr)
                ),
                other => panic!("{kind} {column}: exit {other:?}: {}", text(&out.stderr)),
            }
        }
        for column in &defaults {
            assert!(has.contains(column), "{kind}: default {column} not usable");
        }

        // --sort orders by the column's value: `b` is the smaller, so it comes first.
        let pick = format!("{},{}", case.label, case.numeric);
        let order = |sort: &str| -> Vec<String> {
            let out = ns.shmctl(&[
                "ls",
                "--kind",
                kind,
                "--columns",
                &pick,
                "--sort",
                sort,
                "--no-headers",
            ]);
            assert_success(&out, &["ls --sort", sort, kind]);
            rows(&out.stdout)
                .iter()
                .map(|r| r.split_whitespace().next().unwrap_or_default().to_string())
                .collect()
        };
        let (a, b) = (case.label_of(true), case.label_of(false));
        assert_eq!(
            order(case.numeric),
            [b, a],
            "{kind}: --sort {}",
            case.numeric
        );
        assert_eq!(order(case.label), [a, b], "{kind}: --sort {}", case.label);

        // --user and --older-than filter every kind.
        let uid = all[0]["owner"]["uid"].as_u64().expect("uid").to_string();
        assert_eq!(case.listed(&ns, &["--user", &uid]).len(), 2, "{kind}");
        assert_eq!(case.listed(&ns, &["--user", "4242"]).len(), 0, "{kind}");
        assert_eq!(case.listed(&ns, &["--older-than", "1h"]).len(), 0, "{kind}");
        assert_eq!(case.listed(&ns, &["--older-than", "0s"]).len(), 2, "{kind}");

        let selectors: Vec<String> = all.iter().map(|e| case.selector(e)).collect();
        let mut args = vec!["rm", "--quiet"];
        args.extend(selectors.iter().map(String::as_str));
        assert_success(&ns.shmctl(&args), &["cleanup", kind]);
    }
}

#[test]
fn stat_rm_gc_and_archive_every_kind() {
    // A PID namespace: its /proc is whole, so the scan for blocked tasks that a queue's
    // verdict needs is complete.
    let Some(ns) = Ns::with_mounts_and_pids() else {
        return;
    };
    for case in KINDS {
        let kind = case.kind;
        case.populate(&ns);
        let all = case.listed(&ns, &[]);
        let (a, b) = (case.selector(&all[0]), case.selector(&all[1]));

        // stat: the entry, in the kind's own list, in JSON and as text.
        let stat = ns.json(&["stat", "--json", &a]);
        let entries = stat[case.list].as_array().expect("stat list");
        assert_eq!(entries.len(), 1, "{kind}: {stat}");
        assert_eq!(entries[0]["type"], kind);
        assert_eq!(entries[0]["orphan"], true, "{kind}: {stat}");
        let out = ns.shmctl(&["stat", &a]);
        assert_success(&out, &["stat", &a]);
        assert!(
            text(&out.stdout).contains(case.label_of(true)),
            "{kind}: {}",
            text(&out.stdout)
        );

        // A dry run says what it would do and does nothing.
        let dry = ns.json(&["rm", "--dry-run", "--json", &a]);
        assert_eq!(dry["dry_run"], true);
        assert_eq!(dry["removed"][0]["type"], kind, "{kind}: {dry}");
        let dry = ns.json(&[
            "gc",
            "--kind",
            kind,
            "--older-than",
            "0s",
            "--dry-run",
            "--json",
        ]);
        assert_eq!(dry["dry_run"], true);
        assert_eq!(
            dry["removed"].as_array().expect("removed").len(),
            2,
            "{dry}"
        );
        assert_eq!(
            case.listed(&ns, &[]).len(),
            2,
            "{kind}: a dry run removed something"
        );

        // rm removes exactly what it names; a second rm finds nothing (exit 3).
        let done = ns.json(&["rm", "--json", &a]);
        assert_eq!(done["dry_run"], false);
        assert_eq!(done["removed"][0]["type"], kind, "{kind}: {done}");
        assert_eq!(case.listed(&ns, &[]).len(), 1, "{kind}");
        assert_exit(&ns.shmctl(&["rm", "--quiet", &a]), 3, &["rm again", &a]);

        // gc with an archive: the orphan goes, its record says what it was.
        let gc = ns.json(&[
            "gc",
            "--kind",
            kind,
            "--older-than",
            "0s",
            "--yes",
            "--archive",
            "/run/archive",
            "--json",
        ]);
        let removed = gc["removed"].as_array().expect("removed");
        assert_eq!(removed.len(), 1, "{kind}: {gc}");
        assert_eq!(removed[0]["type"], kind);
        let record = removed[0]["archive"].as_str().expect("an archive record");
        let out = ns.command("cat").arg(record).output().expect("cat");
        assert_success(&out, &["cat", record]);
        let record: Value = serde_json::from_slice(&out.stdout).expect("record is JSON");
        let entry = if kind == "shm" {
            &record["segment"]
        } else {
            &record["object"]
        };
        assert_eq!(entry["type"], kind, "{kind}: {record}");
        assert_eq!(case.selector(entry), b, "{kind}: {record}");
        assert!(case.listed(&ns, &[]).is_empty(), "{kind}: left behind");
    }
}

fn signal(pid: u32, signal: i32) {
    // SAFETY: kill(2) on our own child's pid; no memory is involved.
    unsafe { libc::kill(pid as i32, signal) };
}

/// How many objects of `kind` the run has not reached yet: neither removed nor closed (mode
/// 000; sets, queues and POSIX objects are all closed first, then judged again and removed),
/// looked at cheaply (a whole `ls` of thousands of objects would let few looks land).
fn left(ns: &Ns, kind: &str) -> usize {
    let script = match kind {
        "shm" | "sem" | "msg" => format!("tail -n +2 /proc/sysvipc/{kind} | awk '$3 != 0' | wc -l"),
        "pshm" => "find /dev/shm -name 'obj*' ! -perm 0 | wc -l".to_string(),
        _ => "find /dev/shm -name 'sem.*' ! -perm 0 | wc -l".to_string(),
    };
    let out = ns.command("sh").args(["-c", &script]).output().expect("sh");
    text(&out.stdout).trim().parse().expect("a count")
}

/// Continues `pid` and its launcher: nsenter stops itself when its child stops, and would
/// otherwise never reap it (nor close the pipes the test reads).
fn resume(launcher: u32, pid: u32) {
    signal(pid, libc::SIGCONT);
    signal(launcher, libc::SIGCONT);
}

/// The state letter of `pid` in /proc/PID/stat ('R', 'S', 'T', 'Z' …); None once it is gone.
fn state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    rest.trim_start().chars().next()
}

/// Waits (a few seconds at most) until `pid` is in one of `states` or gone.
fn wait_for_state(pid: u32, states: &[char]) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while state(pid).is_some_and(|s| !states.contains(&s)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_micros(100));
    }
}

/// Stops `pid` (gc) for a look, so that nothing it does can change what the look sees.
///
/// Its launcher, nsenter, forked it into the PID namespace and waits for it with WUNTRACED:
/// when gc stops, nsenter stops itself, and when nsenter is continued it sends gc a SIGCONT of
/// its own. On a loaded machine that SIGCONT can come late, in the middle of the next look:
/// gc ran on while the test counted, finished the kind, and the SIGTERM "sent part way"
/// landed after all its work (seen in CI). So the launcher is first seen asleep in its wait
/// (its SIGCONT sent), then gc is stopped, then the launcher is seen stopped too: it has
/// taken gc's stop and, itself stopped, cannot continue gc until [`resume`].
fn stop_for_a_look(launcher: u32, pid: u32) {
    wait_for_state(launcher, &['S', 'Z']);
    signal(pid, libc::SIGSTOP);
    wait_for_state(pid, &['T', 'Z']);
    wait_for_state(launcher, &['T', 'Z']);
}

/// The SIGTERM test's objects: 3,000 of the kind the signal is aimed at, so that it lands
/// part way through that kind, and a few of every other kind, so that the run covers them all.
fn populate_many(ns: &Ns, target: &str) {
    let count = |kind: &str| if kind == target { "3000" } else { "4" };
    ns.run_helper(&["many", count("shm"), "1"]);
    ns.run_helper(&["manysem", count("sem")]);
    ns.run_helper(&["manymsg", count("msg")]);
    let script = format!(
        "i=0; while [ $i -lt {} ]; do : > /dev/shm/obj$i; i=$((i+1)); done; \
         i=0; while [ $i -lt {} ]; do head -c 32 /dev/zero > /dev/shm/sem.s$i; i=$((i+1)); done",
        count("pshm"),
        count("psem")
    );
    let out = ns.command("sh").args(["-c", &script]).output().expect("sh");
    assert_success(&out, &["make POSIX objects"]);
    ns.run_helper(&["mq", "/q1", "0600", "mq", "/q2", "0600"]);
}

/// Every object `ls --all` shows: (kind, selector) → mode.
fn inventory(ns: &Ns) -> std::collections::BTreeMap<(String, String), u64> {
    let doc = ns.json(&["ls", "--all", "--json"]);
    let mut all = std::collections::BTreeMap::new();
    for case in KINDS {
        for e in doc[case.list].as_array().expect("list") {
            let mode = e["mode"].as_u64().expect("mode");
            all.insert((case.kind.to_string(), case.selector(e)), mode);
        }
    }
    all
}

/// One `gc --kind all --yes` over every kind; a SIGTERM lands while it works on one kind
/// (table-driven: each kind in turn). The run must stop between two objects, print its
/// report (every object removed is gone, every other one is intact, with its mode), say why
/// on stderr and end by the signal.
#[test]
fn a_sigterm_anywhere_in_gc_of_every_kind_still_prints_the_report() {
    let Some(ns) = Ns::with_mounts_and_pids() else {
        return;
    };
    // pmq has two objects: the run is through them before a look can land.
    for target in ["shm", "sem", "msg", "pshm", "psem"] {
        let mut caught = false;
        for attempt in 0..20u64 {
            populate_many(&ns, target);
            let before = inventory(&ns);
            let total = left(&ns, target);
            let report_file = tempfile::NamedTempFile::new().expect("a report file");
            let errors_file = tempfile::NamedTempFile::new().expect("an errors file");
            let mut gc = ns
                .command(shmctl_bin())
                .args([
                    "gc",
                    "--kind",
                    "all",
                    "--older-than",
                    "0s",
                    "--yes",
                    "--json",
                ])
                .stdin(Stdio::null())
                // Files, not pipes: a report bigger than a pipe must not block the run while
                // the test is busy looking.
                .stdout(report_file.reopen().expect("reopen"))
                .stderr(errors_file.reopen().expect("reopen"))
                .spawn()
                .expect("spawn gc");
            let pid = child_of(gc.id());
            // Look (stopped) until the target kind is part way through.
            let deadline = Instant::now() + Duration::from_secs(30);
            let mut landed = false;
            let mut seen = 0;
            for step in 0u64.. {
                std::thread::sleep(Duration::from_micros(300 + (step * 7919 + attempt) % 1500));
                if gc.try_wait().expect("try_wait").is_some() || Instant::now() > deadline {
                    break;
                }
                stop_for_a_look(gc.id(), pid);
                let now = left(&ns, target);
                if now > 0 && now < total {
                    seen = now;
                    signal(pid, libc::SIGTERM);
                    resume(gc.id(), pid);
                    landed = true;
                    break;
                }
                resume(gc.id(), pid);
            }
            let status = gc.wait().expect("wait");
            let out = std::process::Output {
                status,
                stdout: std::fs::read(report_file.path()).expect("the report"),
                stderr: std::fs::read(errors_file.path()).expect("the errors"),
            };
            if landed {
                assert_ended_by(&out, libc::SIGTERM, target);
                assert!(
                    text(&out.stderr).contains("interrupted by signal"),
                    "{target}: {}",
                    text(&out.stderr)
                );
                let report = doc(&out);
                let after = inventory(&ns);
                let listed = |list: &str| -> BTreeSet<(String, String)> {
                    report[list]
                        .as_array()
                        .expect(list)
                        .iter()
                        .map(|e| {
                            let kind = e["type"].as_str().expect("type").to_string();
                            let case = KINDS.iter().find(|c| c.kind == kind).expect("kind");
                            (kind, case.selector(e))
                        })
                        .collect()
                };
                let removed = listed("removed");
                for (object, mode) in &before {
                    match after.get(object) {
                        Some(now) => {
                            assert_eq!(now, mode, "{target}: {object:?} left with another mode");
                            assert!(!removed.contains(object), "{object:?} reported removed");
                        }
                        None => assert!(
                            removed.contains(object),
                            "{target}: {object:?} gone but not in the report"
                        ),
                    }
                }
                // What it did not reach is counted exactly: every object still there that
                // the report does not list as kept.
                let kept = listed("kept");
                let unreached = after.keys().filter(|o| !kept.contains(*o)).count();
                assert!(
                    text(&out.stderr).contains(&format!(
                        "interrupted by signal {}: {unreached} object(s) not reached",
                        libc::SIGTERM
                    )),
                    "{target}: {unreached} not reached expected: {}",
                    text(&out.stderr)
                );
                assert!(
                    !after.is_empty() && removed.iter().any(|(k, _)| k == target),
                    "{target}: stopped part way ({seen} of {total} not reached when the signal \
                     was sent, attempt {attempt}): {} of {} left after, {} removed; {}",
                    after.len(),
                    before.len(),
                    removed.len(),
                    text(&out.stderr)
                );
                caught = true;
            }
            assert_success(
                &ns.shmctl(&["gc", "--kind", "all", "--older-than", "0s", "--yes", "-q"]),
                &["cleanup"],
            );
            if caught {
                break;
            }
        }
        assert!(caught, "{target}: no SIGTERM landed while gc worked on it");
    }
}
