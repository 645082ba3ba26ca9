//! What a segment is decoded with: the C header the processes share (`--schema FILE`), or
//! the writer's own DWARF (`--debug-info FILE|PID|auto`).
use std::path::{Path, PathBuf};

use crate::debuginfo::{self, DebugInfo};
use crate::error::{Error, Result};
use crate::model::Segment;
use crate::render;
use crate::schema::{self, Layouts, Program, Target};
use crate::sys;

use super::{Context, Header};

pub enum Types {
    Header(Header),
    Dwarf { file: String, info: DebugInfo },
}

impl Types {
    /// What `--schema` or `--debug-info` (of `dump`, `attach`) gives for `segment`.
    pub fn for_segment(
        ctx: Context,
        schema: Option<&Path>,
        debug: &crate::cli::DebugInfoArgs,
        segment: &Segment,
    ) -> Result<Option<Types>> {
        let what = debug.debug_info.as_deref();
        Types::load(ctx, schema, what, &debug.root.dir, Some(segment))
    }

    /// `--schema FILE` or `--debug-info WHAT` (neither: None). `auto` and a pid need the
    /// segment: the executable of a process that has it attached, or of its live creator.
    pub fn load(
        ctx: Context,
        schema: Option<&Path>,
        debug_info: Option<&str>,
        root: &Path,
        segment: Option<&Segment>,
    ) -> Result<Option<Types>> {
        if let Some(path) = schema {
            return Header::read(path).map(|h| Some(Types::Header(h)));
        }
        let Some(what) = debug_info else {
            return Ok(None);
        };
        let pid = match what {
            "auto" => Some(writer_of(segment)?),
            digits if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => Some(
                digits
                    .parse::<i32>()
                    .map_err(|_| Error::Usage(format!("--debug-info {digits}: not a pid")))?,
            ),
            _ => None,
        };
        let (info, used, _) = match pid {
            Some(pid) => {
                let exe = format!("/proc/{pid}/exe");
                let data = debuginfo::read_file(Path::new(&exe)).map_err(|e| match e {
                    debuginfo::LoadError::Missing(_) => {
                        Error::NotFound(format!("--debug-info {what}: no process {pid}"))
                    }
                    e => load_error(e),
                })?;
                // Its path as the process sees it: where a .gnu_debuglink is looked for.
                let shown = std::fs::read_link(&exe)
                    .map(|p| {
                        let text = p.to_string_lossy();
                        PathBuf::from(text.trim_end_matches(" (deleted)"))
                    })
                    .unwrap_or_else(|_| PathBuf::from(&exe));
                let loaded = debuginfo::load_bytes(&data, &shown, root).map_err(load_error)?;
                render::note(
                    ctx.quiet,
                    &format!(
                        "types from {} ({}; the executable of pid {pid}, {})",
                        loaded.1.display(),
                        loaded.2.how(),
                        shown.display()
                    ),
                );
                loaded
            }
            None => return Types::from_file(ctx, Path::new(what), root).map(Some),
        };
        Ok(Some(Types::Dwarf {
            file: used.display().to_string(),
            info,
        }))
    }

    /// The types of the ELF file `path` (its own DWARF, or its separate debug file's, which
    /// a note names).
    pub fn from_file(ctx: Context, path: &Path, root: &Path) -> Result<Types> {
        let (info, used, how) = debuginfo::load(path, root).map_err(load_error)?;
        if how != debuginfo::find::Found::Itself || ctx.verbose {
            render::note(
                ctx.quiet,
                &format!("types from {} ({})", used.display(), how.how()),
            );
        }
        Ok(Types::Dwarf {
            file: used.display().to_string(),
            info,
        })
    }

    /// The target debug information was compiled for (a header's is chosen).
    pub fn compiled_for(&self) -> Option<Target> {
        match self {
            Types::Header(_) => None,
            Types::Dwarf { info, .. } => Some(info.target),
        }
    }

    pub fn program(&self) -> &Program {
        match self {
            Types::Header(h) => &h.program,
            Types::Dwarf { info, .. } => &info.program,
        }
    }

    pub fn file(&self) -> &str {
        match self {
            Types::Header(h) => &h.file,
            Types::Dwarf { file, .. } => file,
        }
    }

