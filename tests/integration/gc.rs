//! gc end to end: real creators that live, attach, crash, and pids that get reused.
use std::collections::BTreeSet;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;

use crate::util::*;

fn ids(list: &Value) -> BTreeSet<i64> {
    list.as_array()
        .expect("list")
        .iter()
        .map(|e| e["id"].as_i64().expect("id"))
        .collect()
}

fn codes(entry: &Value) -> Vec<String> {
    entry["evidence"]
        .as_array()
        .expect("evidence")
        .iter()
        .map(|e| e["code"].as_str().expect("code").to_string())
        .collect()
}

fn kept_code(report: &Value, id: i32) -> String {
    let kept = report["kept"].as_array().expect("kept");
    let entry = kept
        .iter()
        .find(|k| k["id"] == id)
        .unwrap_or_else(|| panic!("{id} not kept in {report}"));
    entry["reason"]["code"].as_str().expect("code").to_string()
}

#[test]
fn removes_what_crashed_keeps_what_lives_and_a_second_run_has_nothing_to_do() {
    let Some(ns) = Ns::new() else { return };
    let attacher = ns.spawn_helper(&["create", "0x10", "4096", "0600", "attach"]);
    let lurker = ns.spawn_helper(&["create", "0x20", "4096", "0600"]); // alive, never attaches
    let crashed = ns.spawn_helper(&["create", "0x30", "65536", "0600", "attach"]);
    let crashed_id = crashed.id();
    crashed.crash();
    let exited = ns.run_helper(&["create", "0x40", "100", "0600"])[0];

    let plan = doc(&ns.shmctl(&["gc", "--dry-run", "--json"]));
    assert_eq!(plan["dry_run"], true);
    assert_eq!(
        ids(&plan["removed"]),
        [crashed_id as i64, exited as i64].into()
    );
    let crashed_entry = plan["removed"]
        .as_array()
        .expect("removed")
        .iter()
        .find(|r| r["id"] == crashed_id)
        .expect("crashed");
    assert_eq!(codes(crashed_entry), ["nattch_zero", "creator_dead"]);
    assert_eq!(kept_code(&plan, attacher.id()), "attached");
    assert_eq!(kept_code(&plan, lurker.id()), "creator_alive");
    assert_eq!(ns.segments().len(), 4, "a dry run removes nothing");

    let out = ns.shmctl(&["gc", "--yes", "--json"]);
    assert_success(&out, &["gc --yes"]);
    let report = doc(&out);
    assert_eq!(report["dry_run"], false);
    assert_eq!(
        ids(&report["removed"]),
        [crashed_id as i64, exited as i64].into()
    );
    assert_eq!(report["failed"], serde_json::json!([]));
    let left: BTreeSet<i64> = ns
        .segments()
        .iter()
        .map(|s| s["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(left, [attacher.id() as i64, lurker.id() as i64].into());
    for s in ns.segments() {
        assert_eq!(s["mode"], 0o600, "kept segments keep their mode");
    }

    let again = ns.shmctl(&["gc", "--yes", "--json"]);
    assert_success(&again, &["second gc"]);
    assert_eq!(doc(&again)["removed"], serde_json::json!([]));
    let out = ns.shmctl(&["gc", "--yes"]);
    assert_success(&out, &["gc table"]);
    assert!(
        text(&out.stdout).starts_with("nothing to remove"),
        "{}",
        text(&out.stdout)
    );
}

/// A quiet run only counts what it removes (it lists none of it): the same segments go,
/// what lives stays, nothing is said, and the exit is success.
#[test]
fn a_quiet_run_removes_the_same_and_says_nothing() {
    let Some(ns) = Ns::new() else { return };
    let attacher = ns.spawn_helper(&["create", "0x10", "4096", "0600", "attach"]);
    let crashed = ns.spawn_helper(&["create", "0x30", "65536", "0600", "attach"]);
    crashed.crash();
    for key in ["0x40", "0x41", "0x42"] {
        ns.run_helper(&["create", key, "100", "0640"]);
    }
    let out = ns.shmctl(&["gc", "--yes", "-q"]);
    assert_success(&out, &["quiet gc"]);
    assert_eq!(text(&out.stdout), "");
    assert_eq!(text(&out.stderr), "");
    let left: Vec<i64> = ns
        .segments()
        .iter()
        .map(|s| s["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(left, [attacher.id() as i64]);
    assert_eq!(ns.segments()[0]["mode"], 0o600);
}

#[test]
fn without_yes_and_without_a_terminal_it_refuses() {
    let Some(ns) = Ns::new() else { return };
    ns.run_helper(&["create", "0x50", "4096", "0600"]);
    let out = ns.shmctl(&["gc"]);
    assert_exit(&out, 2, &["gc without --yes"]);
    assert!(text(&out.stderr).contains("--yes"), "{}", text(&out.stderr));
    assert_eq!(ns.segments().len(), 1, "nothing removed");
}

#[test]
fn filters_keep_young_and_excluded_segments() {
    let Some(ns) = Ns::new() else { return };
    let a = ns.run_helper(&["create", "0x60", "4096", "0600"])[0];
    let b = ns.run_helper(&["create", "0x61", "4096", "0600"])[0];
    let report = doc(&ns.shmctl(&["gc", "--yes", "--json", "--older-than", "1h"]));
    assert_eq!(kept_code(&report, a), "too_young");
    assert_eq!(report["removed"], serde_json::json!([]));

    let report = doc(&ns.shmctl(&["gc", "--yes", "--json", "--exclude-key", "0x60"]));
    assert_eq!(kept_code(&report, a), "excluded");
    assert_eq!(ids(&report["removed"]), [b as i64].into());
    assert_eq!(ns.segments().len(), 1);
}

#[test]
fn ls_reports_the_same_verdicts() {
    let Some(ns) = Ns::new() else { return };
    let holder = ns.spawn_helper(&["create", "0x70", "4096", "0600", "attach"]);
    let orphan = ns.run_helper(&["create", "0x71", "4096", "0600"])[0];
    let segments = ns.segments();
    let o = by_id(&segments, orphan);
    assert_eq!(o["orphan"], true);
    assert_eq!(codes(o), ["nattch_zero", "creator_dead", "never_attached"]);
    assert!(o.get("kept").is_none());
    let h = by_id(&segments, holder.id());
    assert_eq!(h["orphan"], false);
    assert_eq!(h["kept"]["code"], "attached");
    assert!(h.get("evidence").is_none());

    let orphans = ns.json(&["ls", "--orphans", "--json"]);
    assert_eq!(ids(&orphans["segments"]), [orphan as i64].into());
    let plan = doc(&ns.shmctl(&["gc", "--dry-run", "--json"]));
    assert_eq!(
        ids(&plan["removed"]),
        ids(&orphans["segments"]),
        "one policy"
    );
    let table = text(&ns.shmctl(&["ls", "--orphans"]).stdout);
    assert!(
        table.contains("nattch_zero+creator_dead+never_attached"),
        "{table}"
    );
}

#[test]
fn a_reused_creator_pid_does_not_keep_the_segment() {
    let Some(ns) = Ns::with_pid_namespace() else {
        return;
    };
    let out = ns.run_helper_output(&["pid", "create", "0x80", "4096", "0600"]);
    let creator = pids(&out)[0];
    // More than the 2 s margin after the segment, give its pid to a new process.
    std::thread::sleep(Duration::from_millis(3200));
    // The shell writes the last pid itself (a builtin), then forks: the fork gets `creator`.
    // Nothing else may start in the namespace until it says which pid the fork got.
    let script = format!(
        "echo {} > /proc/sys/kernel/ns_last_pid; sleep 1000 & echo $!; wait",
        creator - 1
    );
    let mut squatter = ns
        .command("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut line = String::new();
    let stdout = squatter.stdout.take().expect("stdout");
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).expect("read");
    assert_eq!(
        line.trim(),
        creator.to_string(),
        "the pid went to the new process"
    );

    let segments = ns.segments();
    assert_eq!(segments[0]["cpid"], creator);
    assert_eq!(segments[0]["creator_state"], "reused");
    let report = doc(&ns.shmctl(&["gc", "--yes", "--json"]));
    let removed = &report["removed"][0];
    assert_eq!(
        codes(removed),
        ["nattch_zero", "creator_pid_reused", "never_attached"]
    );
    let text = removed["evidence"][1]["text"].as_str().expect("text");
    assert!(
        text.starts_with(&format!(
            "creator pid {creator} now belongs to a process started "
        )),
        "{text}"
    );
    assert!(ns.segments().is_empty());
    squatter.kill().ok();
    squatter.wait().ok();
}

#[test]
fn a_creator_in_another_pid_namespace_is_unknown_unless_included() {
    let Some(ns) = Ns::new() else { return };
    let id = ns.run_helper(&["create", "0x90", "4096", "0600"])[0];
    // Run gc from a child PID namespace: the creator's pid reads as 0 there.
    let gc_in_child = |args: &[&str]| {
        ns.command("unshare")
            .args([
                "--pid",
                "--fork",
                "--mount-proc",
                "--",
                shmctl_bin(),
                "gc",
                "--json",
            ])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("unshare --pid")
    };
    let out = gc_in_child(&["--yes"]);
    assert_success(&out, &["gc from a child pid namespace"]);
    let report = doc(&out);
    assert_eq!(kept_code(&report, id), "creator_unknown");
    assert_eq!(ns.segments().len(), 1);

    let out = gc_in_child(&["--yes", "--include-unknown"]);
    assert_success(&out, &["gc --include-unknown"]);
    let report = doc(&out);
    assert_eq!(ids(&report["removed"]), [id as i64].into());
    assert!(codes(&report["removed"][0]).contains(&"creator_unknown".to_string()));
    assert!(ns.segments().is_empty());
}

#[test]
fn an_ordinary_user_removes_its_own_and_leaves_roots_alone() {
    let Some(ns) = Ns::new() else { return };
    if root_only(&ns, "needs a second uid") {
        return;
    }
    let mine = ns.run_helper(&["setuid", "65534", "65534", "create", "0xa0", "4096", "0600"])[0];
    let roots = ns.run_helper(&["create", "0xa1", "4096", "0600"])[0];
    let out = ns.shmctl_as(65534, &["gc", "--yes", "--json"]);
    assert_success(&out, &["gc as nobody"]);
    let report = doc(&out);
    assert_eq!(ids(&report["removed"]), [mine as i64].into());
    assert!(
        !ids(&report["kept"]).contains(&(roots as i64)),
        "quietly left alone: {report}"
    );
    assert_eq!(report["failed"], serde_json::json!([]));
    assert_eq!(ns.segments()[0]["id"], roots);
}

#[test]
fn two_runs_at_once_remove_each_segment_once() {
    let Some(ns) = Ns::new() else { return };
    ns.run_helper(&["many", "400", "1"]);
    let spawn = || {
        ns.command(shmctl_bin())
            .args(["gc", "--yes", "--json"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn gc")
    };
    let (a, b) = (spawn(), spawn());
    let outs = [
        a.wait_with_output().expect("wait"),
        b.wait_with_output().expect("wait"),
    ];
    let mut removed = Vec::new();
    for out in &outs {
        assert_success(out, &["concurrent gc"]);
        removed.extend(ids(&doc(out)["removed"]));
    }
    let unique: BTreeSet<i64> = removed.iter().copied().collect();
    assert_eq!(
        unique.len(),
        removed.len(),
        "a segment reported removed twice"
    );
    assert_eq!(unique.len(), 400);
    assert!(
        ns.segments().is_empty(),
        "nothing left behind, none at mode 000"
    );
}

/// The helper's `fill SEED` pattern.
fn pattern(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed;
    (0..len)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 56) as u8
        })
        .collect()
}

#[test]
fn archive_and_restore_round_trip_byte_for_byte() {
    let Some(ns) = Ns::new() else { return };
    let size = 3 * 1024 * 1024 + 17; // more than one copy chunk, not page-aligned
    let size_text = size.to_string();
    let id = ns.run_helper(&["create", "0xb0", &size_text, "0640", "attach", "fill", "42"])[0];
    let dir = tempfile::tempdir().expect("tempdir");
    let dir_path = dir.path().to_str().expect("utf-8");

    let report = doc(&ns.shmctl(&["gc", "--yes", "--json", "--archive", dir_path]));
    let removed = &report["removed"][0];
    assert_eq!(removed["id"], id);
    assert_eq!(removed["nattch"], 0);
    let record = removed["archive"].as_str().expect("archive").to_string();
    assert!(
        record.starts_with(&format!("{dir_path}/shm-{id}-0x000000b0-2"))
            && record.ends_with("Z.json"),
        "{record}"
    );
    let bin = std::fs::read(record.replace(".json", ".bin")).expect("bin");
    assert!(
        bin == pattern(42, size),
        "archived bytes differ from what was written"
    );
    let saved: Value =
        serde_json::from_slice(&std::fs::read(&record).expect("json")).expect("record");
    assert_eq!(saved["segment"]["size"], size);
    assert_eq!(saved["segment"]["orphan"], true);
    assert!(ns.segments().is_empty());

    let restored = ns.json(&["create", "--from-archive", &record, "--json"]);
    assert_eq!(restored["key_hex"], "0x000000b0");
    assert_eq!(restored["size"], size);
    let s = ns.segments();
    let s = by_id(&s, restored["id"].as_i64().expect("id") as i32);
    assert_eq!(
        (s["mode"].as_u64(), s["size"].as_u64()),
        (Some(0o640), Some(size as u64))
    );

    // Archive the restored segment again: the same bytes.
    let again = tempfile::tempdir().expect("tempdir");
    let out = ns.shmctl(&[
        "rm",
        "--json",
        "--archive",
        again.path().to_str().expect("utf-8"),
        "0xb0",
    ]);
    assert_success(&out, &["rm --archive"]);
    let path = doc(&out)["removed"][0]["archive"]
        .as_str()
        .expect("archive")
        .replace(".json", ".bin");
    assert!(
        std::fs::read(path).expect("bin") == bin,
        "restore was not byte for byte"
    );

    // The key is taken: restoring again needs --private.
    ns.run_helper(&["create", "0xb0", "10", "0600"]);
    let out = ns.shmctl(&["create", "--from-archive", &record]);
    assert_exit(&out, 1, &["restore onto a taken key"]);
    assert!(
        text(&out.stderr).contains("--private"),
        "{}",
        text(&out.stderr)
    );
    let private = ns.json(&["create", "--from-archive", &record, "--private", "--json"]);
    assert_eq!(private["key"], 0);
}

#[test]
fn an_archive_that_cannot_be_written_removes_nothing() {
    let Some(ns) = Ns::new() else { return };
    let id = ns.run_helper(&["create", "0xc0", "4096", "0600"])[0];
    // The directory is checked before anything is attached or changed.
    let out = ns.shmctl(&["gc", "--yes", "--json", "--archive", "/nonexistent/archive"]);
    assert_exit(&out, 1, &["gc with a missing archive dir"]);
    assert!(
        text(&out.stderr).contains("cannot create the archive directory /nonexistent/archive"),
        "{}",
        text(&out.stderr)
    );
    let s = ns.segments();
    assert_eq!(
        (s.len(), &s[0]["mode"], &s[0]["nattch"], &s[0]["atime"]),
        (
            1,
            &serde_json::json!(0o600),
            &serde_json::json!(0),
            &serde_json::Value::Null
        ),
        "not even attached to"
    );

    // An existing archive is never overwritten: the new one takes the next free name.
    let dir = tempfile::tempdir().expect("tempdir");
    let stamp = utc_stamp(s[0]["ctime_unix"].as_i64().expect("ctime"));
    let taken = dir.path().join(format!("shm-{id}-0x000000c0-{stamp}.bin"));
    std::fs::write(&taken, b"older").expect("write");
    let out = ns.shmctl(&[
        "rm",
        "--json",
        "--archive",
        dir.path().to_str().expect("utf-8"),
        &id.to_string(),
    ]);
    assert_success(&out, &["rm onto an existing archive name"]);
    let archived = doc(&out)["removed"][0]["archive"].clone();
    assert_eq!(
        archived,
        dir.path()
            .join(format!("shm-{id}-0x000000c0-{stamp}-2.json"))
            .to_str()
            .expect("utf-8")
    );
    assert_eq!(std::fs::read(&taken).expect("kept"), b"older");
    assert!(ns.segments().is_empty());
}

/// `20261202T095102Z`, as archive names carry an object's creation time.
pub fn utc_stamp(unix: i64) -> String {
    let out = std::process::Command::new("date")
        .args(["-u", "-d", &format!("@{unix}"), "+%Y%m%dT%H%M%SZ"])
        .output()
        .expect("date");
    text(&out.stdout).trim().to_string()
}

#[test]
fn sigterm_mid_batch_stops_between_segments_with_a_report() {
    use std::os::unix::process::ExitStatusExt;
    let Some(ns) = Ns::new() else { return };
    let mut interrupted_with_report = 0;
    // Under load (the rest of the suite runs beside it) gc may not have started by a short
    // delay: longer ones follow until one catches it mid-batch.
    for delay_ms in [5, 10, 15, 20, 30, 45, 70, 100, 150, 250, 400] {
        if interrupted_with_report >= 2 {
            break;
        }
        ns.run_helper(&["many", "4000", "1"]);
        let child = ns
            .command(shmctl_bin())
            .args(["gc", "--yes", "--json"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn gc");
        std::thread::sleep(Duration::from_millis(delay_ms));
        // SAFETY: kill has no memory effects; the pid is our own child's.
        unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
        let out = child.wait_with_output().expect("wait");

        let left = ns.segments();
        for s in &left {
            assert_eq!(s["mode"], 0o600, "a sequence was cut in half: {s}");
        }
        if let Ok(report) = serde_json::from_slice::<Value>(&out.stdout) {
            let removed = ids(&report["removed"]);
            assert!(left
                .iter()
                .all(|s| !removed.contains(&s["id"].as_i64().expect("id"))));
            assert_eq!(
                removed.len() + left.len(),
                4000,
                "every segment removed or intact"
            );
            if out.status.signal() == Some(libc::SIGTERM) {
                assert!(
                    text(&out.stderr).contains("interrupted by signal"),
                    "{}",
                    text(&out.stderr)
                );
                assert!(!left.is_empty());
                interrupted_with_report += 1;
            }
        }
        assert_success(&ns.shmctl(&["gc", "--yes", "-q"]), &["cleanup"]);
        assert!(ns.segments().is_empty());
    }
    assert!(
        interrupted_with_report > 0,
        "no delay caught gc between two segments"
    );
}

#[test]
fn on_a_terminal_it_shows_the_plan_and_asks() {
    let Some(ns) = Ns::new() else { return };
    // script(1) gives gc a pseudo-terminal; the answer comes through it.
    let ask = |answer: &str| {
        let command = format!("{} gc", shmctl_bin());
        let mut child = ns
            .command("script")
            .args(["-qec", &command, "/dev/null"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("script(1)");
        std::io::Write::write_all(child.stdin.as_mut().expect("stdin"), answer.as_bytes())
            .expect("answer");
        child.wait_with_output().expect("wait")
    };
    ns.run_helper(&["create", "0xd0", "4096", "0600"]);
    let out = ask("n\n");
    assert_success(&out, &["gc, answered no"]);
    let screen = text(&out.stdout);
    assert!(
        screen.contains("would remove shm") && screen.contains("[y/N]"),
        "{screen}"
    );
    assert_eq!(ns.segments().len(), 1, "no means nothing removed");

    let out = ask("y\n");
    assert_success(&out, &["gc, answered yes"]);
    assert!(
        text(&out.stdout).contains("removed 1 segment(s)"),
        "{}",
        text(&out.stdout)
    );
    assert!(ns.segments().is_empty());
}

/// With stdout redirected on a terminal, the plan is shown where the question is asked and
/// the file gets the report only.
#[test]
fn with_stdout_redirected_the_plan_stays_on_the_terminal() {
    let Some(ns) = Ns::new() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let report = dir.path().join("report.txt");
    ns.run_helper(&["create", "0xd1", "4096", "0600"]);
    let command = format!("{} gc > {}", shmctl_bin(), report.display());
    let mut child = ns
        .command("script")
        .args(["-qec", &command, "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("script(1)");
    std::io::Write::write_all(child.stdin.as_mut().expect("stdin"), b"y\n").expect("answer");
    let out = child.wait_with_output().expect("wait");
    assert_success(&out, &["gc > file, answered yes"]);
    let screen = text(&out.stdout);
    assert!(
        screen.contains("would remove shm") && screen.contains("Remove 1 segment(s)? [y/N]"),
        "the plan and the question on the terminal: {screen}"
    );
    let file = std::fs::read_to_string(&report).expect("report");
    assert!(file.contains("removed 1 segment(s)"), "{file}");
    assert!(
        !file.contains("would remove"),
        "no plan in the report: {file}"
    );
    assert!(ns.segments().is_empty());
}
