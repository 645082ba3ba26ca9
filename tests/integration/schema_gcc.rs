//! gcc as the oracle for `shmctl schema`: random C struct and union declarations, laid out
//! by gcc (the truth) and by `shmctl schema FILE --json`, compared type by type and leaf by
//! leaf.
//!
//! The declarations go to `structs.h`; for the host, `oracle.c` includes it and prints
//! sizeof, _Alignof, offsetof and sizeof of every leaf, and the bit position of every
//! bitfield (set to all ones in a zeroed object, then found in its bytes). For aarch64 the
//! cross compiler checks shmctl's answers as `_Static_assert`s without running anything.
//!
//! 2,000 types per run by default, from a fixed seed. `SHMCTL_SCHEMA_FUZZ_SEED` (decimal
//! or 0x hex) picks another seed, `SHMCTL_SCHEMA_FUZZ_COUNT=N` another number of types (run
//! in files of 2,000; file k uses seed + k, and a failure prints the seed that reproduces
//! its file alone).
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::*;

/// Types per generated file (and per gcc run).
const BATCH: usize = 2000;
const DEFAULT_SEED: u64 = 0x5eed_5c4e_3a00_0001;
const DEFAULT_SEED_AARCH64: u64 = 0x5eed_5c4e_3a00_a64a;
/// A type stops getting members once it has this many leaves.
const MAX_LEAVES: usize = 40;
/// How many disagreeing types a failure shows in full.
const SHOWN: usize = 5;

#[test]
fn schema_layouts_match_gcc() {
    let target = match std::env::consts::ARCH {
        "x86_64" => "x86_64",
        "aarch64" => "aarch64",
        other => {
            eprintln!(
                "SKIPPED: the host's gcc lays out for {other}, which shmctl schema does not target"
            );
            return;
        }
    };
    if let Err(e) = Command::new("gcc").arg("--version").output() {
        skip(&format!("gcc is needed as the layout oracle: {e}"));
        return;
    }
    let (seed, count) = settings(DEFAULT_SEED);
    eprintln!("schema vs gcc ({target}): seed {seed:#x}, {count} types");
    for (k, n) in batches(count).into_iter().enumerate() {
        let batch = generate(seed.wrapping_add(k as u64), n);
        check_native(&batch, target);
    }
}

#[test]
fn schema_layouts_match_aarch64_cross_gcc() {
    const CC: &str = "aarch64-linux-gnu-gcc";
    if let Err(e) = Command::new(CC).arg("--version").output() {
        // An optional extra here; CI installs it (Debian: gcc-aarch64-linux-gnu).
        return without_tool(&format!(
            "{CC} is not installed ({e}); apt-get install gcc-aarch64-linux-gnu"
        ));
    }
    let (seed, count) = settings(DEFAULT_SEED_AARCH64);
    eprintln!("schema vs {CC}: seed {seed:#x}, {count} types");
    for (k, n) in batches(count).into_iter().enumerate() {
        let batch = generate(seed.wrapping_add(k as u64), n);
        if !check_cross(&batch, CC) {
            return;
        }
    }
}

/// The same types compiled with `-g` (DWARF 4 and 5, `-O0` and `-O2`) into a shared object:
/// `shmctl schema --debug-info` must read gcc's own layouts back — sizes, offsets and bit
/// positions equal to gcc's offsetof/sizeof and bits, as the header's are.
#[test]
fn debug_info_layouts_match_gcc() {
    let target = match std::env::consts::ARCH {
        "x86_64" => "x86_64",
        "aarch64" => "aarch64",
        _ => return,
    };
    if let Err(e) = Command::new("gcc").arg("--version").output() {
        skip(&format!("gcc is needed as the layout oracle: {e}"));
        return;
    }
    let (seed, count) = settings(DEFAULT_SEED ^ 0xd3a4);
    let count = count.min(BATCH);
    eprintln!("schema --debug-info vs gcc ({target}): seed {seed:#x}, {count} types");
    let batch = generate(seed, count);
    let dir = tempfile::tempdir().expect("tempdir");
    write(&dir.path().join("structs.h"), &batch.header);
    let oracle = gcc_oracle(&batch, dir.path());
    // The last with its debug sections compressed (SHF_COMPRESSED, zlib).
    for (version, opt, extra) in [
        (4, 0, ""),
        (4, 2, ""),
        (5, 0, ""),
        (5, 2, ""),
        (5, 2, "-gz=zlib"),
    ] {
        let so = compile_types(&batch, "gcc", dir.path(), version, opt, extra);
        let doc = run_debug_info(&batch, &so);
        eprintln!("DWARF {version}, -O{opt} {extra}: compared");
        let what = format!("{target} (DWARF {version}, -O{opt} {extra})");
        compare_native_with(&batch, &oracle, &doc, &what, false);
        // And the same sections compressed with zstd (binutils ≥ 2.40 can).
        if (version, opt, extra) == (5, 2, "") {
            let zstd = so.with_extension("zstd.so");
            let made = Command::new("objcopy")
                .arg("--compress-debug-sections=zstd")
                .arg(&so)
                .arg(&zstd)
                .output()
                .is_ok_and(|o| o.status.success());
            if made {
                let doc = run_debug_info(&batch, &zstd);
                compare_native_with(&batch, &oracle, &doc, &format!("{target} (zstd)"), false);
            } else {
                say_skipped("objcopy cannot compress debug sections with zstd here");
            }
        }
    }
}

/// The same for aarch64 objects, through the cross compiler's static assertions.
#[test]
fn debug_info_layouts_match_aarch64_cross_gcc() {
    const CC: &str = "aarch64-linux-gnu-gcc";
    if let Err(e) = Command::new(CC).arg("--version").output() {
        return without_tool(&format!(
            "{CC} is not installed ({e}); apt-get install gcc-aarch64-linux-gnu"
        ));
    }
    let (seed, count) = settings(DEFAULT_SEED_AARCH64 ^ 0xd3a4);
    let batch = generate(seed, count.min(BATCH));
    let dir = tempfile::tempdir().expect("tempdir");
    write(&dir.path().join("structs.h"), &batch.header);
    for (version, opt) in [(4, 0), (4, 2), (5, 0), (5, 2)] {
        let so = compile_types(&batch, CC, dir.path(), version, opt, "");
        let doc = run_debug_info(&batch, &so);
        compare_cross_with(&batch, CC, dir.path(), &doc, false);
    }
}

