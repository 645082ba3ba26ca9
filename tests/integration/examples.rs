//! The writer/reader example pair (examples/writer.rs, examples/reader.rs and the header
//! they share, examples/shared_data.h), run as real processes in a private IPC namespace.
//!
//! The writer exits 0 once the reader has consumed every message, and 128 + the signal
//! number (130 for SIGINT, 143 for SIGTERM) when a signal stops it; it removes its segment
//! in every case.
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::util::*;

/// The header, embedded: the test binary may run from a copy (see `shmctl_bin`).
const HEADER: &str = include_str!("../../examples/shared_data.h");

/// How long any one example process may take before the test calls it stuck.
const PATIENCE: Duration = Duration::from_secs(30);

struct Examples {
    writer: PathBuf,
    reader: PathBuf,
}

/// The example binaries, built once per test run next to the shmctl under test. None (after
/// saying so) when they cannot be built in CI's second run, as an ordinary user from a copy
/// (`SHMCTL_TEST_BIN` set), where the target directory may be neither writable nor readable;
/// anywhere else that is a failure.
fn examples() -> Option<&'static Examples> {
    static BUILT: OnceLock<Result<Examples, String>> = OnceLock::new();
    match BUILT.get_or_init(build_examples) {
        Ok(examples) => Some(examples),
        Err(why) if std::env::var_os("SHMCTL_TEST_BIN").is_some() => {
            eprintln!("SKIPPED: examples not built for this run");
            eprintln!("  ({why})");
            None
        }
        Err(why) => panic!("building the examples: {why}"),
    }
}

