//! Golden files: what a renderer writes, compared with a committed file under
//! `tests/golden/`, which is the reviewed spec of that output. `SHMCTL_UPDATE_GOLDEN=1 cargo
//! test --lib` rewrites the files instead (as `SHMCTL_UPDATE_GENERATED` does for man pages);
//! `git diff tests/golden` then shows what changed, for review.
//!
//! A one-line JSON document is kept re-indented, so that a review and a failure's diff read
//! field by field; the re-indenting only adds whitespace, and the document must have had
//! none, so the file still pins every byte.
use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::PathBuf;

const UPDATE: &str = "SHMCTL_UPDATE_GOLDEN";

/// Lines of a diff shown before the rest is cut.
const MAX_DIFF_LINES: usize = 60;

fn path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

/// `actual` against the golden file `name`, or with `SHMCTL_UPDATE_GOLDEN=1` into it.
#[track_caller]
pub fn check(name: &str, actual: &str) {
    let path = path(name);
    if std::env::var_os(UPDATE).is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().expect("tests/golden")).expect("mkdir");
        std::fs::write(&path, actual).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        return;
    }
    let how = format!("{UPDATE}=1 cargo test --lib, then review `git diff tests/golden`");
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("golden file {}: {e}\n(to write it: {how})", path.display()));
    if expected != actual {
        panic!(
            "the output differs from the golden file {}\n{}\nIf the new output is right: {how} \
             and commit it.",
            path.display(),
            diff(&expected, actual)
        );
    }
}

/// A compact JSON document (one line and a newline, as `--json` writes it) against `name`,
/// kept re-indented.
#[track_caller]
pub fn check_json(name: &str, actual: &str) {
    let json = validate(actual);
    let document = actual
        .strip_suffix('\n')
        .expect("a JSON document ends with a newline");
    let (pretty, spaced) = indent(document);
    assert!(
        !spaced,
        "{name}: whitespace outside strings in a compact document:\n{actual}"
    );
    assert_eq!(json, validate(&pretty), "{name}: re-indenting changed it");
    check(name, &pretty);
}

/// A document written indented (as serde_json's pretty printer does) against `name`, as it
/// is; it must be laid out the way [`check_json`] lays documents out.
#[track_caller]
pub fn check_pretty_json(name: &str, actual: &str) {
    validate(actual);
    let (pretty, _) = indent(actual.trim_end());
    assert_eq!(pretty, actual, "{name}: not indented as expected");
    check(name, actual);
}

/// Parses the document; a key twice in one object (two flattened structs that both name a
/// field) fails, though JSON parsers would silently keep one.
#[track_caller]
fn validate(text: &str) -> serde_json::Value {
    let value =
        serde_json::from_str(text).unwrap_or_else(|e| panic!("invalid JSON ({e}):\n{text}"));
    if let Some(key) = duplicate_keys(text) {
        panic!("key {key} twice in one object:\n{text}");
    }
    value
}

/// The first key found twice in one object, with its quotes.
fn duplicate_keys(text: &str) -> Option<String> {
    // One frame per open container: the keys of an object, or None for an array.
    let mut frames: Vec<Option<HashSet<String>>> = Vec::new();
    let mut expecting_key = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                let mut string = String::from('"');
                while let Some(c) = chars.next() {
                    string.push(c);
                    match c {
                        '\\' => string.extend(chars.next()),
                        '"' => break,
                        _ => {}
                    }
                }
                if expecting_key {
                    if let Some(Some(keys)) = frames.last_mut() {
                        if !keys.insert(string.clone()) {
                            return Some(string);
                        }
                    }
                    expecting_key = false;
                }
            }
            '{' => {
                frames.push(Some(HashSet::new()));
                expecting_key = true;
            }
            '[' => frames.push(None),
            '}' | ']' => {
                frames.pop();
            }
            ',' => expecting_key = matches!(frames.last(), Some(Some(_))),
            _ => {}
        }
    }
    None
}

/// The document indented by two spaces a level, `"key": value`, empty containers as `{}` and
/// `[]` (serde_json's pretty layout); and whether it had whitespace outside strings.
fn indent(document: &str) -> (String, bool) {
    let mut out = String::with_capacity(document.len() * 2);
    let mut depth = 0usize;
    let mut spaced = false;
    let mut chars = document.chars().peekable();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.push_str(&"  ".repeat(depth));
    };
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                out.push('"');
                while let Some(c) = chars.next() {
                    out.push(c);
                    match c {
                        '\\' => out.extend(chars.next()),
                        '"' => break,
                        _ => {}
                    }
                }
            }
            '{' | '[' => {
                out.push(c);
                while chars.peek().is_some_and(|c| c.is_ascii_whitespace()) {
                    chars.next();
                    spaced = true;
                }
                let close = if c == '{' { '}' } else { ']' };
                if chars.peek() == Some(&close) {
                    out.push(close);
                    chars.next();
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(',');
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_ascii_whitespace() => spaced = true,
            c => out.push(c),
        }
    }
    out.push('\n');
    (out, spaced)
}