/// `structs.h`'s types, one global of each, as a shared object with DWARF `version` at
/// `-O{opt}` and the `extra` flags (no C library: nothing to link but the types).
fn compile_types(
    batch: &Batch,
    cc: &str,
    dir: &Path,
    version: u32,
    opt: u32,
    extra: &str,
) -> std::path::PathBuf {
    let mut c = String::from("#include \"structs.h\"\n");
    for (i, t) in batch.types.iter().enumerate() {
        c.push_str(&format!("{} shmctl_v{i};\n", t.c_type()));
    }
    let source = dir.join(format!("types{version}{opt}.c"));
    write(&source, &c);
    let so = dir.join(format!(
        "types{version}{opt}{}.so",
        extra.trim_start_matches('-')
    ));
    let out = run(
        Command::new(cc)
            .args(["-std=gnu11", "-w", "-shared", "-nostdlib", "-fPIC", "-g"])
            .arg(format!("-gdwarf-{version}"))
            .arg(format!("-O{opt}"))
            .args(extra.split_whitespace())
            .arg("-o")
            .arg(&so)
            .arg(&source),
        Duration::from_secs(300),
    )
    .unwrap_or_else(|e| panic!("{cc}: {e}"));
    assert!(
        out.status.success(),
        "{cc} -gdwarf-{version} -O{opt}: {}\n{}",
        text(&out.stderr),
        batch.rerun()
    );
    so
}

fn run_debug_info(batch: &Batch, so: &Path) -> Value {
    let out = run(
        Command::new(shmctl_bin())
            .args(["schema", "--json", "--debug-info"])
            .arg(so)
            .env("LC_ALL", "C"),
        Duration::from_secs(120),
    )
    .unwrap_or_else(|e| panic!("shmctl schema --debug-info: {e}"));
    assert!(
        out.status.success(),
        "shmctl schema --debug-info {}: {}\n{}",
        so.display(),
        text(&out.stderr),
        batch.rerun()
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

// ---------------------------------------------------------------------------------------
// Settings and a seeded PRNG

fn settings(default_seed: u64) -> (u64, usize) {
    let seed = match std::env::var("SHMCTL_SCHEMA_FUZZ_SEED") {
        Ok(s) => {
            parse_u64(&s).unwrap_or_else(|| panic!("SHMCTL_SCHEMA_FUZZ_SEED={s:?}: not a number"))
        }
        Err(_) => default_seed,
    };
    let count = match std::env::var("SHMCTL_SCHEMA_FUZZ_COUNT") {
        Ok(s) => s
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("SHMCTL_SCHEMA_FUZZ_COUNT={s:?}: not a count")),
        Err(_) => BATCH,
    };
    (seed, count)
}

fn parse_u64(s: &str) -> Option<u64> {
    let s = s.trim();
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(&hex.replace('_', ""), 16).ok(),
        None => s.replace('_', "").parse().ok(),
    }
}

fn batches(count: usize) -> Vec<usize> {
    let mut sizes = vec![BATCH; count / BATCH];
    if count % BATCH != 0 {
        sizes.push(count % BATCH);
    }
    sizes
}

// ---------------------------------------------------------------------------------------
// The generator

/// Member types by value, with their size (the same on x86_64 and aarch64).
const SCALARS: &[(&str, u64)] = &[
    ("char", 1),
    ("signed char", 1),
    ("unsigned char", 1),
    ("short", 2),
    ("unsigned short", 2),
    ("int", 4),
    ("unsigned int", 4),
    ("long", 8),
    ("unsigned long", 8),
    ("long long", 8),
    ("unsigned long long", 8),
    ("float", 4),
    ("double", 8),
    ("long double", 16),
    ("_Bool", 1),
    ("int8_t", 1),
    ("uint8_t", 1),
    ("int16_t", 2),
    ("uint16_t", 2),
    ("int32_t", 4),
    ("uint32_t", 4),
    ("int64_t", 8),
    ("uint64_t", 8),
];

/// Bitfield declared types, with their width in bits.
const BITFIELD_TYPES: &[(&str, u64)] = &[
    ("int", 32),
    ("unsigned int", 32),
    ("signed char", 8),
    ("unsigned char", 8),
    ("short", 16),
    ("unsigned short", 16),
    ("long long", 64),
    ("unsigned long long", 64),
    ("_Bool", 1),
];

const POINTEES: &[&str] = &["void", "int", "char", "unsigned long", "double"];
const ALIGNMENTS: &[u64] = &[1, 2, 4, 8, 16, 32];
const PACKS: &[u64] = &[1, 2, 4, 8];

/// A leaf as C names it, and the declared width of a named bitfield.
#[derive(Clone)]
struct Leaf {
    path: String,
    bit_width: Option<u64>,
}

/// One top-level tagged struct or union.
struct Aggregate {
    keyword: &'static str,
    name: String,
    leaves: Vec<Leaf>,
    /// An upper bound on its sizeof, to keep arrays of arrays of structs small.
    bound: u64,
    /// Its definition, without the pragma around it.
    text: String,
    pack: Option<Pack>,
    /// The tags it contains by value (directly or in arrays).
    deps: Vec<usize>,
    /// Where its definition starts in structs.h.
    line: usize,
}

impl Aggregate {
    fn c_type(&self) -> String {
        format!("{} {}", self.keyword, self.name)
    }
}

#[derive(Clone, Copy)]
enum Pack {
    Push(u64),
    Plain(u64),
}

impl Pack {
    fn open(self) -> String {
        match self {
            Pack::Push(n) => format!("#pragma pack(push, {n})\n"),
            Pack::Plain(n) => format!("#pragma pack({n})\n"),
        }
    }

    fn close(self) -> &'static str {
        match self {
            Pack::Push(_) => "#pragma pack(pop)\n",
            Pack::Plain(_) => "#pragma pack()\n",
        }
    }
}

/// One generated structs.h.
struct Batch {
    seed: u64,
    types: Vec<Aggregate>,
    header: String,
}

