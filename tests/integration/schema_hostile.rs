//! Hostile headers against `shmctl schema`, with gcc as the oracle: generated types with
//! sizes, counts and alignments at and past gcc's limits (arrays near 2^63 bytes, products
//! of dimensions that overflow 64 bits, alignments up to 2^64, bitfields after huge arrays,
//! packed and aligned records, unions, typedef chains), and shapes built to exhaust a
//! parser (deep nesting, long declarators, operator chains, parentheses, doubling macros).
//!
//! For every header: shmctl ends by itself (exit 0 or 1, never a signal), within a time and
//! an address-space limit. For the layout cases gcc decides: what gcc lays out, shmctl lays
//! out with gcc's sizeof and offsetof — or refuses with one of its documented limits; what gcc
//! refuses, shmctl refuses.
//!
//! The run lasts `SHMCTL_HOSTILE_SECONDS` (default 20) from `SHMCTL_HOSTILE_SEED`; a failure
//! prints the header; `SHMCTL_HOSTILE_ONLY=layout|declarations|exhausting` runs one family. For a long
//! run: `fuzz/hostile-schemas [SECONDS]`.
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::*;

/// A count near a power of two, or a power of two, or a small one: where sums and products
/// overflow.
fn count(rng: &mut Rng) -> u128 {
    let bits = rng.below(65) as u32;
    let base: u128 = 1u128 << bits;
    match rng.below(4) {
        0 => base,
        1 => base.saturating_sub(1).max(1),
        2 => base + u128::from(rng.below(3)),
        _ => u128::from(rng.below(16) + 1),
    }
}

const SCALARS: &[&str] = &[
    "char",
    "short",
    "int",
    "long",
    "long long",
    "double",
    "float",
    "void *",
    "sem_t",
    "unsigned char",
    "long double",
];

/// One generated layout case: the header and the names of its struct and last member.
fn layout_case(rng: &mut Rng) -> String {
    let mut text = String::from("#include <semaphore.h>\n");
    let members = 1 + rng.below(3);
    let mut body = String::new();
    for m in 0..members {
        let ty = rng.pick(SCALARS);
        let dims: String = (0..rng.below(3))
            .map(|_| format!("[{}]", count(rng)))
            .collect();
        let attr = match rng.below(6) {
            0 => format!(" __attribute__((aligned({})))", 1u128 << rng.below(66)),
            1 => " __attribute__((packed))".to_string(),
            _ => String::new(),
        };
        body.push_str(&format!("  {ty} m{m}{dims}{attr};\n"));
    }
    match rng.below(3) {
        0 => body.push_str(&format!("  int x:{};\n", 1 + rng.below(31))),
        _ => body.push_str("  int x;\n"),
    }
    let keyword = if rng.below(5) == 0 { "union" } else { "struct" };
    let tail = match rng.below(5) {
        0 => " __attribute__((packed))".to_string(),
        1 => format!(" __attribute__((aligned({})))", 1u128 << rng.below(64)),
        _ => String::new(),
    };
    // Sometimes behind a chain of typedefs and inside another record.
    text.push_str(&format!("{keyword} Inner {{\n{body}}}{tail};\n"));
    let mut name = format!("{keyword} Inner");
    for t in 0..rng.below(4) * 20 {
        text.push_str(&format!("typedef {name} T{t};\n"));
        name = format!("T{t}");
    }
    let outer = count(rng).min(1 << 40);
    text.push_str(&format!(
        "struct S {{ char pad; {name} in[{outer}]; int x; }};\n"
    ));
    text
}

const NAMES: &[&str] = &["a", "b", "c", "d", "e"];
const SUFFIXES: &[&str] = &[
    "", "u", "U", "l", "L", "ul", "LU", "ll", "ULL", "llu", "lL", "uu", "UUL", "lul", "LLL", "_u",
];

