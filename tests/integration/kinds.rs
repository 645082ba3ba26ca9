//! The other IPC kinds end to end: semaphore sets, message queues, /dev/shm objects, named
//! semaphores and POSIX queues made by real processes, in private IPC and mount namespaces
//! (with their own tmpfs on /dev/shm and mqueue on /dev/mqueue).
use serde_json::Value;

use crate::util::*;

/// `ls --type TYPES --json`: the list under `key`.
fn listed(ns: &Ns, types: &str, key: &str) -> Vec<Value> {
    ns.json(&["ls", "--type", types, "--json"])[key]
        .as_array()
        .unwrap_or_else(|| panic!("no {key} list"))
        .clone()
}

fn codes(entry: &Value, list: &str) -> Vec<String> {
    entry[list]
        .as_array()
        .map(|l| {
            l.iter()
                .map(|r| r["code"].as_str().expect("code").to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// The gc/rm report's entries of one type in `list` (removed, kept, failed).
fn report<'a>(doc: &'a Value, list: &str, kind: &str) -> Vec<&'a Value> {
    doc[list]
        .as_array()
        .expect("list")
        .iter()
        .filter(|e| e["type"] == kind)
        .collect()
}

#[test]
fn crashed_users_leave_orphaned_sets_and_queues() {
    // A private PID namespace: its /proc holds only our processes, so the scan for tasks
    // blocked on a queue is complete (the host's may have tasks even root cannot read).
    let Some(ns) = Ns::with_mounts_and_pids() else {
        return;
    };
    // Made and used by processes that are alive (the objects are kept), then killed.
    let setter = ns.spawn_helper(&[
        "pid",
        "semcreate",
        "0x51",
        "2",
        "0600",
        "semset",
        "0",
        "1",
        "semop",
        "1",
        "1",
    ]);
    let sender = ns.spawn_helper(&[
        "pid",
        "msgcreate",
        "0x61",
        "0644",
        "msgsend",
        "1",
        "hello",
        "msgsend",
        "2",
        "world",
    ]);
    let (sem, msg) = (setter.id(), sender.id());
    // Their pids in the namespace (`Helper::pid` is nsenter's, outside).
    let (setter_pid, sender_pid) = (
        pids(&setter.lines.join("\n"))[0],
        pids(&sender.lines.join("\n"))[0],
    );
    let sets = listed(&ns, "sem", "semaphore_sets");
    assert_eq!(sets[0]["kept"]["code"], "last_op_alive");
    assert_eq!(sets[0]["last_op_pids"][0]["pid"], setter_pid);
    let queues = listed(&ns, "msg", "message_queues");
    assert_eq!(queues[0]["kept"]["code"], "sender_alive");
    ns.kill(setter_pid);
    ns.kill(sender_pid);
    let sets = listed(&ns, "sem,msg", "semaphore_sets");
    let set = sets.iter().find(|s| s["id"] == sem).expect("the set");
    assert_eq!(set["type"], "sem");
    assert_eq!(set["nsems"], 2);
    assert_eq!(set["waiters"], 0);
    assert_eq!(set["semaphores"][1]["value"], 1);
    assert_eq!(set["last_op_pids"][0]["state"], "dead");
    assert_eq!(set["orphan"], true);
    assert_eq!(codes(set, "evidence"), ["no_waiters", "last_op_dead"]);

    let queues = listed(&ns, "msg", "message_queues");
    let queue = queues.iter().find(|q| q["id"] == msg).expect("the queue");
    assert_eq!(
        (queue["messages"].as_u64(), queue["bytes"].as_u64()),
        (Some(2), Some(10))
    );
    assert_eq!(queue["lspid_state"], "dead");
    assert_eq!(queue["lrpid_state"], "never");
    assert_eq!(
        codes(queue, "evidence"),
        ["no_waiters", "sender_dead", "never_received"]
    );

    // None of these kinds records its creator: gc demands an age.
    let out = ns.shmctl(&["gc", "--kind", "sem", "--yes"]);
    assert_exit(&out, 2, &["gc --type sem without --older-than"]);
    assert!(
        text(&out.stderr).contains("--older-than"),
        "{}",
        text(&out.stderr)
    );

    // The age filter keeps them while they are young; then they go.
    let young = ns.json(&[
        "gc",
        "--kind",
        "sem,msg",
        "--older-than",
        "1h",
        "--yes",
        "--json",
    ]);
    assert_eq!(
        report(&young, "kept", "sem")[0]["reason"]["code"],
        "too_young"
    );
    assert_eq!(
        report(&young, "kept", "msg")[0]["reason"]["code"],
        "too_young"
    );
    assert!(young["removed"].as_array().expect("removed").is_empty());
    let gone = ns.json(&[
        "gc",
        "--kind",
        "sem,msg",
        "--older-than",
        "0s",
        "--yes",
        "--json",
    ]);
    assert_eq!(report(&gone, "removed", "sem")[0]["id"], sem);
    assert_eq!(report(&gone, "removed", "msg")[0]["id"], msg);
    let out = ns
        .command("ipcs")
        .args(["-s", "-q"])
        .output()
        .expect("ipcs");
    let listing = text(&out.stdout);
    assert!(
        !listing.contains("0x00000051") && !listing.contains("0x00000061"),
        "{listing}"
    );
}

#[test]
fn a_waiter_keeps_its_semaphore_set() {
    let Some(ns) = Ns::with_mounts() else { return };
    let holder = ns.spawn_helper(&["semcreate", "0x52", "1", "0600", "semwait", "0"]);
    assert!(
        holder.lines.iter().any(|l| l == "waiting"),
        "{:?}",
        holder.lines
    );
    let sem = holder.id();
    let stat = ns.json(&["stat", &format!("sem:{sem}"), "--json"]);
    let set = &stat["semaphore_sets"][0];
    assert_eq!(set["semaphores"][0]["ncnt"], 1);
    assert_eq!(set["waiters"], 1);

    let plan = ns.json(&[
        "gc",
        "--kind",
        "sem",
        "--older-than",
        "0s",
        "--yes",
        "--json",
        "--include-unknown",
    ]);
    assert_eq!(report(&plan, "kept", "sem")[0]["reason"]["code"], "waiters");
    let out = ns.shmctl(&["rm", &format!("sem:{sem}")]);
    assert_exit(&out, 1, &["rm a set with a waiter"]);
    assert!(
        text(&out.stdout).contains("waiting"),
        "{}",
        text(&out.stdout)
    );

    // The people's stat shows the semaphore and its waiter.
    let out = ns.shmctl(&["stat", &format!("sem:{sem}")]);
    let shown = text(&out.stdout);
    assert!(
        shown.contains("SEMNUM") && shown.contains("orphan         no"),
        "{shown}"
    );

    // When the waiter and its parent die the set is an orphan.
    holder.crash();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let stat = ns.json(&["stat", &format!("sem:{sem}"), "--json"]);
        if stat["semaphore_sets"][0]["waiters"] == 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the waiter did not go"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let gone = ns.json(&[
        "gc",
        "--kind",
        "sem",
        "--older-than",
        "0s",
        "--yes",
        "--json",
    ]);
    assert_eq!(report(&gone, "removed", "sem")[0]["id"], sem);
}

