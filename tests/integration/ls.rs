use crate::util::*;

#[test]
fn empty_namespace_is_a_clear_empty_result() {
    let Some(ns) = Ns::new() else { return };
    let out = ns.shmctl(&["ls"]);
    assert_success(&out, &["ls"]);
    assert_eq!(text(&out.stdout), "no shared memory segments\n");
    let doc = ns.json(&["ls", "--json"]);
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["segments"], serde_json::json!([]));
    assert_eq!(ns.json(&["ls", "--format", "json"]), doc);
    let quiet = ns.shmctl(&["ls", "--no-headers"]);
    assert_eq!(text(&quiet.stdout), "");
}

#[test]
fn json_entry_has_every_contract_field_with_real_types() {
    let Some(ns) = Ns::new() else { return };
    let before = now();
    let id = ns.run_helper(&["create", "0x5a00c062", "4096", "0640"])[0];
    let segments = ns.segments();
    let s = by_id(&segments, id);
    assert_eq!(s["type"], "shm");
    assert_eq!(s["key"], 0x5a00c062u32);
    assert_eq!(s["key_hex"], "0x5a00c062");
    assert_eq!(s["owner"]["uid"], 0);
    assert_eq!(s["owner"]["user"], "root");
    assert_eq!(s["owner"]["group"], "root");
    assert_eq!(s["creator"], serde_json::json!({"uid": 0, "gid": 0}));
    assert_eq!(s["mode"], 0o640);
    assert_eq!(s["perms"], "rw-r-----");
    assert_eq!(s["size"], 4096);
    assert_eq!(s["nattch"], 0);
    assert_eq!(s["status"], serde_json::json!([]));
    assert!(s["cpid"].as_i64().expect("cpid number") > 0);
    assert_eq!(s["lpid"], 0);
    assert!(s["atime"].is_null() && s["atime_unix"].is_null());
    assert!(s["dtime"].is_null() && s["dtime_unix"].is_null());
    let ctime = s["ctime_unix"].as_i64().expect("ctime_unix");
    assert!(ctime >= before - 1 && ctime <= now() + 1, "ctime {ctime}");
    let iso = s["ctime"].as_str().expect("ctime");
    assert!(iso.ends_with('Z') && iso.len() == 20, "{iso}");
    // The helper exited: its pid is free.
    assert_eq!(s["creator_state"], "dead");
    assert_eq!(s["last_state"], "never");
    assert!(s.get("rss").is_none(), "rss only when asked for");

    let with_memory = ns.json(&["ls", "--json", "--columns", "+RSS,SWAP"]);
    let s = by_id(with_memory["segments"].as_array().expect("list"), id);
    assert_eq!(s["rss"], 0);
    assert_eq!(s["swap"], 0);
}

#[test]
fn live_attacher_and_crashed_creator() {
    let Some(ns) = Ns::new() else { return };
    let holder = ns.spawn_helper(&["create", "0x1111", "8192", "0600", "attach"]);
    let crashed = ns.spawn_helper(&["create", "0x2222", "4096", "0600", "attach"]);
    let crashed_id = crashed.id();
    crashed.crash();

    let segments = ns.segments();
    let alive = by_id(&segments, holder.id());
    assert_eq!(alive["nattch"], 1);
    assert_eq!(alive["cpid"], holder.pid);
    assert_eq!(alive["lpid"], holder.pid);
    assert_eq!(alive["creator_state"], "alive");
    assert_eq!(alive["last_state"], "alive");
    assert!(alive["atime_unix"].as_i64().is_some());

    let dead = by_id(&segments, crashed_id);
    assert_eq!(dead["nattch"], 0, "SIGKILL detaches");
    assert_eq!(dead["creator_state"], "dead");
    assert_eq!(dead["last_state"], "dead");
    assert!(dead["dtime_unix"].as_i64().is_some());
}

#[test]
fn table_has_the_ipcs_columns_and_human_sizes() {
    let Some(ns) = Ns::new() else { return };
    ns.run_helper(&["create", "0xdeadbeef", "1048576", "0644"]);
    let out = ns.shmctl(&["ls"]);
    assert_success(&out, &["ls"]);
    let stdout = text(&out.stdout);
    let mut lines = stdout.lines();
    let header: Vec<&str> = lines.next().expect("header").split_whitespace().collect();
    assert_eq!(
        header,
        [
            "KEY", "ID", "OWNER", "PERMS", "SIZE", "NATTCH", "STATUS", "CPID", "CREATOR", "LPID",
            "AGE"
        ]
    );
    let row = lines.next().expect("row");
    for expected in ["0xdeadbeef", "root", "rw-r--r--", "1.0 MiB", "dead"] {
        assert!(row.contains(expected), "{expected} in {row}");
    }
}