impl Batch {
    fn index(&self, name: &str) -> Option<usize> {
        self.types.iter().position(|t| t.name == name)
    }

    /// The type's definition with the pragma it is under, after those of the tags it
    /// contains by value: enough to reproduce it alone.
    fn source_of(&self, i: usize) -> String {
        let mut needed = BTreeSet::new();
        let mut stack = vec![i];
        while let Some(j) = stack.pop() {
            if needed.insert(j) {
                stack.extend(self.types[j].deps.iter().copied());
            }
        }
        let mut out = String::new();
        for j in needed {
            let t = &self.types[j];
            match t.pack {
                Some(p) => out.push_str(&format!("{}{}{}", p.open(), t.text, p.close())),
                None => out.push_str(&t.text),
            }
        }
        out
    }

    /// The type whose definition holds this line of structs.h.
    fn type_at_line(&self, line: usize) -> Option<usize> {
        self.types.iter().rposition(|t| t.line <= line)
    }

    fn rerun(&self) -> String {
        format!(
            "seed {:#x} (reproduce with SHMCTL_SCHEMA_FUZZ_SEED={:#x} SHMCTL_SCHEMA_FUZZ_COUNT={})",
            self.seed,
            self.seed,
            self.types.len()
        )
    }
}

/// A member declaration: its lines, the leaves it adds, a bound on its size, and whether
/// it is named itself.
struct Member {
    text: String,
    leaves: Vec<Leaf>,
    bound: u64,
    named: bool,
}

/// The state of one top-level definition.
struct Cx {
    next_name: usize,
    deps: Vec<usize>,
    self_type: String,
}

struct Gen {
    rng: Rng,
    types: Vec<Aggregate>,
}

fn generate(seed: u64, count: usize) -> Batch {
    let mut gen = Gen {
        rng: Rng(seed),
        types: Vec::with_capacity(count),
    };
    let mut header = String::from("#include <stdint.h>\n#include <stdbool.h>\n\n");
    let mut region: Option<(Pack, u64)> = None;
    // Lines in header[..counted].
    let (mut lines, mut counted) = (0, 0);
    for i in 0..count {
        if region.is_none() && gen.rng.chance(12) {
            let n = gen.rng.pick(PACKS);
            let pack = if gen.rng.chance(50) {
                Pack::Push(n)
            } else {
                Pack::Plain(n)
            };
            header.push_str(&pack.open());
            region = Some((pack, gen.rng.range(1, 3)));
        }
        let mut t = gen.aggregate(i, region.map(|r| r.0));
        lines += header[counted..].matches('\n').count();
        counted = header.len();
        t.line = lines + 1;
        header.push_str(&t.text);
        gen.types.push(t);
        if let Some((pack, left)) = region.as_mut() {
            *left -= 1;
            if *left == 0 {
                header.push_str(pack.close());
                region = None;
            }
        }
        header.push('\n');
    }
    if let Some((pack, _)) = region {
        header.push_str(pack.close());
    }
    Batch {
        seed,
        types: gen.types,
        header,
    }
}

impl Gen {
    fn aggregate(&mut self, index: usize, pack: Option<Pack>) -> Aggregate {
        let is_union = self.rng.chance(20);
        let keyword = if is_union { "union" } else { "struct" };
        let name = format!("{}{index}", if is_union { 'U' } else { 'S' });
        let mut cx = Cx {
            next_name: 0,
            deps: Vec::new(),
            self_type: format!("{keyword} {name}"),
        };
        let body = self.body(&mut cx, is_union, 0);
        let attr = match self.rng.below(100) {
            0..=9 => " __attribute__((packed))".to_string(),
            10..=19 => format!(" __attribute__((aligned({})))", self.rng.pick(ALIGNMENTS)),
            20..=24 => format!(
                " __attribute__((packed)) __attribute__((aligned({})))",
                self.rng.pick(ALIGNMENTS)
            ),
            _ => String::new(),
        };
        let mut deps = cx.deps;
        deps.sort_unstable();
        deps.dedup();
        Aggregate {
            keyword,
            text: format!("{keyword} {name} {{\n{}}}{attr};\n", body.text),
            name,
            leaves: body.leaves,
            bound: body.bound + 32,
            pack,
            deps,
            line: 0,
        }
    }

    /// The members of a struct or union body at this nesting depth (0: top level).
    fn body(&mut self, cx: &mut Cx, is_union: bool, depth: usize) -> Member {
        let indent = "    ".repeat(depth + 1);
        let count = if depth == 0 {
            self.rng.range(1, 10)
        } else {
            self.rng.range(1, 5)
        };
        let mut members = Vec::new();
        let mut leaves = 0;
        for _ in 0..count {
            if leaves >= MAX_LEAVES {
                break;
            }
            let m = match self.rng.below(100) {
                0..=29 => self.scalar(cx, &indent),
                30..=39 => self.pointer(cx, &indent),
                40..=54 => self.array(cx, &indent),
                55..=64 => self.by_value(cx, &indent),
                65..=86 => self.bitfields(cx, &indent),
                _ if depth < 2 => self.anonymous(cx, &indent, depth),
                _ => self.scalar(cx, &indent),
            };
            leaves += m.leaves.len();
            members.push(m);
        }
        if !members.iter().any(|m| m.named) {
            let name = self.name(cx);
            members.push(Member {
                text: format!("{indent}int {name};\n"),
                leaves: vec![plain(name)],
                bound: 4 + 32,
                named: true,
            });
        }
        let bounds = members.iter().map(|m| m.bound);
        let bound = if is_union {
            bounds.max().unwrap_or(0)
        } else {
            bounds.sum()
        } + 32;
        Member {
            text: members.iter().map(|m| m.text.as_str()).collect(),
            leaves: members.into_iter().flat_map(|m| m.leaves).collect(),
            bound,
            named: false,
        }
    }

    fn name(&mut self, cx: &mut Cx) -> String {
        cx.next_name += 1;
        format!("f{}", cx.next_name - 1)
    }