/// The first differing line, and a line diff (`-` golden, `+` output) with two lines of
/// context around each change.
fn diff(expected: &str, actual: &str) -> String {
    let old: Vec<&str> = expected.split('\n').collect();
    let new: Vec<&str> = actual.split('\n').collect();
    let mut text = String::new();
    let first = old.iter().zip(&new).position(|(a, b)| a != b);
    match first {
        Some(i) => {
            let _ = writeln!(
                text,
                "first difference at line {}:\n  golden: {:?}\n  output: {:?}",
                i + 1,
                old[i],
                new[i]
            );
        }
        None if old.len() < new.len() => {
            let _ = writeln!(text, "the output has more lines than the golden file");
        }
        None => {
            let _ = writeln!(text, "the output has fewer lines than the golden file");
        }
    }
    if old.len() * new.len() > 4_000_000 {
        return text;
    }
    // Longest common subsequence, from the end: lcs[i][j] for old[i..] and new[j..].
    let mut lcs = vec![vec![0u32; new.len() + 1]; old.len() + 1];
    for i in (0..old.len()).rev() {
        for j in (0..new.len()).rev() {
            lcs[i][j] = if old[i] == new[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut ops: Vec<(char, usize, &str)> = Vec::new(); // (op, golden line number, text)
    let (mut i, mut j) = (0, 0);
    while i < old.len() || j < new.len() {
        if i < old.len() && j < new.len() && old[i] == new[j] {
            ops.push((' ', i + 1, old[i]));
            (i, j) = (i + 1, j + 1);
        } else if i < old.len() && (j == new.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            ops.push(('-', i + 1, old[i]));
            i += 1;
        } else {
            ops.push(('+', i + 1, new[j]));
            j += 1;
        }
    }
    let near_change = |k: usize| {
        ops[k.saturating_sub(2)..(k + 3).min(ops.len())]
            .iter()
            .any(|(op, _, _)| *op != ' ')
    };
    let mut shown = 0;
    let mut gap = false;
    for (k, (op, line, line_text)) in ops.iter().enumerate() {
        if !near_change(k) {
            gap = true;
            continue;
        }
        if shown == MAX_DIFF_LINES {
            let _ = writeln!(text, "  … (diff cut)");
            break;
        }
        if gap || shown == 0 {
            let _ = writeln!(text, "@@ golden line {line} @@");
            gap = false;
        }
        let _ = writeln!(text, "{op} {line_text}");
        shown += 1;
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indenting_keeps_every_byte_but_whitespace() {
        let (pretty, spaced) = indent(r#"{"a":[],"b":{"c":"x, {y}: \"z\"","d":[1,{}]}}"#);
        assert!(!spaced);
        assert_eq!(
            pretty,
            "{\n  \"a\": [],\n  \"b\": {\n    \"c\": \"x, {y}: \\\"z\\\"\",\n    \"d\": [\n      \
             1,\n      {}\n    ]\n  }\n}\n"
        );
        let serde = serde_json::to_string_pretty(&serde_json::json!({"a": [], "b": [1, {}]}))
            .expect("json");
        assert_eq!(indent(&serde).0, format!("{serde}\n"));
        assert!(indent(r#"{"a": 1}"#).1);
    }

    #[test]
    fn a_key_twice_in_one_object_is_found() {
        assert_eq!(duplicate_keys(r#"{"a":1,"b":{"a":2},"c":[{"a":3}]}"#), None);
        assert_eq!(duplicate_keys(r#"{"a":"b","b":1}"#), None);
        assert_eq!(
            duplicate_keys(r#"{"a":1,"b":[1],"a":2}"#),
            Some("\"a\"".to_string())
        );
    }

    #[test]
    fn a_diff_shows_the_first_change_and_its_context() {
        let old = "1\n2\n3\n4\n5\n6\n7\n8\n";
        let new = "1\n2\n3\n4\nfive\n6\n7\n8\n";
        let text = diff(old, new);
        assert!(
            text.starts_with("first difference at line 5:\n  golden: \"5\"\n  output: \"five\"\n"),
            "{text}"
        );
        assert!(
            text.contains("@@ golden line 3 @@\n  3\n  4\n- 5\n+ five\n  6\n  7\n"),
            "{text}"
        );
        assert!(!text.contains("  1\n"), "{text}");
        assert!(diff("a\n", "a\nb\n").contains("+ b\n"));
    }
}
