//! Durations from the command line are bounded: a value past any possible age is a usage
//! error, never a wrapped number that switches the age filter off.
use crate::util::*;

/// A fresh orphan of every kind whose removal only the age filter stops: a segment and a
/// semaphore set whose creators exited, a queue holding an unread message, a /dev/shm object.
fn fresh_objects(ns: &Ns) {
    ns.run_helper(&["create", "0x71", "4096", "0600"]);
    ns.run_helper(&["semcreate", "0x72", "1", "0600", "semset", "0", "1"]);
    ns.run_helper(&["msgcreate", "0x73", "0600", "msgsend", "1", "unread"]);
    ns.run_helper(&["pshm", "/fresh", "16", "0600"]);
}

/// How many objects `ls --all` lists, per kind.
fn census(ns: &Ns) -> Vec<usize> {
    let doc = ns.json(&["ls", "--all", "--json"]);
    ["segments", "semaphore_sets", "message_queues", "posix_shm"]
        .iter()
        .map(|list| doc[*list].as_array().map_or(0, |l| l.len()))
        .collect()
}

#[test]
fn durations_past_any_age_are_refused_and_remove_nothing() {
    // A PID namespace of its own: every task can be inspected (here the host's pid 1 cannot
    // be, which would keep the queue as waiters_unknown).
    let Some(ns) = Ns::with_mounts_and_pids() else {
        return;
    };
    fresh_objects(&ns);
    assert_eq!(census(&ns), [1, 1, 1, 1]);
    for too_long in [
        "18446744073709551615",
        "106751991167301d",
        "9223372036854775808s",
        "36525d1s",
        "5218w",
    ] {
        for command in ["gc", "ls"] {
            let mut args = vec![command, "--kind", "all", "--older-than", too_long];
            if command == "gc" {
                args.push("--yes");
            }
            let out = ns.shmctl(&args);
            assert_exit(&out, 2, &args);
            let err = text(&out.stderr);
            assert!(err.contains("36525d"), "{args:?}: {err}");
            assert!(out.stdout.is_empty(), "{args:?}: {}", text(&out.stdout));
        }
        assert_eq!(census(&ns), [1, 1, 1, 1], "after --older-than {too_long}");
    }
    // The bound itself is a duration: accepted, and nothing fresh is that old.
    let args = [
        "gc",
        "--kind",
        "all",
        "--older-than",
        "36525d",
        "--yes",
        "--json",
    ];
    let report = ns.json(&args);
    assert_eq!(
        report["removed"].as_array().map(Vec::len),
        Some(0),
        "{report}"
    );
    assert_eq!(census(&ns), [1, 1, 1, 1]);
    let listed = ns.json(&["ls", "--all", "--older-than", "36525d", "--json"]);
    assert_eq!(listed["segments"].as_array().map(Vec::len), Some(0));
    // And a duration that fits still lets the orphans go.
    let args = [
        "gc",
        "--kind",
        "shm,sem,msg",
        "--older-than",
        "0s",
        "--yes",
        "--json",
    ];
    let report = ns.json(&args);
    assert_eq!(
        report["removed"].as_array().map(Vec::len),
        Some(3),
        "{report}"
    );
    assert_eq!(census(&ns)[..3], [0, 0, 0]);
}

#[test]
fn follow_intervals_past_the_bound_are_refused() {
    let Some(ns) = Ns::new() else { return };
    let id = ns.run_helper(&["create", "0x74", "64", "0600"])[0].to_string();
    for too_long in ["18446744073709551615", "36526d", "18446744073709551615ms"] {
        let args = ["dump", id.as_str(), "--follow", too_long];
        // Bounded, so that an accepted interval fails the test instead of hanging it.
        let out = ns
            .command("timeout")
            .arg("10")
            .arg(shmctl_bin())
            .args(args)
            .output()
            .expect("run shmctl");
        assert_exit(&out, 2, &args);
        assert!(
            text(&out.stderr).contains("36525d"),
            "{}",
            text(&out.stderr)
        );
    }
}
