//! `--all-namespaces` (`-A`): every IPC namespace at once — ours, "containers" made of real
//! processes in IPC (and UTS) namespaces of their own, and one only a bind mount holds. The
//! test's own PID and mount namespaces keep the sweep to them: its /proc lists only the
//! test's processes. The container runtimes' cgroup paths are fixture files bound over
//! `/proc/PID/cgroup` in the test's mount namespace (the cgroup tree itself is the host's).
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::*;

const DOCKER_ID: &str = "3f2a1b2c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8";
const POD_UID: &str = "6d1f0c2e-8a4b-4c3d-9e2f-0a1b2c3d4e5f";
const POD_CONTAINER: &str = "9a8b7c6d5e4f30211203f4e5d6c7b8a99a8b7c6d5e4f30211203f4e5d6c7b8a9";

/// Binds a fixture over `/proc/PID/cgroup` in the test's mount namespace; false (and why,
/// on stderr) where that is not allowed.
fn fake_cgroup(ns: &Ns, dir: &std::path::Path, pid: i32, text: &str) -> bool {
    let fixture = dir.join(format!("cgroup-{pid}"));
    std::fs::write(&fixture, text).expect("fixture");
    let out = ns
        .command("mount")
        .args(["-n", "--bind"])
        .arg(&fixture)
        .arg(format!("/proc/{pid}/cgroup"))
        .output()
        .expect("mount");
    if !out.status.success() {
        say_skipped(&format!(
            "cannot bind a cgroup fixture over /proc/{pid}/cgroup: {}",
            text_of(&out.stderr)
        ));
    }
    out.status.success()
}

fn text_of(bytes: &[u8]) -> String {
    text(bytes).trim().to_string()
}

/// The keys (`0x00000011`) of a list of segments or report items.
fn keys(list: &Value) -> Vec<String> {
    let mut keys: Vec<String> = list
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|s| s["key_hex"].as_str().unwrap_or("?").to_string())
        .collect();
    keys.sort();
    keys
}

fn key(hex: &str) -> String {
    format!("0x{:08x}", u32::from_str_radix(hex, 16).expect("hex"))
}

/// What chooses one namespace's entry.
type Pick<'a> = dyn Fn(&Value) -> bool + 'a;

/// The namespace entry `pick` chooses, from a sweep's JSON.
fn entry<'a>(doc: &'a Value, what: &str, pick: impl Fn(&Value) -> bool) -> &'a Value {
    let all = doc["namespaces"].as_array().expect("namespaces");
    let found: Vec<&Value> = all.iter().filter(|n| pick(n)).collect();
    assert_eq!(found.len(), 1, "{what}: one namespace expected in {doc}");
    found[0]
}

fn inode(pid: i32, ns: &Ns) -> u64 {
    let out = ns
        .command("stat")
        .args(["-L", "-c", "%i", &format!("/proc/{pid}/ns/ipc")])
        .output()
        .expect("stat");
    text_of(&out.stdout).parse().expect("inode")
}

