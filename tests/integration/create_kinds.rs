//! `create --kind` for every kind (issue #14): each object checked with shmctl's own `stat`
//! and `ls`, and with util-linux `ipcs -i` for the System V ones.
use std::process::Stdio;

use serde_json::Value;

use crate::util::*;

/// `ipcs ARGS` inside the namespace: its stdout.
fn ipcs(ns: &Ns, args: &[&str]) -> String {
    let out = ns
        .command("ipcs")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run ipcs");
    assert_success(&out, args);
    text(&out.stdout)
}

/// The only entry of `list` in `stat --json SELECTOR`.
fn stat_one(ns: &Ns, selector: &str, list: &str) -> Value {
    let doc = ns.json(&["stat", "--json", selector]);
    let entries = doc[list].as_array().expect(list);
    assert_eq!(entries.len(), 1, "{selector}: {doc}");
    entries[0].clone()
}

fn listed(ns: &Ns, kind: &str, list: &str) -> Vec<Value> {
    ns.json(&["ls", "--kind", kind, "--json"])[list]
        .as_array()
        .expect(list)
        .clone()
}

#[test]
fn semaphore_sets_with_nsems_and_value() {
    let Some(ns) = Ns::new() else { return };
    let args = [
        "create", "--kind", "sem", "--nsems", "3", "--value", "5", "--key", "0x5e0", "--mode",
        "0640", "--json",
    ];
    let doc = ns.json(&args);
    assert_eq!(
        (&doc["schema_version"], &doc["type"], &doc["created"]),
        (&Value::from(1), &Value::from("sem"), &Value::from(true))
    );
    assert_eq!(
        (&doc["key"], &doc["key_hex"]),
        (&Value::from(0x5e0), &Value::from("0x000005e0"))
    );
    assert_eq!(
        (&doc["nsems"], &doc["value"]),
        (&Value::from(3), &Value::from(5))
    );
    let id = doc["id"].as_i64().expect("id");

    let set = stat_one(&ns, &format!("sem:{id}"), "semaphore_sets");
    assert_eq!(
        (&set["nsems"], &set["mode"]),
        (&Value::from(3), &Value::from(0o640))
    );
    let values: Vec<&Value> = set["semaphores"]
        .as_array()
        .expect("semaphores")
        .iter()
        .map(|s| &s["value"])
        .collect();
    assert_eq!(values, [&Value::from(5); 3]);
    let sets = listed(&ns, "sem", "semaphore_sets");
    assert_eq!(sets.len(), 1);
    assert_eq!(sets[0]["id"], id);

    let ipcs = ipcs(&ns, &["-s", "-i", &id.to_string()]);
    assert!(
        ipcs.contains("nsems = 3") && ipcs.contains("mode=0640"),
        "{ipcs}"
    );
    let rows: Vec<&str> = ipcs
        .lines()
        .filter(|l| l.split_whitespace().nth(1) == Some("5"))
        .collect();
    assert_eq!(rows.len(), 3, "every semaphore is 5: {ipcs}");

    // The key again: the same set, its values left alone, and a note saying so.
    let out = ns.shmctl(&[
        "create", "--kind", "sem", "--nsems", "2", "--key", "0x5e0", "--value", "1", "--json",
    ]);
    assert_success(&out, &["again"]);
    let again = crate::util::doc(&out);
    assert_eq!(
        (&again["id"], &again["created"], &again["nsems"]),
        (&Value::from(id), &Value::from(false), &Value::from(3))
    );
    assert!(again["value"].is_null(), "{again}");
    assert!(
        text(&out.stderr).contains("left as they are"),
        "{}",
        text(&out.stderr)
    );
    let set = stat_one(&ns, &format!("sem:{id}"), "semaphore_sets");
    assert_eq!(set["semaphores"][0]["value"], 5);

    let out = ns.shmctl(&[
        "create",
        "--kind",
        "sem",
        "--nsems",
        "3",
        "--key",
        "0x5e0",
        "--exclusive",
    ]);
    assert_exit(&out, 1, &["--exclusive"]);
    assert!(
        text(&out.stderr).contains("exists"),
        "{}",
        text(&out.stderr)
    );
    let out = ns.shmctl(&["create", "--kind", "sem", "--nsems", "4", "--key", "0x5e0"]);
    assert_exit(&out, 1, &["more semaphores"]);
    assert!(
        text(&out.stderr).contains("fewer than 4"),
        "{}",
        text(&out.stderr)
    );

    // Private by default; without --value the kernel's zeros.
    let out = ns.shmctl(&["create", "--kind", "sem", "--nsems", "1"]);
    assert_success(&out, &["private"]);
    let line = text(&out.stdout);
    assert!(
        line.starts_with("sem ") && line.contains("key 0x00000000 nsems 1 created"),
        "{line}"
    );
    assert_eq!(listed(&ns, "sem", "semaphore_sets").len(), 2);
}