#[test]
fn filters_sort_and_columns() {
    let Some(ns) = Ns::new() else { return };
    // In a user namespace only uid 0 is mapped: the third owner is then root too.
    let owner = if ns.is_user_ns() { "0" } else { "4242" };
    let big = ns.run_helper(&["create", "0x10", "65536", "0600"])[0] as i64;
    let small = ns.run_helper(&["create", "0x20", "4096", "0600"])[0] as i64;
    let other = ns.run_helper(&["create", "0x30", "8192", "0600", "chown", owner, owner])[0] as i64;

    let ids = |args: &[&str]| -> Vec<i64> {
        let doc = ns.json(args);
        doc["segments"]
            .as_array()
            .expect("list")
            .iter()
            .map(|s| s["id"].as_i64().expect("id"))
            .collect()
    };
    assert_eq!(
        ids(&["ls", "--json", "--sort", "size"]),
        [small, other, big]
    );
    assert_eq!(
        ids(&["ls", "--json", "--sort", "SIZE"]),
        [small, other, big]
    );
    assert_eq!(ids(&["ls", "--json", "--sort", "key"]), [big, small, other]);
    if ns.is_user_ns() {
        assert_eq!(ids(&["ls", "--json", "--user", "root"]).len(), 3);
    } else {
        assert_eq!(ids(&["ls", "--json", "--user", "4242"]), [other]);
        assert_eq!(
            ids(&["ls", "--json", "--user", "root", "--sort", "id"]),
            [big, small]
        );
    }
    assert!(
        ids(&["ls", "--json", "--older-than", "1h"]).is_empty(),
        "fresh segments are not idle for an hour"
    );
    assert_eq!(ids(&["ls", "--json", "--older-than", "0s"]).len(), 3);

    let out = ns.shmctl(&[
        "ls",
        "--columns",
        "id,size,uid",
        "--no-headers",
        "--sort",
        "size",
    ]);
    assert_success(&out, &[]);
    let rows: Vec<Vec<String>> = text(&out.stdout)
        .lines()
        .map(|l| l.split_whitespace().map(String::from).collect())
        .collect();
    assert_eq!(
        rows[0],
        [small.to_string(), "4.0".into(), "KiB".into(), "0".into()]
    );
    assert_eq!(rows[1][3], owner);

    let out = ns.shmctl(&[
        "ls",
        "--columns",
        "ID,CUID,CGID,GID,RSS,SWAP,CTIME,ATIME,DTIME,IDLE,LAST,MODE",
    ]);
    assert_success(&out, &[]);
    let header = text(&out.stdout);
    assert!(header.starts_with(" ID  CUID  CGID"), "{header}");
}

#[test]
fn broken_pipe_exits_zero_quietly() {
    let Some(ns) = Ns::new() else { return };
    ns.run_helper(&["many", "2000", "1"]);
    let mut child = ns
        .command(shmctl_bin())
        .args(["ls"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take()); // the reader goes away, as `| head -0` does
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "");
}

