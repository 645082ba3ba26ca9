//! C struct declarations → layouts equal to gcc's (DESIGN.md "Schemas"). Pure: text in,
//! types and layouts out. `lex` → `pp` (the preprocessor subset) → `parse` → `layout`.
use std::fmt;

pub mod compare;
pub mod expr;
pub mod layout;
pub mod lex;
pub mod lint;
pub mod parse;
pub mod pp;
pub mod types;

pub use layout::{Field, Layouts};
pub use types::{Program, Ty};

/// How deeply anything in a header may nest: records inside records, declarators
/// (`*`, `[N]`, parentheses), types built on types, parentheses and operators in constant
/// expressions, macros expanding macros. C requires compilers to accept 63 levels of
/// nested records and parentheses and 12 declarator modifiers; real headers use a
/// handful. Each recursion of the parser, layout and display is bounded by it: at the
/// limit a debug build uses about 1.3 MiB of stack (records nested 128 deep), within a
/// 2 MiB thread's and far within the main thread's 8 MiB.
pub const MAX_DEPTH: u32 = 128;

/// "nested too deeply (limit N)": the message for anything past [`MAX_DEPTH`].
pub fn too_deep() -> String {
    format!("nested too deeply (limit {MAX_DEPTH})")
}

/// One laid-out type, ready to show.
pub struct TypeView {
    pub id: usize,
    pub name: String,
    pub keyword: &'static str,
    pub size: u64,
    pub align: u64,
    pub fields: Vec<Field>,
    pub holes: Vec<(u64, u64)>,
}

/// `schema --check SEG`: a type's size against a segment's.
pub struct SizeCheck<'a> {
    pub type_name: &'a str,
    pub type_size: u64,
    pub segment_id: i32,
    pub segment_key: u32,
    pub segment_size: u64,
}

/// The ABI to lay out for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Target {
    #[cfg_attr(target_arch = "x86_64", default)]
    X86_64,
    #[cfg_attr(not(target_arch = "x86_64"), default)]
    Aarch64,
}

/// A problem in the header, at its place: `file:line:column: message`, the line, a caret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaError {
    pub file: String,
    pub line: u32,
    pub col: u32,
    pub message: String,
    pub source_line: String,
}

impl fmt::Display for SchemaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.col, self.message
        )?;
        if !self.source_line.is_empty() {
            let caret = " ".repeat(self.col.saturating_sub(1) as usize);
            write!(f, "\n  {}\n  {caret}^", self.source_line)?;
        }
        Ok(())
    }
}

impl std::error::Error for SchemaError {}

/// Parses a header's text. `file` names it in errors.
pub fn parse(file: &str, text: &str) -> Result<Program, SchemaError> {
    let lines: Vec<&str> = text.lines().collect();
    let error = |line: u32, col: u32, message: String| SchemaError {
        file: file.to_string(),
        line,
        col,
        message,
        source_line: lines
            .get(line.saturating_sub(1) as usize)
            .map_or(String::new(), |l| l.replace('\t', " ")),
    };
    let tokens = lex::lex(text, &error)?;
    let tokens = pp::preprocess(tokens, &error)?;
    parse::parse(tokens, &error)
}

/// Lays out every record of `program`; an error names the member at fault.
pub fn layouts<'p>(
    file: &str,
    text: &str,
    program: &'p Program,
    target: Target,
) -> Result<Layouts<'p>, SchemaError> {
    Layouts::new(program, target).map_err(|e| SchemaError {
        file: file.to_string(),
        line: e.line,
        col: e.col,
        message: e.message,
        source_line: text
            .lines()
            .nth(e.line.saturating_sub(1) as usize)
            .unwrap_or("")
            .replace('\t', " "),
    })
}

/// The records people can name, in file order: tagged ones and typedef'd ones, not the
/// anonymous members of others.
pub fn named_records(program: &Program) -> Vec<(String, usize)> {
    program
        .records
        .iter()
        .enumerate()
        .filter(|(_, r)| r.defined && !r.anonymous_member)
        .filter_map(|(id, r)| r.name().map(|n| (n.to_string(), id)))
        .collect()
}

/// Finds `name` among the records: a tag, a typedef name, or `struct Tag`.
pub fn find_record(program: &Program, name: &str) -> Option<usize> {
    let bare = name
        .trim_start_matches("struct ")
        .trim_start_matches("union ")
        .trim();
    named_records(program)
        .into_iter()
        .find(|(n, _)| n == bare)
        .map(|(_, id)| id)
        .or_else(|| {
            program
                .typedefs
                .iter()
                .find(|(n, _)| n == bare)
                .and_then(|(_, ty)| match ty.resolved() {
                    Ty::Record(id) => Some(*id),
                    _ => None,
                })
        })
}

#[cfg(test)]
mod tests;
