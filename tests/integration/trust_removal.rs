//! Issue #11, removal: a killed run leaves nothing closed (the journal), nobody can stall
//! root's runs (the lock), a dry run tells the truth (permission in the plan), and
//! `gc --yes` never claims to have been a dry run.
use std::collections::BTreeSet;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::*;

/// The `ls --json --type KIND` entries of one kind (`segments` for shm).
fn listed(ns: &Ns, kind: &str) -> Vec<Value> {
    let list = match kind {
        "shm" => "segments",
        "sem" => "semaphore_sets",
        "pshm" => "posix_shm",
        other => panic!("no list for {other}"),
    };
    ns.json(&["ls", "--json", "--type", kind])[list]
        .as_array()
        .expect("list")
        .clone()
}

/// How an object is named on the command line, and in the journal's `restored` report.
fn selector(kind: &str, entry: &Value) -> String {
    match kind {
        "shm" => entry["id"].to_string(),
        "sem" => format!("sem:{}", entry["id"]),
        _ => format!("{kind}:{}", entry["name"].as_str().expect("name")),
    }
}

fn closed(ns: &Ns, kind: &str) -> BTreeSet<String> {
    listed(ns, kind)
        .iter()
        .filter(|e| e["mode"].as_u64().expect("mode") & 0o777 == 0)
        .map(|e| selector(kind, e))
        .collect()
}

fn restored(report: &Value, kind: &str) -> BTreeSet<String> {
    report["restored"]
        .as_array()
        .expect("restored list")
        .iter()
        .map(|e| match kind {
            "shm" => e["id"].to_string(),
            "sem" => format!("sem:{}", e["id"]),
            _ => format!("{kind}:{}", e["name"].as_str().expect("name")),
        })
        .collect()
}

fn signal(pid: u32, signal: i32) {
    // SAFETY: kill(2) on our own child's pid; no memory is involved.
    unsafe { libc::kill(pid as i32, signal) };
}

/// Waits until `pid` is stopped (state T), so that what it did so far can be looked at.
fn stopped(pid: u32) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let state = stat.rsplit_once(')').map(|(_, rest)| rest.trim_start());
        if state.is_none_or(|s| s.starts_with('T') || s.starts_with('Z')) {
            return;
        }
        assert!(Instant::now() < deadline, "{pid} never stopped");
        std::thread::sleep(Duration::from_micros(100));
    }
}