    /// `packed`, `aligned(N)` or both on a member, sometimes.
    fn member_attr(&mut self) -> String {
        if !self.rng.chance(15) {
            return String::new();
        }
        match self.rng.below(5) {
            0 | 1 => " __attribute__((packed))".to_string(),
            2 | 3 => format!(" __attribute__((aligned({})))", self.rng.pick(ALIGNMENTS)),
            _ => format!(
                " __attribute__((packed)) __attribute__((aligned({})))",
                self.rng.pick(ALIGNMENTS)
            ),
        }
    }

    fn scalar(&mut self, cx: &mut Cx, indent: &str) -> Member {
        let (ty, size) = self.rng.pick(SCALARS);
        let name = self.name(cx);
        let attr = self.member_attr();
        Member {
            text: format!("{indent}{ty} {name}{attr};\n"),
            leaves: vec![plain(name)],
            bound: size + 32,
            named: true,
        }
    }

    /// What a pointer points to: a basic type, an earlier tag, or the type being defined.
    fn pointee(&mut self, cx: &Cx) -> String {
        match self.rng.below(10) {
            0..=4 => self.rng.pick(POINTEES).to_string(),
            5 | 6 if !self.types.is_empty() => {
                let i = self.rng.below(self.types.len() as u64) as usize;
                self.types[i].c_type()
            }
            _ => cx.self_type.clone(),
        }
    }

    fn pointer(&mut self, cx: &mut Cx, indent: &str) -> Member {
        let to = self.pointee(cx);
        let name = self.name(cx);
        let attr = self.member_attr();
        Member {
            text: format!("{indent}{to} *{name}{attr};\n"),
            leaves: vec![plain(name)],
            bound: 8 + 32,
            named: true,
        }
    }

    fn array(&mut self, cx: &mut Cx, indent: &str) -> Member {
        let mut dims = vec![self.rng.range(1, 7)];
        if self.rng.chance(30) {
            dims.push(self.rng.range(1, 7));
        }
        let n: u64 = dims.iter().product();
        let (elem, star, elem_bound) = match self.rng.below(100) {
            0..=59 => {
                let (ty, size) = self.rng.pick(SCALARS);
                (ty.to_string(), "", size)
            }
            60..=74 => (self.pointee(cx), "*", 8),
            _ => match self.earlier_tag(4096 / n) {
                Some(i) => {
                    cx.deps.push(i);
                    (self.types[i].c_type(), "", self.types[i].bound)
                }
                None => ("int".to_string(), "", 4),
            },
        };
        let name = self.name(cx);
        let attr = self.member_attr();
        let dims_text: String = dims.iter().map(|d| format!("[{d}]")).collect();
        Member {
            text: format!("{indent}{elem} {star}{name}{dims_text}{attr};\n"),
            leaves: vec![plain(name)],
            bound: elem_bound * n + 32,
            named: true,
        }
    }

    /// An earlier tag small enough to contain (by value or in an array).
    fn earlier_tag(&mut self, max_bound: u64) -> Option<usize> {
        let len = self.types.len();
        if len == 0 {
            return None;
        }
        let window = len.min(200) as u64;
        for _ in 0..8 {
            let i = len - 1 - self.rng.below(window) as usize;
            let t = &self.types[i];
            if t.leaves.len() <= 16 && t.bound <= max_bound.min(1024) {
                return Some(i);
            }
        }
        None
    }

    fn by_value(&mut self, cx: &mut Cx, indent: &str) -> Member {
        let Some(i) = self.earlier_tag(1024) else {
            return self.scalar(cx, indent);
        };
        cx.deps.push(i);
        let name = self.name(cx);
        let attr = self.member_attr();
        let t = &self.types[i];
        Member {
            text: format!("{indent}{} {name}{attr};\n", t.c_type()),
            leaves: t
                .leaves
                .iter()
                .map(|l| Leaf {
                    path: format!("{name}.{}", l.path),
                    bit_width: l.bit_width,
                })
                .collect(),
            bound: t.bound + 32,
            named: true,
        }
    }

    /// A run of 1 to 4 bitfields: named, unnamed, unnamed zero-width.
    fn bitfields(&mut self, cx: &mut Cx, indent: &str) -> Member {
        let mut m = Member {
            text: String::new(),
            leaves: Vec::new(),
            bound: 0,
            named: false,
        };
        for _ in 0..self.rng.range(1, 4) {
            let (ty, bits) = self.rng.pick(BITFIELD_TYPES);
            let width = if bits == 1 || self.rng.chance(50) {
                self.rng.range(1, bits.min(8))
            } else {
                self.rng.range(1, bits)
            };
            m.bound += bits / 8 + 8 + 1;
            match self.rng.below(100) {
                0..=69 => {
                    let name = self.name(cx);
                    m.text
                        .push_str(&format!("{indent}{ty} {name} : {width};\n"));
                    m.leaves.push(Leaf {
                        path: name,
                        bit_width: Some(width),
                    });
                    m.named = true;
                }
                70..=89 => {
                    let ty = if ty == "unsigned int" && self.rng.chance(30) {
                        "unsigned"
                    } else {
                        ty
                    };
                    m.text.push_str(&format!("{indent}{ty} : {width};\n"));
                }
                _ => m.text.push_str(&format!("{indent}{ty} : 0;\n")),
            }
        }
        m
    }

    /// A C11 anonymous struct or union member.
    fn anonymous(&mut self, cx: &mut Cx, indent: &str, depth: usize) -> Member {
        let is_union = self.rng.chance(50);
        let keyword = if is_union { "union" } else { "struct" };
        let inner = self.body(cx, is_union, depth + 1);
        Member {
            text: format!("{indent}{keyword} {{\n{}{indent}}};\n", inner.text),
            leaves: inner.leaves,
            bound: inner.bound + 32,
            named: false,
        }
    }
}

fn plain(path: String) -> Leaf {
    Leaf {
        path,
        bit_width: None,
    }
}

// ---------------------------------------------------------------------------------------
// Running things

