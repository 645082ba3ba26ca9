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
