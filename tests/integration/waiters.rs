//! A message queue that a live task is blocked on (in msgrcv, or in msgsnd on a full queue) is
//! in use, whatever its last sender and receiver say: removing it would wake the task with
//! EIDRM. The evidence is each task's /proc/PID/task/TID/syscall.
//!
//! These run in a private PID namespace too: its /proc shows only the namespace's processes,
//! all readable by us (root, or the mapped root of a user namespace), so the scan is complete.
//! On the host's /proc some tasks may be unreadable (another user's; here even pid 1 for
//! root), which makes every queue `waiters_unknown`: `gc_keeps_a_queue_it_cannot_vouch_for`.
use std::time::{Duration, Instant};

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

fn queue(ns: &Ns, id: i32) -> Value {
    let doc = ns.json(&["ls", "--kind", "msg", "--json"]);
    doc["message_queues"]
        .as_array()
        .expect("message_queues")
        .iter()
        .find(|q| q["id"] == id)
        .unwrap_or_else(|| panic!("no queue {id} in {doc}"))
        .clone()
}

fn queue_exists(ns: &Ns, id: i32) -> bool {
    let doc = ns.json(&["ls", "--kind", "msg", "--json"]);
    doc["message_queues"]
        .as_array()
        .expect("message_queues")
        .iter()
        .any(|q| q["id"] == id)
}

fn gc_msg(ns: &Ns, extra: &[&str]) -> Value {
    let mut args = vec![
        "gc",
        "--kind",
        "msg",
        "--older-than",
        "0s",
        "--yes",
        "--json",
    ];
    args.extend_from_slice(extra);
    ns.json(&args)
}

fn kept_code(doc: &Value, id: i32) -> String {
    doc["kept"]
        .as_array()
        .expect("kept")
        .iter()
        .find(|e| e["id"] == id)
        .and_then(|e| e["reason"]["code"].as_str())
        .unwrap_or_else(|| panic!("queue {id} not kept: {doc}"))
        .to_string()
}

fn removed_ids(doc: &Value) -> Vec<i64> {
    doc["removed"]
        .as_array()
        .expect("removed")
        .iter()
        .filter_map(|e| e["id"].as_i64())
        .collect()
}

/// The last `KEY=N` a helper printed.
fn last_number(lines: &[String], key: &str) -> i32 {
    lines
        .iter()
        .rev()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no {key} in {lines:?}"))
}

/// Waits until the queue's listing shows no waiter (a killed waiter leaves its call at once,
/// but SIGKILL is delivered asynchronously).
fn until_no_waiter(ns: &Ns, id: i32) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let q = queue(ns, id);
        if q["waiters"].as_array().is_some_and(Vec::is_empty) {
            return q;
        }
        assert!(Instant::now() < deadline, "the waiter stayed: {q}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_blocked_receiver_keeps_a_queue_never_sent_to() {
    let Some(ns) = Ns::with_pid_namespace() else {
        return;
    };
    let holder = ns.spawn_helper(&["msgcreate", "0x7b01", "0600", "msgwaitrecv"]);
    let id = holder.id();
    let receiver = last_number(&holder.lines, "pid=");
    assert!(holder.lines.iter().any(|l| l == "waiting"));

    // Never sent to, never received from: only the blocked receiver says it is in use.
    let q = queue(&ns, id);
    assert_eq!(q["lspid_state"], "never");
    assert_eq!(q["lrpid_state"], "never");
    assert_eq!(q["orphan"], false, "{q}");
    assert_eq!(q["kept"]["code"], "waiters", "{q}");
    let why = q["kept"]["text"].as_str().expect("text");
    assert!(
        why.contains(&format!("pid {receiver} (")) && why.contains("blocked in msgrcv"),
        "{why}"
    );
    assert_eq!(q["waiters_complete"], true, "{q}");
    let waiters = q["waiters"].as_array().expect("waiters");
    assert_eq!(waiters.len(), 1, "{q}");
    assert_eq!(waiters[0]["pid"], receiver);
    assert_eq!(waiters[0]["tid"], receiver);
    assert_eq!(waiters[0]["syscall"], "msgrcv");
    assert!(
        waiters[0]["comm"]
            .as_str()
            .is_some_and(|c| c.starts_with("shm-helper")),
        "{q}"
    );

    // gc keeps it (the receiver is not woken with EIDRM), rm refuses it, the table agrees.
    let doc = gc_msg(&ns, &[]);
    assert_eq!(kept_code(&doc, id), "waiters");
    assert!(queue_exists(&ns, id));
    let out = ns.shmctl(&["rm", &format!("msg:{id}")]);
    assert_exit(&out, 1, &["rm a queue with a blocked receiver"]);
    assert!(
        text_of(&out).contains("blocked in msgrcv"),
        "{}",
        text_of(&out)
    );
    let table = text(&ns.shmctl(&["ls", "--kind", "msg"]).stdout);
    let row = table
        .lines()
        .find(|l| l.trim_start().starts_with("0x00007b01"))
        .unwrap_or_else(|| panic!("{table}"));
    assert!(row.trim_end().ends_with("no"), "{row}");
    let shown = text(&ns.shmctl(&["stat", &format!("msg:{id}")]).stdout);
    assert!(
        shown.contains(&format!("pid {receiver} tid {receiver} (")) && shown.contains("msgrcv"),
        "{shown}"
    );
    let stat = ns.json(&["stat", &format!("msg:{id}"), "--json"]);
    assert_eq!(stat["message_queues"][0]["waiters"][0]["pid"], receiver);

    // The receiver dies with its parent: then nothing uses the queue.
    holder.crash();
    let q = until_no_waiter(&ns, id);
    assert_eq!(
        codes(&q["evidence"]),
        ["no_waiters", "never_sent", "never_received"],
        "{q}"
    );
    let doc = gc_msg(&ns, &[]);
    assert_eq!(removed_ids(&doc), [i64::from(id)], "{doc}");
    assert!(!queue_exists(&ns, id));
}

