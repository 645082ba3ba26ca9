use super::*;

/// (path, byte offset, bit offset) of each field.
type Placed = Vec<(String, u64, Option<u64>)>;

fn layout_of(text: &str, name: &str, target: Target) -> (u64, u64, Placed) {
    let program = parse("t.h", text).unwrap_or_else(|e| panic!("{e}"));
    let layouts = layouts("t.h", text, &program, target).unwrap_or_else(|e| panic!("{e}"));
    let id = find_record(&program, name).expect("type");
    let record = layouts.record_layout(id).expect("layout");
    let fields = layouts
        .fields(id)
        .into_iter()
        .map(|f| (f.path, f.offset, f.bit_offset))
        .collect();
    (record.size, record.align, fields)
}

fn x86(text: &str, name: &str) -> (u64, u64) {
    let (size, align, _) = layout_of(text, name, Target::X86_64);
    (size, align)
}

fn error(text: &str) -> SchemaError {
    match parse("bad.h", text) {
        Ok(program) => match layouts("bad.h", text, &program, Target::X86_64) {
            Ok(_) => panic!("no error for {text:?}"),
            Err(e) => e,
        },
        Err(e) => e,
    }
}

#[test]
fn the_classic_shared_struct() {
    let text = "#include <stdbool.h>\n#define LEN 100\nstruct SharedData { int counter; char message[LEN]; bool ready; };";
    let (size, align, fields) = layout_of(text, "SharedData", Target::X86_64);
    assert_eq!((size, align), (108, 4));
    assert_eq!(
        fields,
        [
            ("counter".to_string(), 0, None),
            ("message".to_string(), 4, None),
            ("ready".to_string(), 0x68, None)
        ]
    );
}

#[test]
fn kernel_notes_pinning_cases() {
    assert_eq!(
        layout_of("struct A { char a; int b:30; };", "A", Target::X86_64).2[1].2,
        Some(32)
    );
    assert_eq!(x86("struct A { char a; int b:30; };", "A"), (8, 4));
    assert_eq!(
        x86(
            "struct A { char a; int b:30; } __attribute__((packed));",
            "A"
        ),
        (5, 1)
    );
    assert_eq!(
        layout_of(
            "#pragma pack(1)\nstruct A { char a; int b:30; };",
            "A",
            Target::X86_64
        )
        .2[1]
            .2,
        Some(8)
    );
    assert_eq!(
        x86(
            "#pragma pack(2)\nstruct A { char a; int x __attribute__((aligned(16))); };",
            "A"
        ),
        (6, 2)
    );
    let zero = "struct A { char c; int :0; char d; };";
    assert_eq!(x86(zero, "A"), (5, 1));
    let (size, align, _) = layout_of(zero, "A", Target::Aarch64);
    assert_eq!((size, align), (8, 4));
}

#[test]
fn sync_objects_differ_by_target() {
    let text = "struct S { char c; pthread_mutex_t m; sem_t s; pthread_cond_t cv; };";
    assert_eq!(x86(text, "S"), (8 + 40 + 32 + 48, 8));
    assert_eq!(layout_of(text, "S", Target::Aarch64).0, 8 + 48 + 32 + 48);
}

#[test]
fn declarators_inside_out() {
    let text = "struct S { int *a[3]; int (*p)[3]; void (*fp)(int, char *); char m[2][3]; };";
    let program = parse("t.h", text).expect("parse");
    let layouts = layouts("t.h", text, &program, Target::X86_64).expect("layout");
    let fields = layouts.fields(0);
    let shown: Vec<(String, u64)> = fields
        .iter()
        .map(|f| (f.ty.display(&program), f.size))
        .collect();
    assert_eq!(
        shown,
        [
            ("int *[3]".into(), 24),
            ("int[3] *".into(), 8),
            ("void (*)()".into(), 8),
            ("char[2][3]".into(), 6)
        ]
    );
}