/// SIGKILLs `rm` of a large batch inside a removal sequence, several times; after each kill
/// the next run (any `gc --yes`, here one with nothing to remove) must give every object the
/// kill left at mode 000 its mode back, and say so. To land the kill inside a sequence, the
/// run is stopped (SIGSTOP) at many points and looked at; the first time an object is found
/// closed, it is killed right there. A run that ends first is simply tried again.
fn killed_mid_batch(kind: &str, populate: &dyn Fn(&Ns) -> Option<Helper>) {
    let Some(ns) = Ns::with_mounts() else { return };
    let mut caught = 0;
    let mut runs = 0u32;
    while caught < 3 && runs < 20 {
        runs += 1;
        let holder = populate(&ns);
        let all = listed(&ns, kind);
        assert!(all.len() >= 1000, "{kind}: populated {}", all.len());
        let targets: Vec<String> = all.iter().map(|e| selector(kind, e)).collect();
        let mut rm = ns
            .command(shmctl_bin())
            .arg("rm")
            .arg("--quiet")
            .args(&targets)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn rm");
        // nsenter execs shmctl (no PID namespace to fork into): this pid is shmctl's.
        let pid = rm.id();
        let mut left_closed = BTreeSet::new();
        for step in 0u64.. {
            std::thread::sleep(Duration::from_micros(200 + (step * 7919) % 1800));
            if rm.try_wait().expect("try_wait").is_some() {
                break;
            }
            signal(pid, libc::SIGSTOP);
            stopped(pid);
            left_closed = closed(&ns, kind);
            if !left_closed.is_empty() {
                break;
            }
            signal(pid, libc::SIGCONT);
        }
        rm.kill().ok(); // SIGKILL, stopped or not
        rm.wait().expect("wait");
        if left_closed.is_empty() {
            // It finished between two looks: nothing to prove with this run.
            drop(holder);
            continue;
        }
        caught += 1;
        let out = ns.shmctl(&["gc", "--yes", "--json"]);
        assert_success(&out, &["gc after a killed rm"]);
        assert!(
            closed(&ns, kind).is_empty(),
            "{kind}: {} object(s) left at mode 000 after the next run",
            left_closed.len()
        );
        let report = doc(&out);
        assert_eq!(
            restored(&report, kind),
            left_closed,
            "{kind}: the next run restores exactly what the kill left at mode 000: {report}"
        );
        assert_eq!(report["failed"], serde_json::json!([]), "{report}");
        // And the journal is empty again: a second run restores nothing.
        let again = doc(&ns.shmctl(&["gc", "--yes", "--json"]));
        assert_eq!(again["restored"], serde_json::json!([]), "{again}");

        // Start the next run from nothing.
        let rest: Vec<String> = listed(&ns, kind)
            .iter()
            .map(|e| selector(kind, e))
            .collect();
        if !rest.is_empty() {
            let mut args = vec!["rm", "--force", "--quiet"];
            args.extend(rest.iter().map(String::as_str));
            assert_success(&ns.shmctl(&args), &["cleanup"]);
        }
        drop(holder);
    }
    eprintln!("{kind}: {caught} of {runs} runs killed with objects at mode 000");
    assert!(
        caught > 0,
        "{kind}: in {runs} runs no kill landed inside a removal sequence: the test proves nothing"
    );
}

#[test]
fn a_sigkill_mid_batch_leaves_no_segment_at_mode_000() {
    // The creator lives (the helper holds), so gc never removes them: only rm does.
    killed_mid_batch("shm", &|ns| Some(ns.spawn_helper(&["many", "3000", "1"])));
}

#[test]
fn a_sigkill_mid_batch_leaves_no_semaphore_set_at_mode_000() {
    killed_mid_batch("sem", &|ns| Some(ns.spawn_helper(&["manysem", "2000"])));
}

#[test]
fn a_sigkill_mid_batch_leaves_no_posix_object_at_mode_000() {
    // Plain files in the namespace's own /dev/shm are POSIX shared memory objects; rm closes
    // a batch of them before one scan of the processes, so a kill catches many closed.
    killed_mid_batch("pshm", &|ns| {
        let out = ns
            .command("sh")
            .args([
                "-c",
                "i=0; while [ $i -lt 1500 ]; do : > /dev/shm/obj$i; i=$((i+1)); done",
            ])
            .output()
            .expect("sh");
        assert_success(&out, &["make pshm objects"]);
        None
    });
}

#[test]
fn gc_yes_with_nothing_to_do_is_not_a_dry_run() {
    let Some(ns) = Ns::new() else { return };
    let out = ns.shmctl(&["gc", "--yes", "--json"]);
    assert_success(&out, &["gc --yes with nothing"]);
    assert_eq!(doc(&out)["dry_run"], false);
    let out = ns.shmctl(&["gc", "--dry-run", "--json"]);
    assert_eq!(doc(&out)["dry_run"], true);
}

/// The IPC namespace's inode, which names its lock file.
fn ns_inode(ns: &Ns) -> String {
    let link = std::fs::read_link(format!("/proc/{}/ns/ipc", ns.pid())).expect("readlink");
    let link = link.to_string_lossy().into_owned();
    link.trim_start_matches("ipc:[")
        .trim_end_matches(']')
        .to_string()
}