#[test]
fn rm_takes_the_other_selectors_and_force() {
    let Some(ns) = Ns::with_mounts() else { return };
    let holder = ns.spawn_helper(&["semcreate", "0x53", "1", "0600", "semwait", "0"]);
    let sem = holder.id();
    let out = ns.shmctl(&["rm", "--force", "--json", &format!("sem:{sem}")]);
    assert_success(&out, &["rm --force"]);
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report(&doc, "removed", "sem")[0]["id"], sem);
    drop(holder);

    let out = ns.shmctl(&["rm", "--json", "msg:4242"]);
    assert_exit(&out, 3, &["rm --json msg:4242"]);
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(doc["failed"][0]["type"], "msg");
    assert_eq!(doc["failed"][0]["selector"], "msg:4242");
    assert_eq!(doc["failed"][0]["error"]["code"], "ENOENT");

    for (args, code) in [
        (vec!["stat", "sem:4242"], 3),
        (vec!["rm", "msg:4242"], 3),
        (vec!["stat", "pshm:/absent"], 3),
        (vec!["rm", "pmq:/absent"], 3),
        (vec!["rm", "pshm:a/b"], 2),
        (vec!["stat", "pshm:sem.x"], 2),
        (vec!["dump", "sem:0"], 2),
        (vec!["attach", "pshm:/x"], 2),
    ] {
        let out = ns.shmctl(&args);
        assert_exit(&out, code, &args);
        assert!(
            !text(&out.stderr).contains("panicked"),
            "{}",
            text(&out.stderr)
        );
    }
}