#[test]
fn every_integer_spelling() {
    let text = "struct S { unsigned long long int a; signed char b; short int c; long unsigned d; \
                unsigned e; long double f; _Bool g; __int128 h; };";
    let program = parse("t.h", text).expect("parse");
    let layouts = layouts("t.h", text, &program, Target::X86_64).expect("layout");
    let types: Vec<String> = layouts
        .fields(0)
        .iter()
        .map(|f| f.ty.display(&program))
        .collect();
    assert_eq!(
        types,
        [
            "unsigned long long",
            "signed char",
            "short",
            "unsigned long",
            "unsigned int",
            "long double",
            "_Bool",
            "__int128"
        ]
    );
    assert_eq!(x86(text, "S"), (80, 16));
}

#[test]
fn anonymous_members_nested_paths_and_typedefs() {
    let text = "typedef struct { int x; union { short s; char c[3]; }; struct { char a, b; } pos; } Point;\n\
                typedef Point point_t;";
    let (size, _, fields) = layout_of(text, "Point", Target::X86_64);
    let paths: Vec<&str> = fields.iter().map(|f| f.0.as_str()).collect();
    assert_eq!(paths, ["x", "s", "c", "pos.a", "pos.b"]);
    assert_eq!(size, 12);
    let program = parse("t.h", text).expect("parse");
    assert_eq!(
        find_record(&program, "point_t"),
        find_record(&program, "Point")
    );
    assert_eq!(
        named_records(&program).len(),
        1,
        "anonymous members are not types of their own"
    );
}

#[test]
fn enums_sizes_and_constants_in_array_sizes() {
    let text = "enum Color { RED, GREEN = 5, BLUE };\n\
                enum Big { HUGE = 0x100000000 };\n\
                enum __attribute__((packed)) Small { ONE = 1, TWO };\n\
                struct S { enum Color c; enum Big b; enum Small s; char name[BLUE + 1]; };";
    let (size, _, fields) = layout_of(text, "S", Target::X86_64);
    assert_eq!(
        fields.iter().map(|f| f.1).collect::<Vec<_>>(),
        [0, 8, 16, 17]
    );
    assert_eq!(size, 24);
}

#[test]
fn preprocessor_subset() {
    let text = "#ifndef GUARD\n#define GUARD\n#define N (4 * 2)\n#if 0\nstruct Gone { nonsense };\n#endif\n\
                #ifdef __cplusplus\nextern \"C\" {\n#endif\n#if defined(GUARD) && N > 4\nstruct S { char a[N]; };\n\
                #else\nstruct S { int wrong; };\n#endif\n#ifdef __cplusplus\n}\n#endif\n#endif\n";
    assert_eq!(x86(text, "S"), (8, 1));
    // Function prototypes and inline functions are read past.
    let text = "struct S { int a; };\nint use(struct S *s);\nstatic inline int get(struct S *s) { return s->a; }";
    assert_eq!(x86(text, "S"), (4, 4));
}

#[test]
fn pragma_pack_push_and_pop() {
    let text = "#pragma pack(push, 1)\nstruct A { char c; int i; };\n#pragma pack(pop)\nstruct B { char c; int i; };";
    assert_eq!(x86(text, "A"), (5, 1));
    assert_eq!(x86(text, "B"), (8, 4));
}

#[test]
fn errors_point_at_the_offending_text() {
    // (header, line, column, part of the message)
    let table: &[(&str, u32, u32, &str)] = &[
        ("struct S { int a }", 1, 18, "expected `;`"),
        (
            "struct S { mystery_t a; };",
            1,
            12,
            "unknown type name `mystery_t`",
        ),
        (
            "struct S {\n  int a:40;\n};",
            2,
            7,
            "width of `a` exceeds its type (40 bits; `int` has 32)",
        ),
        (
            "struct S { char c[N]; };",
            1,
            19,
            "`N` is not an integer constant",
        ),
        (
            "#if FOO\nstruct S { int a; };\n#endif",
            1,
            5,
            "`FOO` is not defined in this file",
        ),
        (
            "#define MAX(a, b) a\nstruct S { char c[MAX(1, 2)]; };",
            2,
            19,
            "function-like macro",
        ),
        (
            "struct S { int a; };\nstruct S { int b; };",
            2,
            10,
            "defined twice",
        ),
        (
            "struct S { struct Later l; };",
            1,
            25,
            "declared but never defined",
        ),
        (
            "struct S { int a; } /* unterminated",
            1,
            21,
            "unterminated comment",
        ),
        (
            "struct S { int :0 x; };",
            1,
            19,
            "unexpected token in a constant expression",
        ),
        ("#ifdef X\nstruct S { int a; };", 1, 1, "#if without #endif"),
        (
            "struct S { int a __attribute__((aligned(3))); };",
            1,
            45,
            "not a positive power of 2",
        ),
        ("struct S { long long long a; };", 1, 12, "is not a type"),
        ("struct S { char c[-1]; };", 1, 21, "negative"),
        ("struct S { int a; } @", 1, 21, "unexpected character `@`"),
    ];
    for (text, line, col, message) in table {
        let e = error(text);
        assert!(e.message.contains(message), "{text:?}: {e}");
        assert_eq!((e.line, e.col), (*line, *col), "{text:?}: {e}");
        assert!(
            e.to_string().starts_with(&format!("bad.h:{line}:{col}: ")),
            "{e}"
        );
    }
}