    /// Every record's layout: a header's for `target`, debug information's as compiled.
    pub fn layouts(&self, target: Target) -> Result<Layouts<'_>> {
        match self {
            Types::Header(h) => h.layouts(target),
            Types::Dwarf { file, info } => info
                .layouts()
                .map_err(|e| Error::Failed(format!("{file}: {}", e.message))),
        }
    }

    /// This machine's layouts (a header's) and the record `type_name` names; a name not
    /// there is an error that lists the close ones.
    pub fn find(&self, type_name: &str) -> Result<(Layouts<'_>, usize)> {
        let layouts = self.layouts(Target::default())?;
        let program = self.program();
        match schema::find_record(program, type_name) {
            Some(id) => Ok((layouts, id)),
            None => Err(self.missing(type_name)),
        }
    }

    /// Why `type_name` cannot be used: left out of the debug information (and why), or not
    /// there at all (with the close names).
    pub fn missing(&self, type_name: &str) -> Error {
        if let Types::Dwarf { info, file } = self {
            let bare = type_name
                .trim_start_matches("struct ")
                .trim_start_matches("union ");
            if let Some(why) = info.left_out.get(bare) {
                return Error::Failed(format!("{file}: {why}"));
            }
        }
        Error::NotFound(not_found(self.program(), type_name, self.file()))
    }

    /// Says which of the file's types were left out (debug information only).
    pub fn note_left_out(&self, ctx: Context) {
        let Types::Dwarf { info, file } = self else {
            return;
        };
        if info.left_out.is_empty() {
            return;
        }
        let shown: Vec<String> = info
            .left_out
            .iter()
            .take(3)
            .map(|(_, why)| why.clone())
            .collect();
        render::note(
            ctx.quiet,
            &format!(
                "{file}: {} type(s) left out, which shmctl cannot lay out ({}{})",
                info.left_out.len(),
                shown.join("; "),
                if info.left_out.len() > 3 { "; …" } else { "" }
            ),
        );
    }
}

/// A missing file is not found (exit 3), as a missing header is; anything else a failure.
pub fn load_error(e: debuginfo::LoadError) -> Error {
    match e {
        debuginfo::LoadError::Missing(text) => Error::NotFound(text),
        debuginfo::LoadError::Unusable(text) => Error::Failed(text),
    }
}

/// "no struct or union `Shared` in FILE; close: SharedData, shared": what a mistyped name
/// was probably meant to be.
pub fn not_found(program: &Program, type_name: &str, file: &str) -> String {
    let names: Vec<String> = schema::named_records(program)
        .into_iter()
        .map(|(n, _)| n)
        .chain(program.typedefs.iter().map(|(n, _)| n.clone()))
        .collect();
    let close = close_names(type_name, &names);
    let mut text = format!("no struct or union `{type_name}` in {file}");
    if !close.is_empty() {
        text.push_str(&format!("; did you mean {}?", close.join(", ")));
    } else if names.is_empty() {
        text.push_str(": it defines none");
    }
    text
}

/// Up to five of `names` near `query`: containing it (or it them), ignoring case, or a few
/// edits away.
fn close_names(query: &str, names: &[String]) -> Vec<String> {
    let q = query
        .trim_start_matches("struct ")
        .trim_start_matches("union ")
        .to_lowercase();
    let mut scored: Vec<(usize, &String)> = names
        .iter()
        .filter_map(|n| {
            let l = n.to_lowercase();
            let d = distance(&q, &l);
            let near =
                d <= 2.max(q.len() / 3) || (!q.is_empty() && (l.contains(&q) || q.contains(&l)));
            near.then_some((d, n))
        })
        .collect();
    scored.sort();
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(5).map(|(_, n)| n.clone()).collect()
}

/// Levenshtein distance (names are short: the quadratic table is small).
fn distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// `--debug-info auto`: a process that has the segment attached (its maps), else its
/// creator if that still lives.
fn writer_of(segment: Option<&Segment>) -> Result<i32> {
    let Some(s) = segment else {
        return Err(Error::Usage(
            "--debug-info auto finds the program through a segment: name a file or a pid here"
                .into(),
        ));
    };
    if s.nattch > 0 {
        if let Ok(scan) = sys::maps::scan() {
            if let Some(a) = scan.attachers(s.id).iter().min_by_key(|a| a.pid) {
                return Ok(a.pid);
            }
        }
    }
    if s.cpid > 0 && sys::process::exists(s.cpid) {
        return Ok(s.cpid);
    }
    Err(Error::NotFound(format!(
        "--debug-info auto: no process has shm {} attached and its creator {} is gone; \
         name the program's file with --debug-info FILE",
        s.id, s.cpid
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_names_catch_typos_and_parts() {
        let names: Vec<String> = ["SharedData", "Channel", "shared_header", "Other"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(close_names("SharedDta", &names), ["SharedData"]);
        assert_eq!(
            close_names("shared", &names),
            ["SharedData", "shared_header"]
        );
        assert_eq!(close_names("struct Chanel", &names), ["Channel"]);
        assert!(close_names("zzzzzzzz", &names).is_empty());
    }
}