#[test]
fn every_namespace_is_listed_named_planned_and_cleaned() {
    let Some(ns) = Ns::with_mounts_and_pids() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    // Ours: an orphan and a segment held attached.
    ns.run_helper(&["create", "0x11", "4096", "0600"]);
    let _own_live = ns.spawn_helper(&["create", "0x12", "4096", "0600", "attach"]);
    // A Docker container: its main process holds 0x21 attached; a writer beside it made
    // 0x22, attached it, and crashed.
    let (_web, web) = ns.spawn_container(Some("web"), &["create", "0x21", "100", "0600", "attach"]);
    let (_writer, writer) = ns.spawn_beside(web, &["create", "0x22", "200", "0600", "attach"]);
    ns.kill(writer);
    // A Kubernetes pod: its main process created 0x33 (and lives); a writer made 0x31 and
    // crashed.
    let (_pod, pod) = ns.spawn_container(Some("web-7c9d"), &["create", "0x33", "300", "0600"]);
    let (_pod_writer, pod_writer) = ns.spawn_beside(pod, &["create", "0x31", "300", "0600"]);
    ns.kill(pod_writer);
    // A bare `unshare --ipc`: no container, no hostname; its writer crashed too.
    let (_bare, bare) = ns.spawn_container(None, &[]);
    let (_bare_writer, bare_writer) = ns.spawn_beside(bare, &["create", "0x41", "64", "0600"]);
    ns.kill(bare_writer);
    // A namespace no process is in, held by a bind mount in our /run.
    let made = ns
        .command("sh")
        .arg("-c")
        .arg(format!(
            ": > /run/ipcns && unshare --ipc=/run/ipcns {} create 0x51 64 0600",
            helper_path().display()
        ))
        .output()
        .expect("sh");
    assert_success(&made, &["a bind-mounted IPC namespace"]);

    let docker = format!("0::/system.slice/docker-{DOCKER_ID}.scope\n");
    let kubepods = format!(
        "0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod{}.slice/cri-containerd-{POD_CONTAINER}.scope\n",
        POD_UID.replace('-', "_")
    );
    let labelled =
        fake_cgroup(&ns, dir.path(), web, &docker) && fake_cgroup(&ns, dir.path(), pod, &kubepods);

    let listed = ns.json(&["-A", "ls", "--json"]);
    let all = listed["namespaces"].as_array().expect("namespaces");
    assert_eq!(all.len(), 5, "ours, web, pod, bare, bound: {listed}");
    assert_eq!(all[0]["current"], true, "ours first: {listed}");
    assert_eq!(keys(&all[0]["segments"]), [key("11"), key("12")]);
    let web_ns = entry(&listed, "web", |n| n["hostname"] == "web");
    let pod_ns = entry(&listed, "pod", |n| n["hostname"] == "web-7c9d");
    let bare_ns = entry(&listed, "bare", |n| n["ipc_ns"] == inode(bare, &ns));
    let bound = entry(&listed, "bound", |n| n["pids"] == serde_json::json!([]));
    assert_eq!(
        web_ns["pids"],
        serde_json::json!([web]),
        "the crashed writer is gone"
    );
    assert_eq!(
        bare_ns["hostname"],
        Value::Null,
        "no UTS namespace of its own"
    );
    assert_eq!(bound["mounts"], serde_json::json!(["/run/ipcns"]));
    for n in all {
        assert_eq!(n["status"], "swept", "{n}");
    }
    if labelled {
        let c = &web_ns["container"];
        assert_eq!(
            (&c["runtime"], &c["id"], &c["pod_uid"], &c["name"]),
            (
                &Value::from("docker"),
                &Value::from(DOCKER_ID),
                &Value::Null,
                &Value::from("web")
            ),
            "{web_ns}"
        );
        let c = &pod_ns["container"];
        assert_eq!(
            (&c["runtime"], &c["id"], &c["pod_uid"], &c["name"]),
            (
                &Value::from("containerd"),
                &Value::from(POD_CONTAINER),
                &Value::from(POD_UID),
                &Value::from("web-7c9d")
            ),
            "{pod_ns}"
        );
    }
    // Each namespace's own segments, judged in our PID namespace: the live holder alive,
    // the crashed writers dead.
    let segment = |n: &Value, hex: &str| -> Value {
        n["segments"]
            .as_array()
            .expect("segments")
            .iter()
            .find(|s| s["key_hex"] == key(hex))
            .unwrap_or_else(|| panic!("no {hex} in {n}"))
            .clone()
    };
    assert_eq!(keys(&web_ns["segments"]), [key("21"), key("22")]);
    assert_eq!(segment(web_ns, "21")["creator_state"], "alive");
    assert_eq!(segment(web_ns, "22")["creator_state"], "dead");
    assert_eq!(segment(web_ns, "22")["orphan"], true);
    assert_eq!(segment(pod_ns, "33")["creator_state"], "alive");
    assert_eq!(segment(pod_ns, "31")["orphan"], true);
    assert_eq!(keys(&bare_ns["segments"]), [key("41")]);
    assert_eq!(keys(&bound["segments"]), [key("51")]);

    // The table: one header line per namespace, then its table.
    let table = ns.shmctl(&["-A", "ls"]);
    assert_success(&table, &["ls -A"]);
    let table = text(&table.stdout);
    assert_eq!(table.matches("IPC namespace ").count(), 5, "{table}");
    assert!(table.contains("bound at /run/ipcns"), "{table}");
    if labelled {
        assert!(table.contains("docker 3f2a1b2c4d5e (web)"), "{table}");
        assert!(
            table.contains(&format!("pod {POD_UID} containerd 9a8b7c6d5e4f (web-7c9d)")),
            "{table}"
        );
    }

    // What gc would remove: exactly each namespace's orphans.
    let plan = ns.json(&["-A", "gc", "--dry-run", "--json"]);
    let removed =
        |doc: &Value, pick: &dyn Fn(&Value) -> bool| keys(&entry(doc, "gc", pick)["removed"]);
    let expected: [(&str, &Pick<'_>, Vec<String>); 5] = [
        ("ours", &|n| n["current"] == true, vec![key("11")]),
        ("web", &|n| n["hostname"] == "web", vec![key("22")]),
        ("pod", &|n| n["hostname"] == "web-7c9d", vec![key("31")]),
        (
            "bare",
            &|n| n["ipc_ns"] == bare_ns["ipc_ns"],
            vec![key("41")],
        ),
        (
            "bound",
            &|n| n["ipc_ns"] == bound["ipc_ns"],
            vec![key("51")],
        ),
    ];
    for (what, pick, keys) in &expected {
        assert_eq!(&removed(&plan, pick), keys, "dry run, {what}: {plan}");
    }
    assert_eq!(plan["dry_run"], true);
    assert_eq!(plan["total"]["removed"], 5, "{plan}");

    let out = ns.shmctl(&["-A", "gc", "--yes", "--json"]);
    assert_success(&out, &["gc -A --yes"]);
    let report = doc(&out);
    for (what, pick, keys) in &expected {
        assert_eq!(&removed(&report, pick), keys, "removed, {what}: {report}");
    }
    assert_eq!(
        (
            report["dry_run"].as_bool(),
            report["total"]["removed"].as_u64()
        ),
        (Some(false), Some(5)),
        "{report}"
    );
    // Nothing else went.
    let after = ns.json(&["-A", "ls", "--json"]);
    let left = |pick: &dyn Fn(&Value) -> bool| keys(&entry(&after, "after", pick)["segments"]);
    assert_eq!(left(&|n| n["current"] == true), [key("12")]);
    assert_eq!(left(&|n| n["hostname"] == "web"), [key("21")]);
    assert_eq!(left(&|n| n["hostname"] == "web-7c9d"), [key("33")]);
    assert!(left(&|n| n["ipc_ns"] == bare_ns["ipc_ns"]).is_empty());
    assert!(left(&|n| n["ipc_ns"] == bound["ipc_ns"]).is_empty());
}

#[test]
fn metrics_carry_each_namespaces_labels_and_parse() {
    let Some(ns) = Ns::with_mounts_and_pids() else {
        return;
    };
    if !crate::prometheus::have_parser() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    ns.run_helper(&["create", "0x11", "4096", "0600"]);
    let (_pod, pod) = ns.spawn_container(Some("web-7c9d"), &["create", "0x33", "300", "0600"]);
    let (_writer, writer) = ns.spawn_beside(pod, &["create", "0x31", "300", "0600"]);
    ns.kill(writer);
    let (_other, other) = ns.spawn_container(Some("db"), &["create", "0x44", "64", "0600"]);
    let kubepods = format!("0::/kubepods/besteffort/pod{POD_UID}/{POD_CONTAINER}\n");
    let labelled = fake_cgroup(&ns, dir.path(), pod, &kubepods);
    let file = dir.path().join("shmctl.prom");
    let out = ns.shmctl(&[
        "-A",
        "ls",
        "--format",
        "prometheus",
        "--output",
        file.to_str().expect("utf-8"),
    ]);
    assert_success(&out, &["ls -A --format prometheus --output"]);
    assert_eq!(
        text(&out.stdout),
        "",
        "with --output nothing goes to stdout"
    );
    let samples = crate::prometheus::parse(&file);
    let exposition = std::fs::read_to_string(&file).expect("read");
    let get = |key: &str| {
        samples[key]
            .as_f64()
            .unwrap_or_else(|| panic!("{key} missing in {exposition}"))
    };
    let ours = inode(1, &ns);
    let pod_ns = inode(pod, &ns);
    let db_ns = inode(other, &ns);
    assert_eq!(
        get(&format!("shmctl_orphan_segments|ipc_ns={ours}|owner=root")),
        1.0
    );
    if labelled {
        assert_eq!(
            get(&format!(
                "shmctl_orphan_segments|container={POD_CONTAINER}|ipc_ns={pod_ns}|name=web-7c9d|owner=root|pod_uid={POD_UID}"
            )),
            1.0
        );
        assert_eq!(
            get(&format!(
                "shmctl_segments|container={POD_CONTAINER}|ipc_ns={pod_ns}|name=web-7c9d|owner=root|pod_uid={POD_UID}"
            )),
            2.0
        );
    }
    // db's creator lives: a segment, no orphan.
    let db_segments: Vec<(&String, &Value)> = samples
        .as_object()
        .expect("samples")
        .iter()
        .filter(|(k, _)| {
            k.starts_with("shmctl_segments|") && k.contains(&format!("ipc_ns={db_ns}|"))
        })
        .collect();
    assert_eq!(db_segments.len(), 1, "{exposition}");
    assert_eq!(db_segments[0].1, 1.0);
    assert_eq!(get("shmctl_ipc_namespaces|status=swept"), 3.0);
    assert_eq!(
        exposition.matches("# TYPE shmctl_segments gauge").count(),
        1,
        "one family, every namespace's samples: {exposition}"
    );
}

/// `gc -A --yes --json` held up in a container's namespace: its removal lock is held by
/// flock(1) while the sweep waits for it (the sweep has said so on stderr).
struct HeldSweep {
    /// (pid, namespace inode) of the namespace the sweep waits in, and of the one after it.
    first: (i32, u64),
    second: (i32, u64),
    sweep: std::process::Child,
    _containers: [Helper; 2],
}

impl HeldSweep {
    fn start(ns: &Ns) -> HeldSweep {
        let (a_helper, a) = ns.spawn_container(Some("first"), &[]);
        let (b_helper, b) = ns.spawn_container(Some("second"), &["create", "0x61", "64", "0600"]);
        // The sweep takes namespaces in inode order after ours: hold up the earlier one.
        let (ia, ib) = (inode(a, ns), inode(b, ns));
        let (first, second) = if ia < ib {
            ((a, ia), (b, ib))
        } else {
            ((b, ib), (a, ia))
        };
        // Its lock file, made by a run there; then held by flock(1) until the test lets go.
        let out = ns.shmctl(&["--ipc-ns", &first.0.to_string(), "gc", "--yes", "-q"]);
        assert_success(&out, &["gc in the first namespace"]);
        let lock = format!("/run/shmctl/ipc-{}.lock", first.1);
        let mut holder = ns
            .command("flock")
            .args([&lock, "-c", "echo locked; exec sleep 600"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("flock");
        let mut line = String::new();
        BufReader::new(holder.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("read");
        assert_eq!(line.trim(), "locked");
        let mut sweep = ns
            .command(shmctl_bin())
            .args(["-A", "gc", "--yes", "--json", "--wait", "60s"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("shmctl");
        let mut err = BufReader::new(sweep.stderr.take().expect("stderr"));
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let mut line = String::new();
            assert!(
                err.read_line(&mut line).expect("stderr") > 0,
                "no waiting note"
            );
            if line.contains("waiting up to") {
                break;
            }
            assert!(Instant::now() < deadline, "the sweep never waited");
        }
        // The rest of stderr is not read: notes are few, a pipe holds them.
        std::mem::forget(err);
        drop(holder);
        HeldSweep {
            first,
            second,
            sweep,
            _containers: [a_helper, b_helper],
        }
    }

    /// Lets go of the lock (flock's shell and its sleep).
    fn release(ns: &Ns) {
        ns.command("pkill").args(["-f", "sleep 600"]).status().ok();
        ns.command("pkill").args(["-x", "flock"]).status().ok();
    }
}

/// A namespace found at the start of a sweep whose last process exits before the sweep
/// reaches it is reported gone, not failed.
#[test]
fn a_namespace_that_empties_mid_sweep_is_reported_gone() {
    let Some(ns) = Ns::with_mounts_and_pids() else {
        return;
    };
    if root_only(&ns, "holds root's removal lock in /run/shmctl") {
        return;
    }
    let held = HeldSweep::start(&ns);
    ns.kill(held.second.0);
    HeldSweep::release(&ns);
    let out = held.sweep.wait_with_output().expect("wait");
    assert_success(&out, &["gc -A with a namespace gone mid-sweep"]);
    let report = doc(&out);
    let gone = entry(&report, "gone", |n| n["ipc_ns"] == held.second.1);
    assert_eq!(gone["status"], "gone", "{report}");
    assert!(gone.get("removed").is_none(), "{gone}");
    let first = entry(&report, "held", |n| n["ipc_ns"] == held.first.1);
    assert_eq!(first["status"], "swept", "{report}");
}

/// A SIGTERM while the sweep waits for a namespace's lock ends the wait at once (not after
/// `--wait`): the report of what was swept is written, the rest is `not_reached`, and the
/// process ends by the signal.
#[test]
fn a_sigterm_mid_sweep_still_writes_the_report() {
    let Some(ns) = Ns::with_mounts_and_pids() else {
        return;
    };
    if root_only(&ns, "holds root's removal lock in /run/shmctl") {
        return;
    }
    let held = HeldSweep::start(&ns);
    let started = Instant::now();
    let shmctl = child_of(held.sweep.id());
    // SAFETY: kill(2) of the test's own grandchild; no memory is involved.
    unsafe { libc::kill(shmctl as i32, libc::SIGTERM) };
    let out = held.sweep.wait_with_output().expect("wait");
    HeldSweep::release(&ns);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the lock wait outlasted the signal"
    );
    assert_ended_by(&out, libc::SIGTERM, "the sweep");
    let report = doc(&out);
    assert_eq!(report["namespaces"][0]["status"], "swept", "{report}");
    for ino in [held.first.1, held.second.1] {
        let n = entry(&report, "interrupted", |n| n["ipc_ns"] == ino);
        assert_eq!(n["status"], "not_reached", "{report}");
    }
}

/// Without CAP_SYS_ADMIN no other namespace can be entered: each is skipped with the
/// reason, ours is still listed, and the exit is 0 (one namespace was read).
#[test]
fn namespaces_that_cannot_be_entered_are_skipped_with_the_reason() {
    let Some(ns) = Ns::with_mounts_and_pids() else {
        return;
    };
    if root_only(&ns, "drops a capability with setpriv") {
        return;
    }
    ns.run_helper(&["create", "0x11", "64", "0600"]);
    // Its process has no more capabilities than the sweep (else reading its namespace
    // would take CAP_SYS_PTRACE, and it would not be found at all).
    let (_c, _) = ns.spawn_container_with(
        Some("c"),
        &["setpriv", "--bounding-set", "-sys_admin", "--"],
        &["create", "0x21", "64", "0600"],
    );
    let without_sys_admin = |args: &[&str]| {
        ns.command("setpriv")
            .args(["--bounding-set", "-sys_admin", "--", shmctl_bin()])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("setpriv")
    };
    let out = without_sys_admin(&["-A", "ls", "--json"]);
    assert_success(&out, &["ls -A without CAP_SYS_ADMIN"]);
    let listed = doc(&out);
    let all = listed["namespaces"].as_array().expect("namespaces");
    assert_eq!(all.len(), 2, "{listed}");
    assert_eq!(keys(&all[0]["segments"]), [key("11")]);
    assert_eq!(all[1]["status"], "skipped", "{listed}");
    assert!(
        all[1]["reason"]
            .as_str()
            .unwrap_or("")
            .contains("CAP_SYS_ADMIN"),
        "{listed}"
    );
    assert!(all[1].get("segments").is_none(), "{listed}");
    // In a table, on stderr: which namespace, and why.
    let out = without_sys_admin(&["-A", "ls"]);
    assert_success(&out, &["ls -A table without CAP_SYS_ADMIN"]);
    assert!(
        text(&out.stderr).contains("skipped: entering it needs CAP_SYS_ADMIN"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn only_ls_stat_and_gc_sweep() {
    for args in [
        &["-A", "rm", "0"][..],
        &["-A", "dump", "0"],
        &["-A", "--ipc-ns", "1", "ls"],
    ] {
        let out = Command::new(shmctl_bin()).args(args).output().expect("run");
        assert_exit(&out, 2, args);
    }
}

#[test]
fn stat_finds_an_object_in_whichever_namespace_has_it() {
    let Some(ns) = Ns::with_mounts_and_pids() else {
        return;
    };
    let (_c, c) = ns.spawn_container(Some("c"), &["create", "0x77", "64", "0600"]);
    let out = ns.shmctl(&["-A", "stat", "key:0x77", "--json"]);
    assert_success(&out, &["stat -A key:0x77"]);
    let found = doc(&out);
    let there = entry(&found, "c", |n| n["ipc_ns"] == inode(c, &ns));
    assert_eq!(keys(&there["segments"]), [key("77")]);
    assert_eq!(found["failed"], serde_json::json!([]));
    let out = ns.shmctl(&["-A", "stat", "key:0x78"]);
    assert_exit(&out, 3, &["stat -A of a key no namespace has"]);
    assert!(
        text(&out.stderr).contains("in none of the 2 IPC namespaces swept"),
        "{}",
        text(&out.stderr)
    );
}

/// `--format raw` and `--format export` stay machine formats under `-A`: every line says
/// its namespace (a column, a pair) and no header line is added — a container's hostname,
/// which its root chooses, never reaches a shell's `eval`.
#[test]
fn raw_and_export_say_the_namespace_on_every_line() {
    let Some(ns) = Ns::with_mounts_and_pids() else {
        return;
    };
    ns.run_helper(&["create", "0x11", "64", "0600"]);
    let (_c, c) = ns.spawn_container(Some("$(touch pwned)"), &["create", "0x21", "64", "0600"]);
    let (ours, theirs) = (inode(1, &ns), inode(c, &ns));
    let out = ns.shmctl(&["-A", "ls", "--format", "raw"]);
    assert_success(&out, &["ls -A --format raw"]);
    let raw = text(&out.stdout);
    let rows: Vec<&str> = raw.lines().filter(|l| !l.is_empty()).collect();
    let header = "IPC_NS KEY ID OWNER PERMS SIZE NATTCH STATUS CPID CREATOR LPID AGE";
    assert_eq!(rows.len(), 4, "{raw}");
    assert_eq!((rows[0], rows[2]), (header, header), "{raw}");
    assert!(
        rows[1].starts_with(&format!("{ours} 0x00000011 0 root ")),
        "{raw}"
    );
    assert!(
        rows[3].starts_with(&format!("{theirs} 0x00000021 0 root ")),
        "{raw}"
    );
    assert!(!raw.contains("pwned"), "no header line: {raw}");
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o777),
    )
    .expect("chmod");
    let script = format!(
        "cd {} && eval \"$({} -A ls --format export)\" && echo \"$IPC_NS $KEY\"",
        dir.path().display(),
        shmctl_bin()
    );
    let out = ns.command("sh").args(["-c", &script]).output().expect("sh");
    assert_success(&out, &["eval of ls -A --format export"]);
    assert_eq!(text_of(&out.stdout), format!("{theirs} 0x00000021"));
    assert!(!dir.path().join("pwned").exists(), "the hostname ran");
}

/// `gc -A --archive DIR` keeps each namespace's records apart in `DIR/ipc-INODE` (ids repeat
/// between namespaces), made through DIR's descriptor: DIR itself is checked once like any
/// archive directory, and a symbolic link planted as `ipc-INODE` is refused, never followed.
#[test]
fn archives_go_to_one_directory_per_namespace_and_never_through_a_link() {
    let Some(ns) = Ns::with_mounts_and_pids() else {
        return;
    };
    ns.run_helper(&["create", "0x11", "64", "0600"]);
    let (_c, c) = ns.spawn_container(Some("c"), &[]);
    let (_w, w) = ns.spawn_beside(c, &["create", "0x21", "64", "0600"]);
    ns.kill(w);
    let (ours, theirs) = (inode(1, &ns), inode(c, &ns));
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("archive");
    let out = ns.shmctl(&[
        "-A",
        "gc",
        "--yes",
        "--json",
        "--archive",
        dir.to_str().expect("utf-8"),
    ]);
    assert_success(&out, &["gc -A --archive"]);
    for (ino, key) in [(ours, "0x00000011"), (theirs, "0x00000021")] {
        let sub = dir.join(format!("ipc-{ino}"));
        let names: Vec<String> = std::fs::read_dir(&sub)
            .unwrap_or_else(|e| panic!("{}: {e}", sub.display()))
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            names
                .iter()
                .any(|n| n.starts_with(&format!("shm-0-{key}-")) && n.ends_with(".json")),
            "{names:?}"
        );
    }
    // A link where the namespace's directory is expected: refused (exit 4), nothing written
    // where it points; the other namespace is still swept.
    ns.run_helper(&["create", "0x12", "64", "0600"]);
    let (_w, w) = ns.spawn_beside(c, &["create", "0x22", "64", "0600"]);
    ns.kill(w);
    let elsewhere = tmp.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).expect("mkdir");
    let planted = dir.join(format!("ipc-{ours}"));
    std::fs::rename(&planted, tmp.path().join("moved")).expect("move");
    std::os::unix::fs::symlink(&elsewhere, &planted).expect("symlink");
    let out = ns.shmctl(&[
        "-A",
        "gc",
        "--yes",
        "--json",
        "--archive",
        dir.to_str().expect("utf-8"),
    ]);
    assert_exit(&out, 4, &["gc -A --archive with a planted link"]);
    assert_eq!(
        std::fs::read_dir(&elsewhere).expect("read").count(),
        0,
        "something was written through the link"
    );
    let report = doc(&out);
    let refused = entry(&report, "ours", |n| n["ipc_ns"] == ours);
    assert_eq!(refused["status"], "failed", "{report}");
    assert!(
        refused["error"]["text"]
            .as_str()
            .unwrap_or("")
            .contains("symbolic link"),
        "{report}"
    );
    let swept = entry(&report, "theirs", |n| n["ipc_ns"] == theirs);
    assert_eq!(keys(&swept["removed"]), [key("22")], "{report}");
    // A DIR others may write is refused before any namespace is entered.
    let open = tmp.path().join("open");
    std::fs::create_dir(&open).expect("mkdir");
    std::fs::set_permissions(&open, std::os::unix::fs::PermissionsExt::from_mode(0o777))
        .expect("chmod");
    let out = ns.shmctl(&[
        "-A",
        "gc",
        "--yes",
        "--archive",
        open.to_str().expect("utf-8"),
    ]);
    assert_exit(&out, 4, &["gc -A --archive DIR others may write"]);
    assert!(
        text(&out.stderr).contains("lets others write"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(text(&out.stdout), "", "no namespace was swept");
}