#[test]
fn an_open_descriptor_or_a_mapping_keeps_a_posix_object() {
    let Some(ns) = Ns::with_mounts() else { return };
    let fd = ns.spawn_helper(&["pshm", "/by-fd", "4096", "0600"]);
    let map = ns.spawn_helper(&[
        "pshm",
        "/by-map",
        "8192",
        "0600",
        "pshmmap",
        "pshmwrite",
        "mapped",
        "close",
    ]);
    let sem = ns.spawn_helper(&["psem", "/lock", "3", "0600"]);
    let queue = ns.spawn_helper(&["mq", "/jobs", "0600", "mqsend", "one", "mqsend", "two!"]);
    ns.run_helper_output(&["pshm", "/loose", "100", "0600", "pshmwrite", "left"]);

    let doc = ns.json(&["ls", "--kind", "pshm,psem,pmq", "--json"]);
    let find = |key: &str, name: &str| -> Value {
        doc[key]
            .as_array()
            .expect(key)
            .iter()
            .find(|o| o["name"] == name)
            .unwrap_or_else(|| panic!("no {name} in {doc}"))
            .clone()
    };
    let by_fd = find("posix_shm", "/by-fd");
    assert_eq!(by_fd["holders"][0]["pid"], fd.pid);
    assert_eq!(by_fd["holders"][0]["how"], "fd");
    assert_eq!(by_fd["kept"]["code"], "held");
    let by_map = find("posix_shm", "/by-map");
    assert_eq!(by_map["holders"][0]["how"], "map");
    assert_eq!(by_map["size"], 8192);
    let lock = find("posix_semaphores", "/lock");
    assert_eq!(lock["semaphore"]["value"], 3);
    assert_eq!(lock["holders"][0]["pid"], sem.pid);
    let jobs = find("posix_queues", "/jobs");
    assert_eq!(jobs["queue"]["qsize"], 7);
    assert_eq!(jobs["holders"][0]["how"], "fd");
    assert!(find("posix_shm", "/loose")["holders"]
        .as_array()
        .expect("holders")
        .is_empty());

    // gc takes only the object nobody holds (processes it cannot inspect, like a
    // container runtime's, are counted out by --include-unknown).
    let gc = ns.json(&[
        "gc",
        "--kind",
        "pshm,psem,pmq",
        "--older-than",
        "0s",
        "--yes",
        "--json",
        "--include-unknown",
    ]);
    let removed: Vec<&str> = gc["removed"]
        .as_array()
        .expect("removed")
        .iter()
        .map(|e| e["name"].as_str().expect("name"))
        .collect();
    assert_eq!(removed, ["/loose"]);
    let kept: Vec<&str> = gc["kept"]
        .as_array()
        .expect("kept")
        .iter()
        .filter(|e| e["reason"]["code"] == "held")
        .map(|e| e["name"].as_str().expect("name"))
        .collect();
    assert_eq!(kept.len(), 4, "{gc}");

    // rm refuses a held object without --force.
    let out = ns.shmctl(&["rm", "pshm:/by-map"]);
    assert_exit(&out, 1, &["rm a mapped object"]);

    // Crashes release them; then they go, the queue's messages archived with --drain.
    for helper in [fd, map, sem, queue] {
        helper.crash();
    }
    let dir = ns.command("mktemp").arg("-d").output().expect("mktemp");
    let dir = text(&dir.stdout).trim().to_string();
    let refused = ns.shmctl(&[
        "gc",
        "--kind",
        "pmq",
        "--older-than",
        "0s",
        "--yes",
        "--include-unknown",
        "--archive",
        &dir,
    ]);
    assert_exit(&refused, 1, &["archiving a queue without --drain"]);
    assert!(
        text(&refused.stderr).contains("--drain"),
        "{}",
        text(&refused.stderr)
    );
    let gc = ns.json(&[
        "gc",
        "--kind",
        "all",
        "--older-than",
        "0s",
        "--yes",
        "--json",
        "--include-unknown",
        "--archive",
        &dir,
        "--drain",
    ]);
    let mut removed: Vec<&str> = gc["removed"]
        .as_array()
        .expect("removed")
        .iter()
        .map(|e| e["name"].as_str().expect("name"))
        .collect();
    removed.sort_unstable();
    assert_eq!(removed, ["/by-fd", "/by-map", "/jobs", "/lock"], "{gc}");
    // Archive names end with the object's creation time: `pshm-by-map-20261202T….bin`.
    let cat = |file: &str| {
        let (stem, ext) = file.rsplit_once('.').expect("an extension");
        let out = ns
            .command("sh")
            .args(["-c", &format!("cat {dir}/{stem}-2*Z.{ext}")])
            .output()
            .expect("cat");
        assert_success(&out, &["cat", file]);
        out.stdout
    };
    assert_eq!(&cat("pshm-by-map.bin")[..6], b"mapped");
    let record: Value = serde_json::from_slice(&cat("pmq-jobs.json")).expect("record");
    let bodies: Vec<&str> = record["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| m["base64"].as_str().expect("b64"))
        .collect();
    assert_eq!(bodies, ["b25l", "dHdvIQ=="]);
    let left = ns
        .command("ls")
        .args(["-A", "/dev/shm", "/dev/mqueue"])
        .output()
        .expect("ls");
    assert_eq!(
        text(&left.stdout)
            .lines()
            .filter(|l| !l.is_empty() && !l.ends_with(':'))
            .count(),
        0,
        "{}",
        text(&left.stdout)
    );
    ns.command("rm").args(["-rf", &dir]).status().ok();
}

#[test]
fn archiving_a_queue_copies_its_messages_and_leaves_them_until_removal() {
    let Some(ns) = Ns::with_mounts() else { return };
    let msg = ns.run_helper(&[
        "msgcreate",
        "0x62",
        "0600",
        "msgsend",
        "7",
        "first",
        "msgsend",
        "9",
        "second",
    ])[0];
    let dir = ns.command("mktemp").arg("-d").output().expect("mktemp");
    let dir = text(&dir.stdout).trim().to_string();
    // A live receiver keeps it: nothing archived, the messages still there.
    let reader = ns.spawn_helper(&["msguse", &msg.to_string(), "msgrecv"]);
    let doc = ns.json(&[
        "gc",
        "--kind",
        "msg",
        "--older-than",
        "0s",
        "--yes",
        "--json",
        "--archive",
        &dir,
    ]);
    assert_eq!(
        report(&doc, "kept", "msg")[0]["reason"]["code"],
        "receiver_alive"
    );
    let queue = &ns.json(&["stat", &format!("msg:{msg}"), "--json"])["message_queues"][0];
    assert_eq!(queue["messages"], 1);
    reader.crash();
    let doc = ns.json(&["rm", "--json", "--archive", &dir, &format!("msg:{msg}")]);
    let removed = report(&doc, "removed", "msg");
    let archive = removed[0]["archive"].as_str().expect("archive path");
    let out = ns.command("cat").arg(archive).output().expect("cat");
    let record: Value = serde_json::from_slice(&out.stdout).expect("record");
    assert_eq!(record["messages"][0]["mtype"], 9);
    assert_eq!(record["messages"][0]["base64"], "c2Vjb25k");
    ns.command("rm").args(["-rf", &dir]).status().ok();
}

#[test]
fn stat_shows_a_queue_and_limits_cover_every_kind() {
    let Some(ns) = Ns::with_mounts() else { return };
    let msg = ns.run_helper(&["msgcreate", "0x63", "0600", "msgsend", "1", "abc"])[0];
    let out = ns.shmctl(&["stat", &format!("msg:{msg}")]);
    assert_success(&out, &["stat msg"]);
    let shown = text(&out.stdout);
    assert!(shown.contains("1 (3 bytes of at most"), "{shown}");
    assert!(
        shown.contains("last sender") && shown.contains("dead"),
        "{shown}"
    );

    let limits = ns.json(&["limits", "--json"]);
    assert_eq!(limits["msg"]["used_queues"], 1);
    assert_eq!(limits["msg"]["used_messages"], 1);
    assert!(limits["sem"]["max_sets"].as_u64().expect("semmni") > 0);
    assert!(limits["pmq"]["max_queues"].as_u64().expect("queues_max") > 0);
    assert_eq!(limits["pmq"]["queues"], 0);
    assert_eq!(limits["pshm"]["objects"], 0);
    let text_limits = text(&ns.shmctl(&["limits"]).stdout);
    for section in [
        "semaphores",
        "message queues",
        "POSIX shared memory",
        "POSIX message queues",
    ] {
        assert!(text_limits.contains(section), "{text_limits}");
    }
    // --bytes: the queue's one message counted exactly, as `ipcs -l --bytes` would.
    let exact = text(&ns.shmctl(&["limits", "--bytes"]).stdout);
    let used = limits["msg"]["used_bytes"].as_u64().expect("used_bytes");
    assert!(
        exact.contains(&format!("used bytes         {used} byte")),
        "{exact}"
    );
    assert!(!exact.contains("KiB") && !exact.contains("MiB"), "{exact}");
}

/// lsipc prints every value as a string; shmctl's numbers must say the same.
#[test]
fn ls_all_agrees_with_lsipc() {
    let Some(ns) = Ns::with_mounts() else { return };
    ns.run_helper(&["semcreate", "0x54", "3", "0640", "semop", "2", "1"]);
    ns.run_helper(&["semcreate", "0xdeadbeef", "1", "0600"]);
    ns.run_helper(&[
        "msgcreate",
        "0x64",
        "0620",
        "msgsend",
        "1",
        "hello",
        "msgsend",
        "1",
        "hi",
    ]);
    let reader = ns.spawn_helper(&[
        "msgcreate",
        "0x65",
        "0600",
        "msgsend",
        "3",
        "abc",
        "msgrecv",
    ]);
    let ours = ns.json(&["ls", "--all", "--json"]);

    let lsipc = |args: &[&str]| -> Value {
        let out = ns.command("lsipc").args(args).output().expect("lsipc");
        assert_success(&out, args);
        serde_json::from_slice(&out.stdout).expect("lsipc json")
    };
    let field = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_string);
    // Our entry with the id of lsipc's entry `t`.
    let same_id = |ours: &'_ [Value], t: &Value| -> Value {
        ours.iter()
            .find(|o| o["id"].as_i64().map(|id| id.to_string()) == Some(field(&t["id"])))
            .expect("same ids")
            .clone()
    };
    let theirs = lsipc(&[
        "-s",
        "--json",
        "-b",
        "-o",
        "KEY,ID,PERMS,OWNER,UID,GID,CUID,NSEMS",
    ]);
    let sets = ours["semaphore_sets"].as_array().expect("sets");
    let their_sets = theirs["semaphores"].as_array().expect("lsipc semaphores");
    assert_eq!(sets.len(), their_sets.len());
    for t in their_sets {
        let o = same_id(sets, t);
        assert_eq!(o["key_hex"].as_str(), t["key"].as_str());
        assert_eq!(o["perms"].as_str(), t["perms"].as_str());
        assert_eq!(o["owner"]["user"].as_str(), t["owner"].as_str());
        assert_eq!(o["owner"]["uid"].to_string(), field(&t["uid"]));
        assert_eq!(o["owner"]["gid"].to_string(), field(&t["gid"]));
        assert_eq!(o["creator"]["uid"].to_string(), field(&t["cuid"]));
        assert_eq!(o["nsems"].to_string(), field(&t["nsems"]));
    }
    let theirs = lsipc(&[
        "-q",
        "--json",
        "-b",
        "-o",
        "KEY,ID,PERMS,OWNER,UID,USEDBYTES,MSGS,LSPID,LRPID",
    ]);
    let queues = ours["message_queues"].as_array().expect("queues");
    let their_queues = theirs["messages"].as_array().expect("lsipc messages");
    assert_eq!(queues.len(), their_queues.len());
    for t in their_queues {
        let o = same_id(queues, t);
        assert_eq!(o["key_hex"].as_str(), t["key"].as_str());
        assert_eq!(o["perms"].as_str(), t["perms"].as_str());
        assert_eq!(o["owner"]["uid"].to_string(), field(&t["uid"]));
        assert_eq!(o["bytes"].to_string(), field(&t["usedbytes"]));
        assert_eq!(o["messages"].to_string(), field(&t["msgs"]));
        assert_eq!(o["lspid"].to_string(), field(&t["lspid"]));
        assert_eq!(o["lrpid"].to_string(), field(&t["lrpid"]));
    }
    // The helper that sent and then received is alive: its queue is no orphan.
    let live = queues
        .iter()
        .find(|q| q["key_hex"] == "0x00000065")
        .expect("0x65");
    assert_eq!(live["lspid"], reader.pid);
    assert_eq!(live["lrpid"], reader.pid);
    assert_eq!(live["kept"]["code"], "sender_alive");
}