#[test]
fn message_queues_with_qbytes() {
    let Some(ns) = Ns::new() else { return };
    let doc = ns.json(&[
        "create", "--kind", "msg", "--key", "0x6d0", "--qbytes", "8K", "--mode", "0604", "--json",
    ]);
    assert_eq!(
        (&doc["type"], &doc["created"]),
        (&Value::from("msg"), &Value::from(true))
    );
    assert_eq!(
        (&doc["key"], &doc["max_bytes"]),
        (&Value::from(0x6d0), &Value::from(8192))
    );
    let id = doc["id"].as_i64().expect("id");
    let queue = stat_one(&ns, &format!("msg:{id}"), "message_queues");
    assert_eq!(
        (&queue["max_bytes"], &queue["mode"]),
        (&Value::from(8192), &Value::from(0o604))
    );
    assert_eq!(listed(&ns, "msg", "message_queues").len(), 1);
    let ipcs = ipcs(&ns, &["-q", "-i", &id.to_string()]);
    assert!(
        ipcs.contains("qbytes=8192") && ipcs.contains("mode=0604"),
        "{ipcs}"
    );

    // Without --qbytes: kernel.msgmnb.
    let doc = ns.json(&["create", "--kind", "msg", "--json"]);
    assert_eq!(
        (&doc["key"], &doc["max_bytes"]),
        (&Value::from(0), &Value::from(16384))
    );

    let out = ns.shmctl(&[
        "create", "--kind", "msg", "--key", "0x6d0", "--qbytes", "4K", "--json",
    ]);
    assert_success(&out, &["again"]);
    let again = crate::util::doc(&out);
    assert_eq!(
        (&again["id"], &again["created"], &again["max_bytes"]),
        (&Value::from(id), &Value::from(false), &Value::from(8192))
    );
    assert!(
        text(&out.stderr).contains("left as it is"),
        "{}",
        text(&out.stderr)
    );
    let out = ns.shmctl(&["create", "--kind", "msg", "--key", "0x6d0", "-x"]);
    assert_exit(&out, 1, &["--exclusive"]);
    assert!(
        text(&out.stderr).contains("exists"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(listed(&ns, "msg", "message_queues").len(), 2);
}

#[test]
fn what_needs_privilege_is_exit_4() {
    let Some(ns) = Ns::new() else { return };
    if root_only(&ns, "a second uid") {
        return;
    }
    // Above kernel.msgmnb only with CAP_SYS_RESOURCE, which nobody has: refused, nothing left.
    let args = ["create", "--kind", "msg", "--qbytes", "1M"];
    let out = ns.shmctl_as(65534, &args);
    assert_exit(&out, 4, &args);
    let err = text(&out.stderr);
    assert!(
        err.contains("CAP_SYS_RESOURCE") && err.contains("EPERM"),
        "{err}"
    );
    assert!(listed(&ns, "msg", "message_queues").is_empty());

    // Root's set and queue, closed to others.
    ns.json(&[
        "create", "--kind", "sem", "--nsems", "1", "--key", "0x77", "--json",
    ]);
    ns.json(&["create", "--kind", "msg", "--key", "0x78", "--json"]);
    for args in [
        ["create", "--kind", "sem", "--nsems", "1", "--key", "0x77"],
        ["create", "--kind", "msg", "--key", "0x78", "--mode", "0600"],
    ] {
        let out = ns.shmctl_as(65534, &args);
        assert_exit(&out, 4, &args);
        let err = text(&out.stderr);
        assert!(
            err.contains("owned by root (uid 0)") && err.contains("permission denied"),
            "{err}"
        );
    }
}

#[test]
fn posix_objects_by_name() {
    let Some(ns) = Ns::with_mounts() else { return };
    let doc = ns.json(&[
        "create", "--kind", "pshm", "--name", "/area", "--size", "8K", "--mode", "0640", "--json",
    ]);
    assert_eq!(
        (&doc["type"], &doc["name"], &doc["path"]),
        (
            &Value::from("pshm"),
            &Value::from("/area"),
            &Value::from("/dev/shm/area")
        )
    );
    assert_eq!(
        (&doc["size"], &doc["created"]),
        (&Value::from(8192), &Value::from(true))
    );
    assert!(doc.get("id").is_none(), "{doc}");
    let shm = stat_one(&ns, "pshm:/area", "posix_shm");
    assert_eq!(
        (&shm["size"], &shm["mode"]),
        (&Value::from(8192), &Value::from(0o640))
    );

    // The umask (022 or not) does not narrow --mode.
    let doc = ns.json(&[
        "create", "--kind", "psem", "--name", "lock", "--value", "3", "--mode", "0666", "--json",
    ]);
    assert_eq!(
        (&doc["type"], &doc["name"], &doc["value"]),
        (&Value::from("psem"), &Value::from("/lock"), &Value::from(3))
    );
    let sem = stat_one(&ns, "psem:/lock", "posix_semaphores");
    assert_eq!(
        (&sem["semaphore"]["value"], &sem["mode"]),
        (&Value::from(3), &Value::from(0o666))
    );
    assert_eq!(sem["path"], "/dev/shm/sem.lock");

    let doc = ns.json(&[
        "create",
        "--kind",
        "pmq",
        "--name",
        "/jobs",
        "--maxmsg",
        "4",
        "--msgsize",
        "128",
        "--mode",
        "0620",
        "--json",
    ]);
    assert_eq!(
        (&doc["type"], &doc["path"]),
        (&Value::from("pmq"), &Value::from("/dev/mqueue/jobs"))
    );
    assert_eq!(
        (&doc["max_messages"], &doc["max_message_bytes"]),
        (&Value::from(4), &Value::from(128))
    );
    let queue = stat_one(&ns, "pmq:/jobs", "posix_queues");
    assert_eq!(queue["mode"], 0o620);
    // Without --maxmsg/--msgsize: the namespace's defaults.
    let doc = ns.json(&["create", "--kind", "pmq", "--name", "/plain", "--json"]);
    assert_eq!(
        (&doc["max_messages"], &doc["max_message_bytes"]),
        (&Value::from(10), &Value::from(8192))
    );

    assert_eq!(listed(&ns, "pshm", "posix_shm").len(), 1);
    assert_eq!(listed(&ns, "psem", "posix_semaphores").len(), 1);
    assert_eq!(listed(&ns, "pmq", "posix_queues").len(), 2);

    // Again: each returned as it is.
    for (args, field, value) in [
        (
            vec![
                "create", "--kind", "pshm", "--name", "/area", "--size", "4K", "--json",
            ],
            "size",
            Value::from(8192),
        ),
        (
            vec![
                "create", "--kind", "psem", "--name", "/lock", "--value", "9", "--json",
            ],
            "value",
            Value::from(3),
        ),
        (
            vec![
                "create", "--kind", "pmq", "--name", "/jobs", "--maxmsg", "2", "--json",
            ],
            "max_messages",
            Value::from(4),
        ),
    ] {
        let out = ns.shmctl(&args);
        assert_success(&out, &args);
        let again = crate::util::doc(&out);
        assert_eq!(
            (&again["created"], &again[field]),
            (&Value::from(false), &value),
            "{args:?}"
        );
        let mut args = args;
        args.retain(|a| *a != "--json");
        args.push("--exclusive");
        let out = ns.shmctl(&args);
        assert_exit(&out, 1, &args);
        assert!(
            text(&out.stderr).contains("exists (--exclusive"),
            "{}",
            text(&out.stderr)
        );
    }
    let args = [
        "create", "--kind", "pshm", "--name", "/area", "--size", "1M",
    ];
    let out = ns.shmctl(&args);
    assert_exit(&out, 1, &args);
    assert!(
        text(&out.stderr).contains("smaller than 1048576"),
        "{}",
        text(&out.stderr)
    );

    // Another user may not open root's objects: exit 4, naming the owner.
    if !root_only(&ns, "a second uid") {
        for args in [
            ["create", "--kind", "pshm", "--name", "/area", "--size", "1"],
            [
                "create", "--kind", "pmq", "--name", "/jobs", "--mode", "0600",
            ],
        ] {
            let out = ns.shmctl_as(65534, &args);
            assert_exit(&out, 4, &args);
            let err = text(&out.stderr);
            assert!(err.contains("owned by root (uid 0)"), "{args:?}: {err}");
        }
    }

    let out = ns.shmctl(&["create", "--kind", "pmq", "--name", "/more"]);
    assert_success(&out, &["pmq table"]);
    assert_eq!(
        text(&out.stdout),
        "pmq /more maxmsg 10 msgsize 8192 created\n"
    );
}

#[test]
fn bad_options_and_values_are_usage_errors() {
    let Some(ns) = Ns::with_mounts() else { return };
    for (args, message) in [
        (
            &["--kind", "shm", "--size", "4K", "--nsems", "3"][..],
            "--nsems does not apply to --kind shm",
        ),
        (
            &["--kind", "sem", "--nsems", "1", "--size", "4K"],
            "--size does not apply to --kind sem",
        ),
        (
            &["--kind", "sem", "--nsems", "1", "--name", "/x"],
            "--name does not apply to --kind sem",
        ),
        (
            &[
                "--kind", "pshm", "--name", "/x", "--size", "1", "--key", "5",
            ],
            "--key does not apply to --kind pshm",
        ),
        (
            &["--kind", "pmq", "--name", "/x", "--private"],
            "--private does not apply",
        ),
        (
            &["--kind", "msg", "--value", "1"],
            "--value does not apply to --kind msg",
        ),
        (
            &["--kind", "psem", "--name", "/x", "--qbytes", "1"],
            "--qbytes does not apply",
        ),
        (&["--kind", "sem"], "--kind sem needs --nsems"),
        (
            &["--kind", "pshm", "--size", "4K"],
            "--kind pshm needs --name",
        ),
        (
            &["--kind", "pshm", "--name", "/x"],
            "--kind pshm needs --size",
        ),
        (&["--kind", "psem"], "--kind psem needs --name"),
        (&["--kind", "sem", "--nsems", "0"], "at least 1"),
        (&["--kind", "sem", "--nsems", "-1"], "not a whole number"),
        (&["--kind", "sem", "--nsems", "1000000"], "SEMMSL"),
        (
            &["--kind", "sem", "--nsems", "1", "--value", "-3"],
            "not a semaphore value",
        ),
        (
            &["--kind", "sem", "--nsems", "1", "--value", "40000"],
            "SEMVMX",
        ),
        (
            &["--kind", "psem", "--name", "/x", "--value", "3000000000"],
            "SEM_VALUE_MAX",
        ),
        (&["--kind", "msg", "--qbytes", "0"], "at least 1 byte"),
        (
            &["--kind", "pmq", "--name", "/x", "--maxmsg", "0"],
            "at least 1",
        ),
        (
            &["--kind", "pshm", "--name", "/a/b", "--size", "1"],
            "no `/` after the first",
        ),
        (&["--kind", "psem", "--name", ""], "it is empty"),
        (&["--kind", "pmq", "--name", "/"], "it is empty"),
        (
            &["--kind", "pshm", "--name", "/x", "--size", "0"],
            "at least 1 byte",
        ),
        (&["--kind", "all"], "unknown kind"),
        (
            &["--kind", "sem", "--nsems", "1", "--from-archive", "x.json"],
            "cannot be used with",
        ),
    ] {
        let mut full = vec!["create"];
        full.extend_from_slice(args);
        let out = ns.shmctl(&full);
        assert_exit(&out, 2, &full);
        let err = text(&out.stderr);
        assert!(err.contains(message), "{full:?}: {err}");
        assert!(!err.contains("panicked"), "{full:?}: {err}");
    }
    let all = ns.json(&["ls", "--all", "--json"]);
    for list in [
        "segments",
        "semaphore_sets",
        "message_queues",
        "posix_shm",
        "posix_semaphores",
        "posix_queues",
    ] {
        assert_eq!(all[list].as_array().map(Vec::len), Some(0), "{list}: {all}");
    }
}