/// One generated set of declarations gcc accepts or refuses by C's rules rather than by
/// arithmetic: `void` members and arrays of `void`, a name declared twice (directly, in an
/// anonymous member, or as an enumerator), flexible array members in and out of place,
/// integer suffixes valid and not. `x` is one of the members, anywhere.
fn declaration_case(rng: &mut Rng) -> String {
    let mut text = String::new();
    let mut body = Vec::new();
    for m in 0..1 + rng.below(4) {
        let name = rng.pick(NAMES);
        let other = rng.pick(NAMES);
        let member = match rng.below(12) {
            0 => format!("void {name};"),
            1 => format!("void {name}[{}];", 1 + rng.below(3)),
            2 => format!("char {name}[];"),
            3 => format!("struct {{ int {name}; }};"),
            4 => format!("union {{ int {name}; char {other}; }};"),
            5 => "int :3;".to_string(),
            6 => format!("char {name}[10{}];", rng.pick(SUFFIXES)),
            7 => {
                text.push_str(&format!("enum E{m} {{ K_{name}, K_{other} }};\n"));
                format!("enum E{m} {name};")
            }
            8 => format!("char {name}[{}][];", 1 + rng.below(3)),
            9 => format!("char {name}[][{}];", 1 + rng.below(3)),
            10 => format!("int {name} : {}, {other};", rng.below(9)),
            _ => format!("long {name};"),
        };
        body.push(member);
    }
    let at = rng.below(body.len() as u64 + 1) as usize;
    body.insert(at, "int x;".to_string());
    let body = body.join(" ");
    if rng.below(6) == 0 {
        // The oracle asks for `struct S`: a union goes inside one.
        text.push_str(&format!(
            "union U {{ {body} }};\nstruct S {{ union U u; int x; }};\n"
        ));
    } else {
        text.push_str(&format!("struct S {{ {body} }};\n"));
    }
    text
}

/// A shape made to exhaust a parser; gcc's opinion does not matter, only that shmctl ends
/// by itself.
fn exhausting_case(rng: &mut Rng) -> String {
    let n = 1 + rng.below(200_000) as usize;
    match rng.below(7) {
        0 => {
            let open = "struct { ".repeat(n.min(20_000));
            let close = "} a; ".repeat(n.min(20_000));
            format!("struct S {{ {open}int x; {close}}};\n")
        }
        1 => format!("struct S {{ int {}p; }};\n", "*".repeat(n)),
        2 => format!("struct S {{ char a[{}1]; }};\n", "-".repeat(n)),
        3 => format!(
            "struct S {{ char a[{}1{}]; }};\n",
            "(".repeat(n),
            ")".repeat(n)
        ),
        4 => {
            let mut text = String::from("typedef int t0;\n");
            for i in 1..n.min(50_000) {
                text.push_str(&format!("typedef t{} t{i};\n", i - 1));
            }
            text.push_str(&format!("struct S {{ t{} x; }};\n", n.min(50_000) - 1));
            text
        }
        5 => {
            let mut text = String::from("#define A0 1\n");
            let levels = 1 + n % 40;
            for i in 1..=levels {
                text.push_str(&format!("#define A{i} (A{0}+A{0})\n", i - 1));
            }
            text.push_str(&format!("struct S {{ char a[A{levels} > 0]; }};\n"));
            text
        }
        _ => format!("struct S {{ char a[{}1]; }};\n", "~-!".repeat(n / 3 + 1)),
    }
}

/// shmctl on `header`, inside 1 GiB of address space and 20 s.
fn shmctl_schema(header: &Path) -> (Output, Duration) {
    let started = Instant::now();
    let out = Command::new("timeout")
        .args([
            "-s",
            "KILL",
            "20",
            "sh",
            "-c",
            "ulimit -v 1048576; exec \"$0\" \"$@\"",
        ])
        .arg(shmctl_bin())
        .args(["schema", "--json", "--type", "S"])
        .arg(header)
        .output()
        .expect("run shmctl");
    (out, started.elapsed())
}

/// gcc's sizeof(struct S) and offsetof(struct S, x), or its refusal.
fn gcc_says(dir: &Path, header: &Path) -> Result<(u128, u128), String> {
    let c = dir.join("oracle.c");
    std::fs::write(
        &c,
        format!(
            "#include <stddef.h>\n#include <stdio.h>\n#include \"{}\"\n\
             int main(void) {{ printf(\"%zu %zu\\n\", sizeof(struct S), offsetof(struct S, x)); }}\n",
            header.display()
        ),
    )
    .expect("oracle.c");
    let exe = dir.join("oracle");
    // A constant too large for any type is only a pedantic warning to gcc (it then uses the
    // truncated value); as an error it is refused, as shmctl refuses it.
    let out = Command::new("gcc")
        .arg("-pedantic-errors")
        .arg("-o")
        .arg(&exe)
        .arg(&c)
        .output()
        .expect("gcc");
    if !out.status.success() {
        return Err(text(&out.stderr));
    }
    let run = Command::new(&exe).output().expect("oracle");
    let printed = text(&run.stdout);
    let mut words = printed
        .split_whitespace()
        .map(|w| w.parse::<u128>().expect("number"));
    Ok((
        words.next().expect("sizeof"),
        words.next().expect("offsetof"),
    ))
}

