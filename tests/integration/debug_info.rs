//! `--debug-info`: decoding a segment with the writer's own DWARF instead of a header. Real
//! C writers built with `-g` leave their structs in segments (and crash); what their debug
//! information decodes must equal what the header decodes, field for field — from the
//! binary itself, from a separate debug file found by build-id (`--debug-info auto`, the
//! writer stripped) or by `.gnu_debuglink`.
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::util::*;

/// The examples' header (SharedData, Channel) and a writer that fills one of each.
const CHANNEL_WRITER: &str = r#"#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <sys/shm.h>
#include <unistd.h>
#include "shared_data.h"
#include "extra.h"
int main(void) {
    int a = shmget(0x5d01, sizeof(struct SharedData), IPC_CREAT | 0600);
    int b = shmget(0x5d02, sizeof(struct Channel), IPC_CREAT | 0600);
    int x = shmget(0x5d03, sizeof(struct Extra) + 8, IPC_CREAT | 0600);
    struct SharedData *d = shmat(a, NULL, 0);
    struct Channel *c = shmat(b, NULL, 0);
    struct Extra *e = shmat(x, NULL, 0);
    if (a < 0 || b < 0 || x < 0 || d == (void *)-1 || c == (void *)-1 || e == (void *)-1) {
        perror("shm");
        return 1;
    }
    memset(e, 0, sizeof *e + 8);
    e->hits = 41; *(uint16_t *)&e->cv = 7; e->grid[1][2] = -5; e->shape = WIDE;
    e->pair.lo = 3; e->pair.hi = 9; e->n = 8; memcpy(e->tail, "flexible", 8);
    memset(d, 0, sizeof *d);
    d->version = SHARED_DATA_VERSION; d->counter = 3; strcpy(d->message, "Message #3 from Writer");
    d->ready = 1;
    memset(c, 0, sizeof *c);
    sem_init(&c->filled, 1, 1); sem_init(&c->consumed, 1, 0);
    c->data = *d;
    printf("id=%d\nid=%d\nid=%d\npid=%d\n", a, b, x, (int)getpid());
    fflush(stdout);
    pause();
    return 0;
}
"#;

/// What the other tests do not cover: `_Atomic`, `const volatile`, a typedef chain, a
/// two-dimensional array, a packed enum, bitfields in a typedef'd untagged struct, and a
/// flexible array member.
const EXTRA: &str = r#"#include <stdint.h>
typedef uint16_t word;
typedef word wide_word;
enum __attribute__((packed)) Shape { NARROW = 1, WIDE = 200 };
typedef struct { unsigned lo : 4, hi : 4; } Pair;
struct Extra {
    _Atomic int hits;
    const volatile wide_word cv;
    int16_t grid[2][3];
    enum Shape shape;
    Pair pair;
    uint32_t n;
    char tail[];
};
"#;

struct Built {
    dir: tempfile::TempDir,
}

impl Built {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn arg(&self, name: &str) -> String {
        self.path(name).to_str().expect("utf-8").to_string()
    }
}

