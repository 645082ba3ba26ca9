//! `dump`: the bytes as hexdump(1) shows them, and every field decoded against a C writer.
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::{json, Value};

use crate::util::*;

pub(crate) const TYPES: &str = r#"#include <stdint.h>
#include <stdbool.h>
#include <semaphore.h>
#include <pthread.h>
enum Mode { IDLE, RUNNING = 5, DONE };
struct Record {
    uint32_t magic;
    int16_t temp;
    char name[8];
    bool ready;
    unsigned flags:3;
    int level:5;
    double ratio;
    float nan_value;
    enum Mode mode;
    enum Mode odd;
    long double big;
    void *where;
    uint8_t raw[3];
    char text[12];
    union { int32_t as_int; float as_float; };
    struct { int8_t x, y; } pos;
    sem_t sem;
    pthread_mutex_t lock;
    pthread_mutex_t robust;
    pthread_cond_t cond;
};
"#;

pub(crate) const WRITER: &str = r#"#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/shm.h>
#include <unistd.h>
#include "types.h"
int main(void) {
    int id = shmget(0x7777, sizeof(struct Record), IPC_CREAT | 0600);
    struct Record *r = shmat(id, NULL, 0);
    if (id < 0 || r == (void *)-1) { perror("shm"); return 1; }
    memset(r, 0, sizeof *r);
    r->magic = 0xC0FFEE; r->temp = -40; memcpy(r->name, "ABCDEFGH", 8);
    *(unsigned char *)&r->ready = 5;
    r->flags = 5; r->level = -3; r->ratio = 0.25; r->nan_value = NAN; r->mode = RUNNING; r->odd = 42;
    r->big = -1.5L; r->where = (void *)0x7f0012345678; r->raw[0] = 1; r->raw[1] = 2; r->raw[2] = 255;
    strcpy(r->text, "tab\there");
    r->as_int = 0x3f800000; r->pos.x = -1; r->pos.y = 2;
    if (sem_init(&r->sem, 1, 7)) { perror("sem_init"); return 1; }
    pthread_mutexattr_t ma; pthread_mutexattr_init(&ma); pthread_mutexattr_setpshared(&ma, 1);
    pthread_mutex_init(&r->lock, &ma);
    pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(&r->robust, &ma);
    pthread_condattr_t ca; pthread_condattr_init(&ca); pthread_condattr_setpshared(&ca, 1);
    pthread_cond_init(&r->cond, &ca);
    if (pthread_mutex_lock(&r->lock) || pthread_mutex_lock(&r->robust)) { perror("lock"); return 1; }
    printf("id=%d\npid=%d\n", id, (int)getpid());
    fflush(stdout);
    pause();
    return 0;
}
"#;

/// Compiles the writer next to its header; returns (dir, header path, writer path).
fn build_writer() -> Option<(tempfile::TempDir, String, String)> {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("types.h"), TYPES).expect("types.h");
    std::fs::write(dir.path().join("writer.c"), WRITER).expect("writer.c");
    let writer = dir.path().join("writer");
    let status = Command::new("cc")
        .arg("-o")
        .arg(&writer)
        .arg(dir.path().join("writer.c"))
        .args(["-lm", "-lpthread"])
        .status()
        .ok()?;
    assert!(status.success(), "compiling the writer");
    let header = dir
        .path()
        .join("types.h")
        .to_str()
        .expect("utf-8")
        .to_string();
    let writer = writer.to_str().expect("utf-8").to_string();
    Some((dir, header, writer))
}

