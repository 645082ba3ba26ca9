//! Declarations → [`Program`]: structs, unions, enums, typedefs; function declarations and
//! variables are read past. Anything else is an error at its line and column.
use std::collections::HashMap;

use super::expr;
use super::lex::{Tok, Token};
use super::types::{builtin, EnumDef, Kind, Member, Program, Record, Ty};

/// The largest alignment gcc accepts (`requested alignment … exceeds maximum 268435456`).
const MAX_ALIGNMENT: u64 = 1 << 28;
use super::{too_deep, SchemaError, MAX_DEPTH};

type Err<'a> = &'a dyn Fn(u32, u32, String) -> SchemaError;

pub fn parse(tokens: Vec<Token>, error: Err) -> Result<Program, SchemaError> {
    let mut p = Parser {
        tokens,
        at: 0,
        program: Program::default(),
        tags: HashMap::new(),
        enum_tags: HashMap::new(),
        typedefs: HashMap::new(),
        constants: HashMap::new(),
        pack: None,
        pack_stack: Vec::new(),
        depth: 0,
        error,
    };
    p.program_()?;
    Ok(p.program)
}

struct Parser<'a> {
    tokens: Vec<Token>,
    at: usize,
    program: Program,
    tags: HashMap<String, usize>,
    enum_tags: HashMap<String, usize>,
    typedefs: HashMap<String, Ty>,
    constants: HashMap<String, i128>,
    pack: Option<u64>,
    pack_stack: Vec<Option<u64>>,
    /// Records, parenthesised declarators and `_Atomic(…)` open around the current token,
    /// bounded by [`MAX_DEPTH`] so that no header can overflow the stack.
    depth: u32,
    error: Err<'a>,
}

/// `__attribute__((packed, aligned(N)))` and `_Alignas(N)`, as they apply to one thing.
#[derive(Debug, Default, Clone, Copy)]
struct Attrs {
    packed: bool,
    aligned: Option<u64>,
}

impl Attrs {
    fn merge(&mut self, other: Attrs) {
        self.packed |= other.packed;
        self.aligned = match (self.aligned, other.aligned) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
    }
}

/// A declarator: `*name[3]`, `(*fp)(int)`, or nothing (an abstract one).
#[derive(Debug, Default)]
struct Declarator {
    name: Option<(String, u32, u32)>,
    pointers: usize,
    suffixes: Vec<Suffix>,
    inner: Option<Box<Declarator>>,
}

impl Declarator {
    /// The declared name, wherever it sits: `(*name)(int)` keeps it inside.
    fn name(&self) -> Option<&(String, u32, u32)> {
        self.name
            .as_ref()
            .or_else(|| self.inner.as_ref().and_then(|i| i.name()))
    }
}

#[derive(Debug)]
enum Suffix {
    Array(Option<u64>),
    Function,
}