/// Runs a command to completion, or kills it (by its own pid) after the timeout.
fn run(cmd: &mut Command, timeout: Duration) -> Result<Output, String> {
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {cmd:?}: {e}"))?;
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(child.wait_with_output()).ok());
    match rx.recv_timeout(timeout) {
        Ok(out) => out.map_err(|e| format!("{cmd:?}: {e}")),
        Err(_) => {
            // SAFETY: kill has no memory effects; the pid is our own unreaped child.
            unsafe { libc::kill(pid as i32, libc::SIGKILL) };
            Err(format!("{cmd:?} did not finish within {timeout:?}"))
        }
    }
}

/// `shmctl schema structs.h --json --target T`, parsed; a failure explains itself, with
/// the source of the type a `structs.h:line:column` points at.
fn run_schema(batch: &Batch, header: &Path, target: &str) -> Value {
    let timeout = Duration::from_secs(60 + batch.types.len() as u64 / 50);
    let args = ["schema", "--json", "--target", target];
    let out = run(
        Command::new(shmctl_bin())
            .arg("schema")
            .arg(header)
            .args(["--json", "--target", target])
            .env("LC_ALL", "C"),
        timeout,
    )
    .unwrap_or_else(|e| panic!("shmctl schema: {e}\n{}", batch.rerun()));
    if !out.status.success() {
        let stderr = text(&out.stderr);
        let mut msg = format!(
            "shmctl {args:?} on the generated structs.h exited {:?}\n{}\nstderr: {stderr}\n",
            out.status.code(),
            batch.rerun()
        );
        if let Some(i) = error_line(&stderr, "structs.h:").and_then(|l| batch.type_at_line(l)) {
            msg.push_str(&format!(
                "the error is in {}:\n{}",
                batch.types[i].c_type(),
                batch.source_of(i)
            ));
        }
        panic!("{msg}");
    }
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "shmctl {args:?}: not JSON ({e}): {}\n{}",
            text(&out.stdout),
            batch.rerun()
        )
    })
}