#[test]
fn a_blocked_sender_keeps_a_full_queue_whose_last_sender_died() {
    let Some(ns) = Ns::with_pid_namespace() else {
        return;
    };
    let filler = ns.spawn_helper(&["msgcreate", "0x7b02", "0600", "pid", "msgfill"]);
    let id = filler.id();
    assert!(last_number(&filler.lines, "filled=") > 0);
    let sender = ns.spawn_helper(&["msguse", &id.to_string(), "msgwaitsend"]);
    let blocked = last_number(&sender.lines, "pid=");
    // The last sender is killed: the queue is full, its last sender dead, never received
    // from. Only the sender blocked in msgsnd says it is in use.
    ns.kill(last_number(&filler.lines, "pid="));
    let q = queue(&ns, id);
    assert_eq!(q["lspid_state"], "dead", "{q}");
    assert_eq!(q["kept"]["code"], "waiters", "{q}");
    assert_eq!(q["waiters"][0]["pid"], blocked);
    assert_eq!(q["waiters"][0]["syscall"], "msgsnd");
    let doc = gc_msg(&ns, &["--include-unknown"]);
    assert_eq!(kept_code(&doc, id), "waiters");
    assert!(queue_exists(&ns, id));

    sender.crash();
    let q = until_no_waiter(&ns, id);
    assert_eq!(
        codes(&q["evidence"]),
        ["no_waiters", "sender_dead", "never_received"],
        "{q}"
    );
    let doc = gc_msg(&ns, &[]);
    assert_eq!(removed_ids(&doc), [i64::from(id)], "{doc}");
}

