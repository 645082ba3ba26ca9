//! Input that never ends: headers and `create --from` files are read with a bound, so that
//! /dev/zero, a pipe or a huge file fails at once instead of exhausting memory. Each command
//! runs with a 1 GiB address-space limit, so an unbounded read fails deterministically rather
//! than eating the machine's memory.
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use crate::util::*;

/// Runs shmctl in the namespace under `prlimit --as=1GiB`; returns its output and how long it
/// took.
fn limited(ns: &Ns, args: &[&str]) -> (Output, Duration) {
    let started = Instant::now();
    let out = ns
        .command("prlimit")
        .arg("--as=1073741824")
        .arg("--")
        .arg(shmctl_bin())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("prlimit shmctl");
    (out, started.elapsed())
}

fn fails_fast(ns: &Ns, args: &[&str], code: i32, says: &str) {
    let (out, took) = limited(ns, args);
    assert_exit(&out, code, args);
    let err = text(&out.stderr);
    assert!(err.contains(says), "{args:?}: {err}");
    assert!(took < Duration::from_secs(10), "{args:?} took {took:?}");
}

#[test]
fn headers_are_read_with_a_bound() {
    let Some(ns) = Ns::new() else { return };
    let id = ns.run_helper(&["create", "0x41", "4096", "0600"])[0].to_string();
    let dir = tempfile::tempdir().expect("tempdir");
    // A valid header, 17 MiB long: one struct and then comment lines.
    let big = dir.path().join("big.h");
    let mut text = String::from("struct T { int a; };\n");
    let line = format!("// {}\n", "x".repeat(1020));
    while text.len() <= 17 << 20 {
        text.push_str(&line);
    }
    std::fs::write(&big, &text).expect("big header");
    let big = big.to_str().expect("utf-8");
    for header in ["/dev/zero", big] {
        fails_fast(&ns, &["schema", header], 1, "larger than 16 MiB");
        let dump = ["dump", &id, "--schema", header, "--type", "T"];
        fails_fast(&ns, &dump, 1, "larger than 16 MiB");
        let attach = [
            "attach", &id, "--schema", header, "--type", "T", "--set", "a=1",
        ];
        fails_fast(&ns, &attach, 1, "larger than 16 MiB");
    }
    // Refused before anything attached: the segment's evidence is as it was.
    let segment = &ns.segments()[0];
    assert_eq!(segment["atime"], serde_json::Value::Null, "{segment}");
    assert_eq!(segment["lpid"], 0, "{segment}");
    // At the bound, a header is read.
    let fits = dir.path().join("fits.h");
    std::fs::write(&fits, &text[..16 << 20]).expect("header");
    let (out, _) = limited(
        &ns,
        &["schema", fits.to_str().expect("utf-8"), "--type", "T"],
    );
    assert_success(&out, &["schema of a 16 MiB header"]);
    // The segment was never written.
    let (out, _) = limited(&ns, &["dump", &id, "--format", "raw", "-q"]);
    assert!(out.stdout.iter().all(|&b| b == 0));
}

#[test]
fn create_from_reads_at_most_what_fits() {
    let Some(ns) = Ns::new() else { return };
    // Not a regular file: refused without --size, and never more than --size bytes.
    fails_fast(&ns, &["create", "--from", "/dev/zero"], 2, "--size");
    fails_fast(
        &ns,
        &["create", "--from", "/dev/zero", "--size", "4K"],
        1,
        "more than 4096 bytes",
    );
    assert!(
        ns.segments().is_empty(),
        "a refused --from leaves no segment"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().to_str().expect("utf-8");
    fails_fast(
        &ns,
        &["create", "--from", d, "--size", "4K"],
        2,
        "directory",
    );

    // A pipe with --size works, with fewer bytes too (the rest stays zero).
    for (data, size) in [("abc", "3"), ("ab", "4096")] {
        let script =
            format!("printf {data} | \"$0\" create --from /dev/stdin --size {size} --json");
        let out = ns
            .command("sh")
            .arg("-c")
            .arg(&script)
            .arg(shmctl_bin())
            .output()
            .expect("sh");
        assert_success(&out, &["create --from a pipe"]);
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        let id = doc["id"].to_string();
        let raw = ns.shmctl(&["dump", &id, "--format", "raw", "-q"]);
        assert_eq!(&raw.stdout[..data.len()], data.as_bytes());
        assert!(raw.stdout[data.len()..].iter().all(|&b| b == 0));
        assert_eq!(raw.stdout.len(), size.parse::<usize>().expect("size"));
    }
    let script = "printf abcd | \"$0\" create --from /dev/stdin --size 3";
    let out = ns
        .command("sh")
        .arg("-c")
        .arg(script)
        .arg(shmctl_bin())
        .output()
        .expect("sh");
    assert_exit(&out, 1, &["a pipe longer than --size"]);
    assert_eq!(ns.segments().len(), 2, "the refused one was removed");
}

#[test]
fn create_from_a_file_larger_than_shmmax_is_refused() {
    let Some(ns) = Ns::new() else { return };
    if root_only(&ns, "sets kernel.shmmax") {
        return;
    }
    ns.sysctl("kernel.shmmax", "65536");
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("big.bin");
    std::fs::write(&file, vec![7u8; 65537]).expect("file");
    let file = file.to_str().expect("utf-8");
    fails_fast(&ns, &["create", "--from", file], 1, "shmmax 65536");
    assert!(ns.segments().is_empty());
    std::fs::write(dir.path().join("big.bin"), vec![7u8; 65536]).expect("file");
    let (out, _) = limited(&ns, &["create", "--from", file]);
    assert_success(&out, &["create --from at shmmax"]);
}
