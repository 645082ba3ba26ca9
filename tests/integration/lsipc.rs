//! Differential test: `shmctl ls --json` against util-linux's `lsipc -m --json -b`, field by
//! field, on segments chosen for the traps: odd modes, a key with the top bit set, an owner
//! uid above 65535, attached, marked for destruction, locked, created by another user.
use std::collections::BTreeSet;
use std::process::Stdio;

use serde_json::Value;

use crate::util::*;

const COLUMNS: &str = "KEY,ID,OWNER,PERMS,CUID,CGID,UID,GID,USER,GROUP,SIZE,NATTCH,STATUS,CTIME,ATTACH,DETACH,CPID,LPID";

fn lsipc(ns: &Ns) -> Vec<Value> {
    let out = ns
        .command("lsipc")
        .args(["-m", "--json", "-b", "--time-format", "iso", "-o", COLUMNS])
        .stdin(Stdio::null())
        .output()
        .expect("lsipc (util-linux) is needed for this test");
    assert_success(&out, &["lsipc"]);
    let doc: Value = serde_json::from_slice(&out.stdout).expect("lsipc JSON");
    // An empty namespace prints nothing at all.
    doc["sharedmemory"].as_array().cloned().unwrap_or_default()
}

/// lsipc prints every value as a string (or null): compare with our typed value.
fn same(ours: &Value, theirs: &Value) -> bool {
    match (ours, theirs) {
        (Value::Null, Value::Null) => true,
        (Value::Number(n), Value::String(s)) => n.to_string() == *s,
        (Value::String(a), Value::String(b)) => a == b,
        _ => false,
    }
}

/// Our RFC 3339 UTC against lsipc's ISO time in TZ=UTC.
fn same_time(ours: &Value, theirs: &Value) -> bool {
    match (ours, theirs) {
        (Value::Null, Value::Null) => true,
        (Value::String(a), Value::String(b)) => {
            a.trim_end_matches('Z') == b.trim_end_matches("+00:00")
        }
        _ => false,
    }
}

fn words(status: &Value) -> BTreeSet<String> {
    match status {
        Value::String(s) => s
            .split([',', ' '])
            .filter(|w| !w.is_empty())
            .map(String::from)
            .collect(),
        Value::Array(a) => a
            .iter()
            .filter_map(|w| w.as_str())
            .map(String::from)
            .collect(),
        _ => BTreeSet::new(),
    }
}

/// (id, cgid) from /proc/sysvipc/shm as the namespace sees it.
fn proc_cgids(ns: &Ns) -> Vec<(i32, u32)> {
    let out = ns
        .command("cat")
        .arg("/proc/sysvipc/shm")
        .output()
        .expect("cat");
    let text = text(&out.stdout);
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split_whitespace().collect();
    let col = |name: &str| header.iter().position(|h| *h == name).expect(name);
    let (c_id, c_cgid) = (col("shmid"), col("cgid"));
    lines
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .map(|f| {
            (
                f[c_id].parse().expect("id"),
                f[c_cgid].parse().expect("cgid"),
            )
        })
        .collect()
}

#[test]
fn ls_json_matches_lsipc_field_by_field() {
    let Some(ns) = Ns::new() else { return };
    if root_only(&ns, "the varied owners need root") {
        return;
    }
    ns.run_helper(&["create", "0xdeadbeef", "4096", "0401"]);
    ns.run_helper(&["create", "0x7fffffff", "1", "0777"]);
    ns.run_helper(&["create", "0", "100", "0"]);
    ns.run_helper(&[
        "create", "0x100", "8192", "0640", "chown", "100000", "100001",
    ]);
    let _attached = ns.spawn_helper(&["create", "0x200", "4096", "0600", "attach"]);
    let _marked = ns.spawn_helper(&["create", "0x300", "4096", "0600", "attach", "rmid"]);
    let _locked = ns.spawn_helper(&["create", "0x400", "4096", "0600", "lock"]);
    ns.run_helper(&["setuid", "4321", "1234", "create", "0x500", "4096", "0666"]);
    let crashed = ns.spawn_helper(&["create", "0x600", "4096", "0600", "attach"]);
    crashed.crash();

    let ours = ns.segments();
    let theirs = lsipc(&ns);
    assert_eq!(ours.len(), 9);
    assert_eq!(
        ours.len(),
        theirs.len(),
        "same segments\nours: {ours:?}\ntheirs: {theirs:?}"
    );

    for t in &theirs {
        let id: i32 = t["id"].as_str().expect("lsipc id").parse().expect("id");
        let o = by_id(&ours, id);
        let ctx = format!("segment {id}\nours:   {o}\ntheirs: {t}");
        let pairs = [
            (&o["key_hex"], &t["key"]),
            (&o["perms"], &t["perms"]),
            (&o["creator"]["uid"], &t["cuid"]),
            (&o["owner"]["uid"], &t["uid"]),
            (&o["owner"]["gid"], &t["gid"]),
            (&o["size"], &t["size"]),
            (&o["nattch"], &t["nattch"]),
            (&o["cpid"], &t["cpid"]),
            (&o["lpid"], &t["lpid"]),
        ];
        for (ours, theirs) in pairs {
            assert!(same(ours, theirs), "{ours} vs {theirs} in {ctx}");
        }
        // Owner: lsipc prints the name, or the uid when it has none.
        let owner = o["owner"]["user"]
            .as_str()
            .map(String::from)
            .unwrap_or_else(|| o["owner"]["uid"].to_string());
        assert_eq!(t["owner"], owner.as_str(), "{ctx}");
        if let Some(user) = o["owner"]["user"].as_str() {
            assert_eq!(t["user"], user, "{ctx}");
        }
        if let Some(group) = o["owner"]["group"].as_str() {
            assert_eq!(t["group"], group, "{ctx}");
        }
        assert_eq!(words(&o["status"]), words(&t["status"]), "{ctx}");
        assert!(same_time(&o["ctime"], &t["ctime"]), "ctime {ctx}");
        assert!(same_time(&o["atime"], &t["attach"]), "atime {ctx}");
        assert!(same_time(&o["dtime"], &t["detach"]), "dtime {ctx}");
    }

    // lsipc 2.38 prints the creator's uid in its CGID column; the kernel's own file (and
    // `ipcs -c`) give the real cgid, which is what we report.
    for (id, cgid) in proc_cgids(&ns) {
        assert_eq!(
            by_id(&ours, id)["creator"]["gid"],
            cgid,
            "cgid of {id} per /proc/sysvipc/shm"
        );
    }

    // The traps were really exercised.
    let find = |key: &str| ours.iter().find(|s| s["key_hex"] == key).expect(key);
    assert_eq!(
        find("0xdeadbeef")["key"],
        0xdeadbeefu32,
        "top-bit key read unsigned"
    );
    assert_eq!(find("0x00000100")["owner"]["uid"], 100_000);
    assert_eq!(
        find("0x00000500")["creator"],
        serde_json::json!({"uid": 4321, "gid": 1234})
    );
    assert_eq!(find("0x00000400")["status"], serde_json::json!(["locked"]));
    assert!(ours
        .iter()
        .any(|s| s["status"] == serde_json::json!(["dest"])));
}
