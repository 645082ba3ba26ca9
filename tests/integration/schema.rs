//! `shmctl schema`: the layout view, JSON, lint and the size check against a segment.
use std::process::Command;

use serde_json::Value;

use crate::util::*;

const HEADER: &str = r#"#ifndef SHARED_DATA_H
#define SHARED_DATA_H
#include <stdint.h>
#include <stdbool.h>
#include <semaphore.h>

#define MESSAGE_LEN 100

struct SharedData {
    int32_t counter;
    char message[MESSAGE_LEN];
    bool ready;
};

struct Channel {
    sem_t filled;
    sem_t consumed;
    struct SharedData data;
};
#endif
"#;

fn header() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("shared_data.h");
    std::fs::write(&path, HEADER).expect("write header");
    let path = path.to_str().expect("utf-8").to_string();
    (dir, path)
}

fn schema(args: &[&str]) -> std::process::Output {
    Command::new(shmctl_bin())
        .arg("schema")
        .args(args)
        .output()
        .expect("run shmctl schema")
}

#[test]
fn pahole_view_of_the_classic_struct() {
    let (_dir, path) = header();
    let out = schema(&[&path, "--type", "SharedData"]);
    assert_success(&out, &["schema"]);
    let expected = "struct SharedData {\n\
                    \x20 0x00         4  int32_t    counter\n\
                    \x20 0x04       100  char[100]  message\n\
                    \x20 0x68         1  bool       ready\n\
                    \x20 0x69         3  /* 3 bytes padding at the end */\n\
                    }; /* 108 bytes (0x6c), align 4, 3 field(s), padding 3 at the end */\n";
    assert_eq!(text(&out.stdout), expected);
}

#[test]
fn json_lists_fields_and_every_hole() {
    let (_dir, path) = header();
    let out = schema(&[&path, "--json"]);
    assert_success(&out, &["schema --json"]);
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(doc["schema_version"], 1);
    let types = doc["types"].as_array().expect("types");
    assert_eq!(
        types
            .iter()
            .map(|t| t["name"].as_str().expect("name"))
            .collect::<Vec<_>>(),
        ["SharedData", "Channel"]
    );
    let shared = &types[0];
    assert_eq!(
        (shared["size"].as_u64(), shared["align"].as_u64()),
        (Some(108), Some(4))
    );
    assert_eq!(
        shared["fields"],
        serde_json::json!([
            {"path": "counter", "type": "int32_t", "offset": 0, "size": 4},
            {"path": "message", "type": "char[100]", "offset": 4, "size": 100},
            {"path": "ready", "type": "bool", "offset": 104, "size": 1},
        ])
    );
    assert_eq!(
        shared["holes"],
        serde_json::json!([{"offset": 105, "size": 3}])
    );
    let channel = &types[1];
    assert_eq!(channel["size"], 176);
    assert_eq!(channel["fields"][2]["path"], "data.counter");
    assert_eq!(channel["fields"][2]["offset"], 64);
    assert_eq!(
        channel["holes"],
        serde_json::json!([{"offset": 169, "size": 7}])
    );
}

#[test]
fn lint_finds_the_pitfalls() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad.h");
    std::fs::write(
        &path,
        "struct Bad { char tag; long count; struct Bad *next; _Bool ok; };\n",
    )
    .expect("write");
    let path = path.to_str().expect("utf-8");
    let out = schema(&[path, "--lint", "--json"]);
    assert_exit(&out, 1, &["lint"]);
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    let codes: Vec<&str> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["code"].as_str().expect("code"))
        .collect();
    for expected in [
        "not_fixed_width",
        "pointer",
        "bool_size",
        "implicit_padding",
        "no_version",
    ] {
        assert!(codes.contains(&expected), "{expected} in {codes:?}");
    }

    let clean = dir.path().join("clean.h");
    std::fs::write(
        &clean,
        "#include <stdint.h>\nstruct Good { uint32_t magic; uint32_t version; uint64_t count; };\n",
    )
    .expect("write");
    let out = schema(&[clean.to_str().expect("utf-8"), "--lint"]);
    assert_success(&out, &["lint clean"]);
    assert_eq!(text(&out.stdout), "no findings\n");
}

#[test]
fn check_compares_with_a_live_segment() {
    let Some(ns) = Ns::new() else { return };
    let (_dir, path) = header();
    let exact = ns.run_helper(&["create", "0x108", "108", "0600"])[0].to_string();
    let big = ns.run_helper(&["create", "0x109", "4096", "0600"])[0].to_string();
    let out = ns.shmctl(&["schema", &path, "--type", "SharedData", "--check", &exact]);
    assert_success(&out, &["check equal"]);
    assert!(
        text(&out.stdout).contains("they match"),
        "{}",
        text(&out.stdout)
    );

    let out = ns.shmctl(&[
        "schema",
        &path,
        "--type",
        "SharedData",
        "--check",
        &big,
        "--json",
    ]);
    assert_exit(&out, 1, &["check larger segment"]);
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        (doc["type_size"].as_u64(), doc["segment_size"].as_u64()),
        (Some(108), Some(4096))
    );
    assert_eq!(doc["larger"], "segment");

    let out = ns.shmctl(&["schema", &path, "--type", "Channel", "--check", &exact]);
    assert_exit(&out, 1, &["check smaller segment"]);
    assert!(
        text(&out.stdout).contains("the type is larger by 68 byte(s)"),
        "{}",
        text(&out.stdout)
    );

    let out = ns.shmctl(&["schema", &path, "--check", &exact]);
    assert_exit(&out, 2, &["check without --type"]);
}

