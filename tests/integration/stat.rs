use crate::util::*;

#[test]
fn stat_shows_attachers_cmdlines_and_never_attaches() {
    let Some(ns) = Ns::new() else { return };
    let holder = ns.spawn_helper(&["create", "0x4242", "12288", "0600", "attach"]);
    let lone = ns.run_helper(&["create", "0x4343", "4096", "0600"])[0];
    let before = ns.segments();

    let doc = ns.json(&["stat", "--json", &holder.id().to_string(), "0x4343"]);
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["failed"], serde_json::json!([]));
    let segments = doc["segments"].as_array().expect("list");
    assert_eq!(segments.len(), 2);

    let s = by_id(segments, holder.id());
    assert_eq!(s["nattch"], 1);
    assert_eq!(s["creator_state"], "alive");
    let cmdline = s["creator_cmdline"].as_str().expect("creator cmdline");
    assert!(
        cmdline.contains("shm-helper") && cmdline.contains("0x4242"),
        "{cmdline}"
    );
    assert_eq!(s["last_cmdline"], s["creator_cmdline"]);
    let attached = s["attached"].as_array().expect("attached");
    assert_eq!(attached.len(), 1);
    assert_eq!(attached[0]["pid"], holder.pid);
    assert!(attached[0]["comm"]
        .as_str()
        .expect("comm")
        .starts_with("shm-helper"));
    assert_eq!(attached[0]["length"], 12288);
    assert_eq!(attached[0]["writable"], true);
    assert!(attached[0]["address"]
        .as_str()
        .expect("address")
        .starts_with("0x"));
    assert_eq!(s["attached_complete"], true);
    assert_eq!(s["shm_rmid_forced"], 0);
    assert!(s["rss"].is_u64() && s["swap"].is_u64());

    let s = by_id(segments, lone);
    assert_eq!(s["creator_state"], "dead");
    assert!(s["creator_cmdline"].is_null());
    assert_eq!(s["attached"], serde_json::json!([]));

    // Looking changed nothing: same nattch, lpid and times.
    assert_eq!(ns.segments(), before);

    let out = ns.shmctl(&["stat", &lone.to_string()]);
    assert_success(&out, &[]);
    let stdout = text(&out.stdout);
    for expected in [
        "key 0x00004343",
        "mode           0600 rw-------",
        "cpid",
        "dead",
        "never attached",
        "shm_rmid_forced 0",
    ] {
        assert!(stdout.contains(expected), "{expected:?} in\n{stdout}");
    }
}

#[test]
fn stat_reports_shm_rmid_forced_of_the_namespace() {
    let Some(ns) = Ns::new() else { return };
    if root_only(&ns, "setting shm_rmid_forced needs root") {
        return;
    }
    let holder = ns.spawn_helper(&["create", "0x77", "4096", "0600"]);
    ns.sysctl("kernel.shm_rmid_forced", "1");
    let doc = ns.json(&["stat", "--json", &holder.id().to_string()]);
    assert_eq!(doc["segments"][0]["shm_rmid_forced"], 1);
}

#[test]
fn stat_batch_reports_missing_and_keeps_going() {
    let Some(ns) = Ns::new() else { return };
    let id = ns.run_helper(&["create", "0x99", "4096", "0600"])[0];
    let out = ns.shmctl(&["stat", "--json", "12345", &id.to_string(), "key:0x98"]);
    assert_exit(&out, 3, &["stat"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(doc["segments"].as_array().expect("list").len(), 1);
    let failed = doc["failed"].as_array().expect("failed");
    assert_eq!(failed.len(), 2);
    assert_eq!(failed[0]["selector"], "id 12345");
    assert_eq!(failed[0]["error"]["code"], "ENOENT");
    assert!(failed[1]["error"]["text"]
        .as_str()
        .expect("text")
        .contains("0x00000098"));
}

#[test]
fn incomplete_attacher_list_is_said_when_maps_are_unreadable() {
    let Some(ns) = Ns::new() else { return };
    if root_only(&ns, "needs a second uid: root only") {
        return;
    }
    let holder = ns.spawn_helper(&["create", "0x55", "4096", "0666", "attach"]);
    // nobody cannot read root's maps.
    let out = ns.shmctl_as(65534, &["stat", "--json", &holder.id().to_string()]);
    assert_success(&out, &["stat as nobody"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let s = &doc["segments"][0];
    assert_eq!(s["nattch"], 1);
    assert_eq!(s["attached"], serde_json::json!([]));
    assert_eq!(s["attached_complete"], false);
    // The pid exists (EPERM from kill is not death).
    assert_eq!(s["creator_state"], "alive");
    let out = ns.shmctl_as(65534, &["stat", &holder.id().to_string()]);
    let shown = text(&out.stdout);
    assert!(
        shown.contains(
            "attached       1 (0 found: the others are in processes whose maps could not be read"
        ),
        "{shown}"
    );
}

#[test]
fn attachers_this_pid_namespace_cannot_see_make_the_list_incomplete() {
    // shmctl runs in the namespace's own PID namespace; the attacher shares the IPC namespace
    // from outside it, so no /proc/PID/maps that shmctl can read shows the mapping.
    let Some(ns) = Ns::with_pid_namespace() else {
        return;
    };
    let hidden =
        ns.spawn_helper_outside_pid_namespace(&["create", "0x57", "4096", "0600", "attach"]);
    let id = hidden.id().to_string();
    let doc = ns.json(&["stat", "--json", &id]);
    let s = &doc["segments"][0];
    assert_eq!(s["nattch"], 1);
    assert_eq!(s["cpid"], 0, "the creator is invisible here");
    assert_eq!(s["attached"], serde_json::json!([]));
    assert_eq!(s["attached_complete"], false, "{s}");
    let out = ns.shmctl(&["stat", &id]);
    assert_success(&out, &["stat"]);
    let shown = text(&out.stdout);
    assert!(
        shown.contains(
            "attached       1 (0 found: the others are in processes this PID namespace cannot see)"
        ),
        "{shown}"
    );

    // One visible attacher beside the hidden one: still incomplete, and the one found is listed.
    let visible = ns.spawn_helper(&["pid", "use", &id, "attach"]);
    let visible_pid = pids(&visible.lines.join("\n"))[0];
    let doc = ns.json(&["stat", "--json", &id]);
    let s = &doc["segments"][0];
    assert_eq!(s["nattch"], 2);
    assert_eq!(s["attached"].as_array().map(Vec::len), Some(1));
    assert_eq!(s["attached"][0]["pid"], visible_pid);
    assert_eq!(s["attached_complete"], false, "{s}");
    let shown = text(&ns.shmctl(&["stat", &id]).stdout);
    assert!(shown.contains("attached       2 (1 found: "), "{shown}");

    // Once the hidden one detaches, what is found is all there is.
    hidden.release();
    let doc = ns.json(&["stat", "--json", &id]);
    assert_eq!(doc["segments"][0]["nattch"], 1);
    assert_eq!(doc["segments"][0]["attached_complete"], true);
    drop(visible);
}