/// The line number after the first `prefix` (e.g. `structs.h:`) in a compiler message.
fn error_line(message: &str, prefix: &str) -> Option<usize> {
    let rest = &message[message.find(prefix)? + prefix.len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

fn write(path: &Path, contents: &str) {
    std::fs::write(path, contents).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

// ---------------------------------------------------------------------------------------
// The host: gcc compiles and runs the oracle

/// What gcc says about one leaf.
enum Truth {
    Plain { offset: u64, size: u64 },
    Bits { bit: u64, width: u64 },
}

struct Oracle {
    types: HashMap<String, (u64, u64)>,
    leaves: HashMap<(String, String), Truth>,
}

fn oracle_source(batch: &Batch) -> String {
    let mut c = String::from(
        "#include <stddef.h>\n#include <stdio.h>\n#include <string.h>\n#include \"structs.h\"\n\n\
         static void bits(const unsigned char *b, size_t n, const char *t, const char *p) {\n    \
         long first = -1, last = -1, count = 0;\n    \
         for (size_t i = 0; i < n * 8; i++)\n        \
         if (b[i / 8] >> (i % 8) & 1) {\n            \
         if (first < 0) first = (long)i;\n            \
         last = (long)i;\n            \
         count++;\n        }\n    \
         printf(\"B %s %s %ld %ld %ld\\n\", t, p, first, last - first + 1, count);\n}\n\n\
         struct trow { const char *name; size_t size, align; };\n\
         static const struct trow trows[] = {\n",
    );
    for t in &batch.types {
        let ty = t.c_type();
        c.push_str(&format!(
            "    {{\"{}\", sizeof({ty}), _Alignof({ty})}},\n",
            t.name
        ));
    }
    c.push_str(
        "    {0, 0, 0},\n};\n\n\
         struct frow { const char *name, *path; size_t offset, size; };\n\
         static const struct frow frows[] = {\n",
    );
    for t in &batch.types {
        let ty = t.c_type();
        for l in t.leaves.iter().filter(|l| l.bit_width.is_none()) {
            c.push_str(&format!(
                "    {{\"{}\", \"{p}\", offsetof({ty}, {p}), sizeof((({ty} *)0)->{p})}},\n",
                t.name,
                p = l.path
            ));
        }
    }
    c.push_str("    {0, 0, 0, 0},\n};\n\n");
    let mut calls = String::new();
    for t in &batch.types {
        if t.leaves.iter().all(|l| l.bit_width.is_none()) {
            continue;
        }
        c.push_str(&format!(
            "static void bits_{}(void) {{\n    union {{ {} s; unsigned char b[sizeof({})]; }} u;\n",
            t.name,
            t.c_type(),
            t.c_type()
        ));
        for l in t.leaves.iter().filter(|l| l.bit_width.is_some()) {
            c.push_str(&format!(
                "    memset(&u, 0, sizeof u);\n    u.s.{p} = -1;\n    bits(u.b, sizeof u.b, \"{}\", \"{p}\");\n",
                t.name,
                p = l.path
            ));
        }
        c.push_str("}\n");
        calls.push_str(&format!("    bits_{}();\n", t.name));
    }
    c.push_str(&format!(
        "\nint main(void) {{\n    \
         for (const struct trow *r = trows; r->name; r++)\n        \
         printf(\"T %s %zu %zu\\n\", r->name, r->size, r->align);\n    \
         for (const struct frow *r = frows; r->name; r++)\n        \
         printf(\"F %s %s %zu %zu\\n\", r->name, r->path, r->offset, r->size);\n\
         {calls}    return 0;\n}}\n"
    ));
    c
}

/// Compiles and runs the oracle; gcc's answers, checked against what the generator meant.
fn gcc_oracle(batch: &Batch, dir: &Path) -> Oracle {
    let exe = dir.join("oracle");
    write(&dir.join("oracle.c"), &oracle_source(batch));
    let out = run(
        Command::new("gcc")
            .args(["-std=gnu11", "-O0", "-w", "-o", "oracle", "oracle.c"])
            .current_dir(dir),
        Duration::from_secs(300),
    )
    .unwrap_or_else(|e| panic!("gcc: {e}\n{}", batch.rerun()));
    if !out.status.success() {
        let stderr = text(&out.stderr);
        let culprit = error_line(&stderr, "structs.h:")
            .and_then(|l| batch.type_at_line(l))
            .map(|i| batch.source_of(i))
            .unwrap_or_default();
        panic!(
            "the generator wrote C that gcc rejects (a bug in this test)\n{}\n{stderr}\n{culprit}",
            batch.rerun()
        );
    }
    let out = run(&mut Command::new(&exe), Duration::from_secs(120))
        .unwrap_or_else(|e| panic!("oracle: {e}\n{}", batch.rerun()));
    assert_success(&out, &["oracle"]);
    let mut oracle = Oracle {
        types: HashMap::new(),
        leaves: HashMap::new(),
    };
    for line in text(&out.stdout).lines() {
        let words: Vec<&str> = line.split(' ').collect();
        let num = |i: usize| -> u64 {
            words[i]
                .parse()
                .unwrap_or_else(|_| panic!("oracle line {line:?}: not a number"))
        };
        match words[0] {
            "T" if words.len() == 4 => {
                oracle.types.insert(words[1].to_string(), (num(2), num(3)));
            }
            "F" if words.len() == 5 => {
                let truth = Truth::Plain {
                    offset: num(3),
                    size: num(4),
                };
                oracle
                    .leaves
                    .insert((words[1].to_string(), words[2].to_string()), truth);
            }
            "B" if words.len() == 6 => {
                assert_eq!(
                    num(4),
                    num(5),
                    "oracle {line:?}: the bitfield's bits are not contiguous"
                );
                let truth = Truth::Bits {
                    bit: num(3),
                    width: num(4),
                };
                oracle
                    .leaves
                    .insert((words[1].to_string(), words[2].to_string()), truth);
            }
            _ => panic!("oracle printed {line:?}"),
        }
    }
    // The oracle must cover exactly what the generator meant: else this test is wrong.
    for (i, t) in batch.types.iter().enumerate() {
        assert!(
            oracle.types.contains_key(&t.name),
            "oracle lacks {}",
            t.name
        );
        for l in &t.leaves {
            match oracle.leaves.get(&(t.name.clone(), l.path.clone())) {
                Some(Truth::Bits { width, .. }) => assert_eq!(
                    Some(*width),
                    l.bit_width,
                    "gcc gives {}.{} another width than declared\n{}",
                    t.name,
                    l.path,
                    batch.source_of(i)
                ),
                Some(Truth::Plain { .. }) => {}
                None => panic!("oracle lacks {}.{}", t.name, l.path),
            }
        }
    }
    oracle
}

fn check_native(batch: &Batch, target: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let header = dir.path().join("structs.h");
    write(&header, &batch.header);
    let started = Instant::now();
    let oracle = gcc_oracle(batch, dir.path());
    eprintln!(
        "gcc: {} types in {:.2?}",
        batch.types.len(),
        started.elapsed()
    );
    let started = Instant::now();
    let doc = run_schema(batch, &header, target);
    eprintln!("shmctl schema: {:.2?}", started.elapsed());
    compare_native(batch, &oracle, &doc, target);
}

fn compare_native(batch: &Batch, oracle: &Oracle, doc: &Value, target: &str) {
    compare_native_with(batch, oracle, doc, target, true);
}

/// [`compare_native`]; without `align`, _Alignof is not compared (DWARF does not record a
/// `#pragma pack`, and DWARF 4 no explicit alignment: debug information's alignment is
/// inferred, its sizes, offsets and bit positions are gcc's own).
fn compare_native_with(
    batch: &Batch,
    oracle: &Oracle,
    doc: &Value,
    target: &str,
    check_align: bool,
) {
    let (mut general, shmctl) = match_types(batch, doc);
    let mut per_type: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for (i, t) in batch.types.iter().enumerate() {
        let Some(ours) = shmctl.get(&t.name) else {
            continue;
        };
        let mut problems = Vec::new();
        let (size, align) = oracle.types[&t.name];
        compare(&mut problems, "size", size, &ours["size"]);
        if check_align {
            compare(&mut problems, "align", align, &ours["align"]);
        }
        let fields = match_fields(t, ours, &mut problems);
        for l in &t.leaves {
            let Some(f) = fields.get(l.path.as_str()) else {
                continue;
            };
            let what = format!("field {}", l.path);
            match &oracle.leaves[&(t.name.clone(), l.path.clone())] {
                Truth::Plain { offset, size } => {
                    compare(
                        &mut problems,
                        &format!("{what} offset"),
                        *offset,
                        &f["offset"],
                    );
                    compare(&mut problems, &format!("{what} size"), *size, &f["size"]);
                }
                Truth::Bits { bit, width } => {
                    compare(
                        &mut problems,
                        &format!("{what} bit_offset"),
                        *bit,
                        &f["bit_offset"],
                    );
                    compare(
                        &mut problems,
                        &format!("{what} bit_width"),
                        *width,
                        &f["bit_width"],
                    );
                }
            }
        }
        if !problems.is_empty() {
            per_type.insert(i, problems);
        }
    }
    if general.is_empty() && per_type.is_empty() {
        return;
    }
    general.insert(
        0,
        format!("shmctl schema --target {target} disagrees with gcc"),
    );
    panic!("{}", report(batch, &general, &per_type));
}

// ---------------------------------------------------------------------------------------
// Shared comparison

/// Checks the document's shape and the list of types (names, in file order); shmctl's
/// entry for each type it has, by name.
fn match_types<'a>(batch: &Batch, doc: &'a Value) -> (Vec<String>, HashMap<String, &'a Value>) {
    let mut general = Vec::new();
    if doc["schema_version"] != 1 {
        general.push(format!(
            "schema_version: expected 1, got {}",
            doc["schema_version"]
        ));
    }
    let Some(types) = doc["types"].as_array() else {
        panic!(
            "shmctl schema: no \"types\" list in {}\n{}",
            truncate(&doc.to_string()),
            batch.rerun()
        );
    };
    let mut by_name = HashMap::new();
    let mut names = Vec::new();
    for t in types {
        let name = t["name"].as_str().unwrap_or("<no name>").to_string();
        if by_name.insert(name.clone(), t).is_some() {
            general.push(format!("type {name} is listed twice"));
        }
        names.push(name);
    }
    let expected: Vec<&str> = batch.types.iter().map(|t| t.name.as_str()).collect();
    if names != expected {
        let missing: Vec<&str> = expected
            .iter()
            .copied()
            .filter(|n| !by_name.contains_key(*n))
            .collect();
        let extra: Vec<&str> = names
            .iter()
            .map(String::as_str)
            .filter(|n| batch.index(n).is_none())
            .collect();
        general.push(format!(
            "types differ from the file's tags in file order: missing {}, extra {}{}",
            list(&missing),
            list(&extra),
            if missing.is_empty() && extra.is_empty() {
                " (so the order differs)"
            } else {
                ""
            }
        ));
        if let Some(first) = missing.first() {
            let i = batch.index(first).expect("a generated type");
            general.push(format!(
                "the first missing type is:\n{}",
                batch.source_of(i)
            ));
        }
    }
    (general, by_name)
}

/// Checks the leaves shmctl lists against the generator's (paths, order, which are
/// bitfields and their declared widths); shmctl's entry for each leaf, by path.
fn match_fields<'a>(
    t: &Aggregate,
    ours: &'a Value,
    problems: &mut Vec<String>,
) -> HashMap<&'a str, &'a Value> {
    let before = problems.len();
    let mut by_path = HashMap::new();
    let Some(fields) = ours["fields"].as_array() else {
        problems.push(format!(
            "no \"fields\" list: {}",
            truncate(&ours.to_string())
        ));
        return by_path;
    };
    let mut paths = Vec::new();
    for f in fields {
        let path = f["path"].as_str().unwrap_or("<no path>");
        if by_path.insert(path, f).is_some() {
            problems.push(format!("field {path} is listed twice"));
        }
        paths.push(path);
    }
    let expected: Vec<&str> = t.leaves.iter().map(|l| l.path.as_str()).collect();
    for l in &t.leaves {
        let Some(f) = by_path.get(l.path.as_str()) else {
            problems.push(format!(
                "field {}: gcc has it, shmctl does not list it",
                l.path
            ));
            continue;
        };
        let has_bits = f.get("bit_offset").is_some() || f.get("bit_width").is_some();
        match l.bit_width {
            Some(w) if has_bits => compare(
                problems,
                &format!("field {} bit_width (declared)", l.path),
                w,
                &f["bit_width"],
            ),
            Some(_) => problems.push(format!(
                "field {}: a bitfield, but shmctl gives no bit_offset/bit_width",
                l.path
            )),
            None if has_bits => problems.push(format!(
                "field {}: not a bitfield, but shmctl gives bit_offset/bit_width",
                l.path
            )),
            None => {}
        }
    }
    for p in &paths {
        if !expected.contains(p) {
            problems.push(format!("field {p}: shmctl lists it, gcc has no such leaf"));
        }
    }
    if paths.len() == expected.len() && paths != expected && problems.len() == before {
        problems.push(format!(
            "fields are not in declaration order: shmctl {}, declared {}",
            list(&paths),
            list(&expected)
        ));
    }
    by_path
}

fn compare(problems: &mut Vec<String>, what: &str, gcc: u64, ours: &Value) {
    if ours.as_u64() != Some(gcc) {
        problems.push(format!("{what}: gcc {gcc}, shmctl {ours}"));
    }
}

fn list(items: &[&str]) -> String {
    if items.is_empty() {
        return "none".to_string();
    }
    let shown: Vec<&str> = items.iter().copied().take(12).collect();
    let more = if items.len() > 12 {
        format!(" … ({} in all)", items.len())
    } else {
        String::new()
    };
    format!("[{}{more}]", shown.join(", "))
}

fn truncate(s: &str) -> String {
    match s.char_indices().nth(2000) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// The failure message: the seed, and for the first few types their problems and source.
fn report(batch: &Batch, general: &[String], per_type: &BTreeMap<usize, Vec<String>>) -> String {
    let mut msg = format!(
        "{}\n{} of {} types disagree; {}\n",
        general.join("\n"),
        per_type.len(),
        batch.types.len(),
        batch.rerun()
    );
    for (&i, problems) in per_type.iter().take(SHOWN) {
        let t = &batch.types[i];
        msg.push_str(&format!(
            "\n=== {} (structs.h line {}) ===\n",
            t.c_type(),
            t.line
        ));
        for p in problems.iter().take(20) {
            msg.push_str(&format!("  {p}\n"));
        }
        if problems.len() > 20 {
            msg.push_str(&format!("  … {} problems in all\n", problems.len()));
        }
        msg.push_str(&format!("C source:\n{}", batch.source_of(i)));
    }
    if per_type.len() > SHOWN {
        let rest: Vec<&str> = per_type
            .keys()
            .skip(SHOWN)
            .map(|&i| batch.types[i].name.as_str())
            .collect();
        msg.push_str(&format!("\nalso disagreeing: {}\n", list(&rest)));
    }
    msg
}

// ---------------------------------------------------------------------------------------
// aarch64: the cross compiler checks shmctl's answers as static assertions

/// One claim of shmctl's, as a C expression gcc evaluates.
struct Claim {
    ty: usize,
    what: String,
    expr: String,
    ours: u64,
}

/// False (after saying why) when the cross compiler cannot compile even the includes.
fn check_cross(batch: &Batch, cc: &str) -> bool {
    let dir = tempfile::tempdir().expect("tempdir");
    let probe = dir.path().join("probe.c");
    write(
        &probe,
        "#include <stdint.h>\n#include <stdbool.h>\n#include <stddef.h>\nint x;\n",
    );
    let out = run(
        Command::new(cc)
            .args(["-std=gnu11", "-ffreestanding", "-w", "-fsyntax-only"])
            .arg(&probe),
        Duration::from_secs(60),
    );
    match out {
        Ok(out) if out.status.success() => {}
        Ok(out) => {
            without_tool(&format!(
                "{cc} cannot compile the standard includes: {}",
                text(&out.stderr)
            ));
            return false;
        }
        Err(e) => {
            without_tool(&e.to_string());
            return false;
        }
    }
    let header = dir.path().join("structs.h");
    write(&header, &batch.header);
    let doc = run_schema(batch, &header, "aarch64");
    compare_cross(batch, cc, dir.path(), &doc);
    true
}

/// Asserts shmctl's answers to the cross compiler, in `dir` beside structs.h.
fn compare_cross(batch: &Batch, cc: &str, dir: &Path, doc: &Value) {
    compare_cross_with(batch, cc, dir, doc, true);
}

/// [`compare_cross`]; without `check_align` as for [`compare_native_with`].
fn compare_cross_with(batch: &Batch, cc: &str, dir: &Path, doc: &Value, check_align: bool) {
    let (mut general, shmctl) = match_types(batch, doc);
    let mut per_type: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    let mut claims = Vec::new();
    for (i, t) in batch.types.iter().enumerate() {
        let Some(ours) = shmctl.get(&t.name) else {
            continue;
        };
        let mut problems = Vec::new();
        let ty = t.c_type();
        let mut claim = |what: String, expr: String, value: &Value| match value.as_u64() {
            Some(ours) => claims.push(Claim {
                ty: i,
                what,
                expr,
                ours,
            }),
            None => problems.push(format!("{what}: shmctl gives {value}, not a number")),
        };
        claim("size".into(), format!("sizeof({ty})"), &ours["size"]);
        if check_align {
            claim("align".into(), format!("_Alignof({ty})"), &ours["align"]);
        }
        let mut field_problems = Vec::new();
        let fields = match_fields(t, ours, &mut field_problems);
        for l in t.leaves.iter().filter(|l| l.bit_width.is_none()) {
            let Some(f) = fields.get(l.path.as_str()) else {
                continue;
            };
            let p = &l.path;
            claim(
                format!("field {p} offset"),
                format!("offsetof({ty}, {p})"),
                &f["offset"],
            );
            claim(
                format!("field {p} size"),
                format!("sizeof((({ty} *)0)->{p})"),
                &f["size"],
            );
        }
        problems.extend(field_problems);
        if !problems.is_empty() {
            per_type.insert(i, problems);
        }
    }

    // check.c: one assertion a line, after the includes.
    let mut c = String::from("#include <stddef.h>\n#include \"structs.h\"\n");
    let first_line = c.matches('\n').count() + 1;
    for claim in &claims {
        c.push_str(&format!(
            "_Static_assert({} == {}, \"{} {}: shmctl says {}\");\n",
            claim.expr, claim.ours, batch.types[claim.ty].name, claim.what, claim.ours
        ));
    }
    write(&dir.join("check.c"), &c);
    let started = Instant::now();
    let out = run(
        Command::new(cc)
            .args(["-std=gnu11", "-ffreestanding", "-w", "-c", "-o"])
            .args(["check.o", "check.c"])
            .current_dir(dir),
        Duration::from_secs(300),
    )
    .unwrap_or_else(|e| panic!("{cc}: {e}\n{}", batch.rerun()));
    eprintln!(
        "{cc}: {} assertions on {} types in {:.2?}",
        claims.len(),
        batch.types.len(),
        started.elapsed()
    );
    if !out.status.success() {
        let stderr = text(&out.stderr);
        let mut failed: Vec<(usize, String)> = Vec::new();
        for line in stderr.lines().filter(|l| l.contains(": error: ")) {
            match error_line(line, "check.c:") {
                Some(n) if n >= first_line && n - first_line < claims.len() => {
                    failed.push((n - first_line, line.to_string()));
                }
                _ => general.push(format!("{cc}: {line}")),
            }
        }
        if failed.is_empty() && general.is_empty() {
            general.push(format!("{cc} failed:\n{stderr}"));
        }
        let shown: BTreeSet<usize> = per_type
            .keys()
            .copied()
            .chain(failed.iter().map(|(k, _)| claims[*k].ty))
            .collect::<BTreeSet<usize>>()
            .into_iter()
            .take(SHOWN)
            .collect();
        let values = gcc_values(cc, dir, &claims, &failed, &shown);
        for (k, gcc_line) in &failed {
            let claim = &claims[*k];
            let gcc = values
                .get(k)
                .map_or_else(|| "?".to_string(), u64::to_string);
            per_type.entry(claim.ty).or_default().push(format!(
                "{}: gcc {gcc}, shmctl {}\n    gcc: {gcc_line}",
                claim.what, claim.ours
            ));
        }
    }
    if general.is_empty() && per_type.is_empty() {
        return;
    }
    general.insert(
        0,
        format!("shmctl schema --target aarch64 disagrees with {cc}"),
    );
    panic!("{}", report(batch, &general, &per_type));
}

/// gcc's own values of the failed claims (of the first few types, as many as a failure
/// shows), read off one bit at a time: an assertion that bit b is clear fails exactly
/// where it is set.
fn gcc_values(
    cc: &str,
    dir: &Path,
    claims: &[Claim],
    failed: &[(usize, String)],
    shown: &BTreeSet<usize>,
) -> HashMap<usize, u64> {
    let failed: Vec<usize> = failed
        .iter()
        .map(|(k, _)| *k)
        .filter(|k| shown.contains(&claims[*k].ty))
        .take(200)
        .collect();
    let mut c = String::from("#include <stddef.h>\n#include \"structs.h\"\n");
    let first_line = c.matches('\n').count() + 1;
    let mut lines = Vec::new();
    for &k in &failed {
        for b in 0..40 {
            c.push_str(&format!(
                "_Static_assert((((unsigned long long)({})) >> {b} & 1) == 0, \"bit\");\n",
                claims[k].expr
            ));
            lines.push((k, b));
        }
    }
    write(&dir.join("bits.c"), &c);
    let mut values: HashMap<usize, u64> = failed.iter().map(|&k| (k, 0)).collect();
    let Ok(out) = run(
        Command::new(cc)
            .args([
                "-std=gnu11",
                "-ffreestanding",
                "-w",
                "-fsyntax-only",
                "bits.c",
            ])
            .current_dir(dir),
        Duration::from_secs(120),
    ) else {
        return HashMap::new();
    };
    for line in text(&out.stderr).lines() {
        if !line.contains("static assertion failed") {
            continue;
        }
        if let Some(n) = error_line(line, "bits.c:") {
            if let Some(&(k, b)) = n.checked_sub(first_line).and_then(|i| lines.get(i)) {
                *values.entry(k).or_default() |= 1 << b;
            }
        }
    }
    values
}
