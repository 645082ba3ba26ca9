use crate::util::*;

#[test]
fn removes_unattached_by_id_key_and_ftok() {
    let Some(ns) = Ns::new() else { return };
    let a = ns.run_helper(&["create", "0x10", "4096", "0600"])[0];
    ns.run_helper(&["create", "0xdeadbeef", "4096", "0600"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().to_str().expect("utf-8");
    let created = ns.json(&[
        "create",
        "--size",
        "4096",
        "--ftok",
        &format!("{path}:7"),
        "--json",
    ]);

    let out = ns.shmctl(&[
        "rm",
        "--json",
        &a.to_string(),
        "0xdeadbeef",
        &format!("ftok:{path}:7"),
        "key:16",
    ]);
    assert_success(&out, &["rm"]);
    let d = doc(&out);
    assert_eq!(d["dry_run"], false);
    let removed = d["removed"].as_array().expect("removed");
    assert_eq!(
        removed.len(),
        3,
        "the same segment named twice is removed once: {d}"
    );
    assert_eq!(removed[0]["id"], a);
    assert_eq!(removed[0]["type"], "shm");
    assert_eq!(removed[0]["key_hex"], "0x00000010");
    assert_eq!(removed[0]["size"], 4096);
    assert_eq!(removed[2]["id"], created["id"]);
    assert_eq!(d["kept"], serde_json::json!([]));
    assert_eq!(d["failed"], serde_json::json!([]));
    assert!(ns.segments().is_empty());
}

#[test]
fn attached_is_refused_unless_forced() {
    let Some(ns) = Ns::new() else { return };
    let holder = ns.spawn_helper(&["create", "0x20", "4096", "0640", "attach"]);
    let id = holder.id().to_string();

    let out = ns.shmctl(&["rm", "--json", &id]);
    assert_exit(&out, 1, &["rm attached"]);
    let d = doc(&out);
    assert_eq!(d["kept"][0]["reason"]["code"], "attached");
    let s = ns.segments();
    let s = by_id(&s, holder.id());
    assert_eq!(
        (s["mode"].as_u64(), s["status"].clone()),
        (Some(0o640), serde_json::json!([])),
        "untouched"
    );

    let out = ns.shmctl(&["rm", &id]);
    assert_exit(&out, 1, &["rm attached"]);
    assert!(
        text(&out.stdout).contains("--force"),
        "says how: {}",
        text(&out.stdout)
    );

    let out = ns.shmctl(&["rm", "--force", "--json", &id]);
    assert_success(&out, &["rm --force"]);
    assert_eq!(doc(&out)["removed"][0]["marked_for_destruction"], true);
    let s = ns.segments();
    let s = by_id(&s, holder.id());
    assert_eq!(s["status"], serde_json::json!(["dest"]));
    assert_eq!(
        s["key"], 0,
        "the kernel renames a marked segment to IPC_PRIVATE"
    );

    holder.release();
    assert!(ns.segments().is_empty(), "gone at the last detach");
}

#[test]
fn dry_run_removes_nothing() {
    let Some(ns) = Ns::new() else { return };
    let id = ns.run_helper(&["create", "0x30", "4096", "0600"])[0];
    let before = ns.segments();
    let out = ns.shmctl(&["rm", "--dry-run", "--json", &id.to_string()]);
    assert_success(&out, &["rm -n"]);
    let d = doc(&out);
    assert_eq!(d["dry_run"], true);
    assert_eq!(d["removed"][0]["id"], id);
    assert_eq!(ns.segments(), before);
    let out = ns.shmctl(&["rm", "-n", &id.to_string()]);
    assert!(
        text(&out.stdout).starts_with("would remove shm"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn exit_codes_merge_across_the_batch() {
    let Some(ns) = Ns::new() else { return };
    let a = ns.run_helper(&["create", "0x40", "4096", "0600"])[0];
    // Missing only: 3; the good one is still removed (the batch goes on).
    let out = ns.shmctl(&["rm", "--json", "999", &a.to_string(), "0x41"]);
    assert_exit(&out, 3, &["rm missing"]);
    let d = doc(&out);
    assert_eq!(d["removed"][0]["id"], a);
    assert_eq!(d["failed"].as_array().expect("failed").len(), 2);
    assert_eq!(d["failed"][0]["error"]["code"], "ENOENT");
    assert!(
        text(&out.stderr).is_empty(),
        "JSON mode keeps stderr for fatal errors only"
    );

    let out = ns.shmctl(&["rm", "999"]);
    assert_exit(&out, 3, &["rm 999"]);
    assert!(
        text(&out.stderr).contains("shmctl: error: no shared memory segment has id 999"),
        "{}",
        text(&out.stderr)
    );

    // Missing and refused: mixed kinds give 1.
    let holder = ns.spawn_helper(&["create", "0x42", "4096", "0600", "attach"]);
    let out = ns.shmctl(&["rm", "999", &holder.id().to_string()]);
    assert_exit(&out, 1, &["rm mixed"]);

    if root_only(&ns, "permission checks need a second uid: root only") {
        return;
    }
    let theirs = ns.run_helper(&["create", "0x43", "4096", "0644"])[0];
    let out = ns.shmctl_as(65534, &["rm", "--json", &theirs.to_string()]);
    assert_exit(&out, 4, &["rm as nobody"]);
    let d = doc(&out);
    // Judged in the plan: kept, with whose it is and who may remove it.
    assert_eq!(d["kept"][0]["reason"]["code"], "not_owner", "{d}");
    assert_eq!(
        d["kept"][0]["reason"]["text"],
        "owned by root (uid 0): only its owner, its creator or root can remove it"
    );
    let s = ns.segments();
    assert_eq!(
        by_id(&s, theirs)["mode"],
        0o644,
        "a refused removal leaves the mode alone"
    );
    let out = ns.shmctl_as(65534, &["rm", "999", &theirs.to_string()]);
    assert_exit(&out, 1, &["rm missing + denied"]);
}

#[test]
fn quiet_prints_nothing_on_success() {
    let Some(ns) = Ns::new() else { return };
    let id = ns.run_helper(&["create", "0x50", "4096", "0600"])[0];
    let out = ns.shmctl(&["rm", "-q", &id.to_string()]);
    assert_success(&out, &["rm -q"]);
    assert_eq!(text(&out.stdout), "");
    assert_eq!(text(&out.stderr), "");
}

#[test]
fn concurrent_removals_remove_each_segment_once() {
    let Some(ns) = Ns::new() else { return };
    ns.run_helper(&["many", "300", "1"]);
    let ids: Vec<String> = ns.segments().iter().map(|s| s["id"].to_string()).collect();
    let spawn = || {
        let mut cmd = ns.command(shmctl_bin());
        cmd.arg("rm")
            .arg("--json")
            .args(&ids)
            .stdout(std::process::Stdio::piped());
        cmd.spawn().expect("spawn rm")
    };
    let (first, second) = (spawn(), spawn());
    let outs = [
        first.wait_with_output().expect("wait"),
        second.wait_with_output().expect("wait"),
    ];
    let mut removed: Vec<i64> = outs
        .iter()
        .flat_map(|o| doc(o)["removed"].as_array().expect("removed").clone())
        .map(|r| r["id"].as_i64().expect("id"))
        .collect();
    removed.sort_unstable();
    let before = removed.len();
    removed.dedup();
    assert_eq!(before, removed.len(), "a segment reported removed twice");
    assert_eq!(removed.len(), ids.len());
    assert!(
        ns.segments().is_empty(),
        "none left behind (e.g. at mode 000)"
    );
}