const TYPE_WORDS: [&str; 13] = [
    "void", "char", "short", "int", "long", "signed", "unsigned", "float", "double", "_Bool",
    "bool", "__int128", "_Complex",
];
const SKIPPED_WORDS: [&str; 16] = [
    "const",
    "volatile",
    "restrict",
    "__restrict",
    "__restrict__",
    "__volatile__",
    "__const",
    "static",
    "extern",
    "inline",
    "__inline",
    "__inline__",
    "_Noreturn",
    "register",
    "auto",
    "__extension__",
];

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.at).map(|t| &t.tok)
    }

    fn peek_at(&self, n: usize) -> Option<&Tok> {
        self.tokens.get(self.at + n).map(|t| &t.tok)
    }

    fn is(&self, punct: &str) -> bool {
        matches!(self.peek(), Some(Tok::Punct(p)) if *p == punct)
    }

    fn is_word(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(w)) if w == word)
    }

    fn pos(&self) -> (u32, u32) {
        match self.tokens.get(self.at).or(self.tokens.last()) {
            Some(t) => (t.line, t.col),
            None => (1, 1),
        }
    }

    fn fail<T>(&self, message: impl Into<String>) -> Result<T, SchemaError> {
        let (line, col) = self.pos();
        Err((self.error)(line, col, message.into()))
    }

    fn expect(&mut self, punct: &str) -> Result<(), SchemaError> {
        if self.is(punct) {
            self.at += 1;
            Ok(())
        } else {
            let found = match self.peek() {
                Some(Tok::Ident(w)) => format!("`{w}`"),
                Some(Tok::Punct(p)) => format!("`{p}`"),
                Some(Tok::Int(n)) => format!("`{n}`"),
                Some(_) => "this".to_string(),
                None => "the end of the file".to_string(),
            };
            self.fail(format!("expected `{punct}`, found {found}"))
        }
    }

    /// Parses something nested one level deeper; past [`MAX_DEPTH`], an error where it
    /// starts.
    fn nested<T>(
        &mut self,
        parse: impl FnOnce(&mut Self) -> Result<T, SchemaError>,
    ) -> Result<T, SchemaError> {
        if self.depth >= MAX_DEPTH {
            return self.fail(too_deep());
        }
        self.depth += 1;
        let result = parse(self);
        self.depth -= 1;
        result
    }

    fn pragma(&mut self) -> bool {
        let tok = match self.peek().cloned() {
            Some(Tok::PackPush(n)) => {
                self.pack_stack.push(self.pack);
                if n.is_some() {
                    self.pack = n;
                }
                true
            }
            Some(Tok::PackPop) => {
                self.pack = self.pack_stack.pop().flatten();
                true
            }
            Some(Tok::PackSet(n)) => {
                self.pack = n;
                true
            }
            _ => false,
        };
        if tok {
            self.at += 1;
        }
        tok
    }

    fn program_(&mut self) -> Result<(), SchemaError> {
        let mut extern_blocks = 0;
        while self.at < self.tokens.len() {
            if self.pragma() {
                continue;
            }
            if self.is(";") {
                self.at += 1;
            } else if self.is_word("extern") && matches!(self.peek_at(1), Some(Tok::Str(_))) {
                self.at += 2;
                if self.is("{") {
                    self.at += 1;
                    extern_blocks += 1;
                }
            } else if self.is("}") && extern_blocks > 0 {
                self.at += 1;
                extern_blocks -= 1;
            } else {
                self.declaration()?;
            }
        }
        Ok(())
    }

    /// A top-level declaration: a definition, typedef, variable or function.
    fn declaration(&mut self) -> Result<(), SchemaError> {
        let typedef = self.is_word("typedef");
        if typedef {
            self.at += 1;
        }
        let start = self.at;
        let (base, mut attrs) = self.specifiers(false)?;
        let external = self.tokens[start..self.at]
            .iter()
            .any(|t| matches!(&t.tok, Tok::Ident(w) if w == "extern"));
        if self.is(";") {
            self.at += 1;
            return Ok(());
        }
        loop {
            let declarator = self.declarator()?;
            attrs.merge(self.attributes()?);
            let is_function = declarator
                .suffixes
                .iter()
                .any(|s| matches!(s, Suffix::Function))
                && declarator.inner.is_none()
                && declarator.pointers == 0;
            let ty = self.build(base.clone(), &declarator)?;
            if !typedef && !external && matches!(ty.resolved(), Ty::Void) {
                if let Some((name, line, col)) = declarator.name() {
                    let message = format!("storage size of `{name}` isn't known");
                    return Err((self.error)(*line, *col, message));
                }
            }
            if typedef {
                let Some((name, line, col)) = declarator.name() else {
                    return self.fail("a typedef needs a name");
                };
                if self.constants.contains_key(name) {
                    let message = format!("`{name}` redeclared as different kind of symbol");
                    return Err((self.error)(*line, *col, message));
                }
                let name = name.clone();
                let name = &name;
                self.name_anonymous(&ty, name);
                // `typedef t0 t1;` names what t0 names: a chain of typedefs stays one
                // level deep, not one level (and one copy) per link.
                let ty = match ty {
                    Ty::Named { ty, .. } => *ty,
                    ty => ty,
                };
                let named = Ty::Named {
                    name: name.clone(),
                    ty: Box::new(ty),
                };
                self.typedefs.insert(name.clone(), named.clone());
                self.program.typedefs.push((name.clone(), named));
            } else if is_function && self.is("{") {
                self.skip_balanced("{", "}")?;
                return Ok(());
            }
            if self.is("=") {
                // An initialiser: not our business.
                while !self.is(";") && !self.is(",") {
                    if self.at >= self.tokens.len() {
                        return self.fail("expected `;`");
                    }
                    if self.is("{") || self.is("(") {
                        let (open, close) = if self.is("{") { ("{", "}") } else { ("(", ")") };
                        self.skip_balanced(open, close)?;
                    } else {
                        self.at += 1;
                    }
                }
            }
            if self.is(",") {
                self.at += 1;
                continue;
            }
            return self.expect(";");
        }
    }

    /// The first typedef name of an untagged struct, union or enum is its name.
    fn name_anonymous(&mut self, ty: &Ty, name: &str) {
        match ty {
            Ty::Record(id) if self.program.records[*id].name().is_none() => {
                self.program.records[*id].typedef_name = Some(name.to_string());
            }
            Ty::Enum(id)
                if self.program.enums[*id].tag.is_none()
                    && self.program.enums[*id].typedef_name.is_none() =>
            {
                self.program.enums[*id].typedef_name = Some(name.to_string());
            }
            _ => {}
        }
    }

    fn skip_balanced(&mut self, open: &str, close: &str) -> Result<(), SchemaError> {
        let mut depth = 0;
        loop {
            if self.at >= self.tokens.len() {
                return self.fail(format!("no `{close}` for this `{open}`"));
            }
            if self.is(open) {
                depth += 1;
            } else if self.is(close) {
                depth -= 1;
                if depth == 0 {
                    self.at += 1;
                    return Ok(());
                }
            }
            self.at += 1;
        }
    }

    /// Declaration specifiers: the base type and attributes that come with it.
    fn specifiers(&mut self, in_record: bool) -> Result<(Ty, Attrs), SchemaError> {
        let mut words: Vec<String> = Vec::new();
        let mut base: Option<Ty> = None;
        let mut attrs = Attrs::default();
        let start = self.pos();
        loop {
            if self.pragma() {
                continue;
            }
            let Some(Tok::Ident(word)) = self.peek().cloned() else {
                break;
            };
            match word.as_str() {
                w if SKIPPED_WORDS.contains(&w) => self.at += 1,
                "__attribute__" | "__attribute" => attrs.merge(self.attributes()?),
                "_Alignas" | "alignas" => {
                    self.at += 1;
                    self.expect("(")?;
                    let n = self.constant(")")?;
                    self.expect(")")?;
                    // _Alignas(0) has no effect (C11 6.7.5).
                    if n != 0 {
                        attrs.merge(Attrs {
                            packed: false,
                            aligned: Some(self.alignment(n)?),
                        });
                    }
                }
                "_Atomic" if matches!(self.peek_at(1), Some(Tok::Punct("("))) => {
                    self.at += 2;
                    let ty = self.nested(|p| {
                        let (ty, _) = p.specifiers(in_record)?;
                        let declarator = p.declarator()?;
                        p.build(ty, &declarator)
                    })?;
                    base = Some(ty);
                    self.expect(")")?;
                }
                "_Atomic" => self.at += 1,
                "struct" | "union" if base.is_none() && words.is_empty() => {
                    base = Some(self.nested(|p| p.record(in_record))?)
                }
                "enum" if base.is_none() && words.is_empty() => base = Some(self.enumeration()?),
                w if TYPE_WORDS.contains(&w) => {
                    words.push(word);
                    self.at += 1;
                }
                w if base.is_none() && words.is_empty() => {
                    let known = self.typedefs.get(w).cloned().or_else(|| builtin(w));
                    match known {
                        Some(ty) => {
                            base = Some(ty);
                            self.at += 1;
                        }
                        None => break,
                    }
                }
                _ => break,
            }
        }
        match (base, words.is_empty()) {
            (Some(ty), true) => Ok((ty, attrs)),
            (Some(_), false) => self.fail("two types in one declaration"),
            (None, false) => {
                let ty = self.keyword_type(&words, start)?;
                Ok((ty, attrs))
            }
            (None, true) => match self.peek() {
                Some(Tok::Ident(name)) => {
                    let hint = if name.ends_with("_t") {
                        " (a type from another header? shmctl reads only this file)"
                    } else {
                        ""
                    };
                    self.fail(format!("unknown type name `{name}`{hint}"))
                }
                _ => self.fail("expected a type"),
            },
        }
    }

    /// `unsigned long long int`, `signed char`, `long double` …
    fn keyword_type(&self, words: &[String], at: (u32, u32)) -> Result<Ty, SchemaError> {
        let count = |w: &str| words.iter().filter(|x| *x == w).count();
        let (signed, unsigned, longs, shorts) = (
            count("signed"),
            count("unsigned"),
            count("long"),
            count("short"),
        );
        let bad = || {
            Err((self.error)(
                at.0,
                at.1,
                format!("`{}` is not a type", words.join(" ")),
            ))
        };
        if signed + unsigned > 1
            || shorts > 1
            || longs > 2
            || (shorts > 0 && longs > 0)
            || count("_Complex") > 0
        {
            return bad();
        }
        let has = |w: &str| count(w) > 0;
        let int = |name: &str, size: u64, s: Option<bool>| {
            Ok(Ty::Int {
                name: name.to_string(),
                size,
                signed: s,
            })
        };
        let sign = if unsigned > 0 {
            Some(false)
        } else {
            Some(true)
        };
        let others = words
            .iter()
            .filter(|w| !["signed", "unsigned", "long", "short", "int"].contains(&w.as_str()))
            .count();
        if has("void") && words.len() == 1 {
            return Ok(Ty::Void);
        }
        if has("_Bool") || has("bool") {
            return if words.len() == 1 {
                Ok(Ty::Bool {
                    name: words[0].clone(),
                })
            } else {
                bad()
            };
        }
        if has("float") {
            return if words.len() == 1 {
                Ok(Ty::Float {
                    name: "float".into(),
                    size: 4,
                })
            } else {
                bad()
            };
        }
        if has("double") {
            return match (longs, words.len()) {
                (0, 1) => Ok(Ty::Float {
                    name: "double".into(),
                    size: 8,
                }),
                (1, 2) => Ok(Ty::LongDouble),
                _ => bad(),
            };
        }
        if has("char") {
            if others != 1 || longs + shorts > 0 || has("int") {
                return bad();
            }
            return match (signed, unsigned) {
                (0, 0) => int("char", 1, None),
                (1, _) => int("signed char", 1, Some(true)),
                _ => int("unsigned char", 1, Some(false)),
            };
        }
        if has("__int128") {
            return if others == 1 && longs + shorts == 0 {
                int(
                    if unsigned > 0 {
                        "unsigned __int128"
                    } else {
                        "__int128"
                    },
                    16,
                    sign,
                )
            } else {
                bad()
            };
        }
        if others > 0 {
            return bad();
        }
        let (name, size) = match (shorts, longs) {
            (1, _) => ("short", 2),
            (_, 1) => ("long", 8),
            (_, 2) => ("long long", 8),
            _ => ("int", 4),
        };
        let name = if unsigned > 0 {
            format!("unsigned {name}")
        } else {
            name.to_string()
        };
        int(&name, size, sign)
    }

    /// `__attribute__((packed, aligned(8)))`, possibly several in a row.
    fn attributes(&mut self) -> Result<Attrs, SchemaError> {
        let mut attrs = Attrs::default();
        while self.is_word("__attribute__") || self.is_word("__attribute") {
            self.at += 1;
            self.expect("(")?;
            self.expect("(")?;
            while !self.is(")") {
                let Some(Tok::Ident(name)) = self.peek().cloned() else {
                    return self.fail("expected an attribute name");
                };
                self.at += 1;
                let name = name.trim_matches('_');
                let mut value = None;
                if self.is("(") {
                    if name == "aligned" {
                        self.at += 1;
                        value = Some(self.constant(")")?);
                        self.expect(")")?;
                    } else {
                        self.skip_balanced("(", ")")?;
                    }
                }
                match name {
                    "packed" => attrs.packed = true,
                    // Without a number: the largest alignment the target uses (16).
                    "aligned" => attrs.merge(Attrs {
                        packed: false,
                        aligned: Some(value.unwrap_or(16)),
                    }),
                    _ => {}
                }
                if self.is(",") {
                    self.at += 1;
                }
            }
            self.expect(")")?;
            self.expect(")")?;
        }
        if let Some(a) = attrs.aligned {
            self.alignment(a)?;
        }
        Ok(attrs)
    }

    /// An alignment as gcc takes it: a power of two up to 2^28 (ELF's limit, and gcc's).
    fn alignment(&self, n: u64) -> Result<u64, SchemaError> {
        if !n.is_power_of_two() {
            return self.fail(format!(
                "requested alignment {n} is not a positive power of 2"
            ));
        }
        if n > MAX_ALIGNMENT {
            return self.fail(format!(
                "requested alignment {n} exceeds maximum {MAX_ALIGNMENT}"
            ));
        }
        Ok(n)
    }

    /// An integer constant expression up to (not including) `end` at depth 0.
    fn constant(&mut self, end: &str) -> Result<u64, SchemaError> {
        let value = self.signed_constant(&[end])?;
        u64::try_from(value).or_else(|_| self.fail(format!("{value} is negative here")))
    }

    fn signed_constant(&mut self, ends: &[&str]) -> Result<i128, SchemaError> {
        let start = self.at;
        let mut depth = 0;
        while let Some(tok) = self.peek() {
            match tok {
                Tok::Punct(p) if depth == 0 && ends.contains(p) => break,
                Tok::Punct("(") | Tok::Punct("[") => depth += 1,
                Tok::Punct(")") | Tok::Punct("]") if depth > 0 => depth -= 1,
                Tok::Punct(";") | Tok::Punct("{") | Tok::Punct("}") => break,
                _ => {}
            }
            self.at += 1;
        }
        let constants = &self.constants;
        expr::eval(&self.tokens[start..self.at], &|name| {
            constants.get(name).copied()
        })
        .map_err(|(i, msg)| {
            let t = self
                .tokens
                .get(start + i)
                .or(self.tokens.get(start))
                .or(self.tokens.last());
            let (line, col) = t.map_or((1, 1), |t| (t.line, t.col));
            (self.error)(line, col, msg)
        })
    }

    fn declarator(&mut self) -> Result<Declarator, SchemaError> {
        let mut d = Declarator::default();
        loop {
            if self.is("*") {
                if d.pointers >= MAX_DEPTH as usize {
                    return self.fail(too_deep());
                }
                d.pointers += 1;
                self.at += 1;
            } else if matches!(self.peek(), Some(Tok::Ident(w)) if SKIPPED_WORDS.contains(&w.as_str()) || w == "_Atomic")
            {
                self.at += 1;
            } else if self.is_word("__attribute__") {
                self.attributes()?;
            } else {
                break;
            }
        }
        match self.peek().cloned() {
            Some(Tok::Ident(name)) if !name.starts_with("__attribute") => {
                let (line, col) = self.pos();
                d.name = Some((name, line, col));
                self.at += 1;
            }
            Some(Tok::Punct("("))
                if matches!(
                    self.peek_at(1),
                    Some(Tok::Punct("*")) | Some(Tok::Punct("("))
                ) =>
            {
                self.at += 1;
                d.inner = Some(Box::new(self.nested(Self::declarator)?));
                self.expect(")")?;
            }
            _ => {}
        }
        loop {
            if (self.is("[") || self.is("(")) && d.suffixes.len() >= MAX_DEPTH as usize {
                return self.fail(too_deep());
            }
            if self.is("[") {
                self.at += 1;
                let len = if self.is("]") {
                    None
                } else {
                    Some(self.constant("]")?)
                };
                self.expect("]")?;
                d.suffixes.push(Suffix::Array(len));
            } else if self.is("(") {
                self.skip_balanced("(", ")")?;
                d.suffixes.push(Suffix::Function);
            } else {
                break;
            }
        }
        Ok(d)
    }

    /// Applies a declarator to its base type, inside out. The type may nest at most
    /// [`MAX_DEPTH`] levels (counting typedef names), so that whatever walks it later —
    /// display, layout, clone, drop — recurses a bounded number of times.
    fn build(&self, base: Ty, d: &Declarator) -> Result<Ty, SchemaError> {
        let mut levels = base.depth();
        let mut level = Some(d);
        while let Some(d) = level {
            levels = levels.saturating_add(d.pointers + d.suffixes.len());
            level = d.inner.as_deref();
        }
        if levels > MAX_DEPTH as usize {
            return self.fail(too_deep());
        }
        let ty = self.apply(base, d);
        self.check_arrays(&ty, d)?;
        Ok(ty)
    }

    /// What gcc refuses in a declarator's arrays: elements of `void`, and elements that
    /// are themselves arrays of unknown length (`char d[3][]`).
    fn check_arrays(&self, ty: &Ty, d: &Declarator) -> Result<(), SchemaError> {
        let (what, line, col) = match d.name() {
            Some((name, line, col)) => (format!("`{name}`"), *line, *col),
            None => {
                let (line, col) = self.pos();
                ("type name".to_string(), line, col)
            }
        };
        let mut at = ty;
        loop {
            at = match at {
                Ty::Pointer(inner) | Ty::Named { ty: inner, .. } => inner,
                Ty::Array { of, .. } => {
                    match of.resolved() {
                        Ty::Void => {
                            let message = format!("declaration of {what} as array of voids");
                            return Err((self.error)(line, col, message));
                        }
                        Ty::Array { flexible: true, .. } => {
                            let message = format!(
                                "array type has incomplete element type `{}`",
                                of.display(&self.program)
                            );
                            return Err((self.error)(line, col, message));
                        }
                        _ => {}
                    }
                    of
                }
                _ => return Ok(()),
            };
        }
    }

    fn apply(&self, base: Ty, d: &Declarator) -> Ty {
        let mut ty = base;
        for _ in 0..d.pointers {
            ty = Ty::Pointer(Box::new(ty));
        }
        for suffix in d.suffixes.iter().rev() {
            ty = match suffix {
                Suffix::Array(len) => Ty::Array {
                    of: Box::new(ty),
                    len: len.unwrap_or(0),
                    flexible: len.is_none(),
                },
                Suffix::Function => Ty::Function,
            };
        }
        match &d.inner {
            Some(inner) => self.apply(ty, inner),
            None => ty,
        }
    }

    /// `struct [tag] [{ members }]`, or a union.
    fn record(&mut self, in_record: bool) -> Result<Ty, SchemaError> {
        let (line, _) = self.pos();
        let kind = if self.is_word("struct") {
            Kind::Struct
        } else {
            Kind::Union
        };
        self.at += 1;
        let (mut attrs, tag) = self.tag()?;
        let existing = tag.as_ref().and_then(|t| self.tags.get(t).copied());
        if !self.is("{") {
            let Some(tag) = tag else {
                return self.fail("expected `{` or a tag name");
            };
            if let Some(id) = existing {
                return Ok(Ty::Record(id));
            }
            // A forward declaration (or a pointer to one): defined later, or never.
            let id = self.new_record(kind, Some(tag.clone()), line);
            self.tags.insert(tag, id);
            return Ok(Ty::Record(id));
        }
        let id = match existing {
            Some(id) if self.program.records[id].defined => {
                return self.fail(format!(
                    "`{} {}` is defined twice",
                    self.program.records[id].keyword(),
                    tag.unwrap_or_default()
                ))
            }
            Some(id) => id,
            None => {
                let id = self.new_record(kind, tag.clone(), line);
                if let Some(tag) = tag {
                    self.tags.insert(tag, id);
                }
                id
            }
        };
        self.program.records[id].pack = self.pack;
        self.at += 1; // {
        let mut members = Vec::new();
        while !self.is("}") {
            if self.at >= self.tokens.len() {
                return self.fail("expected `}` to end the struct");
            }
            if self.pragma() || self.is(";") {
                if self.is(";") {
                    self.at += 1;
                }
                continue;
            }
            self.member_declaration(&mut members)?;
        }
        self.at += 1; // }
        attrs.merge(self.attributes()?);
        self.check_members(kind, &members)?;
        let record = &mut self.program.records[id];
        record.members = members;
        record.packed = attrs.packed;
        record.aligned = attrs.aligned;
        record.defined = true;
        let _ = in_record;
        Ok(Ty::Record(id))
    }

    /// What gcc refuses in a record's member list: a flexible array member anywhere but
    /// last in a struct with named members, and one name declared twice — anonymous
    /// members' names included, since they are the record's own.
    fn check_members(&self, kind: Kind, members: &[Member]) -> Result<(), SchemaError> {
        let at = |m: &Member, message: String| Err((self.error)(m.line, m.col, message));
        for (i, m) in members.iter().enumerate() {
            if !matches!(m.ty.resolved(), Ty::Array { flexible: true, .. }) {
                continue;
            }
            if kind == Kind::Union {
                return at(m, "flexible array member in union".into());
            }
            if i + 1 != members.len() {
                return at(m, "flexible array member not at end of struct".into());
            }
            if !members[..i]
                .iter()
                .any(|m| m.name.is_some() || self.is_anonymous(m))
            {
                let message = "flexible array member in a struct with no named members";
                return at(m, message.into());
            }
        }
        let mut seen = std::collections::HashSet::new();
        let mut pending: Vec<&Member> = members.iter().rev().collect();
        while let Some(m) = pending.pop() {
            match &m.name {
                Some(name) if !seen.insert(name.as_str()) => {
                    return at(m, format!("duplicate member `{name}`"));
                }
                Some(_) => {}
                None => {
                    if let (true, Ty::Record(id)) = (self.is_anonymous(m), &m.ty) {
                        pending.extend(self.program.records[*id].members.iter().rev());
                    }
                }
            }
        }
        Ok(())
    }

    /// `struct { … };` inside a record: its members are the record's.
    fn is_anonymous(&self, m: &Member) -> bool {
        m.name.is_none()
            && matches!(m.ty, Ty::Record(id) if self.program.records[id].anonymous_member)
    }

    /// After `struct`, `union` or `enum`: attributes, an optional tag, attributes.
    fn tag(&mut self) -> Result<(Attrs, Option<String>), SchemaError> {
        let mut attrs = self.attributes()?;
        let tag = match self.peek() {
            Some(Tok::Ident(name)) if !name.starts_with("__attribute") => {
                let name = name.clone();
                self.at += 1;
                Some(name)
            }
            _ => None,
        };
        attrs.merge(self.attributes()?);
        Ok((attrs, tag))
    }

    fn new_record(&mut self, kind: Kind, tag: Option<String>, line: u32) -> usize {
        self.program.records.push(Record {
            kind,
            tag,
            typedef_name: None,
            members: Vec::new(),
            packed: false,
            aligned: None,
            pack: None,
            defined: false,
            anonymous_member: false,
            line,
        });
        self.program.records.len() - 1
    }

    fn member_declaration(&mut self, members: &mut Vec<Member>) -> Result<(), SchemaError> {
        let (line, col) = self.pos();
        let (base, attrs) = self.specifiers(true)?;
        if self.is(";") {
            // `struct { … };` inside a record: an anonymous member.
            if let Ty::Record(id) = base {
                if self.program.records[id].tag.is_none() {
                    self.program.records[id].anonymous_member = true;
                    members.push(Member {
                        name: None,
                        ty: base,
                        bit_width: None,
                        packed: attrs.packed,
                        aligned: attrs.aligned,
                        line,
                        col,
                    });
                }
            }
            self.at += 1;
            return Ok(());
        }
        loop {
            let d = self.declarator()?;
            let mut member_attrs = attrs;
            let bit_width = if self.is(":") {
                self.at += 1;
                Some(self.constant_until(&[",", ";"])?)
            } else {
                None
            };
            member_attrs.merge(self.attributes()?);
            let ty = self.build(base.clone(), &d)?;
            let (mline, mcol) = d.name().map_or((line, col), |(_, l, c)| (*l, *c));
            if matches!(ty, Ty::Function) {
                return Err((self.error)(
                    mline,
                    mcol,
                    "a function cannot be a member (a pointer to one can)".into(),
                ));
            }
            if matches!(ty.resolved(), Ty::Void) {
                let name = d.name().map_or("", |(n, ..)| n.as_str());
                let message = format!("variable or field `{name}` declared void");
                return Err((self.error)(mline, mcol, message));
            }
            if let Some(width) = bit_width {
                let called = d.name().map_or("(anonymous)", |(n, ..)| n.as_str());
                let resolved = ty.resolved();
                let bits = match resolved {
                    Ty::Int { size, .. } => size * 8,
                    Ty::Bool { .. } => 1,
                    Ty::Enum(_) => 32,
                    _ => {
                        let message = format!(
                            "bit-field `{called}` has invalid type `{}` (a bitfield is an integer)",
                            ty.display(&self.program)
                        );
                        return Err((self.error)(mline, mcol, message));
                    }
                };
                if width > bits {
                    let message = format!(
                        "width of `{called}` exceeds its type ({width} bits; `{}` has {bits})",
                        ty.display(&self.program)
                    );
                    return Err((self.error)(mline, mcol, message));
                }
                if width == 0 && d.name().is_some() {
                    let message = format!("zero width for bit-field `{called}`");
                    return Err((self.error)(mline, mcol, message));
                }
            } else if d.name().is_none() {
                return Err((self.error)(mline, mcol, "a member needs a name".into()));
            }
            members.push(Member {
                name: d.name().map(|(n, ..)| n.clone()),
                ty,
                bit_width,
                packed: member_attrs.packed,
                aligned: member_attrs.aligned,
                line: mline,
                col: mcol,
            });
            if self.is(",") {
                self.at += 1;
                continue;
            }
            return self.expect(";");
        }
    }

    fn constant_until(&mut self, ends: &[&str]) -> Result<u64, SchemaError> {
        let value = self.signed_constant(ends)?;
        u64::try_from(value).or_else(|_| self.fail(format!("{value} is negative here")))
    }

    /// `enum [tag] [{ A, B = 4, C }]`: its constants become usable in expressions.
    fn enumeration(&mut self) -> Result<Ty, SchemaError> {
        self.at += 1;
        let (mut attrs, tag) = self.tag()?;
        if !self.is("{") {
            let Some(tag) = tag else {
                return self.fail("expected `{` or a tag name");
            };
            return match self.enum_tags.get(&tag) {
                Some(id) => Ok(Ty::Enum(*id)),
                None => self.fail(format!("`enum {tag}` is not defined before its use")),
            };
        }
        self.at += 1;
        let mut values = Vec::new();
        let mut next: i128 = 0;
        while !self.is("}") {
            let Some(Tok::Ident(name)) = self.peek().cloned() else {
                return self.fail("expected an enumerator name");
            };
            if self.constants.contains_key(&name) {
                return self.fail(format!("redeclaration of enumerator `{name}`"));
            }
            if self.typedefs.contains_key(&name) {
                return self.fail(format!("`{name}` redeclared as different kind of symbol"));
            }
            self.at += 1;
            if self.is("=") {
                self.at += 1;
                next = self.signed_constant(&[",", "}"])?;
            }
            self.constants.insert(name.clone(), next);
            values.push((name, next));
            next += 1;
            if self.is(",") {
                self.at += 1;
            } else if !self.is("}") {
                return self.fail("expected `,` or `}` in the enum");
            }
        }
        self.at += 1;
        attrs.merge(self.attributes()?);
        self.program.enums.push(EnumDef {
            tag: tag.clone(),
            typedef_name: None,
            values,
            packed: attrs.packed,
            size: None,
        });
        let id = self.program.enums.len() - 1;
        if let Some(tag) = tag {
            self.enum_tags.insert(tag, id);
        }
        Ok(Ty::Enum(id))
    }
}