#[test]
fn bad_input_is_reported_with_its_place() {
    let (_dir, path) = header();
    let out = schema(&[&path, "--type", "Nope"]);
    assert_exit(&out, 3, &["unknown type"]);
    assert!(
        text(&out.stderr).contains("it defines: SharedData, Channel"),
        "{}",
        text(&out.stderr)
    );

    let out = schema(&["/no/such/header.h"]);
    assert_exit(&out, 3, &["missing file"]);

    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.h");
    std::fs::write(&bad, "struct S {\n    uint32 count;\n};\n").expect("write");
    let out = schema(&[bad.to_str().expect("utf-8")]);
    assert_exit(&out, 1, &["parse error"]);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("bad.h:2:5: unknown type name `uint32`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("    uint32 count;\n      ^"),
        "caret under the column: {stderr}"
    );
}

/// A header written on Windows by someone called Müller in Latin-1: a byte order mark, CRLF
/// line ends with a backslash continuation, a byte that is not UTF-8 in a comment — gcc
/// takes it, so do we; the same byte outside a comment is named, with its place.
#[test]
fn headers_as_editors_write_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("win.h");
    let mut bytes = b"\xef\xbb\xbf/* M\xfcller */\r\n#define LEN \\\r\n 16\r\n".to_vec();
    bytes.extend_from_slice(b"struct S { char name[LEN]; int n; };\r\n");
    std::fs::write(&path, &bytes).expect("write");
    let out = schema(&[path.to_str().expect("utf-8"), "--type", "S", "--json"]);
    assert_success(&out, &["schema of a Windows header"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(doc["types"][0]["size"], 20);

    bytes.extend_from_slice(b"struct T { int a; \xfc };\r\n");
    std::fs::write(&path, &bytes).expect("write");
    let out = schema(&[path.to_str().expect("utf-8")]);
    assert_exit(&out, 1, &["a stray byte"]);
    assert!(
        text(&out.stderr).contains("win.h:5:19: a byte that is not UTF-8 text here"),
        "{}",
        text(&out.stderr)
    );
}

/// Hostile headers (#13): each is refused with exit 1 and its reason, never a signal, in
/// 256 MiB of address space; a chain of 100,000 typedefs is laid out in the same.
#[test]
fn hostile_headers_are_refused_in_bounded_memory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let nested = |open: &str, middle: &str, close: &str, n: usize| {
        format!("{}{middle}{}", open.repeat(n), close.repeat(n))
    };
    let mut doubling = "#define A0 1\n".to_string();
    for i in 1..30 {
        doubling.push_str(&format!("#define A{i} (A{} + A{})\n", i - 1, i - 1));
    }
    doubling.push_str("struct S { char a[A29]; };\n");
    let mut typedefs = "typedef int t0;\n".to_string();
    for i in 1..100_000 {
        typedefs.push_str(&format!("typedef t{} t{i};\n", i - 1));
    }
    typedefs.push_str("struct S { t99999 x; };\n");
    let too_deep = "nested too deeply (limit 128)";
    let cases: [(&str, String, Option<&str>); 8] = [
        (
            "records",
            format!(
                "struct S {{ {} }};\n",
                nested("struct { ", "int x; ", "}; ", 6000)
            ),
            Some(too_deep),
        ),
        (
            "stars",
            format!("struct S {{ int {}p; }};\n", "*".repeat(50_000)),
            Some(too_deep),
        ),
        (
            "minus",
            format!("struct S {{ char a[{}1]; }};\n", "-".repeat(50_000)),
            Some(too_deep),
        ),
        (
            "tilde",
            format!("struct S {{ char a[{}1]; }};\n", "~".repeat(50_000)),
            Some(too_deep),
        ),
        (
            "parens",
            format!(
                "struct S {{ char a[{}]; }};\n",
                nested("(", "1", ")", 100_000)
            ),
            Some(too_deep),
        ),
        (
            "doubling",
            doubling,
            Some("macro `A29` expands past the limit"),
        ),
        ("typedefs", typedefs, None),
        (
            "chain",
            (1..34)
                .map(|i| format!("#define M{i} M{}\n", i - 1))
                .collect::<String>()
                + "#define M0 4\nstruct S { char a[M33]; };\n",
            None,
        ),
    ];
    for (name, header, refused) in cases {
        let path = dir.path().join(format!("{name}.h"));
        std::fs::write(&path, header).expect("write header");
        let out = Command::new("sh")
            .args(["-c", "ulimit -v 262144; exec \"$0\" schema \"$1\""])
            .arg(shmctl_bin())
            .arg(&path)
            .output()
            .expect("run shmctl");
        let stderr = text(&out.stderr);
        match refused {
            Some(message) => {
                assert_eq!(out.status.code(), Some(1), "{name}: {stderr}");
                assert!(stderr.contains(message), "{name}: {stderr}");
                assert!(out.stdout.is_empty(), "{name}");
            }
            None => assert_eq!(out.status.code(), Some(0), "{name}: {stderr}"),
        }
    }
}