#[test]
fn every_field_decodes_to_what_a_c_writer_wrote() {
    let Some(ns) = Ns::new() else { return };
    let Some((_dir, header, writer)) = build_writer() else {
        return;
    };
    let mut child = ns
        .command(&writer)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("writer");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let id = lines.next().expect("id line").expect("read");
    let pid: i64 = lines
        .next()
        .expect("pid line")
        .expect("read")
        .trim_start_matches("pid=")
        .parse()
        .expect("pid");
    let id = id.trim_start_matches("id=").to_string();

    let before = ns.segments();
    let out = ns.shmctl(&[
        "dump", &id, "--schema", &header, "--type", "Record", "--json",
    ]);
    assert_success(&out, &["dump --json"]);
    if ns.is_user_ns() {
        // /proc/PID/map_files needs CAP_SYS_ADMIN in the initial namespace: without it
        // shmctl attaches, and says so.
        assert!(
            text(&out.stderr).contains("attached read-only"),
            "{}",
            text(&out.stderr)
        );
    } else {
        assert_eq!(
            text(&out.stderr),
            "",
            "read through the writer's mapping: nothing to note"
        );
        assert_eq!(
            ns.segments(),
            before,
            "reading changed nothing: nattch, lpid, atime"
        );
    }
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(doc["type"], "Record");
    assert_eq!(doc["size"], doc["segment_size"]);
    let v = &doc["value"];
    let lock = json!({"state": "locked", "owner_tid": pid, "kind": "normal", "robust": false, "shared": true, "owner_dead": false});
    let robust = json!({"state": "locked", "owner_tid": pid, "kind": "normal", "robust": true, "shared": true, "owner_dead": false});
    let expected = json!({
        "magic": 0xC0FFEE, "temp": -40, "name": "ABCDEFGH", "ready": true, "flags": 5, "level": -3,
        "ratio": 0.25, "nan_value": "NaN", "mode": "RUNNING", "odd": 42, "big": -1.5,
        "where": "0x7f0012345678", "raw": [1, 2, 255], "text": "tab\\there",
        "as_int": 0x3f800000, "as_float": 1.0, "pos": {"x": -1, "y": 2},
        "sem": {"value": 7, "waiters": 0, "shared": true},
        "lock": lock, "robust": robust,
        "cond": {"waiters": 0, "shared": true},
    });
    assert_eq!(v, &expected);

    let table = text(
        &ns.shmctl(&["dump", &id, "--schema", &header, "--type", "Record"])
            .stdout,
    );
    for flagged in [
        "(no NUL: fills the array)",
        "true (byte 0x05, not 0 or 1)",
        "42 (no constant has this value)",
    ] {
        assert!(table.contains(flagged), "{flagged} in\n{table}");
    }
    let hex = text(
        &ns.shmctl(&[
            "dump", &id, "--schema", &header, "--type", "Record", "--hex",
        ])
        .stdout,
    );
    let value = |path: &str| {
        hex.lines()
            .find(|l| l.split_whitespace().nth(1) == Some(path))
            .and_then(|l| l.split_whitespace().last())
            .map(str::to_string)
    };
    // Negative integers in their own width, as the writer's bytes are.
    assert_eq!(value("temp").as_deref(), Some("0xffd8"), "{hex}");
    assert_eq!(value("level").as_deref(), Some("0x1d"), "{hex}");
    assert_eq!(value("magic").as_deref(), Some("0xc0ffee"), "{hex}");

    // The writer crashes holding both locks: nobody will ever release them.
    child.kill().expect("kill");
    child.wait().expect("wait");
    let out = ns.shmctl(&[
        "dump", &id, "--schema", &header, "--type", "Record", "--json",
    ]);
    assert_success(&out, &["dump after the crash"]);
    assert!(
        text(&out.stderr).contains("attached read-only"),
        "says it attached: {}",
        text(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["value"]["lock"]["owner_dead"], true);
    assert_eq!(v["value"]["robust"]["owner_dead"], true);

    let out = ns.shmctl(&[
        "dump",
        &id,
        "--schema",
        &header,
        "--type",
        "Record",
        "--expect",
        "magic=0xc0ffee",
        "--expect",
        "mode=DONE",
    ]);
    assert_exit(&out, 1, &["--expect mismatch"]);
    assert!(
        text(&out.stderr).contains("mode is RUNNING (5), expected DONE"),
        "{}",
        text(&out.stderr)
    );
    let out = ns.shmctl(&[
        "dump", &id, "--schema", &header, "--type", "Record", "--expect", "temp=-40", "--json",
    ]);
    assert_success(&out, &["--expect match"]);
}

#[test]
fn hex_and_raw_match_the_bytes_and_hexdump() {
    let Some(ns) = Ns::new() else { return };
    let holder = ns.spawn_helper(&[
        "create", "0x44", "5000", "0600", "attach", "write", "hello", "hold",
    ]);
    let id = holder.id().to_string();
    let raw = ns.shmctl(&["dump", &id, "--format", "raw"]);
    assert_success(&raw, &["raw"]);
    assert_eq!(raw.stdout.len(), 5000, "exactly the segment, never past it");
    assert_eq!(&raw.stdout[..5], b"hello");

    let ours = ns.shmctl(&["dump", &id]);
    assert_success(&ours, &["hex"]);
    if on_path("hexdump") {
        let mut hexdump = Command::new("hexdump")
            .arg("-C")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("hexdump");
        std::io::Write::write_all(hexdump.stdin.as_mut().expect("stdin"), &raw.stdout)
            .expect("feed hexdump");
        let theirs = hexdump.wait_with_output().expect("hexdump");
        assert_eq!(
            text(&ours.stdout),
            text(&theirs.stdout),
            "the same lines as hexdump -C"
        );
    } else {
        without_tool(
            "hexdump(1) is not installed (bsdextrautils): the hex dump is not compared with it",
        );
    }
    // Colour only where asked for, and only on dump (where it acts).
    let always = ns.shmctl(&["dump", &id, "--length", "32", "--color", "always"]);
    assert_success(&always, &["--color always"]);
    assert!(
        text(&always.stdout).contains("\x1b["),
        "{}",
        text(&always.stdout)
    );
    for args in [
        &["dump", &id, "--length", "32", "--color", "never"][..],
        &["dump", &id, "--length", "32"][..],
    ] {
        let plain = ns.shmctl(args);
        assert_success(&plain, args);
        assert!(!text(&plain.stdout).contains('\x1b'), "{args:?}");
    }
    let elsewhere = ns.shmctl(&["ls", "--color", "always"]);
    assert_exit(&elsewhere, 2, &["ls --color"]);

    let window = ns.shmctl(&[
        "dump", &id, "--offset", "2", "--length", "3", "--format", "raw",
    ]);
    assert_eq!(window.stdout, b"llo");
    let doc = ns.json(&["dump", &id, "--length", "5", "--json"]);
    assert_eq!(doc["base64"], "aGVsbG8=");
    assert_eq!(doc["length"], 5);
    let all = text(&ns.shmctl(&["dump", &id, "--no-squeeze"]).stdout);
    assert_eq!(all.lines().count(), 5000usize.div_ceil(16) + 1);
}

#[test]
fn a_type_larger_than_the_segment_needs_partial() {
    let Some(ns) = Ns::new() else { return };
    let header = temp_file(
        "big.h",
        "#include <stdint.h>\nstruct Big { uint32_t a; uint32_t b; uint8_t tail[100]; };\n",
    );
    let header = header.path.as_str();
    let holder = ns.spawn_helper(&[
        "create",
        "0x45",
        "6",
        "0600",
        "attach",
        "hex",
        "010000000200",
        "hold",
    ]);
    let id = holder.id().to_string();
    let out = ns.shmctl(&["dump", &id, "--schema", header, "--type", "Big"]);
    assert_exit(&out, 1, &["too big"]);
    assert!(
        text(&out.stderr).contains("--partial"),
        "{}",
        text(&out.stderr)
    );
    let doc = ns.json(&[
        "dump",
        &id,
        "--schema",
        header,
        "--type",
        "Big",
        "--partial",
        "--json",
    ]);
    assert_eq!(
        doc["value"],
        json!({"a": 1, "b": null, "tail": null}),
        "only what fits, never past the segment"
    );

    let records = ns.spawn_helper(&[
        "create",
        "0x46",
        "24",
        "0600",
        "attach",
        "hex",
        "010000000200000003",
        "hold",
    ]);
    let pairs = temp_file(
        "pair.h",
        "#include <stdint.h>\nstruct Pair { uint32_t a; uint32_t b; };\n",
    );
    let doc = ns.json(&[
        "dump",
        &records.id().to_string(),
        "--schema",
        &pairs.path,
        "--type",
        "Pair",
        "--count",
        "3",
        "--json",
    ]);
    assert_eq!(
        doc["values"],
        json!([{"a": 1, "b": 2}, {"a": 3, "b": 0}, {"a": 0, "b": 0}])
    );
}

#[test]
fn attaching_is_refused_where_it_would_destroy_the_segment() {
    let Some(ns) = Ns::new() else { return };
    if root_only(&ns, "sets kernel.shm_rmid_forced") {
        return;
    }
    // A live creator that never attaches: shm_rmid_forced=1 keeps it until the first detach.
    let holder = ns.spawn_helper(&["create", "0x47", "4096", "0600"]);
    ns.sysctl("kernel.shm_rmid_forced", "1");
    let id = holder.id().to_string();
    let out = ns.shmctl(&["dump", &id]);
    assert_exit(&out, 1, &["dump under shm_rmid_forced"]);
    assert!(
        text(&out.stderr).contains("shm_rmid_forced=1"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(ns.segments().len(), 1, "still there");
    let out = ns.shmctl(&["dump", &id, "--force", "--length", "16"]);
    assert_success(&out, &["dump --force"]);
    assert!(
        ns.segments().is_empty(),
        "--force read it, and the detach destroyed it as warned"
    );
}

#[test]
fn follow_prints_what_changes_until_sigint() {
    use std::io::Read;
    let Some(ns) = Ns::new() else { return };
    let header = temp_file(
        "shared.h",
        "#include <stdint.h>\nstruct S { int32_t counter; char message[12]; };\n",
    );
    let header = header.path.as_str();
    let id = ns.run_helper(&["create", "0x48", "16", "0600"])[0].to_string();
    let mut follower = ns
        .command(shmctl_bin())
        .args([
            "dump", &id, "--schema", header, "--type", "S", "--follow", "50ms", "-q",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("follow");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let set = ns.shmctl(&[
        "attach",
        &id,
        "--schema",
        header,
        "--type",
        "S",
        "--set",
        "counter=7",
        "--set",
        "message=hey",
        "-q",
    ]);
    assert_success(&set, &["set"]);
    std::thread::sleep(std::time::Duration::from_millis(300));
    // Removed mid-follow: the view it holds keeps the memory; it goes on without error.
    assert_success(&ns.shmctl(&["rm", "--force", &id, "-q"]), &["rm --force"]);
    std::thread::sleep(std::time::Duration::from_millis(200));
    // SAFETY: kill has no memory effects; the pid is our child's.
    unsafe { libc::kill(follower.id() as i32, libc::SIGINT) };
    let status = follower.wait().expect("wait");
    let mut output = String::new();
    follower
        .stdout
        .take()
        .expect("stdout")
        .read_to_string(&mut output)
        .expect("read");
    assert_eq!(status.code(), Some(0), "Ctrl-C exits cleanly: {output}");
    assert!(
        output.starts_with("counter: 0\nmessage: \"\"\n"),
        "the first look in full: {output}"
    );
    assert!(
        output.contains("change(s)\ncounter: 0 → 7\nmessage: \"\" → \"hey\"\n"),
        "then only the changes: {output}"
    );
    assert!(ns.segments().is_empty(), "gone once the follower detached");
}

#[test]
fn a_bad_type_is_refused_before_anything_attaches() {
    let Some(ns) = Ns::new() else { return };
    let header = temp_file(
        "t.h",
        "struct T { int a; float f; }; struct E { }; struct Opaque;\n",
    );
    let header = header.path.as_str();
    // Nothing attached: a dump that reads must attach, and that names it in lpid/atime.
    let id = ns.run_helper(&["create", "0x49", "64", "0600"])[0].to_string();
    let untouched = ns.segments();
    assert_eq!(untouched[0]["lpid"], 0, "{untouched:?}");
    let refused: [(&[&str], i32); 8] = [
        (&["--type", "Nope"], 3),
        (&["--type", "Opaque"], 3),
        (&["--type", "E", "--count", "18446744073709551615"], 2),
        (&["--type", "T", "--expect", "a=nan"], 2),
        (&["--type", "T", "--expect", "a=99999999999"], 2),
        (&["--type", "T", "--expect", "f=nan"], 2),
        (&["--type", "T", "--expect", "nope=1"], 2),
        (&["--type", "T", "--count", "100"], 1),
    ];
    for (rest, code) in refused {
        let mut args = vec!["dump", &id, "--schema", header];
        args.extend_from_slice(rest);
        let out = ns.shmctl(&args);
        assert_exit(&out, code, &args);
        assert_eq!(out.stdout, b"", "{args:?}: nothing decoded");
        assert_eq!(
            ns.segments(),
            untouched,
            "{args:?}: lpid and atime as they were"
        );
    }
    // A good one does attach (so the check above can see one).
    let out = ns.shmctl(&["dump", &id, "--schema", header, "--type", "T", "-q"]);
    assert_success(&out, &["dump T"]);
    assert_ne!(ns.segments()[0]["lpid"], 0, "a dump that reads attaches");
}

#[test]
fn a_type_of_no_bytes_decodes_once_and_count_is_refused() {
    let Some(ns) = Ns::new() else { return };
    let header = temp_file("z.h", "struct E { };\nstruct Z { int a[0]; };\n");
    let header = header.path.as_str();
    let id = ns.run_helper(&["create", "0x4a", "64", "0600"])[0].to_string();
    for ty in ["E", "Z"] {
        let doc = ns.json(&[
            "dump", &id, "--schema", header, "--type", ty, "--json", "-q",
        ]);
        assert_eq!(doc["size"], 0, "{doc}");
        for many in ["2", "18446744073709551615"] {
            let out = ns.shmctl(&[
                "dump", &id, "--schema", header, "--type", ty, "--count", many, "-q",
            ]);
            assert_exit(&out, 2, &["--count of a zero-size type", ty, many]);
            assert!(
                text(&out.stderr).contains("0 bytes"),
                "{}",
                text(&out.stderr)
            );
            let out = ns.shmctl(&[
                "dump", &id, "--schema", header, "--type", ty, "--count", many, "--follow", "10ms",
                "-q",
            ]);
            assert_exit(&out, 2, &["--follow of a zero-size type", ty, many]);
        }
    }
}

#[test]
fn count_is_bounded_by_the_segment() {
    let Some(ns) = Ns::new() else { return };
    let header = temp_file(
        "p.h",
        "#include <stdint.h>\nstruct P { uint32_t a; uint32_t b; };\n",
    );
    let header = header.path.as_str();
    let id = ns.run_helper(&["create", "0x4b", "20", "0600"])[0].to_string();
    let doc = ns.json(&[
        "dump",
        &id,
        "--schema",
        header,
        "--type",
        "P",
        "--count",
        "18446744073709551615",
        "--partial",
        "--json",
        "-q",
    ]);
    assert_eq!(
        doc["values"],
        json!([{"a": 0, "b": 0}, {"a": 0, "b": 0}, {"a": 0, "b": null}]),
        "the records that start in the segment, and no more"
    );
}

#[test]
fn partial_of_a_huge_type_allocates_only_the_segment() {
    let Some(ns) = Ns::new() else { return };
    // 1 TiB of type; 8 bytes of segment.
    let header = temp_file("huge.h", "#include <stdint.h>\nstruct Huge { int16_t a; uint16_t b; uint8_t rest[1099511627776]; };\n");
    let header = header.path.as_str();
    let holder = ns.spawn_helper(&[
        "create", "0x4c", "8", "0600", "attach", "hex", "d8ff0700", "hold",
    ]);
    let id = holder.id().to_string();
    let script = format!(
        "ulimit -v 262144; exec {} dump {id} --schema {header} --type Huge --partial --json -q",
        shmctl_bin()
    );
    let out = ns
        .command("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .output()
        .expect("sh");
    assert_success(&out, &["--partial under ulimit -v 256 MiB"]);
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(doc["size"], 1099511627780u64);
    assert_eq!(doc["value"], json!({"a": -40, "b": 7, "rest": null}));
    let table = format!(
        "ulimit -v 262144; exec {} dump {id} --schema {header} --type Huge --partial --hex -q",
        shmctl_bin()
    );
    let out = ns
        .command("sh")
        .args(["-c", &table])
        .stdin(Stdio::null())
        .output()
        .expect("sh");
    assert_success(&out, &["--partial --hex under ulimit -v 256 MiB"]);
    assert!(
        text(&out.stdout).contains("0xffd8"),
        "{}",
        text(&out.stdout)
    );
}

/// Runs `shmctl ARGS` in `ns` under `ulimit -v KIB`; with `follow`, sends SIGINT after two
/// looks. Returns what it printed.
fn bounded(ns: &Ns, kib: u64, args: &str, follow: bool) -> std::process::Output {
    let script = format!("ulimit -v {kib}; exec {} {args}", shmctl_bin());
    let child = ns
        .command("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sh");
    if follow {
        std::thread::sleep(std::time::Duration::from_millis(1500));
        // SAFETY: kill has no memory effects; the pid is our child's (sh exec'd shmctl).
        unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    }
    child.wait_with_output().expect("wait")
}

/// The views that read a whole segment hold at most one copy of it beside the mapping:
/// 64 MiB under 224 MiB of address space (the 64 MiB mapping, one 64 MiB copy, the
/// program). Before, --follow held 23 strings' worth per byte and --json 4.7×.
#[test]
fn live_views_hold_one_copy_of_the_segment_at_most() {
    let Some(ns) = Ns::new() else { return };
    let size = 64u64 << 20;
    let header = temp_file(
        "big.h",
        &format!(
            "#include <stdint.h>\nstruct Big {{ uint32_t counter; uint32_t data[{}]; }};\n",
            size / 4 - 1
        ),
    );
    let header = header.path.as_str();
    let id = ns.run_helper(&["create", "0x4d", &size.to_string(), "0600"])[0].to_string();
    let limit = 224 * 1024;
    let out = bounded(&ns, limit, &format!("dump {id} --json -q"), false);
    assert_success(&out, &["dump --json under ulimit -v 224 MiB"]);
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(doc["length"], size);
    assert_eq!(
        doc["base64"].as_str().map(str::len),
        Some(size.div_ceil(3) as usize * 4)
    );
    let out = bounded(
        &ns,
        limit,
        &format!("dump {id} --schema {header} --type Big --json -q"),
        false,
    );
    assert_success(&out, &["dump --schema --json under ulimit -v 224 MiB"]);
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        doc["value"]["data"].as_array().map(Vec::len),
        Some((size / 4 - 1) as usize),
        "every element, streamed"
    );
    for args in [
        format!("dump {id} --follow 200ms -q"),
        format!("dump {id} --schema {header} --type Big --follow 200ms -q"),
    ] {
        let out = bounded(&ns, limit, &args, true);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args} under ulimit -v 224 MiB: {}",
            text(&out.stderr)
        );
        assert!(!out.stdout.is_empty(), "{args}: the first look");
    }
}

/// Hex --follow: the first look in full (not squeezed), then each changed line as it is
/// now, under a count of changes.
#[test]
fn follow_in_hex_prints_the_lines_that_change() {
    use std::io::Read;
    let Some(ns) = Ns::new() else { return };
    let header = temp_file(
        "pad.h",
        "#include <stdint.h>\nstruct P { char pad[20]; uint32_t v; char tail[40]; };\n",
    );
    let header = header.path.as_str();
    let id = ns.run_helper(&["create", "0x4e", "64", "0600"])[0].to_string();
    let mut follower = ns
        .command(shmctl_bin())
        .args(["dump", &id, "--follow", "50ms", "-q"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("follow");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let set = ns.shmctl(&[
        "attach",
        &id,
        "--schema",
        header,
        "--type",
        "P",
        "--set",
        "v=0x64636261",
        "-q",
    ]);
    assert_success(&set, &["set"]);
    std::thread::sleep(std::time::Duration::from_millis(300));
    // SAFETY: kill has no memory effects; the pid is our child's.
    unsafe { libc::kill(follower.id() as i32, libc::SIGINT) };
    let status = follower.wait().expect("wait");
    let mut output = String::new();
    follower
        .stdout
        .take()
        .expect("stdout")
        .read_to_string(&mut output)
        .expect("read");
    assert_eq!(status.code(), Some(0), "{output}");
    let zeros = "00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|";
    let first: Vec<String> = (0..4).map(|i| format!("{:08x}  {zeros}", i * 16)).collect();
    assert!(
        output.starts_with(&(first.join("\n") + "\n")),
        "four lines, none squeezed: {output}"
    );
    assert!(
        output.contains(
            " change(s)\n00000010  00 00 00 00 61 62 63 64  00 00 00 00 00 00 00 00  |....abcd........|\n"
        ),
        "one change, the line as it is now: {output}"
    );
    let (_, changes) = output.split_once("--- ").expect("a look with changes");
    assert!(changes.contains(": 1 change(s)\n"), "{output}");
}
