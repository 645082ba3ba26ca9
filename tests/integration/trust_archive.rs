//! Issue #11, archives: the directory is checked before anything is touched, names never
//! collide, failures are counted, huge sparse objects are streamed, drained messages are
//! never lost, and restoring trusts no record that someone else could have written.
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::*;

fn sh(ns: &Ns, script: &str) {
    let out = ns.command("sh").args(["-c", script]).output().expect("sh");
    assert_success(&out, &[script]);
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

#[test]
fn the_archive_directory_is_checked_before_anything_is_attached() {
    let Some(ns) = Ns::new() else { return };
    let id = ns.run_helper(&["create", "0xa1", "4096", "0600"])[0];
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = tmp.path().join("a-file");
    std::fs::write(&file, "").expect("write");
    let open = tmp.path().join("open");
    std::fs::create_dir(&open).expect("mkdir");
    chmod(&open, 0o777);
    let link = tmp.path().join("link");
    std::os::unix::fs::symlink(&open, &link).expect("symlink");
    // (directory, exit code, why): a file where a directory is expected is a usage error,
    // a directory that cannot be made a failure, one that others control a refusal.
    let mut bad = vec![
        (file.display().to_string(), 2, "not a directory"),
        (
            format!("{}/missing/archive", tmp.path().display()),
            1,
            "cannot create",
        ),
        (open.display().to_string(), 4, "lets others write"),
        (link.display().to_string(), 4, "lets others write"),
    ];
    if !ns.is_user_ns() {
        let theirs = tmp.path().join("theirs");
        std::fs::create_dir(&theirs).expect("mkdir");
        chmod(&theirs, 0o755);
        std::os::unix::fs::chown(&theirs, Some(65534), Some(65534)).expect("chown");
        bad.push((theirs.display().to_string(), 4, "owned by uid 65534"));
    }
    for (dir, code, why) in &bad {
        for command in ["gc", "rm"] {
            let mut args = vec![command, "--archive", dir];
            let id = id.to_string();
            if command == "gc" {
                args.push("--yes");
            } else {
                args.push(&id);
            }
            let out = ns.shmctl(&args);
            assert_exit(&out, *code, &args);
            assert!(
                text(&out.stderr).contains(why),
                "{args:?}: {}",
                text(&out.stderr)
            );
            let s = ns.segments();
            assert_eq!(
                (s.len(), &s[0]["atime"], &s[0]["mode"]),
                (1, &Value::Null, &serde_json::json!(0o600)),
                "{args:?}: never attached to, never changed"
            );
        }
    }
    assert_eq!(
        std::fs::read_dir(&open).expect("ls").count(),
        0,
        "nothing written through the link"
    );
    // A dry run refuses what the real run would refuse (and creates nothing).
    for (dir, code, _) in &bad {
        let out = ns.shmctl(&["gc", "--dry-run", "--archive", dir]);
        assert_exit(&out, *code, &["gc --dry-run --archive", dir]);
    }
    let fresh = tmp.path().join("not-yet");
    let out = ns.shmctl(&[
        "gc",
        "--dry-run",
        "--archive",
        fresh.to_str().expect("utf-8"),
    ]);
    assert_success(&out, &["a dry run into a directory to be made"]);
    assert!(!fresh.exists(), "a dry run makes no directory");
}

#[test]
fn archives_from_two_namespaces_never_collide() {
    // Both namespaces number their first segment 0, with the same key, in the same second.
    let (Some(a), Some(b)) = (Ns::new(), Ns::new()) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let dir_path = dir.path().to_str().expect("utf-8");
    let mut records = Vec::new();
    for ns in [&a, &b] {
        let id = ns.run_helper(&["create", "0xa2", "4096", "0600", "attach", "write", "hello"])[0];
        assert_eq!(id, 0);
        let out = ns.shmctl(&["rm", "--json", "--archive", dir_path, "0"]);
        assert_success(&out, &["rm --archive"]);
        records.push(
            doc(&out)["removed"][0]["archive"]
                .as_str()
                .expect("archive")
                .to_string(),
        );
    }
    assert_ne!(records[0], records[1]);
    for record in &records {
        assert!(Path::new(record).exists(), "{record}");
        assert!(Path::new(&record.replace(".json", ".bin")).exists());
    }
}

#[test]
fn a_summary_counts_failures() {
    let Some(ns) = Ns::new() else { return };
    // An archive directory with no room: the check passes (it is writable), the copies fail.
    sh(
        &ns,
        "mkdir /run/tiny && mount -n -t tmpfs -o size=4k,mode=0700 tmpfs /run/tiny",
    );
    ns.run_helper(&["create", "0xa3", "65536", "0600", "attach", "fill", "1"]);
    ns.run_helper(&["create", "0xa4", "65536", "0600", "attach", "fill", "2"]);
    let out = ns.shmctl(&["gc", "--yes", "--archive", "/run/tiny"]);
    assert_exit(&out, 1, &["gc into a full archive"]);
    let summary = text(&out.stdout);
    assert!(summary.contains("failed 2"), "{summary}");
    assert!(!summary.contains("nothing to remove"), "{summary}");
    assert_eq!(ns.segments().len(), 2, "nothing removed");
    let out = ns
        .command("ls")
        .arg("-A")
        .arg("/run/tiny")
        .output()
        .expect("ls");
    assert_eq!(text(&out.stdout), "", "no half-written archive left");
}

#[test]
fn a_huge_sparse_posix_object_is_archived_without_reading_it_into_memory() {
    let Some(ns) = Ns::with_mounts() else { return };
    // 1 TiB, four bytes at each end; everything else a hole.
    sh(
        &ns,
        "truncate -s 1T /dev/shm/big && printf head | dd of=/dev/shm/big conv=notrunc status=none \
         && printf tail | dd of=/dev/shm/big bs=1 seek=1099511627772 conv=notrunc status=none",
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let dir_path = dir.path().to_str().expect("utf-8");
    // At most 2 GiB of address space: reading the object into memory cannot succeed.
    let out = ns
        .command("prlimit")
        .arg("--as=2147483648")
        .arg("--")
        .arg(shmctl_bin())
        .args(["rm", "--json", "--archive", dir_path, "pshm:/big"])
        .stdin(Stdio::null())
        .output()
        .expect("prlimit");
    assert_success(&out, &["rm --archive of a 1 TiB sparse object"]);
    let record = doc(&out)["removed"][0]["archive"]
        .as_str()
        .expect("archive")
        .to_string();
    let bin = std::fs::File::open(record.replace(".json", ".bin")).expect("bin");
    let meta = bin.metadata().expect("meta");
    assert_eq!(meta.len(), 1 << 40);
    use std::os::unix::fs::{FileExt, MetadataExt};
    assert!(
        meta.blocks() < 1 << 12,
        "the holes were written: {} blocks",
        meta.blocks()
    );
    let mut buf = [0u8; 4];
    bin.read_exact_at(&mut buf, 0).expect("read");
    assert_eq!(&buf, b"head");
    bin.read_exact_at(&mut buf, (1 << 40) - 4).expect("read");
    assert_eq!(&buf, b"tail");
}

/// Waits until `pid` (a helper started directly, outside `spawn_helper`) is blocked in
/// mq_timedsend (x86-64 242, aarch64 182).
fn blocked_in_mq_send(ns: &Ns, pid: u32) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let out = ns
            .command("cat")
            .arg(format!("/proc/{pid}/syscall"))
            .output()
            .expect("cat");
        let first = text(&out.stdout)
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_string();
        if first == "242" || first == "182" {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{pid} never blocked in mq_send: {first}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn drained_messages_that_cannot_be_archived_or_sent_back_are_rescued() {
    let Some(ns) = Ns::with_mounts() else { return };
    // A full queue (10 messages, the default limit) and two senders blocked on it: draining
    // it takes 12 messages, of which only 10 fit back.
    let body = |c: char| c.to_string().repeat(1000);
    let mut fill = vec!["mq".to_string(), "/q".into(), "0600".into()];
    for c in "abcdefghij".chars() {
        fill.extend(["mqsend".to_string(), body(c)]);
    }
    let args: Vec<&str> = fill.iter().map(String::as_str).collect();
    ns.run_helper(&args);
    let mut senders = Vec::new();
    for c in ['y', 'z'] {
        let child = ns
            .command(helper_path())
            .args(["mq", "/q", "0600", "mqsend", &body(c), "hold"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("sender");
        blocked_in_mq_send(&ns, child.id());
        senders.push(child);
    }
    // The archive has no room for the record of 12 messages, but for a rescue of two.
    sh(
        &ns,
        "mkdir /run/tiny && mount -n -t tmpfs -o size=8k,mode=0700 tmpfs /run/tiny",
    );
    let out = ns.shmctl(&[
        "rm",
        "--force",
        "--archive",
        "/run/tiny",
        "--drain",
        "pmq:/q",
    ]);
    assert_exit(&out, 1, &["rm --archive --drain into a full archive"]);
    let err = text(&out.stderr);
    assert!(
        err.contains("2 message(s) of /q could not be sent back")
            && err.contains("saved in /run/tiny/"),
        "{err}"
    );
    // The queue holds 10 messages again; the rescue file the other two.
    let q = ns.json(&["stat", "--json", "pmq:/q"]);
    assert_eq!(q["posix_queues"][0]["queue"]["qsize"], 10_000, "{q}");
    let path = err
        .split("saved in ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("a path")
        .trim_end_matches(|c: char| !c.is_alphanumeric())
        .to_string();
    let rescue = ns.command("cat").arg(&path).output().expect("cat");
    let rescue: Value = serde_json::from_slice(&rescue.stdout).expect("rescue JSON");
    let rescued = rescue["messages"].as_array().expect("messages");
    assert_eq!(rescued.len(), 2, "{rescue}");
    assert!(rescued.iter().all(|m| m["size"] == 1000));
    for mut sender in senders {
        sender.kill().ok();
        sender.wait().ok();
    }
}

/// A record that restoring would follow, with its bytes file name and owner.
fn record(dir: &Path, name: &str, bin: &str, size: usize) -> std::path::PathBuf {
    let path = dir.join(name);
    let doc = serde_json::json!({
        "schema_version": 1,
        "bin": bin,
        "segment": {"key": 0xa5, "mode": 0o666, "size": size,
                    "owner": {"uid": 65534, "gid": 65534}},
    });
    std::fs::write(&path, doc.to_string()).expect("write record");
    chmod(&path, 0o644);
    path
}

#[test]
fn restoring_trusts_no_record_another_user_could_have_written() {
    let Some(ns) = Ns::new() else { return };
    if root_only(&ns, "an ordinary user's files, restored by root: root only") {
        return;
    }
    // Root's secret, which no one else may read, and a directory an ordinary user prepared.
    let private = tempfile::tempdir().expect("tempdir");
    let secret = private.path().join("secret");
    std::fs::write(&secret, "SECRET-SECRET").expect("write");
    chmod(&secret, 0o600);
    let theirs = tempfile::tempdir().expect("tempdir");
    let dir = theirs.path();
    chmod(dir, 0o755);
    std::os::unix::fs::symlink(&secret, dir.join("link.bin")).expect("symlink");
    std::fs::write(dir.join("good.bin"), "SECRET-SECRET").expect("write");
    let cases = [
        record(dir, "absolute.json", secret.to_str().expect("utf-8"), 13),
        record(
            dir,
            "dotdot.json",
            "../../../../../../../../../../../../..",
            13,
        ),
        record(
            dir,
            "traversal.json",
            &format!(
                "../{}",
                secret.strip_prefix("/tmp").unwrap_or(&secret).display()
            ),
            13,
        ),
        record(dir, "link.json", "link.bin", 13),
        record(dir, "owned.json", "good.bin", 13),
    ];
    // Everything the ordinary user made is theirs.
    for entry in std::fs::read_dir(dir).expect("ls").flatten() {
        std::os::unix::fs::lchown(entry.path(), Some(65534), Some(65534)).expect("chown");
    }
    std::os::unix::fs::chown(dir, Some(65534), Some(65534)).expect("chown");
    for case in &cases {
        let out = ns.shmctl(&["create", "--from-archive", case.to_str().expect("utf-8")]);
        assert_exit(&out, 4, &["restore", case.to_str().expect("utf-8")]);
        assert!(
            text(&out.stderr).contains("refusing"),
            "{}: {}",
            case.display(),
            text(&out.stderr)
        );
        assert!(
            ns.segments().is_empty(),
            "{}: no segment made",
            case.display()
        );
    }

    // Root's own record, but writable by group: refused too; a bytes file of another size is
    // damage (exit 1); a record that never ends is refused at once.
    let mine = tempfile::tempdir().expect("tempdir");
    std::fs::write(mine.path().join("ok.bin"), "0123456789").expect("write");
    let writable = record(mine.path(), "writable.json", "ok.bin", 10);
    chmod(&writable, 0o664);
    let out = ns.shmctl(&[
        "create",
        "--from-archive",
        writable.to_str().expect("utf-8"),
    ]);
    assert_exit(&out, 4, &["restore a group-writable record"]);
    let short = record(mine.path(), "short.json", "ok.bin", 11);
    let out = ns.shmctl(&["create", "--from-archive", short.to_str().expect("utf-8")]);
    assert_exit(&out, 1, &["restore with the wrong size"]);
    assert!(
        text(&out.stderr).contains("archive damaged"),
        "{}",
        text(&out.stderr)
    );
    let huge = mine.path().join("huge.json");
    std::fs::write(&huge, vec![b' '; 2 << 20]).expect("write");
    let out = ns.shmctl(&["create", "--from-archive", huge.to_str().expect("utf-8")]);
    assert_exit(&out, 1, &["restore a 2 MiB record"]);
    assert!(
        text(&out.stderr).contains("larger than 1 MiB"),
        "{}",
        text(&out.stderr)
    );
    let out = ns.shmctl(&["create", "--from-archive", "/dev/zero"]);
    assert_exit(&out, 1, &["restore /dev/zero"]);
    assert!(ns.segments().is_empty());

    // And a good one works.
    let good = record(mine.path(), "good.json", "ok.bin", 10);
    let made = ns.json(&[
        "create",
        "--json",
        "--from-archive",
        good.to_str().expect("utf-8"),
    ]);
    assert_eq!(made["size"], 10);
}

/// The messages of every archive record in `dir` whose file name starts with `prefix`, as
/// base64 strings, record by record (sorted, so that the order of the files does not matter).
fn archived_messages(dir: &Path, prefix: &str) -> Vec<Vec<String>> {
    let mut all: Vec<Vec<String>> = std::fs::read_dir(dir)
        .expect("read the archive directory")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| {
            let name = path.file_name().expect("name").to_string_lossy();
            name.starts_with(prefix) && name.ends_with(".json")
        })
        .map(|path| {
            let record: Value =
                serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("record");
            record["messages"]
                .as_array()
                .expect("messages")
                .iter()
                .map(|m| m["base64"].as_str().expect("base64").to_string())
                .collect()
        })
        .collect();
    all.sort();
    all
}

#[test]
fn a_queue_whose_name_is_not_utf8_is_drained_by_its_bytes() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let Some(ns) = Ns::with_mounts() else { return };
    // `/q\xff` and `/q\u{fffd}` show alike; each must give its own messages, and only its own.
    let create = |name: &[u8], bodies: &[&str]| {
        let mut cmd = ns.command(helper_path());
        cmd.args([
            OsStr::new("mq"),
            OsStr::from_bytes(name),
            OsStr::new("0600"),
        ]);
        for body in bodies {
            cmd.args(["mqsend", body]);
        }
        let out = cmd.stdin(Stdio::null()).output().expect("helper");
        assert_success(&out, &["helper mq"]);
    };
    create(b"/q\xff", &["one", "two!"]);
    create("/q\u{fffd}".as_bytes(), &["other"]);
    // (rm cannot name it: a selector is text.)
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("archive");
    let gc = ns.json(&[
        "gc",
        "--yes",
        "--older-than",
        "0s",
        "--include-unknown",
        "--kind",
        "pmq",
        "--archive",
        &dir.display().to_string(),
        "--drain",
        "--json",
    ]);
    let removed = gc["removed"].as_array().expect("removed");
    assert_eq!(removed.len(), 2, "{gc}");
    assert!(gc["failed"].as_array().is_none_or(Vec::is_empty), "{gc}");
    // base64 of "one", "two!" and "other": every message archived once, with its own queue.
    assert_eq!(
        archived_messages(&dir, "pmq-"),
        [
            vec!["b25l".to_string(), "dHdvIQ==".into()],
            vec!["b3RoZXI=".into()]
        ]
    );
    let left = ns.json(&["ls", "--kind", "pmq", "--json"]);
    assert_eq!(left["posix_queues"], serde_json::json!([]), "{left}");
}