/// Runs `args` and waits at most `limit` for it; a run still going then is killed and the
/// test fails (a stalled removal is exactly the bug).
fn within(ns: &Ns, args: &[&str], limit: Duration) -> Output {
    let mut child = ns
        .command(shmctl_bin())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let started = Instant::now();
    while child.try_wait().expect("try_wait").is_none() {
        if started.elapsed() > limit {
            child.kill().ok();
            let out = child.wait_with_output().expect("wait");
            panic!(
                "{args:?} still running after {limit:?}: {}",
                text(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

#[test]
fn an_ordinary_user_squatting_the_old_lock_cannot_stall_root() {
    let Some(ns) = Ns::new() else { return };
    if root_only(&ns, "the squatter is a second uid: root only") {
        return;
    }
    // The squatter creates and flocks the lock file where root's used to be (/run/lock is
    // 1777: anyone can), and would hold it for a minute.
    let old = format!("/run/lock/shmctl-ipc-{}.lock", ns_inode(&ns));
    let mut squatter = ns
        .command("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .args(["flock", "--close", &old, "sleep", "60"])
        .stdin(Stdio::null())
        .spawn()
        .expect("squatter");
    let deadline = Instant::now() + Duration::from_secs(5);
    while !ns
        .command("test")
        .args(["-e", &old])
        .status()
        .expect("test")
        .success()
    {
        assert!(
            Instant::now() < deadline,
            "the squatter never made its file"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let id = ns.run_helper(&["create", "0x51", "4096", "0600"])[0];
    let out = within(
        &ns,
        &["rm", "--json", &id.to_string()],
        Duration::from_secs(10),
    );
    assert_success(&out, &["root's rm beside a squatter"]);
    assert_eq!(doc(&out)["removed"][0]["id"], id);
    let out = within(&ns, &["gc", "--yes", "--json"], Duration::from_secs(10));
    assert_success(&out, &["root's gc beside a squatter"]);
    squatter.kill().ok();
    squatter.wait().ok();

    // Root's lock directory is root's: mode 0755, and a file in it nobody else can make.
    let out = ns
        .command("stat")
        .args(["-c", "%u %a", "/run/shmctl"])
        .output()
        .expect("stat");
    assert_eq!(text(&out.stdout).trim(), "0 755");
}

#[test]
fn a_lock_directory_someone_else_controls_is_refused() {
    let Some(ns) = Ns::new() else { return };
    if root_only(&ns, "chown to a second uid: root only") {
        return;
    }
    let id = ns.run_helper(&["create", "0x52", "4096", "0600"])[0];
    for setup in [
        "mkdir /run/shmctl && chown 65534 /run/shmctl",
        "mkdir -m 0777 /run/shmctl",
        "ln -s /tmp /run/shmctl",
    ] {
        let status = ns
            .command("sh")
            .args(["-c", &format!("rm -rf /run/shmctl; {setup}")])
            .status()
            .expect("sh");
        assert!(status.success(), "{setup}");
        let out = within(&ns, &["rm", &id.to_string()], Duration::from_secs(10));
        assert_exit(&out, 1, &["rm with", setup]);
        assert!(
            text(&out.stderr).contains("refusing the lock directory"),
            "{setup}: {}",
            text(&out.stderr)
        );
        assert_eq!(ns.segments().len(), 1, "{setup}: nothing removed");
    }
    // An ordinary user's directory under TMPDIR, made first by another user: refused too.
    let status = ns
        .command("sh")
        .args([
            "-c",
            "rm -rf /run/shmctl; mkdir -m 0700 \"$TMPDIR/shmctl-65534\" && chown 0 \"$TMPDIR/shmctl-65534\"",
        ])
        .status()
        .expect("sh");
    assert!(status.success());
    let mine = ns.run_helper(&["setuid", "65534", "65534", "create", "0x53", "4096", "0600"])[0];
    let out = ns.shmctl_as(65534, &["rm", &mine.to_string()]);
    assert_exit(&out, 1, &["rm as nobody with a foreign lock directory"]);
    assert!(
        text(&out.stderr).contains("owned by uid 0, not 65534"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn waiting_for_the_lock_is_bounded_and_names_the_holder() {
    let Some(ns) = Ns::new() else { return };
    // A first run makes the lock directory; then a holder keeps the lock (flock(1) on the
    // same file is what another shmctl holding it looks like).
    assert_success(&ns.shmctl(&["gc", "--yes"]), &["first gc"]);
    let lock = format!("/run/shmctl/ipc-{}.lock", ns_inode(&ns));
    let mut holder = ns
        .command("flock")
        .args(["--close", &lock, "sleep", "60"])
        .stdin(Stdio::null())
        .spawn()
        .expect("holder");
    std::thread::sleep(Duration::from_millis(200));
    let id = ns.run_helper(&["create", "0x54", "4096", "0600"])[0];
    let started = Instant::now();
    let out = within(
        &ns,
        &["rm", "--wait", "1s", &id.to_string()],
        Duration::from_secs(20),
    );
    let waited = started.elapsed();
    assert_exit(&out, 1, &["rm --wait 1s while locked"]);
    let err = text(&out.stderr);
    assert!(err.contains("holds the removal lock"), "{err}");
    assert!(err.contains("(pid "), "the holder is named: {err}");
    assert!(waited >= Duration::from_secs(1), "gave up after {waited:?}");
    assert_eq!(ns.segments().len(), 1, "nothing removed");
    holder.kill().ok();
    holder.wait().ok();
    let out = within(&ns, &["rm", &id.to_string()], Duration::from_secs(10));
    assert_success(&out, &["rm once the lock is free"]);
}

#[test]
fn a_dry_run_judges_permission_as_the_real_run_does() {
    let Some(ns) = Ns::new() else { return };
    if root_only(&ns, "needs a second uid: root only") {
        return;
    }
    let roots = ns.run_helper(&["create", "0x55", "4096", "0644"])[0];
    let id = roots.to_string();
    for dry in [true, false] {
        let mut args = vec!["rm", "--json", &id];
        if dry {
            args.push("--dry-run");
        }
        let out = ns.shmctl_as(65534, &args);
        assert_exit(&out, 4, &args);
        let d = doc(&out);
        assert_eq!(d["removed"], serde_json::json!([]), "{d}");
        assert_eq!(d["kept"][0]["reason"]["code"], "not_owner", "{d}");
        assert_eq!(
            d["kept"][0]["reason"]["text"],
            "owned by root (uid 0): only its owner, its creator or root can remove it"
        );
    }
    let out = ns.shmctl_as(65534, &["rm", &id]);
    let err = text(&out.stderr) + &text(&out.stdout);
    assert!(
        err.contains("only its owner, its creator or root can remove it")
            && !err.contains("IPC_SET"),
        "{err}"
    );
    // gc --user root as nobody: nothing planned, every one of root's kept as not_owner.
    ns.run_helper(&["create", "0x56", "4096", "0644"]);
    for mode in ["--dry-run", "--yes"] {
        let out = ns.shmctl_as(65534, &["gc", mode, "--json", "--user", "root"]);
        assert_success(&out, &["gc --user root as nobody", mode]);
        let d = doc(&out);
        assert_eq!(d["removed"], serde_json::json!([]), "{mode}: {d}");
        assert_eq!(d["failed"], serde_json::json!([]), "{mode}: {d}");
        let kept: Vec<&str> = d["kept"]
            .as_array()
            .expect("kept")
            .iter()
            .map(|k| k["reason"]["code"].as_str().expect("code"))
            .collect();
        assert_eq!(kept, ["not_owner", "not_owner"], "{mode}: {d}");
    }
    let out = ns.shmctl_as(65534, &["gc", "--dry-run", "--user", "root", "-v"]);
    let t = text(&out.stdout);
    assert!(!t.contains("would remove shm"), "{t}");
    assert!(t.contains("kept 2: not_owner 2"), "{t}");
    assert_eq!(ns.segments().len(), 2);
}
