//! `--ipc-ns PID|PATH`: working on another IPC namespace (a container's) from outside it.
use std::process::Command;

use crate::util::*;

#[test]
fn lists_and_cleans_a_namespace_held_by_a_real_process() {
    let Some(ns) = Ns::new() else { return };
    if root_only(&ns, "setns into another IPC namespace needs CAP_SYS_ADMIN") {
        return;
    }
    let orphan = ns.run_helper(&["create", "0x99", "4096", "0600"])[0];
    let holder = ns.spawn_helper(&["create", "0x98", "4096", "0600", "attach"]);
    let pid = ns.pid().to_string();
    let run = |args: &[&str]| {
        ns.outside_command(shmctl_bin())
            .args(args)
            .output()
            .expect("run shmctl")
    };

    // By pid and by namespace file; the creator's liveness is read in our PID namespace.
    for target in [pid.clone(), format!("/proc/{pid}/ns/ipc")] {
        let out = run(&["--ipc-ns", &target, "ls", "--json"]);
        assert_success(&out, &["ls --ipc-ns", &target]);
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        let segments = doc["segments"].as_array().expect("list");
        assert_eq!(segments.len(), 2, "the namespace's segments, not ours");
        assert_eq!(by_id(segments, orphan)["creator_state"], "dead");
        assert_eq!(by_id(segments, holder.id())["creator_state"], "alive");
    }

    let out = run(&["gc", "--yes", "--json", "--ipc-ns", &pid]);
    assert_success(&out, &["gc --ipc-ns"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["removed"][0]["id"], orphan);
    assert_eq!(
        ns.segments().len(),
        1,
        "the orphan went; the attached one stays"
    );
}

#[test]
fn clear_errors_for_bad_targets() {
    let Some(ns) = Ns::new() else { return };
    if root_only(&ns, "needs a second uid") {
        return;
    }
    let pid = ns.pid().to_string();
    let out = ns.shmctl_as(65534, &["--ipc-ns", &pid, "ls"]);
    assert_exit(&out, 4, &["--ipc-ns as nobody"]);
    assert!(
        text(&out.stderr).contains("needs CAP_SYS_ADMIN"),
        "{}",
        text(&out.stderr)
    );
    let out = Command::new(shmctl_bin())
        .args(["--ipc-ns", "/etc/hostname", "ls"])
        .output()
        .expect("run");
    assert_exit(&out, 2, &["not a namespace"]);
    let out = Command::new(shmctl_bin())
        .args(["--ipc-ns", "4000000", "ls"])
        .output()
        .expect("run");
    assert_exit(&out, 3, &["no such pid"]);
}

/// POSIX objects belong to a mount namespace, which `--ipc-ns` does not enter: they are not
/// listed, judged or removed there (it used to clean the caller's own /dev/shm and
/// /dev/mqueue as if they were the container's), and `ls` says why.
#[test]
fn posix_objects_are_not_taken_from_the_callers_dev() {
    let Some(ns) = Ns::with_mounts() else { return };
    if root_only(&ns, "setns into another IPC namespace needs CAP_SYS_ADMIN") {
        return;
    }
    // Orphans of every POSIX kind in our /dev (the test namespace's own tmpfs and mqueue).
    ns.run_helper(&["mq", "/leftq", "0600"]);
    let made = ns
        .command("sh")
        .args([
            "-c",
            ": > /dev/shm/left && head -c 32 /dev/zero > /dev/shm/sem.lefts",
        ])
        .output()
        .expect("sh");
    assert_success(&made, &["make POSIX objects"]);
    let before = ns.json(&["ls", "--kind", "pshm,psem,pmq", "--json"]);
    // A second IPC namespace, held by a process that shares our mount namespace.
    let mut other = ns
        .command("unshare")
        .args(["--ipc", "sleep", "600"])
        .spawn()
        .expect("unshare");
    // nsenter (no PID namespace here) execs unshare, which execs sleep in its new namespace.
    let ours = std::fs::read_link(format!("/proc/{}/ns/ipc", ns.pid())).expect("our ns");
    let pid = other.id().to_string();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::fs::read_link(format!("/proc/{pid}/ns/ipc"))
        .ok()
        .as_ref()
        == Some(&ours)
        || std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default() != "sleep\n"
    {
        assert!(std::time::Instant::now() < deadline, "no second namespace");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }

    let listed = ns.json(&["--ipc-ns", &pid, "ls", "--all", "--json"]);
    for list in ["posix_shm", "posix_semaphores", "posix_queues"] {
        assert_eq!(listed[list], serde_json::json!([]), "{list}: {listed}");
        assert_eq!(
            listed[format!("{list}_available")],
            false,
            "{list}: {listed}"
        );
        let why = listed[format!("{list}_unavailable")]
            .as_str()
            .unwrap_or_default();
        assert!(why.contains("--ipc-ns"), "{list}: {why}");
    }
    let out = ns.shmctl(&[
        "--ipc-ns",
        &pid,
        "gc",
        "--kind",
        "all",
        "--older-than",
        "0s",
        "--yes",
        "--json",
    ]);
    assert_success(&out, &["gc --ipc-ns"]);
    let report = doc(&out);
    assert_eq!(report["removed"], serde_json::json!([]), "{report}");
    let out = ns.shmctl(&["--ipc-ns", &pid, "stat", "pshm:/left"]);
    assert_exit(&out, 3, &["stat pshm --ipc-ns"]);
    assert!(
        text(&out.stderr).contains("--ipc-ns"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        ns.json(&["ls", "--kind", "pshm,psem,pmq", "--json"]),
        before,
        "our own POSIX objects are untouched"
    );
    other.kill().ok();
    other.wait().ok();
}