/// What `ipcs`/`lsipc` users reach for: `--key`, `--pid`, `--bytes`, `--sort=-COLUMN`,
/// `--reverse`, the views, raw and exported rows, and the conflicts that are usage errors.
#[test]
fn key_and_pid_filters_exact_sizes_views_and_script_formats() {
    let Some(ns) = Ns::new() else { return };
    let big = ns.run_helper(&["create", "0x10", "65536", "0600"])[0];
    let small = ns.run_helper(&["create", "0x20", "4096", "0600"])[0];
    let big_id = big.to_string();
    // The holder attaches `big`; a later process attaches and leaves, so the holder is
    // neither its creator nor its last user: only its mapping ties it to the segment.
    let holder = ns.spawn_helper(&["use", &big_id, "attach"]);
    ns.run_helper(&["use", &big_id, "attach"]);
    let waiter = ns.spawn_helper(&["semcreate", "0x51", "1", "0600", "semwait", "0"]);
    let waiting: i32 = waiter
        .lines
        .iter()
        .find_map(|l| l.strip_prefix("pid=")?.parse().ok())
        .expect("pid=CHILD");

    let ids = |args: &[&str], list: &str| -> Vec<i64> {
        let doc = ns.json(args);
        doc[list]
            .as_array()
            .unwrap_or_else(|| panic!("{list} in {doc}"))
            .iter()
            .map(|s| s["id"].as_i64().expect("id"))
            .collect()
    };
    let (big, small) = (i64::from(big), i64::from(small));
    assert_eq!(ids(&["ls", "--json", "--key", "0x20"], "segments"), [small]);
    assert_eq!(ids(&["ls", "--json", "--key", "key:16"], "segments"), [big]);
    assert_eq!(ids(&["ls", "--json", "--key", "0"], "segments"), [0i64; 0]);
    let pid = holder.pid.to_string();
    assert_eq!(ids(&["ls", "--json", "--pid", &pid], "segments"), [big]);
    assert_eq!(
        ids(&["ls", "--json", "--pid", "99999999"], "segments"),
        [0i64; 0]
    );
    let sets = ids(
        &[
            "ls",
            "--json",
            "--kind",
            "sem",
            "--pid",
            &waiting.to_string(),
        ],
        "semaphore_sets",
    );
    assert_eq!(sets.len(), 1, "the set its child waits on");
    assert_eq!(
        ids(
            &["ls", "--json", "--kind", "sem", "--pid", &pid],
            "semaphore_sets"
        ),
        [0i64; 0]
    );

    assert_eq!(
        ids(&["ls", "--json", "--sort=-size"], "segments"),
        [big, small]
    );
    assert_eq!(
        ids(&["ls", "--json", "--sort", "size", "-r"], "segments"),
        [big, small]
    );
    assert_eq!(
        ids(&["ls", "--json", "--reverse"], "segments"),
        [small, big]
    );

    let out = ns.shmctl(&["ls", "--bytes", "--columns", "id,size", "--no-headers"]);
    assert_success(&out, &[]);
    let rows = text(&out.stdout);
    assert!(rows.contains(&format!("{big}  65536")), "{rows}");

    let out = ns.shmctl(&["ls", "--format", "raw", "--sort", "id"]);
    assert_success(&out, &[]);
    let raw = text(&out.stdout);
    let lines: Vec<Vec<&str>> = raw.lines().map(|l| l.split(' ').collect()).collect();
    assert_eq!(lines[0][0], "KEY");
    assert!(lines.iter().all(|l| l.len() == lines[0].len()), "{raw}");
    assert!(raw.contains("64.0\\x20KiB"), "{raw}");

    // Exported rows are read back by the shell.
    let out = ns.shmctl(&["ls", "--format", "export", "--bytes", "--key", "0x10"]);
    assert_success(&out, &[]);
    let line = text(&out.stdout);
    let read = std::process::Command::new("sh")
        .args([
            "-c",
            "eval \"$1\"; echo \"$KIND $ID $SIZE $NATTCH\"",
            "sh",
            line.trim(),
        ])
        .output()
        .expect("sh");
    assert_eq!(text(&read.stdout), format!("shm {big} 65536 1\n"));

    let out = ns.shmctl(&["ls", "--view", "pids"]);
    assert_success(&out, &[]);
    let header: Vec<String> = text(&out.stdout)
        .lines()
        .next()
        .expect("header")
        .split_whitespace()
        .map(String::from)
        .collect();
    assert_eq!(
        header,
        ["KEY", "ID", "OWNER", "CPID", "CREATOR", "LPID", "LAST"]
    );
    let out = ns.shmctl(&["ls", "--all", "--view", "summary", "--bytes"]);
    assert_success(&out, &[]);
    let summary = text(&out.stdout);
    let shm: Vec<&str> = summary
        .lines()
        .find(|l| l.trim_start().starts_with("shm "))
        .expect("shm row")
        .split_whitespace()
        .collect();
    // `small`'s creator is gone and nothing attaches it: an orphan; `big` is held.
    assert_eq!(&shm[..4], ["shm", "2", "1", "69632"], "{summary}");
    assert!(summary.contains("1 semaphore(s)"), "{summary}");

    for (args, says) in [
        (
            &["ls", "--json", "--format", "table"][..],
            "--json and --format table",
        ),
        (&["ls", "--json", "--view", "times"][..], "--view times"),
        (
            &["ls", "--format", "prometheus", "--view", "pids"][..],
            "--view pids",
        ),
        (&["ls", "--kind", "pshm", "--key", "1"][..], "--key"),
        (
            &["ls", "--view", "pids", "--columns", "id"][..],
            "cannot be used with",
        ),
        (&["ls", "--key", "pshm:/x"][..], "is not a key"),
        (&["ls", "--pid", "0"][..], "--pid"),
        (&["ls", "--sort=-bogus"][..], "unknown column"),
    ] {
        let out = ns.shmctl(args);
        assert_exit(&out, 2, args);
        assert!(
            text(&out.stderr).contains(says),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    drop(waiter);
}

/// On a terminal a row never wraps: a 60-column terminal gets the columns that fit, and a
/// note names the rest; `--wide` and a pipe get every column.
#[test]
fn a_narrow_terminal_gets_the_columns_that_fit() {
    let Some(ns) = Ns::new() else { return };
    if !on_path("script") {
        return without_tool("script(1) is not installed (bsdutils): ls is not given a terminal");
    }
    ns.run_helper(&["create", "0xdeadbeef", "1048576", "0644"]);
    let on_terminal = |extra: &str| {
        let line = format!("stty cols 60 rows 20; {} ls {extra}", shmctl_bin());
        let out = ns
            .command("script")
            .args(["-qec", &line, "/dev/null"])
            .output()
            .expect("script");
        text(&out.stdout).replace('\r', "")
    };
    let narrow = on_terminal("");
    let table: Vec<&str> = narrow.lines().filter(|l| l.starts_with(' ')).collect();
    assert!(table.len() >= 2, "{narrow}");
    assert!(table.iter().all(|l| l.chars().count() <= 60), "{narrow}");
    assert!(
        table[0].starts_with(" KEY") && !table[0].ends_with("AGE"),
        "{narrow}"
    );
    assert!(
        narrow.contains("left out") && narrow.contains("--wide"),
        "{narrow}"
    );
    let wide = on_terminal("--wide");
    assert!(
        wide.lines()
            .any(|l| l.chars().count() > 60 && l.ends_with("AGE")),
        "{wide}"
    );
    assert!(!wide.contains("left out"), "{wide}");
    let piped = ns.shmctl(&["ls"]);
    assert!(text(&piped.stdout)
        .lines()
        .next()
        .is_some_and(|l| l.ends_with("AGE")));
}

/// `ls` and `ls --json` in the kernel's order are written record by record as each is
/// judged; with `--reverse` the records are held and ordered first. Both roads must give the
/// same entries and rows, for every kind, with filters.
#[test]
fn streamed_and_held_listings_agree() {
    // A PID namespace of its own: a queue's verdict counts the tasks that could not be
    // inspected, and the host's come and go between two runs.
    let Some(ns) = Ns::with_mounts_and_pids() else {
        return;
    };
    let _alive = ns.spawn_helper(&["many", "40", "1"]);
    ns.run_helper(&["many", "60", "1", "manysem", "30", "manymsg", "30"]);
    let out = ns
        .command("sh")
        .args([
            "-c",
            "for i in 1 2 3; do : > /dev/shm/o$i; head -c 32 /dev/zero > /dev/shm/sem.s$i; done",
        ])
        .output()
        .expect("sh");
    assert_success(&out, &["POSIX objects"]);
    for extra in [
        &[][..],
        &["--all"],
        &["--all", "--orphans"],
        &["--user", "0"],
    ] {
        let mut args = vec!["ls", "--json"];
        args.extend_from_slice(extra);
        let streamed = ns.json(&args);
        args.push("--reverse");
        let mut held = ns.json(&args);
        for (_, list) in held.as_object_mut().expect("doc").iter_mut() {
            if let Some(list) = list.as_array_mut() {
                list.reverse();
            }
        }
        assert_eq!(streamed, held, "ls --json {extra:?}");
        assert!(!streamed["segments"]
            .as_array()
            .expect("segments")
            .is_empty());
    }
    // Tables, kind by kind, in columns that do not move with the clock.
    for (kind, columns) in [
        ("shm", "ID,CPID,CREATOR,LPID,ORPHAN,WHY"),
        // No WHY: the records carry no evidence.
        ("shm", "ID,CREATOR,LAST,ORPHAN"),
        ("sem", "ID,NSEMS,ORPHAN,WHY"),
        ("msg", "ID,MSGS,ORPHAN,WHY"),
        ("pshm", "NAME,SIZE,ORPHAN,WHY"),
        ("psem", "NAME,VALUE,ORPHAN,WHY"),
    ] {
        for extra in [&[][..], &["--orphans"], &["--user", "0"]] {
            let mut args = vec!["ls", "--kind", kind, "--format", "raw", "--no-headers"];
            args.extend_from_slice(&["--columns", columns]);
            args.extend_from_slice(extra);
            let streamed = ns.shmctl(&args);
            assert_success(&streamed, &args);
            args.push("--reverse");
            let held = ns.shmctl(&args);
            let (streamed, held) = (text(&streamed.stdout), text(&held.stdout));
            let mut rows: Vec<&str> = held.lines().collect();
            rows.reverse();
            assert_eq!(rows, streamed.lines().collect::<Vec<_>>(), "{args:?}");
            assert!(!rows.is_empty() || extra == ["--orphans"], "{args:?}");
        }
    }
}
