//! An ordinary user: in its own user + IPC namespace, and beside root's segments.
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::util::*;

#[test]
fn ordinary_user_creates_lists_and_removes_in_a_user_namespace() {
    let script = format!(
        "set -e; S={}; $S create --size 4096 --key 0x99 --json; $S ls --json; \
         $S rm 0x99 --json; $S ls --json",
        shmctl_bin()
    );
    // Its lock lives in TMPDIR (the machine's /run/shmctl is not a user namespace's root's
    // to use): a scratch directory like /tmp, not the host's.
    let scratch = tempfile::tempdir().expect("tempdir");
    std::fs::set_permissions(
        scratch.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o1777),
    )
    .expect("chmod");
    let mut cmd = if is_root() {
        let mut c = Command::new("setpriv");
        c.args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--",
            "unshare",
        ]);
        c
    } else {
        Command::new("unshare")
    };
    cmd.args([
        "--user",
        "--map-root-user",
        "--ipc",
        "--",
        "sh",
        "-c",
        &script,
    ]);
    let out = cmd
        .env("TMPDIR", scratch.path())
        .env_remove("XDG_RUNTIME_DIR")
        .stdin(Stdio::null())
        .output()
        .expect("run unshare");
    if !out.status.success() && text(&out.stderr).contains("unshare failed") {
        skip(&format!(
            "user namespaces are not allowed here: {}",
            text(&out.stderr)
        ));
        return;
    }
    assert_success(&out, &["unprivileged script"]);
    let docs: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(docs.len(), 4);
    assert_eq!(docs[0]["created"], true);
    assert_eq!(docs[1]["segments"][0]["key_hex"], "0x00000099");
    assert_eq!(docs[2]["removed"][0]["key_hex"], "0x00000099");
    assert_eq!(docs[3]["segments"], serde_json::json!([]));
}

#[test]
fn ordinary_user_lists_segments_it_cannot_read() {
    let Some(ns) = Ns::new() else { return };
    if root_only(&ns, "needs a second uid: root only") {
        return;
    }
    let id = ns.run_helper(&["create", "0x61", "4096", "0600"])[0];
    // SHM_STAT_ANY needs no read permission: nobody sees root's 0600 segment, as in /proc.
    let out = ns.shmctl_as(65534, &["ls", "--json"]);
    assert_success(&out, &["ls as nobody"]);
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    let segments = doc["segments"].as_array().expect("list");
    assert_eq!(by_id(segments, id)["mode"], 0o600);
    // And stat by id works without read permission too.
    let out = ns.shmctl_as(65534, &["stat", "--json", &id.to_string()]);
    assert_success(&out, &["stat as nobody"]);
}