/// gcc's first error about the header, as shmctl spells it: `h.h:1:24: duplicate member `x``.
fn first_error(gcc: &str) -> String {
    let line = gcc
        .lines()
        .find(|l| l.contains(": error: "))
        .unwrap_or_default();
    let file = line.rsplit_once('/').map_or(line, |(_, f)| f);
    file.replacen(" error: ", " ", 1).replace(['‘', '’'], "`")
}

/// Refusals shmctl may make where gcc lays a type out: its documented limits.
fn is_own_limit(message: &str) -> bool {
    message.contains("up to 2^61 - 1 bytes") || message.contains("too deeply")
}

#[test]
fn hostile_headers_never_crash_and_layouts_follow_gcc() {
    if let Err(e) = Command::new("gcc").arg("--version").output() {
        skip(&format!("gcc is needed as the layout oracle: {e}"));
        return;
    }
    let seconds: u64 = std::env::var("SHMCTL_HOSTILE_SECONDS")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(20);
    let seed: u64 = std::env::var("SHMCTL_HOSTILE_SEED")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0x4057_11e5);
    // Only the layouts gcc judges (`layout`), the declarations it judges by C's rules
    // (`declarations`), or only the exhausting shapes (`exhausting`).
    let only = std::env::var("SHMCTL_HOSTILE_ONLY").unwrap_or_default();
    let dir = tempfile::tempdir().expect("tempdir");
    let header = dir.path().join("h.h");
    let mut rng = Rng(seed);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let (mut runs, mut laid_out, mut refused_by_both, mut own_limit) = (0u64, 0u64, 0u64, 0u64);
    while Instant::now() < deadline {
        runs += 1;
        let family = match only.as_str() {
            "layout" => 0,
            "declarations" => 1,
            "exhausting" => 2,
            _ => [0, 0, 1, 2][rng.below(4) as usize],
        };
        let layout = family != 2;
        let text_of = match family {
            0 => layout_case(&mut rng),
            1 => declaration_case(&mut rng),
            _ => exhausting_case(&mut rng),
        };
        std::fs::write(&header, &text_of).expect("header");
        let (out, took) = shmctl_schema(&header);
        let shown = if text_of.len() > 600 {
            format!("{}… ({} bytes)", &text_of[..600], text_of.len())
        } else {
            text_of.clone()
        };
        let stderr = text(&out.stderr);
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "seed {seed:#x} run {runs}: {:?} after {took:?}\n{stderr}\n{shown}",
            out.status
        );
        if !layout {
            continue;
        }
        match (gcc_says(dir.path(), &header), out.status.code()) {
            (Ok((size, offset)), Some(0)) => {
                let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
                let ty = &doc["types"][0];
                let x = ty["fields"]
                    .as_array()
                    .expect("fields")
                    .iter()
                    .rev()
                    .find(|f| f["path"] == "x")
                    .expect("x");
                assert_eq!(
                    (
                        ty["size"].as_u64().map(u128::from),
                        x["offset"].as_u64().map(u128::from)
                    ),
                    (Some(size), Some(offset)),
                    "gcc: sizeof {size}, offsetof(x) {offset}\n{shown}"
                );
                laid_out += 1;
            }
            (Ok((size, _)), _) => {
                assert!(
                    is_own_limit(&stderr),
                    "gcc lays it out ({size} bytes), shmctl refused: {stderr}\n{shown}"
                );
                own_limit += 1;
            }
            (Err(gcc), Some(1)) => {
                // By C's rules, the same refusal at the same place, in gcc's words.
                if family == 1 {
                    let theirs = first_error(&gcc);
                    assert!(
                        stderr.contains(&theirs),
                        "gcc: {theirs}\nshmctl: {stderr}\n{shown}"
                    );
                }
                refused_by_both += 1
            }
            (Err(gcc), Some(0)) => {
                panic!("gcc refuses it ({gcc}), shmctl laid it out:\n{shown}")
            }
            (Err(gcc), _) => panic!("gcc refuses it ({gcc}), shmctl: {stderr}\n{shown}"),
        }
    }
    eprintln!(
        "hostile schemas: seed {seed:#x}, {runs} headers in {seconds} s: {laid_out} laid out \
         as gcc does, {refused_by_both} refused by both, {own_limit} beyond shmctl's own \
         limits, {} exhausting shapes survived, 0 crashes",
        runs - laid_out - refused_by_both - own_limit
    );
}