#[test]
fn ls_all_prints_one_table_per_kind() {
    let Some(ns) = Ns::with_mounts() else { return };
    ns.run_helper(&[
        "semcreate",
        "0x55",
        "2",
        "0600",
        "msgcreate",
        "0x66",
        "0600",
    ]);
    ns.run_helper(&[
        "create", "0x77", "4096", "0600", "pshm", "/table", "10", "0600",
    ]);
    let out = ns.shmctl(&["ls", "--all"]);
    assert_success(&out, &["ls --all"]);
    let shown = text(&out.stdout);
    for title in [
        "System V shared memory segments",
        "System V semaphore sets",
        "System V message queues",
        "POSIX shared memory (/dev/shm)",
        "POSIX named semaphores (/dev/shm/sem.*)",
        "POSIX message queues (/dev/mqueue)",
    ] {
        assert!(shown.contains(title), "{title} missing from\n{shown}");
    }
    assert!(
        shown.contains("0x00000055") && shown.contains("/table"),
        "{shown}"
    );
    // Without headers: only rows.
    let out = ns.shmctl(&["ls", "--kind", "sem,pshm", "--no-headers"]);
    let rows: Vec<String> = text(&out.stdout).lines().map(str::to_string).collect();
    assert_eq!(rows.len(), 2, "{rows:?}");
    // Columns are chosen and sorted for every kind; one that no listed kind has is refused.
    let out = ns.shmctl(&[
        "ls",
        "--kind",
        "sem",
        "--columns",
        "KEY,ID,NSEMS",
        "--sort",
        "NSEMS",
    ]);
    assert_success(&out, &["--columns for sets"]);
    assert!(
        text(&out.stdout).contains("KEY         ID  NSEMS"),
        "{}",
        text(&out.stdout)
    );
    let out = ns.shmctl(&["ls", "--kind", "sem", "--columns", "NATTCH"]);
    assert_exit(&out, 2, &["a column no listed kind has"]);
    assert!(text(&out.stderr).contains("no kind listed (sem) has a column NATTCH"));
    let out = ns.shmctl(&["ls", "--type", "sem,pipe"]);
    assert_exit(&out, 2, &["an unknown type"]);
    // The default is still shm alone, in the same JSON shape as before.
    let plain = ns.json(&["ls", "--json"]);
    assert_eq!(plain["segments"].as_array().map(Vec::len), Some(1));
    assert!(plain.get("semaphore_sets").is_none());
}

