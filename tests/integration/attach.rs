//! `attach` (hold, exec, set) and `create --from`.
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::util::*;

const HEADER: &str = "#include <stdint.h>\n#include <stdbool.h>\nenum Mode { IDLE, RUN = 5 };\n\
    struct SharedData { int32_t counter; char message[100]; bool ready; unsigned flags:3; enum Mode mode; void *p; };\n";

fn nattch(ns: &Ns, id: i32) -> i64 {
    by_id(&ns.segments(), id)["nattch"]
        .as_i64()
        .expect("nattch")
}

#[test]
fn hold_attaches_until_sigterm() {
    let Some(ns) = Ns::new() else { return };
    let id = ns.run_helper(&["create", "0x70", "4096", "0600"])[0];
    let mut holder = ns
        .command(shmctl_bin())
        .args(["attach", &id.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("attach");
    let deadline = Instant::now() + Duration::from_secs(10);
    while nattch(&ns, id) == 0 {
        assert!(Instant::now() < deadline, "attach did not attach");
        std::thread::sleep(Duration::from_millis(20));
    }
    let s = ns.segments();
    assert_eq!(by_id(&s, id)["last_state"], "alive");
    let plan: Value =
        serde_json::from_slice(&ns.shmctl(&["gc", "--dry-run", "--json"]).stdout).expect("json");
    assert_eq!(
        plan["kept"][0]["reason"]["code"], "attached",
        "gc leaves a held segment alone"
    );
    // SAFETY: kill has no memory effects; the pid is our child's.
    unsafe { libc::kill(holder.id() as i32, libc::SIGTERM) };
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = holder.try_wait().expect("wait") {
            break status;
        }
        assert!(Instant::now() < deadline, "attach did not exit on SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0), "SIGTERM detaches and exits 0");
    assert_eq!(nattch(&ns, id), 0);
    let out = holder.wait_with_output().expect("output");
    assert!(
        text(&out.stdout).contains("detached from shm"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn exec_holds_while_the_command_runs_and_passes_its_status() {
    let Some(ns) = Ns::new() else { return };
    let id = ns.run_helper(&["create", "0x71", "4096", "0600"])[0].to_string();
    // The command sees the segment attached (nattch 1) …
    let script = format!(
        "{} ls --json --columns +NATTCH | grep -q '\"nattch\":1' && exit 7",
        shmctl_bin()
    );
    let out = ns.shmctl(&["attach", &id, "--exec", "--", "sh", "-c", &script]);
    assert_eq!(
        out.status.code(),
        Some(7),
        "the command's exit status: {}",
        text(&out.stderr)
    );
    // … and it is detached afterwards.
    assert_eq!(ns.segments()[0]["nattch"], 0);
    let out = ns.shmctl(&["attach", &id, "--exec", "--", "/nonexistent/command"]);
    assert_exit(&out, 3, &["missing command"]);
    let out = ns.shmctl(&["attach", &id, "--exec"]);
    assert_exit(&out, 2, &["--exec without a command"]);
}

#[test]
fn attach_is_refused_where_its_detach_would_destroy_the_segment() {
    let Some(ns) = Ns::new() else { return };
    if root_only(&ns, "sets kernel.shm_rmid_forced") {
        return;
    }
    // Live creators (KERNEL-NOTES §3: writing 1 destroys unattached segments of dead ones):
    // one never attaches, the other stays attached.
    let lone = ns.spawn_helper(&["create", "0x72", "4096", "0600"]);
    let shared = ns.spawn_helper(&["create", "0x73", "4096", "0600", "attach"]);
    ns.sysctl("kernel.shm_rmid_forced", "1");
    let id = lone.id().to_string();
    for args in [
        vec!["attach", id.as_str(), "--exec", "--", "true"],
        vec!["attach", id.as_str(), "--rw", "--exec", "--", "true"],
        vec!["attach", id.as_str()],
    ] {
        // Bounded: a plain attach that is not refused would hold until a signal.
        let out = ns
            .command("timeout")
            .arg("10")
            .arg(shmctl_bin())
            .args(&args)
            .stdin(Stdio::null())
            .output()
            .expect("run shmctl");
        assert_exit(&out, 1, &args);
        let err = text(&out.stderr);
        assert!(
            err.contains("kernel.shm_rmid_forced=1") && err.contains("--force"),
            "{args:?}: {err}"
        );
        assert_eq!(
            nattch(&ns, lone.id()),
            0,
            "{args:?}: still there, unattached"
        );
    }
    // Another attachment keeps it alive across ours: no refusal.
    let other = shared.id().to_string();
    let out = ns.shmctl(&["attach", &other, "--exec", "--", "true"]);
    assert_success(&out, &["attach of a segment attached elsewhere"]);
    assert_eq!(nattch(&ns, shared.id()), 1);
    // --force does what it was told, and the detach destroys the segment as warned.
    let out = ns.shmctl(&["attach", &id, "--force", "--exec", "--", "true"]);
    assert_success(&out, &["attach --force"]);
    let left: Vec<i64> = ns
        .segments()
        .iter()
        .map(|s| s["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(left, [i64::from(shared.id())]);
}

#[test]
fn set_writes_fields_that_fit_and_refuses_the_rest() {
    let Some(ns) = Ns::new() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let header = dir.path().join("shared.h");
    std::fs::write(&header, HEADER).expect("header");
    let header = header.to_str().expect("utf-8");
    let id = ns.run_helper(&["create", "0x72", "128", "0600"])[0].to_string();
    let set = |sets: &[&str]| {
        let mut args = vec!["attach", &id, "--schema", header, "--type", "SharedData"];
        for s in sets {
            args.push("--set");
            args.push(s);
        }
        ns.shmctl(&args)
    };
    let decoded = || {
        ns.json(&[
            "dump",
            &id,
            "--schema",
            header,
            "--type",
            "SharedData",
            "--json",
            "-q",
        ])["value"]
            .clone()
    };

    assert_success(
        &set(&[
            "counter=-42",
            "message=hello there",
            "ready=true",
            "flags=5",
            "mode=RUN",
        ]),
        &["set"],
    );
    let expected = json!({"counter": -42, "message": "hello there", "ready": true, "flags": 5, "mode": "RUN", "p": "0x0"});
    assert_eq!(decoded(), expected);
    assert_eq!(ns.segments()[0]["nattch"], 0, "set and detach");

    let long = "x".repeat(100);
    let refusals: [(&[&str], &str); 7] = [
        (&["counter=2147483648"], "does not fit"),
        (
            &["counter=1", &format!("message={long}")],
            "holds 99 with its NUL",
        ),
        (&["ready=maybe"], "not a bool"),
        (&["flags=8"], "0..=7"),
        (&["mode=FAST"], "not one of IDLE, RUN"),
        (&["p=0x10"], "cannot be set"),
        (&["nope=1"], "no field `nope`"),
    ];
    for (sets, message) in refusals {
        let out = set(sets);
        assert!(!out.status.success(), "{sets:?} was accepted");
        assert!(
            text(&out.stderr).contains(message),
            "{sets:?}: {}",
            text(&out.stderr)
        );
        assert_eq!(decoded(), expected, "{sets:?} wrote something");
    }
}

#[test]
fn create_from_a_file() {
    let Some(ns) = Ns::new() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("data.bin");
    let bytes: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
    std::fs::write(&file, &bytes).expect("write");
    let file = file.to_str().expect("utf-8");
    let created = ns.json(&["create", "--from", file, "--json"]);
    assert_eq!(created["size"], 5000);
    let raw = ns.shmctl(&["dump", &created["id"].to_string(), "--format", "raw", "-q"]);
    assert_eq!(raw.stdout, bytes);

    let bigger = ns.json(&[
        "create", "--from", file, "--size", "8K", "--key", "0x73", "--json",
    ]);
    assert_eq!(bigger["size"], 8192);
    let raw = ns.shmctl(&["dump", "0x73", "--format", "raw", "-q"]);
    assert_eq!(&raw.stdout[..5000], &bytes[..]);
    assert!(raw.stdout[5000..].iter().all(|&b| b == 0));
    let out = ns.shmctl(&["create", "--from", file, "--key", "0x73"]);
    assert_exit(&out, 1, &["--from onto an existing key"]);
    assert!(
        text(&out.stderr).contains("only create new ones"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn dump_edges_never_read_past_the_end() {
    let Some(ns) = Ns::new() else { return };
    let holder = ns.spawn_helper(&[
        "create", "0x74", "100", "0600", "attach", "fill", "3", "hold",
    ]);
    let id = holder.id().to_string();
    let raw = |extra: &[&str]| {
        let mut args = vec!["dump", &id[..], "--format", "raw", "-q"];
        args.extend_from_slice(extra);
        ns.shmctl(&args)
    };
    assert_eq!(raw(&[]).stdout.len(), 100);
    assert_eq!(
        raw(&["--offset", "90", "--length", "50"]).stdout.len(),
        10,
        "clamped at the end"
    );
    assert_eq!(
        raw(&["--offset", "100"]).stdout.len(),
        0,
        "at the end: nothing"
    );
    assert_eq!(raw(&["--length", "0"]).stdout.len(), 0, "a 0-byte request");
    assert_exit(&raw(&["--offset", "101"]), 2, &["past the end"]);
    let hex = text(&ns.shmctl(&["dump", &id, "--length", "0"]).stdout);
    assert_eq!(hex, "00000000\n");
}

/// A layout that overflowed put `x` at offset 0 of `struct { char a[2^61]; int x; }`, and
/// `--set x=…` wrote there. Every size is now checked: such a type is refused (exit 1, as any
/// header the layout engine refuses) and
/// the segment's bytes are not touched.
#[test]
fn set_through_a_type_too_large_to_lay_out_writes_nothing() {
    let Some(ns) = Ns::new() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let header = dir.path().join("huge.h");
    std::fs::write(
        &header,
        "struct Huge { char a[2305843009213693952]; int x; };\n\
         struct Wide { long a[4611686018427387904]; int x; };\n",
    )
    .expect("header");
    let header = header.to_str().expect("utf-8");
    let id = ns.run_helper(&["create", "0x73", "64", "0600"])[0].to_string();
    let bytes = || ns.shmctl(&["dump", &id, "--raw", "-q"]).stdout;
    let before = bytes();
    for ty in ["Huge", "Wide"] {
        let out = ns.shmctl(&[
            "attach", &id, "--schema", header, "--type", ty, "--set", "x=7",
        ]);
        assert_exit(&out, 1, &["attach --set", ty]);
        assert!(
            text(&out.stderr).contains("huge.h:"),
            "{}",
            text(&out.stderr)
        );
        assert_eq!(bytes(), before, "{ty}: a byte was written");
    }
}
