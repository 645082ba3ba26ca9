use crate::util::*;

#[test]
fn create_private_by_default_with_mode() {
    let Some(ns) = Ns::new() else { return };
    let doc = ns.json(&["create", "--size", "4K", "--json"]);
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["created"], true);
    assert_eq!(doc["key"], 0);
    assert_eq!(doc["size"], 4096);
    let s = ns.segments();
    let s = by_id(&s, doc["id"].as_i64().expect("id") as i32);
    assert_eq!(s["mode"], 0o600);
    assert_eq!(s["size"], 4096);

    let doc = ns.json(&[
        "create",
        "--size",
        "1MiB",
        "--mode",
        "0640",
        "--private",
        "--json",
    ]);
    let s = ns.segments();
    let s = by_id(&s, doc["id"].as_i64().expect("id") as i32);
    assert_eq!(
        (s["size"].as_u64(), s["mode"].as_u64()),
        (Some(1 << 20), Some(0o640))
    );

    let out = ns.shmctl(&["create", "--size", "4KB"]);
    assert_success(&out, &[]);
    assert!(
        text(&out.stdout).contains("size 4000 created"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn existing_key_is_returned_unless_exclusive() {
    let Some(ns) = Ns::new() else { return };
    let first = ns.json(&["create", "--size", "8192", "--key", "0x5a00c062", "--json"]);
    assert_eq!(first["created"], true);
    assert_eq!(first["key_hex"], "0x5a00c062");

    let again = ns.json(&["create", "--size", "4096", "--key", "0x5a00c062", "--json"]);
    assert_eq!(again["created"], false);
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["size"], 8192, "reports the existing segment's size");

    let out = ns.shmctl(&[
        "create",
        "--size",
        "4096",
        "--key",
        "0x5a00c062",
        "--exclusive",
    ]);
    assert_exit(&out, 1, &["create --exclusive"]);
    assert!(
        text(&out.stderr).contains("exists"),
        "{}",
        text(&out.stderr)
    );

    let out = ns.shmctl(&["create", "--size", "16384", "--key", "0x5a00c062"]);
    assert_exit(&out, 1, &["create larger"]);
    assert!(
        text(&out.stderr).contains("smaller than 16384"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(ns.segments().len(), 1);
}

#[test]
fn create_with_ftok_matches_key_command() {
    let Some(ns) = Ns::new() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().to_str().expect("utf-8");
    let key = ns.json(&["key", path, "A", "--json"]);
    assert_eq!(key["proj"], 65);
    let k = key["key"].as_u64().expect("key");
    assert_eq!(k >> 24, 65);
    assert_eq!(k & 0xffff, key["inode"].as_u64().expect("inode") & 0xffff);
    assert_eq!(
        (k >> 16) & 0xff,
        key["device"].as_u64().expect("device") & 0xff
    );
    assert_eq!(key["key_hex"], format!("{k:#010x}"));

    let created = ns.json(&[
        "create",
        "--size",
        "4096",
        "--ftok",
        &format!("{path}:65"),
        "--json",
    ]);
    assert_eq!(created["key"], key["key"]);
    // And the selector finds it.
    let stat = ns.json(&["stat", "--json", &format!("ftok:{path}:A")]);
    assert_eq!(stat["segments"][0]["id"], created["id"]);
}

#[test]
fn limits_never_overflow() {
    let Some(ns) = Ns::new() else { return };
    ns.run_helper(&["create", "0x1", "10000", "0600"]);
    let doc = ns.json(&["limits", "--json"]);
    let shm = &doc["shm"];
    assert_eq!(shm["used_segments"], 1);
    assert_eq!(shm["used_pages"], 3);
    assert_eq!(shm["page_size"], 4096);
    assert_eq!(shm["max_segments"], 4096);
    // Linux's defaults mean "no limit" (ULONG_MAX - 2^24): null, flagged, never a wrapped number.
    assert!(shm["max_segment_bytes"].is_null());
    assert_eq!(shm["max_segment_bytes_unlimited"], true);
    assert!(shm["max_total_pages"].is_null());
    assert_eq!(shm["max_total_bytes_unlimited"], true);

    let out = ns.shmctl(&["limits"]);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("unlimited") && !stdout.contains("18446744073"),
        "{stdout}"
    );
}

#[test]
fn an_existing_key_is_returned_only_with_the_access_asked_for() {
    let Some(ns) = Ns::new() else { return };
    if root_only(&ns, "a second uid") {
        return;
    }
    // Root's segments, closed to others (mode 0000 and 0600), and one open to all (0666).
    ns.run_helper(&["create", "0x77", "4096", "0000"]);
    ns.run_helper(&["create", "0x78", "4096", "0600"]);
    let open = ns.run_helper(&["create", "0x79", "4096", "0666"])[0];
    for key in ["0x77", "0x78"] {
        for mode in [None, Some("0600"), Some("0000"), Some("0004")] {
            let mut args = vec!["create", "--key", key, "--size", "4K"];
            if let Some(mode) = mode {
                args.extend(["--mode", mode]);
            }
            let out = ns.shmctl_as(1000, &args);
            assert_exit(&out, 4, &args);
            let err = text(&out.stderr);
            assert!(
                err.contains("owned by root (uid 0)") && err.contains("permission denied"),
                "{args:?}: {err}"
            );
            assert!(out.stdout.is_empty(), "{args:?}: {}", text(&out.stdout));
        }
    }
    for mode in ["0600", "0000", "0640", "0004"] {
        let args = [
            "create", "--key", "0x79", "--size", "4K", "--mode", mode, "--json",
        ];
        let out = ns.shmctl_as(1000, &args);
        assert_success(&out, &args);
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!(doc["created"], false, "{args:?}");
        assert_eq!(doc["id"], open, "{args:?}");
    }
    // The owner gets its own segment back whatever --mode asks (execute bits ask nothing).
    for mode in ["0600", "0700", "0111", "0000"] {
        let args = ["create", "--key", "0x7a", "--size", "4K", "--mode", "0600"];
        assert_success(&ns.shmctl_as(1000, &args), &args);
        let args = [
            "create", "--key", "0x7a", "--size", "4K", "--mode", mode, "--json",
        ];
        let out = ns.shmctl_as(1000, &args);
        assert_success(&out, &args);
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!(doc["created"], false, "{args:?}");
    }
    // Root passes the permission bits (CAP_IPC_OWNER), as shmget lets it.
    let doc = ns.json(&["create", "--key", "0x77", "--size", "4K", "--json"]);
    assert_eq!(doc["created"], false);
    assert_eq!(
        ns.segments().len(),
        4,
        "nothing was created but uid 1000's own"
    );
}

/// A segment shmctl creates is an orphan the moment it exits: it says so on stderr (not with
/// -q, not for a segment that already existed), and the next gc does remove it.
#[test]
fn creating_says_the_segment_is_an_orphan_until_attached() {
    let Some(ns) = Ns::new() else { return };
    let out = ns.shmctl(&["create", "--size", "4096", "--key", "0x61"]);
    assert_success(&out, &["create"]);
    let err = text(&out.stderr);
    assert!(
        err.contains("next `shmctl gc` removes it") && err.contains("shmctl attach"),
        "{err}"
    );
    let again = ns.shmctl(&["create", "--size", "4096", "--key", "0x61"]);
    assert_success(&again, &["create of an existing key"]);
    assert!(
        !text(&again.stderr).contains("orphan"),
        "{}",
        text(&again.stderr)
    );
    let quiet = ns.shmctl(&["create", "--size", "4096", "-q"]);
    assert_success(&quiet, &["create -q"]);
    assert!(quiet.stderr.is_empty(), "{}", text(&quiet.stderr));
    let gc = ns.shmctl(&["gc", "--yes", "--json"]);
    assert_success(&gc, &["gc"]);
    let doc: serde_json::Value = serde_json::from_slice(&gc.stdout).expect("json");
    assert_eq!(doc["removed"].as_array().map(Vec::len), Some(2), "{doc}");
}