/// Our own mode 000 moves ctime: the re-check must not take it for activity, or no object
/// would ever be old enough to go.
#[test]
fn the_removal_sequence_does_not_make_objects_young() {
    let Some(ns) = Ns::with_mounts() else { return };
    ns.run_helper(&[
        "semcreate",
        "0x57",
        "1",
        "0600",
        "msgcreate",
        "0x68",
        "0600",
    ]);
    ns.run_helper(&["pshm", "/idle", "10", "0600"]);
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let gc = ns.json(&[
        "gc",
        "--kind",
        "sem,msg,pshm",
        "--older-than",
        "2s",
        "--yes",
        "--json",
        "--include-unknown",
    ]);
    assert_eq!(gc["removed"].as_array().map(Vec::len), Some(3), "{gc}");
    assert_eq!(gc["kept"].as_array().map(Vec::len), Some(0), "{gc}");
}

/// `ipcrm -S KEY` / `-Q KEY`: sets and queues are named by key as segments are, and key 0
/// is not a name.
#[test]
fn sets_and_queues_are_named_by_key() {
    let Some(ns) = Ns::new() else { return };
    let sem = ns.run_helper(&["semcreate", "0x51", "2", "0600"])[0];
    let queue = ns.run_helper(&["msgcreate", "81", "0600"])[0];
    for (selector, list, id) in [
        ("sem:0x51", "semaphore_sets", sem),
        ("sem:key:81", "semaphore_sets", sem),
        ("msg:0x00000051", "message_queues", queue),
        ("msg:key:81", "message_queues", queue),
    ] {
        let out = ns.shmctl(&["stat", "--json", selector]);
        assert_success(&out, &["stat", selector]);
        let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!(doc[list][0]["id"], id, "{selector}: {doc}");
    }
    for (args, code, says) in [
        (vec!["stat", "sem:0x52"], 3, "key 0x00000052"),
        (vec!["rm", "msg:key:82"], 3, "key 0x00000052"),
        (vec!["rm", "sem:0x0"], 2, "sem:ID"),
        (vec!["stat", "msg:key:0"], 2, "msg:ID"),
        (vec!["rm", "sem:0x1ffffffff"], 2, "accepted forms"),
    ] {
        let out = ns.shmctl(&args);
        assert_exit(&out, code, &args);
        assert!(
            text(&out.stderr).contains(says),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    let out = ns.shmctl(&["rm", "--json", "sem:0x51", "msg:key:81"]);
    assert_success(&out, &["rm by key"]);
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report(&doc, "removed", "sem")[0]["id"], sem);
    assert_eq!(report(&doc, "removed", "msg")[0]["id"], queue);
}

/// `rm --all` as `ipcrm --all`, through the safe sequence: what is in use is kept and listed
/// with its reason unless --force; --dry-run removes nothing; --kind chooses the kinds.
#[test]
fn rm_all_removes_what_is_not_in_use() {
    let Some(ns) = Ns::new() else { return };
    let free = ns.run_helper(&["create", "0x71", "4096", "0600"])[0];
    let holder = ns.spawn_helper(&["create", "0x72", "4096", "0600", "attach", "hold"]);
    let attached = holder.id();
    let free_set = ns.run_helper(&["semcreate", "0x73", "1", "0600"])[0];
    let waiter = ns.spawn_helper(&["semcreate", "0x74", "1", "0600", "semwait", "0"]);
    let waited = waiter.id();

    let out = ns.shmctl(&["rm", "--all", "--dry-run", "--json"]);
    assert_success(&out, &["rm --all --dry-run"]);
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(doc["dry_run"], true, "{doc}");
    assert_eq!(report(&doc, "removed", "shm")[0]["id"], free, "{doc}");
    assert_eq!(report(&doc, "kept", "shm")[0]["id"], attached, "{doc}");
    assert_eq!(ns.segments().len(), 2, "a dry run removes nothing");

    let out = ns.shmctl(&["rm", "--all"]);
    assert_success(&out, &["rm --all"]);
    let said = text(&out.stdout);
    assert!(said.contains(&format!("removed shm {free}")), "{said}");
    assert!(
        said.contains(&format!("kept shm {attached}")),
        "the kept one and why: {said}"
    );
    assert_eq!(ns.segments().len(), 1, "the attached segment stays");

    let out = ns.shmctl(&["rm", "--all", "--kind", "sem", "--json"]);
    assert_success(&out, &["rm --all --kind sem"]);
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report(&doc, "removed", "sem")[0]["id"], free_set, "{doc}");
    assert_eq!(report(&doc, "kept", "sem")[0]["id"], waited, "{doc}");
    assert!(
        report(&doc, "removed", "shm").is_empty(),
        "only sets: {doc}"
    );

    let out = ns.shmctl(&["rm", "--all", "--force", "--kind", "shm,sem", "-q"]);
    assert_success(&out, &["rm --all --force"]);
    for (args, code) in [
        (vec!["rm", "--all", "1"], 2),
        (vec!["rm", "--kind", "sem", "sem:1"], 2),
        (vec!["rm"], 2),
        (vec!["rm", "--all", "--kind", "nope"], 2),
    ] {
        assert_exit(&ns.shmctl(&args), code, &args);
    }
    drop(holder);
    drop(waiter);
}