#[test]
fn a_receiver_thread_of_a_process_whose_leader_exited_is_found() {
    let Some(ns) = Ns::with_pid_namespace() else {
        return;
    };
    // The main thread calls pthread_exit (the leader is a zombie, with no IPC namespace in
    // /proc); one thread holds on, another blocks in msgrcv, and again after each message.
    let holder = ns.spawn_helper(&[
        "msgcreate",
        "0x7b03",
        "0600",
        "pid",
        "leaderexit",
        "msgwaitrecvthread",
    ]);
    let id = holder.id();
    let pid = last_number(&holder.lines, "pid=");
    let receiver = last_number(&holder.lines, "tid=");
    assert_ne!(pid, receiver);
    let q = queue(&ns, id);
    assert_eq!(q["kept"]["code"], "waiters", "{q}");
    assert_eq!(q["waiters"][0]["pid"], pid);
    assert_eq!(q["waiters"][0]["tid"], receiver);
    let text = q["kept"]["text"].as_str().expect("text");
    assert!(text.contains(&format!("thread {receiver}")), "{text}");

    // A message handed straight to the blocked thread: lrpid is that thread's id, and the
    // thread (a live thread of a live process) is alive.
    ns.run_helper(&["msguse", &id.to_string(), "msgsend", "1", "hi"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    let q = loop {
        let q = queue(&ns, id);
        if q["lrpid"] == receiver && q["waiters"].as_array().is_some_and(|w| w.len() == 1) {
            break q;
        }
        assert!(Instant::now() < deadline, "not received: {q}");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(q["lrpid_state"], "alive", "{q}");
    assert_eq!(q["lspid_state"], "dead", "{q}");
    assert_eq!(q["kept"]["code"], "waiters", "{q}");
    let doc = gc_msg(&ns, &[]);
    assert_eq!(kept_code(&doc, id), "waiters");
}

/// Tasks of another user cannot be read without CAP_SYS_PTRACE: a queue is then kept as
/// `waiters_unknown`, unless `--include-unknown`. Root reads every task, the other user's
/// blocked receiver included.
#[test]
fn gc_keeps_a_queue_it_cannot_vouch_for() {
    let Some(ns) = Ns::with_pid_namespace() else {
        return;
    };
    if root_only(&ns, "needs two real uids") {
        return;
    }
    // uid 4321's queue, open to all; a process of uid 1234 that waits on nothing of it.
    let id = ns.run_helper(&["setuid", "4321", "4321", "msgcreate", "0x7b04", "0666"])[0];
    let bystander = ns.spawn_helper(&["setuid", "1234", "1234", "pid"]);
    let doc = ns.shmctl_as(
        4321,
        &[
            "gc",
            "--kind",
            "msg",
            "--older-than",
            "0s",
            "--yes",
            "--json",
        ],
    );
    assert_success(&doc, &["gc as uid 4321"]);
    let doc: Value = serde_json::from_slice(&doc.stdout).expect("json");
    assert_eq!(kept_code(&doc, id), "waiters_unknown", "{doc}");
    let text = doc["kept"][0]["reason"]["text"].as_str().expect("text");
    assert!(text.contains("could not be inspected"), "{text}");
    let listed = ns.shmctl_as(4321, &["ls", "--kind", "msg", "--json"]);
    let listed: Value = serde_json::from_slice(&listed.stdout).expect("json");
    assert_eq!(listed["message_queues"][0]["waiters_complete"], false);

    // Root sees every task: a receiver of uid 1234 blocked on the queue keeps it.
    let receiver = ns.spawn_helper(&[
        "setuid",
        "1234",
        "1234",
        "msguse",
        &id.to_string(),
        "msgwaitrecv",
    ]);
    let doc = gc_msg(&ns, &[]);
    assert_eq!(kept_code(&doc, id), "waiters");
    receiver.crash();
    drop(bystander);
    // With --include-unknown the unreadable tasks are counted out, and said so.
    let deadline = Instant::now() + Duration::from_secs(10);
    let doc = loop {
        let out = ns.shmctl_as(
            4321,
            &[
                "gc",
                "--kind",
                "msg",
                "--older-than",
                "0s",
                "--yes",
                "--json",
                "--include-unknown",
            ],
        );
        let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
        if !doc["removed"].as_array().expect("removed").is_empty() {
            break doc;
        }
        assert!(Instant::now() < deadline, "never removed: {doc}");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(removed_ids(&doc), [i64::from(id)]);
    assert!(codes(&doc["removed"][0]["evidence"]).contains(&"waiters_unknown".to_string()));
}

fn text_of(out: &std::process::Output) -> String {
    format!("{}{}", text(&out.stdout), text(&out.stderr))
}

/// With /proc mounted `hidepid=2`, an ordinary user does not even see another user's
/// processes: a scan that finds no waiter proves nothing then.
#[test]
fn hidepid_hides_a_blocked_receiver_and_gc_says_so() {
    let Some(ns) = Ns::with_pid_namespace() else {
        return;
    };
    if root_only(&ns, "needs two real uids") {
        return;
    }
    // The namespace's own /proc (a proc instance of its PID namespace, in its mount
    // namespace): the host's is not touched.
    let out = ns
        .command("mount")
        .args(["-n", "-o", "remount,hidepid=2", "/proc"])
        .output()
        .expect("mount");
    assert_success(&out, &["mount -o remount,hidepid=2 /proc"]);
    let id = ns.run_helper(&["setuid", "4321", "4321", "msgcreate", "0x7b05", "0666"])[0];
    let _receiver = ns.spawn_helper(&[
        "setuid",
        "1234",
        "1234",
        "msguse",
        &id.to_string(),
        "msgwaitrecv",
    ]);
    let args = [
        "gc",
        "--kind",
        "msg",
        "--older-than",
        "0s",
        "--yes",
        "--json",
    ];
    let out = ns.shmctl_as(4321, &args);
    assert_success(&out, &args);
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(kept_code(&doc, id), "waiters_unknown", "{doc}");
    let why = doc["kept"][0]["reason"]["text"].as_str().expect("text");
    assert!(why.contains("hidepid"), "{why}");
    // Root sees through hidepid.
    let doc = gc_msg(&ns, &[]);
    assert_eq!(kept_code(&doc, id), "waiters");
}

/// tests/helpers/ipc32.c built for i386 (no libc needed), or None with a note where this
/// toolchain cannot build one.
#[cfg(target_arch = "x86_64")]
fn ipc32_path() -> Option<&'static std::path::Path> {
    use std::path::PathBuf;
    use std::sync::OnceLock;
    static PATH: OnceLock<Option<PathBuf>> = OnceLock::new();
    PATH.get_or_init(|| {
        let name = format!("ipc32-{}", std::process::id());
        let dir = [
            PathBuf::from(env!("CARGO_TARGET_TMPDIR")),
            std::env::temp_dir(),
        ]
        .into_iter()
        .find(|dir| {
            std::fs::write(
                dir.join(format!("{name}.c")),
                include_str!("../helpers/ipc32.c"),
            )
            .is_ok()
        })?;
        let source = dir.join(format!("{name}.c"));
        let out = dir.join(&name);
        let built = std::process::Command::new("cc")
            .args([
                "-m32",
                "-nostdlib",
                "-static",
                "-fno-pie",
                "-no-pie",
                "-O1",
                "-o",
            ])
            .arg(&out)
            .arg(&source)
            .output();
        std::fs::remove_file(&source).ok();
        match built {
            Ok(o) if o.status.success() => Some(out),
            Ok(o) => {
                without_tool(&format!(
                    "cc -m32 cannot build an i386 program here: {}",
                    text(&o.stderr)
                ));
                None
            }
            Err(e) => {
                without_tool(&format!("no cc: {e}"));
                None
            }
        }
    })
    .as_deref()
}

/// An i386 program's task numbers its system calls from i386's table: blocked in msgrcv it
/// shows `ipc` (117) or msgrcv 401, numbers that mean other calls to an x86-64 task.
#[cfg(target_arch = "x86_64")]
#[test]
fn an_i386_program_blocked_in_msgrcv_keeps_its_queue() {
    let Some(ns) = Ns::with_pid_namespace() else {
        return;
    };
    let Some(program) = ipc32_path() else { return };
    for (mode, key) in [("i", "0x7b06"), ("d", "0x7b07")] {
        let mut child = ns
            .command(program)
            .args([mode, key])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("spawn ipc32");
        let hex = format!("0x{:08x}", i64::from_str_radix(&key[2..], 16).expect("hex"));
        let deadline = Instant::now() + Duration::from_secs(10);
        let q = loop {
            let doc = ns.json(&["ls", "--kind", "msg", "--json"]);
            let found = doc["message_queues"]
                .as_array()
                .expect("queues")
                .iter()
                .find(|q| q["key_hex"] == hex.as_str())
                .cloned();
            if let Some(q) =
                found.filter(|q| q["waiters"].as_array().is_some_and(|w| !w.is_empty()))
            {
                break q;
            }
            assert!(
                Instant::now() < deadline,
                "mode {mode}: never seen blocked: {doc}"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        assert_eq!(q["waiters"][0]["syscall"], "msgrcv", "{q}");
        assert_eq!(q["kept"]["code"], "waiters", "{q}");
        let id = q["id"].as_i64().expect("id") as i32;
        assert_eq!(kept_code(&gc_msg(&ns, &[]), id), "waiters");
        ns.kill(q["waiters"][0]["pid"].as_i64().expect("pid") as i32);
        child.wait().ok();
        until_no_waiter(&ns, id);
        assert_eq!(removed_ids(&gc_msg(&ns, &[])), [i64::from(id)]);
    }
}