fn build_examples() -> Result<Examples, String> {
    // CARGO_BIN_EXE_shmctl is <target>/<profile>/shmctl; the examples go to
    // <target>/<profile>/examples. Run from the package so that cargo reads the same
    // configuration as the `cargo test` that built this binary.
    let profile_dir = Path::new(env!("CARGO_BIN_EXE_shmctl"))
        .parent()
        .ok_or("CARGO_BIN_EXE_shmctl has no parent directory")?;
    let mut cargo = std::process::Command::new(env!("CARGO"));
    cargo
        // Only these two: other examples are not this test's business.
        .args(["build", "--quiet", "--offline", "--locked"])
        .args(["--example", "writer", "--example", "reader"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null());
    if profile_dir
        .file_name()
        .is_some_and(|name| name == "release")
    {
        cargo.arg("--release");
    }
    let out = cargo
        .output()
        .map_err(|e| format!("cannot run {}: {e}", env!("CARGO")))?;
    if !out.status.success() {
        return Err(format!(
            "cargo build --example writer --example reader exited {:?}: {}",
            out.status.code(),
            text(&out.stderr).trim()
        ));
    }
    let examples = Examples {
        writer: profile_dir.join("examples/writer"),
        reader: profile_dir.join("examples/reader"),
    };
    for built in [&examples.writer, &examples.reader] {
        if !built.is_file() {
            return Err(format!("{} is missing after the build", built.display()));
        }
    }
    Ok(examples)
}

/// A running example, killed (and reaped) if the test ends without waiting for it.
struct Running {
    child: Option<Child>,
    what: String,
}

impl Running {
    fn pid(&self) -> i32 {
        self.child.as_ref().expect("running").id() as i32
    }

    fn has_exited(&mut self) -> bool {
        let child = self.child.as_mut().expect("running");
        child.try_wait().expect("try_wait").is_some()
    }

    fn signal(&self, signal: i32) {
        // SAFETY: kill has no memory effects. The pid is our own child's, not reaped yet, so
        // it cannot have been reused; nsenter execs the example, so the pid is the example's.
        let sent = unsafe { libc::kill(self.pid(), signal) };
        assert_eq!(
            sent,
            0,
            "kill {}: {}",
            self.what,
            std::io::Error::last_os_error()
        );
    }

    /// Waits (up to [`PATIENCE`]) for it to exit; returns what it printed.
    fn finish(mut self) -> Output {
        let deadline = Instant::now() + PATIENCE;
        while !self.has_exited() {
            assert!(
                Instant::now() < deadline,
                "{} still running after {PATIENCE:?}",
                self.what
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        self.child
            .take()
            .expect("running")
            .wait_with_output()
            .expect("wait")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().ok();
            child.wait().ok();
        }
    }
}

/// A test's scratch directory: `--path` for the examples (so the ftok key is the test's
/// own, on top of the private namespace) and the place for the header.
struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    fn new() -> Scratch {
        Scratch {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    fn path(&self) -> &str {
        self.dir.path().to_str().expect("utf-8 tempdir")
    }

    fn header(&self) -> String {
        let header = self.dir.path().join("shared_data.h");
        std::fs::write(&header, HEADER).expect("write the header");
        header.to_str().expect("utf-8").to_string()
    }
}

/// Starts an example inside the namespace, stdout and stderr piped (or stdout to a file).
fn start(ns: &Ns, program: &Path, args: &[&str], stdout: Option<File>) -> Running {
    let child = ns
        .command(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(stdout.map_or_else(Stdio::piped, Stdio::from))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start {}: {e}", program.display()));
    Running {
        child: Some(child),
        what: format!("{} {}", program.display(), args.join(" ")),
    }
}

/// What the reader prints for messages `from..=to`.
fn lines(from: u32, to: u32) -> String {
    (from..=to)
        .map(|i| format!("Message #{i} from Writer\n"))
        .collect()
}

/// The writer's segment, once it is set up (mode 0600: the writer creates it 0700 and sets
/// 0600 once its semaphores exist). Fails if it does not show up within 10 s.
fn ready_segment(ns: &Ns, writer: &mut Running) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let segments = ns.segments();
        assert!(segments.len() <= 1, "{segments:?}");
        if let Some(segment) = segments.into_iter().next() {
            if segment["mode"] == 0o600 {
                assert_eq!(segment["size"], 176, "{segment}");
                return segment;
            }
        }
        assert!(!writer.has_exited(), "the writer exited early");
        assert!(
            Instant::now() < deadline,
            "the writer's segment never appeared"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn fifty_messages_arrive_in_order_and_the_segment_is_removed() {
    let Some(ns) = Ns::new() else { return };
    let Some(examples) = examples() else { return };
    let scratch = Scratch::new();
    let args = ["--messages", "50", "--path", scratch.path()];
    let writer = start(&ns, &examples.writer, &args, None);
    let reader = start(&ns, &examples.reader, &args, None);

    let read = reader.finish();
    let wrote = writer.finish();
    assert_success(&read, &["reader", "--messages", "50"]);
    assert_success(&wrote, &["writer", "--messages", "50"]);
    assert_eq!(text(&read.stdout), lines(1, 50));
    assert!(
        text(&wrote.stderr).contains("the reader consumed all 50 message(s)"),
        "{}",
        text(&wrote.stderr)
    );
    assert!(ns.segments().is_empty());
}

#[test]
fn a_reader_started_first_waits_for_the_writer() {
    let Some(ns) = Ns::new() else { return };
    let Some(examples) = examples() else { return };
    let scratch = Scratch::new();
    let args = ["--messages", "3", "--path", scratch.path()];
    let mut reader = start(&ns, &examples.reader, &args, None);
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        !reader.has_exited(),
        "the reader did not wait for the writer"
    );
    assert!(ns.segments().is_empty(), "the reader created a segment");
    let writer = start(&ns, &examples.writer, &args, None);

    let read = reader.finish();
    let wrote = writer.finish();
    assert_success(&read, &["reader first"]);
    assert_success(&wrote, &["writer second"]);
    assert_eq!(text(&read.stdout), lines(1, 3));
    assert!(ns.segments().is_empty());
}

#[test]
fn without_messages_the_reader_stops_when_the_writer_ends_the_stream() {
    let Some(ns) = Ns::new() else { return };
    let Some(examples) = examples() else { return };
    let scratch = Scratch::new();
    let path = ["--path", scratch.path()];
    let reader = start(&ns, &examples.reader, &path, None);
    let writer = start(
        &ns,
        &examples.writer,
        &["--messages", "4", "--path", scratch.path()],
        None,
    );

    let wrote = writer.finish();
    let read = reader.finish();
    assert_success(&wrote, &["writer --messages 4"]);
    assert_success(&read, &["reader without --messages"]);
    assert_eq!(text(&read.stdout), lines(1, 4));
    assert!(ns.segments().is_empty());
}

/// SIGINT or SIGTERM to a writer blocked in its wait for a reader that never comes: it
/// removes the segment and exits 128 + the signal number.
fn a_signal_stops_a_blocked_writer(signal: i32, name: &str) {
    let Some(ns) = Ns::new() else { return };
    let Some(examples) = examples() else { return };
    let scratch = Scratch::new();
    let mut writer = start(
        &ns,
        &examples.writer,
        &["--messages", "5", "--path", scratch.path()],
        None,
    );
    ready_segment(&ns, &mut writer);
    // Message #1 goes into the free slot; then the writer waits for a reader to take it.
    std::thread::sleep(Duration::from_millis(200));
    assert!(!writer.has_exited(), "the writer did not wait for a reader");

    let sent = Instant::now();
    writer.signal(signal);
    let out = writer.finish();
    let took = sent.elapsed();
    assert_exit(&out, 128 + signal, &["writer", name]);
    assert!(took < Duration::from_secs(3), "exiting took {took:?}");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "stopped by {name} after sending 1 of 5 message(s)"
        )),
        "{stderr}"
    );
    assert!(ns.segments().is_empty(), "the segment was left behind");
}

#[test]
fn sigint_stops_a_writer_waiting_for_its_reader_and_removes_the_segment() {
    a_signal_stops_a_blocked_writer(libc::SIGINT, "SIGINT");
}

#[test]
fn sigterm_stops_a_writer_waiting_for_its_reader_and_removes_the_segment() {
    a_signal_stops_a_blocked_writer(libc::SIGTERM, "SIGTERM");
}

#[test]
fn a_reader_gets_every_message_sent_before_the_writer_was_stopped() {
    let Some(ns) = Ns::new() else { return };
    let Some(examples) = examples() else { return };
    let scratch = Scratch::new();
    let args = ["--messages", "1000000", "--path", scratch.path()];
    let mut writer = start(&ns, &examples.writer, &args, None);
    ready_segment(&ns, &mut writer);
    let output = scratch.dir.path().join("reader.out");
    let reader = start(
        &ns,
        &examples.reader,
        &args,
        Some(File::create(&output).expect("reader.out")),
    );
    // Mid-stream: the reader has printed something, and a million messages take far longer.
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::fs::metadata(&output).expect("reader.out").len() == 0 {
        assert!(Instant::now() < deadline, "the reader printed nothing");
        std::thread::sleep(Duration::from_millis(10));
    }
    writer.signal(libc::SIGTERM);
    let wrote = writer.finish();
    let read = reader.finish();

    assert_exit(&wrote, 143, &["writer stopped mid-stream"]);
    let stderr = text(&wrote.stderr);
    let sent: u32 = stderr
        .split("stopped by SIGTERM after sending ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in {stderr}"));
    assert!(sent > 0 && sent < 1_000_000, "{stderr}");
    // The writer's last message too: the end of the stream comes after it.
    assert_exit(&read, 1, &["reader of a stopped writer"]);
    let printed = std::fs::read_to_string(&output).expect("reader.out");
    assert!(
        printed == lines(1, sent),
        "the reader printed {} bytes, not messages 1 to {sent}",
        printed.len()
    );
    assert!(
        text(&read.stderr).contains(&format!(
            "the writer ended the stream after {sent} message(s) here, before message #1000000"
        )),
        "{}",
        text(&read.stderr)
    );
    assert!(ns.segments().is_empty());
}

