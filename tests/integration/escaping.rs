//! Names and other outside text cannot forge output: control characters are escaped in every
//! text output as `ls -b` does, and JSON keeps the real text.
use serde_json::Value;

use crate::util::*;

const EVIL: &str = "/evil\nremoved shm 0 key 0x0";
const EVIL_SHOWN: &str = "/evil\\nremoved shm 0 key 0x0";
const COLOUR: &str = "/esc\x1b[31mred\x07\u{85}\x7f\\";
const COLOUR_SHOWN: &str = "/esc\\x1b[31mred\\x07\\x85\\x7f\\\\";
const COMM: &str = "\x1b[2Jx\ty";
const COMM_SHOWN: &str = "\\x1b[2Jx\\ty";

/// No raw control character (but the line ends) and no forged line.
fn clean(what: &str, bytes: &[u8]) -> String {
    let out = text(bytes);
    for c in out.chars() {
        assert!(
            c == '\n' || !c.is_control(),
            "{what}: raw {c:?} in output:\n{out}"
        );
    }
    for line in out.lines() {
        assert!(
            !line.starts_with("removed shm 0") && !line.starts_with("shmctl: error: forged"),
            "{what}: a forged line:\n{out}"
        );
    }
    out
}

#[test]
fn names_comms_and_command_lines_are_escaped_in_text_and_real_in_json() {
    let Some(ns) = Ns::with_mounts() else { return };
    ns.run_helper(&["pshm", EVIL, "16", "0600"]);
    ns.run_helper(&["pshm", COLOUR, "16", "0600"]);
    let attacher = ns.spawn_helper(&["name", COMM, "create", "0x5", "4096", "0600", "attach"]);
    let evil = format!("pshm:{EVIL}");

    // The table: one row per object, names escaped, columns aligned on the escaped text.
    let out = ns.shmctl(&["ls", "--kind", "pshm"]);
    assert_success(&out, &["ls --type pshm"]);
    let table = clean("ls", &out.stdout);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 4, "title, header and two rows:\n{table}");
    assert!(
        table.contains(EVIL_SHOWN) && table.contains(COLOUR_SHOWN),
        "{table}"
    );
    let owner_at = lines[1].find("OWNER").expect("OWNER column");
    for row in &lines[2..] {
        assert_eq!(row.get(owner_at..owner_at + 4), Some("root"), "{table}");
    }

    for args in [
        vec!["stat", evil.as_str()],
        vec!["rm", evil.as_str(), "--dry-run"],
        vec![
            "gc",
            "--kind",
            "pshm",
            "--older-than",
            "0s",
            "--dry-run",
            "-v",
        ],
    ] {
        let out = ns.shmctl(&args);
        assert_success(&out, &args);
        let shown = clean(&format!("{args:?}"), &out.stdout);
        assert!(shown.contains(EVIL_SHOWN), "{args:?}:\n{shown}");
        clean(&format!("{args:?} stderr"), &out.stderr);
    }

    // A process's comm and command line, in stat's text.
    let id = attacher.id().to_string();
    let out = ns.shmctl(&["stat", &id]);
    assert_success(&out, &["stat"]);
    let shown = clean("stat of an attached segment", &out.stdout);
    assert!(
        shown.contains(&format!("({COMM_SHOWN}) at 0x")),
        "the attacher's comm:\n{shown}"
    );
    assert!(
        shown.contains(&format!("name {COMM_SHOWN} create")),
        "the creator's command line:\n{shown}"
    );

    // An error naming what the user typed: one line, escaped.
    let forged = "pshm:/nope\nshmctl: error: forged";
    let out = ns.shmctl(&["stat", forged]);
    assert_exit(&out, 3, &["stat of a missing object"]);
    let err = clean("stat error", &out.stderr);
    assert!(err.contains("/nope\\nshmctl"), "{err}");

    // JSON has the real text.
    let doc = ns.json(&["ls", "--kind", "pshm", "--json"]);
    let mut names: Vec<&str> = doc["posix_shm"]
        .as_array()
        .expect("posix_shm")
        .iter()
        .map(|o| o["name"].as_str().expect("name"))
        .collect();
    names.sort();
    assert_eq!(names, [COLOUR, EVIL]);
    let doc = ns.json(&["stat", &id, "--json"]);
    let segment: &Value = &doc["segments"][0];
    assert_eq!(segment["attached"][0]["comm"], COMM);
    let cmdline = segment["creator_cmdline"].as_str().expect("cmdline");
    assert!(
        cmdline.contains(&format!("name {COMM} create")),
        "{cmdline}"
    );
}