/// Both writers built with `-g` (and the headers beside them); None where there is no C
/// compiler.
fn build() -> Option<Built> {
    if !on_path("cc") {
        without_tool("a C compiler (cc) builds the writers");
        return None;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/shared_data.h");
    std::fs::copy(examples, dir.path().join("shared_data.h")).expect("shared_data.h");
    std::fs::write(dir.path().join("types.h"), crate::dump::TYPES).expect("types.h");
    std::fs::write(dir.path().join("record.c"), crate::dump::WRITER).expect("record.c");
    std::fs::write(dir.path().join("channel.c"), CHANNEL_WRITER).expect("channel.c");
    std::fs::write(dir.path().join("extra.h"), EXTRA).expect("extra.h");
    for (out, source) in [("record", "record.c"), ("channel", "channel.c")] {
        let status = Command::new("cc")
            .args([
                "-g",
                "-O1",
                "-Wl,--build-id",
                "-o",
                out,
                source,
                "-lm",
                "-lpthread",
            ])
            .current_dir(dir.path())
            .status()
            .expect("cc");
        assert!(status.success(), "compiling {source}");
    }
    // Every directory on the way readable: an ordinary user's shmctl reads them too.
    chmod_all(dir.path());
    Some(Built { dir })
}

fn chmod_all(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// A running writer; killed (and reaped) when dropped.
struct Writer(std::process::Child);

impl Writer {
    /// SIGKILL: it dies holding what it holds.
    fn crash(mut self) {
        self.0.kill().expect("kill");
        self.0.wait().expect("wait");
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

/// Starts a writer in the namespace: its segment ids, its pid (in the namespace).
fn start(ns: &Ns, writer: &str) -> (Writer, Vec<String>, String) {
    let mut child = Writer(
        ns.command(writer)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("writer"),
    );
    let mut lines = BufReader::new(child.0.stdout.take().expect("stdout")).lines();
    let mut ids = Vec::new();
    loop {
        let line = lines.next().expect("a line").expect("read");
        if let Some(id) = line.strip_prefix("id=") {
            ids.push(id.to_string());
        } else if let Some(pid) = line.strip_prefix("pid=") {
            return (child, ids, pid.to_string());
        }
    }
}

fn decoded(ns: &Ns, args: &[&str]) -> (Value, String) {
    let out = ns.shmctl(args);
    assert_success(&out, args);
    (doc(&out), text(&out.stderr))
}

/// shmctl outside any namespace (what needs no IPC object).
fn run_shmctl(args: &[&str]) -> std::process::Output {
    Command::new(shmctl_bin())
        .args(args)
        .output()
        .expect("shmctl")
}

/// `dump ID --json` of `ty` decoded with `source` (`--schema FILE` or `--debug-info WHAT`).
fn dumped(ns: &Ns, id: &str, source: (&str, &str), ty: &str) -> (Value, String) {
    decoded(
        ns,
        &["dump", id, source.0, source.1, "--type", ty, "--json"],
    )
}

/// The same segment decoded through the header and through the DWARF: equal, and that.
fn both_ways(ns: &Ns, id: &str, header: &str, dwarf: &str, ty: &str) -> Value {
    let (by_header, _) = dumped(ns, id, ("--schema", header), ty);
    let (by_dwarf, _) = dumped(ns, id, ("--debug-info", dwarf), ty);
    assert_eq!(by_dwarf, by_header, "{ty}: DWARF and header decode alike");
    by_dwarf
}

#[test]
fn the_writers_dwarf_decodes_what_its_header_decodes() {
    let Some(ns) = Ns::new() else { return };
    let Some(b) = build() else { return };
    let (record, ids, pid) = start(&ns, &b.arg("record"));
    let id = &ids[0];
    let (header, dwarf) = (b.arg("types.h"), b.arg("record"));
    let by_header = both_ways(&ns, id, &header, &dwarf, "Record");
    // A pid is its executable.
    let (by_pid, note) = dumped(&ns, id, ("--debug-info", &pid), "Record");
    assert_eq!(by_pid, by_header);
    assert!(
        note.contains("its own .debug_info") && note.contains(&format!("pid {pid}")),
        "{note}"
    );
    // It crashes with both mutexes held: the robust one's owner is dead, both ways alike.
    record.crash();
    let by_dwarf = both_ways(&ns, id, &header, &dwarf, "Record");
    assert_eq!(
        by_dwarf["value"]["robust"]["owner_dead"], true,
        "{by_dwarf}"
    );
    assert_eq!(by_dwarf["value"]["sem"]["value"], 7, "{by_dwarf}");

    let (channel, ids, _) = start(&ns, &b.arg("channel"));
    let dwarf = b.arg("channel");
    let shared = b.arg("shared_data.h");
    both_ways(&ns, &ids[0], &shared, &dwarf, "SharedData");
    both_ways(&ns, &ids[1], &shared, &dwarf, "Channel");
    let extra = both_ways(&ns, &ids[2], &b.arg("extra.h"), &dwarf, "Extra");
    let v = &extra["value"];
    let got = (
        &v["hits"],
        &v["cv"],
        &v["grid"][1][2],
        &v["shape"],
        &v["pair"]["hi"],
    );
    let want = (41, 7, -5, "WIDE", 9);
    assert_eq!(
        got,
        (
            &Value::from(want.0),
            &Value::from(want.1),
            &Value::from(want.2),
            &Value::from(want.3),
            &Value::from(want.4)
        ),
        "{extra}"
    );
    // attach --set through the DWARF too: the field is written where the compiler put it.
    let set = ["--type", "SharedData", "--set", "counter=9"];
    let out = ns.shmctl(&[&["attach", &ids[0], "--debug-info", &dwarf][..], &set].concat());
    assert_success(&out, &["attach --set with --debug-info"]);
    let (after, _) = dumped(&ns, &ids[0], ("--schema", &shared), "SharedData");
    assert_eq!(after["value"]["counter"], 9, "{after}");
    // The writer crashes; what it left decodes the same both ways.
    channel.crash();
    both_ways(&ns, &ids[0], &shared, &dwarf, "SharedData");
}

/// A stripped writer whose debug file is installed under a build-id path: `auto` takes the
/// executable of the process that has the segment attached and finds its debug file there;
/// the same file found through `.gnu_debuglink` beside the binary.
#[test]
fn a_stripped_writers_debug_file_is_found_by_build_id_and_by_debuglink() {
    let Some(ns) = Ns::new() else { return };
    let Some(b) = build() else { return };
    if !on_path("objcopy") {
        return without_tool("objcopy (binutils) splits the debug information off");
    }
    let objcopy = |args: &[&str]| {
        let status = Command::new("objcopy")
            .args(args)
            .current_dir(b.dir.path())
            .status()
            .expect("objcopy");
        assert!(status.success(), "objcopy {args:?}");
    };
    objcopy(&["--only-keep-debug", "channel", "channel.debug"]);
    objcopy(&["--strip-debug", "channel"]);
    let readelf = Command::new("readelf")
        .args(["-n", &b.arg("channel")])
        .output()
        .expect("readelf");
    let notes = text(&readelf.stdout);
    let id = notes
        .lines()
        .find_map(|l| l.trim().strip_prefix("Build ID: "))
        .expect("a build-id")
        .to_string();
    let root = b.path("debug-root");
    let at = root.join(".build-id").join(&id[..2]);
    std::fs::create_dir_all(&at).expect("mkdir");
    std::fs::copy(
        b.path("channel.debug"),
        at.join(format!("{}.debug", &id[2..])),
    )
    .expect("copy");
    for dir in [root.as_path(), &root.join(".build-id"), &at] {
        chmod_all(dir);
    }

    let (writer, ids, _) = start(&ns, &b.arg("channel"));
    let (by_header, _) = decoded(
        &ns,
        &[
            "dump",
            &ids[0],
            "--schema",
            &b.arg("shared_data.h"),
            "--type",
            "SharedData",
            "--json",
        ],
    );
    // The stripped binary alone has no DWARF: the error says where it looked.
    let out = ns.shmctl(&[
        "dump",
        &ids[0],
        "--debug-info",
        &b.arg("channel"),
        "--type",
        "SharedData",
    ]);
    assert_fails_saying(
        &out,
        1,
        &["a stripped binary, no debug file"],
        "has no DWARF",
    );
    let out = ns
        .command(shmctl_bin())
        .args([
            "dump",
            &ids[0],
            "--debug-info",
            "auto",
            "--type",
            "SharedData",
            "--json",
        ])
        .env("SHMCTL_DEBUG_ROOT", &root)
        .output()
        .expect("shmctl");
    assert_success(&out, &["--debug-info auto through the build-id"]);
    assert_eq!(doc(&out), by_header);
    let note = text(&out.stderr);
    assert!(
        note.contains(&format!("build-id {id}")) && note.contains(".build-id"),
        "{note}"
    );
    // --debug-root says the same as the variable.
    let (by_flag, _) = decoded(
        &ns,
        &[
            "dump",
            &ids[0],
            "--debug-info",
            "auto",
            "--debug-root",
            root.to_str().expect("utf-8"),
            "--type",
            "SharedData",
            "--json",
        ],
    );
    assert_eq!(by_flag, by_header);
    writer.crash();

    // .gnu_debuglink: the debug file beside the binary, its CRC checked.
    objcopy(&["--add-gnu-debuglink=channel.debug", "channel"]);
    let (by_link, note) = decoded(
        &ns,
        &[
            "dump",
            &ids[0],
            "--debug-info",
            &b.arg("channel"),
            "--type",
            "SharedData",
            "--json",
        ],
    );
    assert_eq!(by_link, by_header);
    assert!(note.contains(".gnu_debuglink channel.debug"), "{note}");
    // A debug file that is not the one linked (its CRC differs) is not taken.
    std::fs::write(b.path("channel.debug"), b"not the debug file").expect("write");
    let out = ns.shmctl(&[
        "dump",
        &ids[0],
        "--debug-info",
        &b.arg("channel"),
        "--type",
        "SharedData",
    ]);
    assert_exit(&out, 1, &["a debuglink to another file"]);
}

#[test]
fn compare_debug_info_reports_every_difference() {
    let Some(b) = build() else { return };
    let shared = std::fs::read_to_string(b.path("shared_data.h")).expect("read");
    let run = |header: &str| {
        let path = b.path("variant.h");
        std::fs::write(&path, header).expect("write");
        Command::new(shmctl_bin())
            .args([
                "schema",
                path.to_str().expect("utf-8"),
                "--type",
                "SharedData",
                "--json",
            ])
            .arg("--compare-debug-info")
            .arg(b.path("channel"))
            .output()
            .expect("shmctl")
    };
    let same = run(&shared);
    assert_success(&same, &["the header the writer was built with"]);
    assert_eq!(doc(&same)["same"], true);
    // Reordered (version and counter swapped), retyped (ready widened), resized (message
    // shortened), renamed (reserved): each reported, exit 1.
    let drifted = shared
        .replace("    uint32_t version;   /*", "@V")
        .replace("    int32_t counter;    /*", "    uint32_t version;   /*")
        .replace("@V", "    int32_t counter;    /*")
        .replace("uint8_t ready;", "uint16_t ready;")
        .replace("char message[100];", "char message[96];")
        .replace("uint8_t reserved[3];", "uint8_t spare[3];");
    let out = run(&drifted);
    assert_exit(&out, 1, &["a drifted header"]);
    let report = doc(&out);
    let diffs = report["differences"].as_array().expect("differences");
    let has = |field: &str, what: &str| {
        diffs
            .iter()
            .any(|d| d["field"] == field && d["what"] == what)
    };
    assert!(
        has("version", "offset") && has("counter", "offset"),
        "reordered: {report}"
    );
    assert!(
        has("reserved", "extra") && has("spare", "missing"),
        "{report}"
    );
    assert!(has("ready", "type"), "a changed type: {report}");
    assert!(
        has("message", "type") && has("message", "size"),
        "a changed array length: {report}"
    );
    // The table says the same for people.
    let path = b.path("variant.h");
    let out = Command::new(shmctl_bin())
        .args([
            "schema",
            path.to_str().expect("utf-8"),
            "--type",
            "SharedData",
        ])
        .arg("--compare-debug-info")
        .arg(b.path("channel"))
        .output()
        .expect("shmctl");
    assert_exit(&out, 1, &["compare, table"]);
    let table = text(&out.stdout);
    assert!(
        table.contains("field ready: type uint8_t in the header")
            || table.contains("field ready: type uint16_t in the header"),
        "{table}"
    );
}

#[test]
fn schema_lists_every_type_of_the_debug_information_and_says_what_is_missing() {
    let Some(b) = build() else { return };
    let out = run_shmctl(&["schema", "--debug-info", &b.arg("channel"), "--json"]);
    assert_success(&out, &["schema --debug-info"]);
    let listed = doc(&out);
    let names: Vec<&str> = listed["types"]
        .as_array()
        .expect("types")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert!(
        names.contains(&"SharedData") && names.contains(&"Channel"),
        "{names:?}"
    );
    let by_header = run_shmctl(&[
        "schema",
        &b.arg("shared_data.h"),
        "--type",
        "Channel",
        "--json",
    ]);
    let by_dwarf = run_shmctl(&[
        "schema",
        "--debug-info",
        &b.arg("channel"),
        "--type",
        "Channel",
        "--json",
    ]);
    assert_eq!(doc(&by_dwarf)["types"], doc(&by_header)["types"]);
    // A mistyped name: the close ones.
    let out = run_shmctl(&[
        "schema",
        "--debug-info",
        &b.arg("channel"),
        "--type",
        "SharedDta",
    ]);
    assert_fails_saying(&out, 3, &["a type not there"], "did you mean SharedData");
    // No DWARF at all, and not an ELF file.
    let plain = b.path("plain");
    let status = Command::new("cc")
        .args(["-O1", "-s", "-o"])
        .arg(&plain)
        .arg(b.path("channel.c"))
        .current_dir(b.dir.path())
        .status()
        .expect("cc");
    assert!(status.success());
    let out = Command::new(shmctl_bin())
        .args(["schema", "--debug-info"])
        .arg(&plain)
        .output()
        .expect("shmctl");
    assert_fails_saying(&out, 1, &["no DWARF"], "has no DWARF");
    let out = run_shmctl(&["schema", "--debug-info", &b.arg("types.h")]);
    assert_fails_saying(&out, 1, &["not ELF"], "not an ELF file");
    // Not there (exit 3, as a missing header); a FIFO or a directory where a file is
    // expected is refused at once, never read (a FIFO would block).
    let out = Command::new(shmctl_bin())
        .args(["schema", "--debug-info"])
        .arg(b.path("missing"))
        .output()
        .expect("shmctl");
    assert_exit(&out, 3, &["a missing file"]);
    let fifo = b.path("fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    for path in [fifo, b.dir.path().to_path_buf()] {
        let out = Command::new(shmctl_bin())
            .args(["schema", "--debug-info"])
            .arg(&path)
            .output()
            .expect("shmctl");
        assert_fails_saying(&out, 1, &["not a regular file"], "not a regular file");
    }
}

/// A C++ class with virtual functions holds a pointer to its class's table: not data
/// another process can read.
#[test]
fn a_cpp_class_with_virtuals_is_refused() {
    if !on_path("g++") {
        return without_tool("g++ builds the C++ object");
    }
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("v.cc"),
        "struct Plain { int a; double b; };\nstruct V { virtual ~V(); int x; };\nV::~V() {}\nPlain p; V v;\n",
    )
    .expect("write");
    let status = Command::new("g++")
        .args(["-g", "-shared", "-fPIC", "-o", "v.so", "v.cc"])
        .current_dir(dir.path())
        .status()
        .expect("g++");
    assert!(status.success());
    let so = dir.path().join("v.so");
    let out = run_shmctl(&[
        "schema",
        "--debug-info",
        so.to_str().expect("utf-8"),
        "--type",
        "V",
    ]);
    assert_fails_saying(&out, 1, &["a class with virtuals"], "virtual");
    // The rest of the file is still usable; a listing says what it left out.
    let so = so.to_str().expect("utf-8");
    let out = run_shmctl(&["schema", "--debug-info", so, "--type", "Plain", "--json"]);
    assert_success(&out, &["a plain struct beside it"]);
    assert_eq!(doc(&out)["types"][0]["size"], 16);
    let out = run_shmctl(&["schema", "--debug-info", so]);
    assert_success(&out, &["the listing"]);
    assert!(
        text(&out.stderr).contains("left out") && text(&out.stderr).contains("struct V"),
        "{}",
        text(&out.stderr)
    );
}

/// Debug information is input like any other: a file whose DWARF is damaged anywhere (its
/// bytes flipped, its sections cut short) gives a clear error or a layout, never a panic,
/// a hang or a crash. The types of the every-kind writer, mutated from a fixed seed.
#[test]
fn damaged_dwarf_never_panics_or_hangs() {
    let Some(b) = build() else { return };
    let original = std::fs::read(b.path("record")).expect("read");
    let sections = debug_sections(&b.path("record"));
    assert!(!sections.is_empty(), "no .debug_* sections found");
    let mut rng = Rng(0xd3a4_f00d);
    let runs = if std::env::var_os("SHMCTL_HOSTILE_SECONDS").is_some() {
        400
    } else {
        150
    };
    let damaged = b.path("damaged");
    for run in 0..runs {
        let mut bytes = original.clone();
        let (offset, size) = sections[rng.below(sections.len() as u64) as usize];
        match rng.below(3) {
            // A few bytes flipped.
            0 | 1 => {
                for _ in 0..1 + rng.below(8) {
                    let at = offset + rng.below(size.max(1));
                    bytes[at as usize] ^= 1 << rng.below(8);
                }
            }
            // A section's tail zeroed (as if cut short).
            _ => {
                let from = offset + rng.below(size.max(1));
                for byte in &mut bytes[from as usize..(offset + size) as usize] {
                    *byte = 0;
                }
            }
        }
        std::fs::write(&damaged, &bytes).expect("write");
        let mut child = Command::new(shmctl_bin())
            .args(["schema", "--debug-info"])
            .arg(&damaged)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("shmctl");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait") {
                break status;
            }
            if std::time::Instant::now() > deadline {
                child.kill().ok();
                panic!("run {run}: shmctl schema --debug-info hung on damaged DWARF");
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        };
        let mut err = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut err)
            .expect("stderr");
        assert!(
            matches!(status.code(), Some(0 | 1 | 3)) && !err.contains("panicked"),
            "run {run}: {status:?} {err}"
        );
    }
}

/// (offset, size) in the file of each `.debug_*` section, from readelf.
fn debug_sections(file: &Path) -> Vec<(u64, u64)> {
    let out = Command::new("readelf")
        .args(["-S", "-W"])
        .arg(file)
        .output()
        .expect("readelf");
    text(&out.stdout)
        .lines()
        .filter_map(|l| {
            let l = l.split(']').nth(1)?;
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.first()?.starts_with(".debug_")).then(|| {
                Some((
                    u64::from_str_radix(f.get(3)?, 16).ok()?,
                    u64::from_str_radix(f.get(4)?, 16).ok()?,
                ))
            })?
        })
        .collect()
}