#[test]
fn dump_decodes_the_live_channel_while_the_writer_waits() {
    let Some(ns) = Ns::new() else { return };
    let Some(examples) = examples() else { return };
    let scratch = Scratch::new();
    let header = scratch.header();
    let mut writer = start(
        &ns,
        &examples.writer,
        &["--messages", "5", "--path", scratch.path()],
        None,
    );
    let id = ready_segment(&ns, &mut writer)["id"].to_string();

    // The decoded Channel once the writer has written message `counter` and waits for the
    // reader to take it. It waits in slices of half a second, and between two slices glibc's
    // count of waiters is 0 for an instant: look again until it shows the writer waiting.
    let waiting_after = |counter: i32| -> Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let out = ns
                .command(shmctl_bin())
                .args([
                    "dump", &id, "--schema", &header, "--type", "Channel", "--json",
                ])
                .stdin(Stdio::null())
                .output()
                .expect("run shmctl dump");
            assert_success(&out, &["dump", &id, "--schema", "--type", "Channel"]);
            let doc: Value = serde_json::from_slice(&out.stdout).expect("dump --json");
            assert_eq!(
                (&doc["type"], &doc["size"], &doc["segment_size"]),
                (&json!("Channel"), &json!(176), &json!(176)),
                "{doc}"
            );
            let value = &doc["value"];
            if value["data"]["counter"] == counter && value["consumed"]["waiters"] == 1 {
                return value.clone();
            }
            assert!(
                Instant::now() < deadline,
                "never saw the writer wait: {doc}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    let expect = |counter: i32| {
        json!({
            "filled": {"value": 1, "waiters": 0, "shared": true},
            "consumed": {"value": 0, "waiters": 1, "shared": true},
            "data": {
                "version": 1,
                "counter": counter,
                "message": format!("Message #{counter} from Writer"),
                "ready": 1,
                "reserved": [0, 0, 0],
            },
        })
    };

    // No reader yet: message #1 waits in the slot.
    assert_eq!(waiting_after(1), expect(1));
    // A layout of another version is refused by the reader, not misread; nothing is taken.
    let set_version = |v: &str| {
        let out = ns.shmctl(&[
            "attach",
            &id,
            "--schema",
            &header,
            "--type",
            "Channel",
            "--set",
            &format!("data.version={v}"),
        ]);
        assert_success(&out, &["attach --set data.version"]);
    };
    set_version("2");
    let refused = start(
        &ns,
        &examples.reader,
        &["--messages", "1", "--path", scratch.path()],
        None,
    )
    .finish();
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused.stderr));
    assert!(
        text(&refused.stderr).contains("version 2 Channel"),
        "{}",
        text(&refused.stderr)
    );
    set_version("1");
    assert_eq!(waiting_after(1), expect(1));
    // A reader that takes two: the writer has written #3 and waits again.
    let read = start(
        &ns,
        &examples.reader,
        &["--messages", "2", "--path", scratch.path()],
        None,
    )
    .finish();
    assert_success(&read, &["reader --messages 2"]);
    assert_eq!(text(&read.stdout), lines(1, 2));
    assert_eq!(waiting_after(3), expect(3));

    // Looking disturbed nothing: a second reader takes the rest.
    let read = start(
        &ns,
        &examples.reader,
        &["--messages", "5", "--path", scratch.path()],
        None,
    )
    .finish();
    assert_success(&read, &["reader --messages 5"]);
    assert_eq!(text(&read.stdout), lines(3, 5));
    assert_success(&writer.finish(), &["writer --messages 5"]);
    assert!(ns.segments().is_empty());
}

/// The header the README teaches with follows the project's own lint: fixed-width types, a
/// version field, no implicit padding.
#[test]
fn the_example_header_passes_the_lint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let header = dir.path().join("shared_data.h");
    std::fs::write(&header, HEADER).expect("write header");
    let out = std::process::Command::new(shmctl_bin())
        .args(["schema", "--lint"])
        .arg(&header)
        .output()
        .expect("run shmctl schema --lint");
    assert_success(&out, &["schema --lint examples/shared_data.h"]);
    assert_eq!(text(&out.stdout), "no findings\n");
}
