//! A zombie is not alive: a creator, last user, last-op pid or last sender that has exited but
//! was never reaped by its parent holds nothing and does nothing. A thread-group leader that
//! called pthread_exit shows state Z too, while its process lives on: that one is alive.
use serde_json::Value;

use crate::util::*;

fn codes(list: &Value) -> Vec<String> {
    list.as_array()
        .map(|l| {
            l.iter()
                .map(|r| r["code"].as_str().expect("code").to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// The state letter of /proc/PID/stat, read inside the namespace (its PID namespace if any).
fn proc_state(ns: &Ns, pid: i32) -> String {
    let out = ns
        .command("cat")
        .arg(format!("/proc/{pid}/stat"))
        .output()
        .expect("cat");
    let stat = text(&out.stdout);
    stat.rsplit(')')
        .next()
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or("")
        .to_string()
}

fn the_only<'a>(doc: &'a Value, list: &str) -> &'a Value {
    let entries = doc[list].as_array().expect(list);
    assert_eq!(entries.len(), 1, "{doc}");
    &entries[0]
}

#[test]
fn a_zombie_creator_has_exited_and_its_segment_goes() {
    let Some(ns) = Ns::new() else { return };
    let parent = ns.spawn_helper(&["child", "create", "0x7a01", "4096", "0600", "exit"]);
    let zombie = pids(&parent.lines.join("\n"))[0];
    assert_eq!(proc_state(&ns, zombie), "Z");
    let id = parent.id();

    let segments = ns.segments();
    let segment = by_id(&segments, id);
    assert_eq!(segment["cpid"], zombie);
    assert_eq!(segment["creator_state"], "exited", "{segment}");
    assert_eq!(segment["orphan"], true, "{segment}");
    let evidence = &segment["evidence"];
    assert_eq!(
        codes(evidence),
        ["nattch_zero", "creator_exited", "never_attached"]
    );
    assert!(
        evidence[1]["text"]
            .as_str()
            .is_some_and(|t| t.contains("zombie")),
        "{evidence}"
    );
    let shown = text(&ns.shmctl(&["stat", &id.to_string()]).stdout);
    assert!(shown.contains("exited"), "{shown}");

    let doc = ns.json(&["gc", "--yes", "--json"]);
    let removed = the_only(&doc, "removed");
    assert_eq!(removed["id"], id);
    assert_eq!(
        codes(&removed["evidence"]),
        ["nattch_zero", "creator_exited", "never_attached"]
    );
    assert!(ns.segments().is_empty());
    // Nothing was done to the processes: the parent lives, the child is still its zombie.
    assert_eq!(proc_state(&ns, zombie), "Z");
    parent.release();
}

#[test]
fn a_zombie_that_attached_last_is_a_dead_last_user() {
    let Some(ns) = Ns::new() else { return };
    // The creator exits at once; its child attaches, detaches by exiting, stays a zombie.
    let creator = ns.run_helper(&["create", "0x7a06", "4096", "0600"])[0];
    let parent = ns.spawn_helper(&["use", &creator.to_string(), "child", "attach", "exit"]);
    let zombie = pids(&parent.lines.join("\n"))[0];
    let segments = ns.segments();
    let segment = by_id(&segments, creator);
    assert_eq!(segment["lpid"], zombie);
    assert_eq!(segment["last_state"], "exited", "{segment}");
    assert_eq!(
        codes(&segment["evidence"]),
        ["nattch_zero", "creator_dead", "last_user_dead"]
    );
    assert!(
        segment["evidence"][2]["text"]
            .as_str()
            .is_some_and(|t| t.contains("zombie")),
        "{segment}"
    );
}

#[test]
fn a_leader_that_called_pthread_exit_is_alive_while_its_threads_run() {
    let Some(ns) = Ns::new() else { return };
    let holder = ns.spawn_helper(&["create", "0x7a02", "4096", "0600", "leaderexit"]);
    // The leader (the pid) is a zombie in /proc; another thread of it holds on.
    assert_eq!(proc_state(&ns, holder.pid), "Z");
    let id = holder.id();
    let segments = ns.segments();
    let segment = by_id(&segments, id);
    assert_eq!(segment["cpid"], holder.pid);
    assert_eq!(segment["creator_state"], "alive", "{segment}");
    let doc = ns.json(&["gc", "--yes", "--json"]);
    assert!(doc["removed"].as_array().expect("removed").is_empty());
    assert_eq!(the_only(&doc, "kept")["reason"]["code"], "creator_alive");
    // Once the whole process exits (and is reaped), the creator is dead and the segment goes.
    holder.release();
    let doc = ns.json(&["gc", "--yes", "--json"]);
    assert_eq!(the_only(&doc, "removed")["id"], id);
}

#[test]
fn a_zombie_last_op_pid_and_a_zombie_sender_are_dead() {
    let Some(ns) = Ns::with_pid_namespace() else {
        return;
    };
    let sets = ns.spawn_helper(&[
        "semcreate",
        "0x7a04",
        "1",
        "0600",
        "child",
        "semop",
        "0",
        "1",
        "exit",
    ]);
    let queues = ns.spawn_helper(&[
        "msgcreate",
        "0x7a05",
        "0600",
        "child",
        "msgsend",
        "1",
        "hi",
        "exit",
    ]);
    let (set_zombie, queue_zombie) = (
        pids(&sets.lines.join("\n"))[0],
        pids(&queues.lines.join("\n"))[0],
    );
    let doc = ns.json(&["ls", "--kind", "sem,msg", "--json"]);
    let set = the_only(&doc, "semaphore_sets");
    assert_eq!(set["last_op_pids"][0]["pid"], set_zombie);
    assert_eq!(set["last_op_pids"][0]["state"], "exited", "{set}");
    assert!(
        codes(&set["evidence"]).contains(&"last_op_dead".to_string()),
        "{set}"
    );
    let queue = the_only(&doc, "message_queues");
    assert_eq!(queue["lspid"], queue_zombie);
    assert_eq!(queue["lspid_state"], "exited", "{queue}");
    let evidence = queue["evidence"].as_array().expect("evidence");
    let sender = evidence
        .iter()
        .find(|e| e["code"] == "sender_dead")
        .unwrap_or_else(|| panic!("{queue}"));
    assert!(
        sender["text"]
            .as_str()
            .is_some_and(|t| t.contains("zombie")),
        "{sender}"
    );

    let doc = ns.json(&[
        "gc",
        "--kind",
        "sem,msg",
        "--older-than",
        "0s",
        "--yes",
        "--json",
    ]);
    let mut removed: Vec<&str> = doc["removed"]
        .as_array()
        .expect("removed")
        .iter()
        .map(|e| e["type"].as_str().expect("type"))
        .collect();
    removed.sort_unstable();
    assert_eq!(removed, ["msg", "sem"], "{doc}");
}

#[test]
fn a_sender_and_receiver_whose_leader_exited_are_alive() {
    let Some(ns) = Ns::with_pid_namespace() else {
        return;
    };
    // The leader sends, then calls pthread_exit; another thread receives. The kernel records
    // the thread group (the leader's pid) for both, unless a message is handed straight to a
    // blocked receiver (then lrpid is that thread's tid: see the waiters tests).
    let user = ns.spawn_helper(&[
        "msgcreate",
        "0x7a03",
        "0600",
        "msgsend",
        "1",
        "hi",
        "pid",
        "leaderexit",
        "msgrecv",
    ]);
    // Its pid in the namespace (`user.pid` is nsenter's, outside).
    let pid = pids(&user.lines.join("\n"))[0];
    let tid: i32 = user
        .lines
        .iter()
        .find_map(|l| l.strip_prefix("tid="))
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("{:?}", user.lines));
    assert_ne!(tid, pid);
    assert_eq!(proc_state(&ns, pid), "Z");
    let doc = ns.json(&["ls", "--kind", "msg", "--json"]);
    let queue = the_only(&doc, "message_queues");
    assert_eq!(queue["lspid"], pid);
    assert_eq!(queue["lspid_state"], "alive", "{queue}");
    assert_eq!(queue["lrpid"], pid);
    assert_eq!(queue["lrpid_state"], "alive", "{queue}");
    assert_eq!(queue["kept"]["code"], "sender_alive", "{queue}");
}

#[test]
fn what_a_process_whose_leader_exited_maps_or_holds_open_is_seen() {
    // Its leader's /proc/PID/maps and fd are empty (the leader released them); a live
    // thread's show the mapping and the descriptor. Reading the leader's only would call a
    // mapped POSIX object not held (and gc would remove it), and miss a segment's attacher.
    // In a PID namespace of its own every process can be inspected (here the host's pid 1
    // cannot be, which would keep every POSIX object as holders_unknown).
    let Some(ns) = Ns::with_mounts_and_pids() else {
        return;
    };
    let mapper = ns.spawn_helper(&[
        "pid",
        "pshm",
        "/mapped",
        "4096",
        "0600",
        "pshmmap",
        "leaderexit",
    ]);
    let opener = ns.spawn_helper(&["pid", "pshm", "/open", "4096", "0600", "leaderexit"]);
    let attacher = ns.spawn_helper(&[
        "pid",
        "create",
        "0x7a09",
        "4096",
        "0600",
        "attach",
        "leaderexit",
    ]);
    // Their pids as the namespace sees them.
    let pid_of = |h: &Helper| pids(&h.lines.join("\n"))[0];
    for helper in [&mapper, &opener, &attacher] {
        assert_eq!(proc_state(&ns, pid_of(helper)), "Z");
    }
    let doc = ns.json(&[
        "gc",
        "--kind",
        "pshm",
        "--older-than",
        "0s",
        "--yes",
        "--json",
    ]);
    assert_eq!(doc["removed"], serde_json::json!([]), "{doc}");
    let out = ns.shmctl(&["ls", "--kind", "pshm", "--json"]);
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    for entry in listed["posix_shm"].as_array().expect("list") {
        assert_eq!(entry["kept"]["code"], "held", "{entry}");
    }
    let stat = ns.json(&["stat", "--json", &attacher.id().to_string()]);
    let segment = &stat["segments"][0];
    assert_eq!(
        segment["attached"][0]["pid"],
        pid_of(&attacher),
        "{segment}"
    );
    assert_eq!(segment["attached_complete"], true);
}