/// What gcc refuses by C's rules rather than by arithmetic, refused with gcc's words at
/// gcc's line and column (each recorded from gcc 12 with `gcc -c`).
#[test]
fn what_gcc_refuses_we_refuse_in_its_words() {
    let table: &[(&str, u32, u32, &str)] = &[
        (
            "struct S { void v; };",
            1,
            17,
            "variable or field `v` declared void",
        ),
        (
            "typedef void V; struct S { V v; };",
            1,
            30,
            "variable or field `v` declared void",
        ),
        (
            "struct S { int x; void a[3]; };",
            1,
            24,
            "declaration of `a` as array of voids",
        ),
        ("void a[3];", 1, 6, "declaration of `a` as array of voids"),
        (
            "void (*p)[3];",
            1,
            8,
            "declaration of `p` as array of voids",
        ),
        (
            "typedef void V[3];",
            1,
            14,
            "declaration of `V` as array of voids",
        ),
        ("void v;", 1, 6, "storage size of `v` isn't known"),
        (
            "struct S { int x; char x; };",
            1,
            24,
            "duplicate member `x`",
        ),
        (
            "struct S { int x; struct { int x; }; };",
            1,
            32,
            "duplicate member `x`",
        ),
        ("struct S { int x : 3, x; };", 1, 23, "duplicate member `x`"),
        (
            "struct S { int a; union { int b; struct { int a; }; }; };",
            1,
            47,
            "duplicate member `a`",
        ),
        (
            "struct S { union { int a; }; union { int a; }; };",
            1,
            42,
            "duplicate member `a`",
        ),
        (
            "struct S { int n; char d[]; int y; };",
            1,
            24,
            "flexible array member not at end of struct",
        ),
        (
            "union U { int n; char d[]; };",
            1,
            23,
            "flexible array member in union",
        ),
        (
            "struct S { char d[]; };",
            1,
            17,
            "flexible array member in a struct with no named members",
        ),
        (
            "struct S { int :3; char d[]; };",
            1,
            25,
            "flexible array member in a struct with no named members",
        ),
        (
            "struct S { int n; struct { char d[]; }; };",
            1,
            33,
            "flexible array member in a struct with no named members",
        ),
        (
            "struct S { int n; char d[3][]; };",
            1,
            24,
            "array type has incomplete element type `char[]`",
        ),
        (
            "typedef char F[]; struct S { int n; F d[2]; };",
            1,
            39,
            "array type has incomplete element type `F`",
        ),
        (
            "enum E { A, B, A };",
            1,
            16,
            "redeclaration of enumerator `A`",
        ),
        (
            "enum E { A }; enum F { A };",
            1,
            24,
            "redeclaration of enumerator `A`",
        ),
        (
            "typedef int A; enum E { A };",
            1,
            25,
            "`A` redeclared as different kind of symbol",
        ),
        (
            "enum E { A }; typedef int A;",
            1,
            27,
            "`A` redeclared as different kind of symbol",
        ),
        (
            "struct S { char a[10UUL]; };",
            1,
            19,
            "invalid suffix \"UUL\" on integer constant",
        ),
        (
            "struct S { char a[10lul]; };",
            1,
            19,
            "invalid suffix \"lul\" on integer constant",
        ),
        (
            "struct S { char a[10lL]; };",
            1,
            19,
            "invalid suffix \"lL\" on integer constant",
        ),
        (
            "struct S { char a[10uu]; };",
            1,
            19,
            "invalid suffix \"uu\" on integer constant",
        ),
        (
            "struct S { char a[10_u]; };",
            1,
            19,
            "invalid suffix \"_u\" on integer constant",
        ),
        (
            "struct S { int a:0; };",
            1,
            16,
            "zero width for bit-field `a`",
        ),
        (
            "struct S { _Bool b:2; };",
            1,
            18,
            "width of `b` exceeds its type",
        ),
        (
            "struct S { double a:3; };",
            1,
            19,
            "bit-field `a` has invalid type",
        ),
    ];
    for (text, line, col, message) in table {
        let e = error(text);
        assert!(e.message.contains(message), "{text:?}: {e}");
        assert_eq!((e.line, e.col), (*line, *col), "{text:?}: {e}");
    }
    // … and what gcc accepts, we accept.
    for text in [
        "extern void v;",
        "struct S { char a[10uLL]; char b[10LLU]; char c[0x10uLL]; char d[10Ul]; };",
        "struct S { int n; char d[][4]; };",
        "typedef char F[]; struct S { int n; F d; };",
        "struct S { char (*p)[]; void *q; void (*f)(void); };",
        "struct S { int n; struct { int m; char d[]; }; int z; };",
        "struct S { struct { int a; }; char d[]; };",
        "struct S { int a; int :3; int :3; };",
        "struct S { int A; }; enum E { A };",
    ] {
        let program = parse("ok.h", text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
        layouts("ok.h", text, &program, Target::X86_64).unwrap_or_else(|e| panic!("{text:?}: {e}"));
    }
}

#[test]
fn error_shows_the_line_and_a_caret() {
    let e = error("struct S {\n\tmystery_t a;\n};");
    assert_eq!(e.to_string(), "bad.h:2:2: unknown type name `mystery_t` (a type from another header? shmctl reads only this file)\n   mystery_t a;\n   ^");
}

/// Never a panic: random edits of a valid header parse or fail with an error.
#[test]
fn arbitrary_input_never_panics() {
    let base = "#define N 4\n#pragma pack(push, 2)\ntypedef struct { int a:3; char b[N * 2]; union { float f; long l; }; \
                void (*cb)(int); } T;\n#pragma pack(pop)\nenum E { A = 1 << 3, B };\nstruct U { T t[2]; enum E e; } __attribute__((aligned(8)));\n";
    let pieces = [
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        ";",
        ":",
        ",",
        "*",
        "#",
        "#if",
        "\n",
        "struct",
        "0",
        "-1",
        "99999999999999999999",
        "/*",
        "\"",
        "'",
        "\\",
        "__attribute__((",
        "int",
        "x",
    ];
    let mut state: u64 = 0x9e3779b97f4a7c15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..5000 {
        let mut text: Vec<char> = base.chars().collect();
        for _ in 0..(next() % 4 + 1) {
            let at = (next() % (text.len() as u64 + 1)) as usize;
            match next() % 3 {
                0 if at < text.len() => {
                    text.remove(at);
                }
                _ => {
                    let piece = pieces[(next() % pieces.len() as u64) as usize];
                    for (i, c) in piece.chars().enumerate() {
                        text.insert(at + i, c);
                    }
                }
            }
        }
        let text: String = text.into_iter().collect();
        if let Ok(program) = parse("fuzz.h", &text) {
            let _ = layouts("fuzz.h", &text, &program, Target::X86_64);
        }
    }
}

/// Sizes near gcc's maximum object size (PTRDIFF_MAX): what gcc lays out, we lay out with its
/// numbers; what gcc refuses, we refuse where it does — never a size or an offset that
/// wrapped (these were shown as 0 bytes, or with `x` at offset 0, which `attach --set` wrote).
#[test]
fn sizes_near_the_limit_are_gccs_or_refused() {
    // gcc: sizeof 1152921504606846980, x at byte 2^60 (a bitfield at bit 2^63).
    let (size, align, fields) = layout_of(
        "struct S { char a[1152921504606846976]; int x:5; };",
        "S",
        Target::X86_64,
    );
    assert_eq!((size, align), (1152921504606846980, 4));
    assert_eq!(fields[1], ("x".into(), 1 << 60, Some(1 << 63)));

    // gcc: "size of array 'a' exceeds maximum object size '9223372036854775807'".
    for text in [
        "struct S { long a[4611686018427387904]; };",
        "struct S { char a[4294967296][4294967296]; };",
        "struct T { char b[1099511627776]; }; struct S { struct T a[16777216]; };",
        "struct S { sem_t s[576460752303423488]; };",
    ] {
        let e = error(text);
        assert!(
            e.message.contains("exceeds maximum object size"),
            "{text}: {e}"
        );
        assert_eq!(e.line, 1);
    }
    // gcc: "type 'struct S' is too large".
    for text in [
        "struct S { char a[9223372036854775806]; int x; };",
        "struct S { char a[4611686018427387904]; char b[4611686018427387904]; };",
    ] {
        let e = error(text);
        assert_eq!(e.message, "type `struct S` is too large", "{text}");
    }
    // gcc lays these out, but their bit positions do not fit in 64 bits: refused, and said
    // so — never wrapped.
    for text in [
        "struct S { char a[2305843009213693952]; int x; };",
        "struct S { char a[9223372036854775807]; };",
    ] {
        let e = error(text);
        assert!(e.message.contains("up to 2^61 - 1 bytes"), "{text}: {e}");
    }
}

/// gcc: "requested alignment 'N' exceeds maximum 268435456" (this divided by zero), and
/// "is not a positive power of 2"; `_Alignas(0)` has no effect.
#[test]
fn alignments_beyond_gccs_limit_are_refused() {
    for text in [
        "struct S { int x __attribute__((aligned(2305843009213693952))); };",
        "struct S { _Alignas(9223372036854775808) int x; };",
        "struct S { int x; } __attribute__((aligned(536870912)));",
    ] {
        let e = error(text);
        assert!(
            e.message.contains("exceeds maximum 268435456"),
            "{text}: {e}"
        );
    }
    let e = error("struct S { int x __attribute__((aligned(3))); };");
    assert!(e.message.contains("not a positive power of 2"), "{e}");
    assert_eq!(
        x86("struct S { _Alignas(0) int x; };", "S"),
        (4, 4),
        "_Alignas(0) changes nothing"
    );
    assert_eq!(
        x86(
            "struct S { int x __attribute__((aligned(268435456))); };",
            "S"
        ),
        (268435456, 268435456)
    );
}

/// What gcc accepts in a header's text, we accept: a UTF-8 byte order mark, backslash-CRLF
/// continuations, bytes that are not UTF-8 in comments (the reader makes them U+FFFD). What
/// would not show is named in the error.
#[test]
fn boms_crlf_continuations_and_foreign_bytes_in_comments() {
    assert_eq!(
        x86("\u{feff}struct S { int a; };", "S"),
        (4, 4),
        "a byte order mark"
    );
    assert_eq!(
        x86("#define N \\\r\n 8\r\nstruct S { char a[N]; };\r\n", "S"),
        (8, 1),
        "backslash-CRLF"
    );
    assert_eq!(
        x86(
            "/* Jos\u{fffd} */ // M\u{fffd}ller\nstruct S { int a; };",
            "S"
        ),
        (4, 4)
    );
    for (text, named) in [
        ("struct S { int a; \u{fffd} };", "not UTF-8"),
        ("struct S { int a; };\u{feff}", "byte order mark"),
        ("struct S { int a;\0 };", "NUL byte"),
        ("struct S { int a;\u{7} };", "control character U+0007"),
    ] {
        let e = error(text);
        assert!(e.message.contains(named), "{text:?}: {e}");
    }
}

/// Everything a header goes through, as `schema --lint --json` would: parse, layout, the
/// fields of every record, their types' names, the lint.
fn everything(text: &str) -> Result<usize, SchemaError> {
    let program = parse("deep.h", text)?;
    let layouts = layouts("deep.h", text, &program, Target::X86_64)?;
    let mut fields = 0;
    for (_, id) in named_records(&program) {
        for field in layouts.fields(id) {
            assert!(!field.ty.display(&program).is_empty());
            fields += 1;
        }
        lint::lint(&layouts, id);
    }
    Ok(fields)
}

fn too_deep_error(text: &str) -> SchemaError {
    let e = everything(text).map_or_else(|e| e, |_| panic!("accepted"));
    assert!(
        e.message
            .contains(&format!("nested too deeply (limit {MAX_DEPTH})")),
        "{e}"
    );
    e
}

/// `levels` anonymous records inside `struct S`.
fn anonymous_nesting(levels: usize) -> String {
    format!(
        "struct S {{ {} int x; {} }};",
        "struct { ".repeat(levels),
        "}; ".repeat(levels)
    )
}

// These run on the test harness's 2 MiB threads: the deepest header accepted must fit
// there in a debug build, so it fits the main thread's 8 MiB with room to spare.

#[test]
fn records_nest_up_to_the_limit_and_no_further() {
    let depth = MAX_DEPTH as usize;
    assert_eq!(everything(&anonymous_nesting(depth - 1)).ok(), Some(1));
    let e = too_deep_error(&anonymous_nesting(depth));
    // At the record one too deep: `struct S { ` then 127 `struct { `.
    assert_eq!((e.line, e.col), (1, 12 + 9 * (depth as u32 - 1)));
    too_deep_error(&anonymous_nesting(6000));
}

#[test]
fn distinct_records_nest_by_value_up_to_the_limit() {
    let chain = |n: usize| {
        let mut text = "struct A0 { int x; };\n".to_string();
        for i in 1..n {
            text.push_str(&format!("struct A{i} {{ struct A{} a; }};\n", i - 1));
        }
        text
    };
    assert_eq!(
        everything(&chain(MAX_DEPTH as usize)).ok(),
        Some(MAX_DEPTH as usize)
    );
    let e = too_deep_error(&chain(MAX_DEPTH as usize + 1));
    assert_eq!(e.line, MAX_DEPTH + 1);
    too_deep_error(&chain(10_000));
    // Declared first, defined outermost first: the layout recursion itself goes deep.
    let mut text: String = (0..10_000).map(|i| format!("struct A{i};\n")).collect();
    for i in 0..9_999 {
        text.push_str(&format!("struct A{i} {{ struct A{} a; }};\n", i + 1));
    }
    text.push_str("struct A9999 { int x; };\n");
    too_deep_error(&text);
}

#[test]
fn a_struct_containing_itself_through_another_is_named_so() {
    let e = error("struct B; struct A { struct B b; };\nstruct B { struct A a; };");
    assert_eq!(e.message, "a struct cannot contain itself");
    let e = error("struct A { int x; struct A a; };");
    assert_eq!(e.message, "a struct cannot contain itself");
}

#[test]
fn declarators_nest_up_to_the_limit() {
    let stars = |n: usize| format!("struct S {{ int {}p; }};", "*".repeat(n));
    // int itself is one level of the type.
    assert_eq!(everything(&stars(MAX_DEPTH as usize - 1)).ok(), Some(1));
    too_deep_error(&stars(MAX_DEPTH as usize));
    let e = too_deep_error(&stars(50_000));
    assert_eq!((e.line, e.col), (1, 16 + MAX_DEPTH));
    too_deep_error(&format!("struct S {{ int x{}; }};", "[1]".repeat(50_000)));
    too_deep_error(&format!(
        "struct S {{ int {}x{}; }};",
        "(*".repeat(50_000),
        ")".repeat(50_000)
    ));
    too_deep_error(&format!(
        "struct S {{ {}int{} x; }};",
        "_Atomic(".repeat(50_000),
        ")".repeat(50_000)
    ));
    // Pointers to pointers through typedefs count too.
    let mut text = "typedef int *t0;\n".to_string();
    for i in 1..10_000 {
        text.push_str(&format!("typedef t{} *t{i};\n", i - 1));
    }
    text.push_str("struct S { t9999 x; };");
    too_deep_error(&text);
}

#[test]
fn constant_expressions_nest_up_to_the_limit() {
    let sized = |expr: String| format!("struct S {{ char a[{expr}]; }};");
    // A parenthesis or a unary operator is a level, and so is the operand inside.
    let limit = MAX_DEPTH as usize;
    let parens = |n: usize| sized(format!("{}1{}", "(".repeat(n), ")".repeat(n)));
    assert_eq!(x86(&parens(limit - 1), "S"), (1, 1));
    too_deep_error(&parens(limit));
    too_deep_error(&parens(100_000));
    assert_eq!(
        x86(&sized(format!("{}1", "-".repeat(limit - 2))), "S"),
        (1, 1)
    );
    let ternaries = format!("{}1{}", "1?".repeat(limit - 1), ":1".repeat(limit - 1));
    assert_eq!(x86(&sized(ternaries), "S"), (1, 1));
    for op in ["-", "~", "!", "+"] {
        too_deep_error(&sized(format!("{}1", op.repeat(50_000))));
    }
    too_deep_error(&sized(format!("{}1", "0?1:".repeat(50_000))));
    too_deep_error(&format!(
        "#if {}1{}\n#endif\nstruct S {{ int x; }};",
        "(".repeat(100_000),
        ")".repeat(100_000)
    ));
}

#[test]
fn typedef_chains_are_linear() {
    let chain = |n: usize| {
        let mut text = "typedef int t0;\n".to_string();
        for i in 1..n {
            text.push_str(&format!("typedef t{} t{i};\n", i - 1));
        }
        text.push_str(&format!("struct S {{ t{} x; }};", n - 1));
        text
    };
    let text = chain(10_000);
    let program = parse("t.h", &text).unwrap_or_else(|e| panic!("{e}"));
    // Each typedef is its name over what it names: one level, not the chain.
    assert!(program.typedefs.iter().all(|(_, ty)| ty.depth() == 2));
    assert_eq!(x86(&text, "S"), (4, 4));
    let started = std::time::Instant::now();
    let text = chain(100_000);
    assert_eq!(everything(&text).ok(), Some(1));
    // Quadratic took minutes (and gigabytes); linear takes well under a second in debug.
    assert!(started.elapsed() < std::time::Duration::from_secs(3));
}

#[test]
fn macro_expansion_is_bounded() {
    let mut text = "#define A0 1\n".to_string();
    for i in 1..30 {
        text.push_str(&format!("#define A{i} (A{} + A{})\n", i - 1, i - 1));
    }
    text.push_str("struct S { char a[A29]; };");
    let e = error(&text);
    assert!(
        e.message.starts_with("macro `A29` expands past the limit"),
        "{e}"
    );
    assert_eq!(e.line, 31);
    // A few doublings are fine: 2^10 tokens.
    text.push_str("\nstruct T { char a[A10]; };");
    let text = text.replace("char a[A29]", "char a[A4]");
    assert_eq!(x86(&text, "T"), (1024, 1));
}

#[test]
fn chains_of_distinct_macros_expand() {
    let chain = |n: usize| {
        let mut text = "#define M0 4\n".to_string();
        for i in 1..n {
            text.push_str(&format!("#define M{i} M{}\n", i - 1));
        }
        text.push_str(&format!("struct S {{ char a[M{}]; }};", n - 1));
        text
    };
    assert_eq!(x86(&chain(34), "S"), (4, 1));
    assert_eq!(x86(&chain(MAX_DEPTH as usize), "S"), (4, 1));
    let e = error(&chain(1000));
    assert!(
        e.message
            .contains(&format!("nested too deeply (limit {MAX_DEPTH})")),
        "{e}"
    );
}

#[test]
fn a_macro_is_not_expanded_inside_itself() {
    // gcc leaves `X` as written: here, a member named X.
    let (_, _, fields) = layout_of("#define X X\nstruct S { int X; };", "S", Target::X86_64);
    assert_eq!(fields[0].0, "X");
    let (_, _, fields) = layout_of(
        "#define A B\n#define B A\nstruct S { int A; };",
        "S",
        Target::X86_64,
    );
    assert_eq!(fields[0].0, "A");
}
