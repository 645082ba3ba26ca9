//! Text for people about IPC objects, every kind through the same code: the `ls` table (its
//! columns are data, [`crate::ipc::columns`]), `stat` blocks, and the `rm`/`gc` report.
use std::io::Write;

use unicode_width::UnicodeWidthStr;

use super::{escape, escape_owned, RemovalView, Report};
use crate::ipc::columns::{Cells, Column};
use crate::ipc::removal::{Outcome, Removal};
use crate::ipc::{KeyHex, Kind, Liveness, Object, PidState, Record, Verdict};
use crate::objects::Hold;
use crate::units::{elapsed, human_duration, human_size, perms_string, rfc3339_utc, Clock};
use std::io::Result;

/// How `ls` lays its tables out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Aligned like `ipcs`: no borders, numbers right-aligned. With a width (a terminal's),
    /// the columns that do not fit are left out from the right, so that a row never wraps.
    Aligned { width: Option<usize> },
    /// `lsipc --raw`: one space between cells, each cell's blanks, backslashes and control
    /// characters as `\xNN`, so that every row splits on spaces into its columns.
    Raw,
    /// `lsipc --export`: `NAME="value"` pairs, one row per line, values quoted so that the
    /// shell's `eval` reads them back (`"`, `\`, `` ` `` and `$` backslashed).
    Export,
}

/// Rows of cells under headers: one kind's table, or the summary. Every cell's text lives in
/// one buffer (no `String` per cell), so that a table of 10,000 rows costs a few allocations.
pub struct Grid<'a> {
    /// Export names each row's kind first (`KIND="shm"`); the summary has a KIND column.
    pub kind: Option<Kind>,
    pub headers: Vec<&'a str>,
    pub numeric: Vec<bool>,
    /// The cells, row after row, as their columns wrote them (not escaped yet).
    text: String,
    /// Each cell's length in `text`, with [`PLAIN`] set when it is plain (shown as it is:
    /// printable ASCII, no backslash), found once as the cell is written. Four bytes a cell:
    /// 10,000 rows of 11 cells.
    lens: Vec<u32>,
    /// The records [`Grid::of`] took (a table of no columns still has its rows).
    records: usize,
}

/// The flag of a plain cell in [`Grid::lens`]; the other 31 bits are its length.
const PLAIN: u32 = 1 << 31;

impl<'a> Grid<'a> {
    /// An empty grid under `headers`.
    pub fn new(kind: Option<Kind>, headers: Vec<&'a str>, numeric: Vec<bool>) -> Grid<'a> {
        Grid {
            kind,
            headers,
            numeric,
            text: String::new(),
            lens: Vec::new(),
            records: 0,
        }
    }

    /// One kind's records in `columns`, held or made as the grid takes them.
    pub fn of<R: std::borrow::Borrow<Record>>(
        kind: Kind,
        records: impl IntoIterator<Item = R>,
        columns: &[&'a Column],
        cells: Cells,
    ) -> Grid<'a> {
        let mut grid = Grid::new(
            Some(kind),
            columns.iter().map(|c| c.header).collect(),
            columns.iter().map(|c| c.numeric).collect(),
        );
        let records = records.into_iter();
        // The most rows there can be (a filtered list's objects), up to 65,536 up front.
        let rows = records.size_hint().1.unwrap_or(0).min(1 << 16);
        grid.text.reserve(rows * columns.len() * 8);
        grid.lens.reserve(rows * columns.len());
        for r in records {
            let r = r.borrow();
            grid.records += 1;
            for c in columns {
                let start = grid.text.len();
                (c.cell)(r, cells, &mut grid.text);
                grid.ended(start);
            }
        }
        grid
    }

    /// Appends a cell (rows fill up column by column, left to right).
    pub fn push(&mut self, cell: &str) {
        let start = self.text.len();
        self.text.push_str(cell);
        self.ended(start);
    }

    /// Records the end of the cell written since `start`.
    fn ended(&mut self, start: usize) {
        // A cell is a name (at most NAME_MAX bytes) or a few words; one of 2 GiB would be
        // cut to that at a character boundary rather than end the run.
        let mut len = self.text.len() - start;
        if len >= PLAIN as usize {
            len = PLAIN as usize - 1;
            while !self.text.is_char_boundary(start + len) {
                len -= 1;
            }
            self.text.truncate(start + len);
        }
        // No early exit: the loop vectorizes, and cells are short.
        let plain = self.text.as_bytes()[start..]
            .iter()
            .fold(true, |all, &b| all & super::escape::plain_ascii(b));
        // In range: cut above.
        let len = len as u32;
        self.lens.push(if plain { len | PLAIN } else { len });
    }

    /// The rows, each its cells left to right (with their plain flags).
    fn rows(&self) -> impl Iterator<Item = impl Iterator<Item = (&str, bool)>> {
        let n = self.headers.len().max(1);
        let mut start = 0;
        self.lens.chunks_exact(n).map(move |row| {
            let text = &self.text;
            let row_start = start;
            start += row.iter().map(|&l| (l & !PLAIN) as usize).sum::<usize>();
            row.iter().scan(row_start, move |at, &l| {
                let len = (l & !PLAIN) as usize;
                let cell = &text[*at..*at + len];
                *at += len;
                Some((cell, l & PLAIN != 0))
            })
        })
    }
}

/// `ls --view summary` (`ipcs -u`): one row per kind listed — how many objects, how many of
/// them orphans, their bytes, and what they hold (attachments and rss/swap, semaphores,
/// messages, holders).
pub fn summary(lists: &[super::entries::List], cells: Cells) -> Grid<'static> {
    let mut grid = Grid::new(
        None,
        vec!["KIND", "OBJECTS", "ORPHANS", "SIZE", "CONTENT"],
        vec![false, true, true, true, false],
    );
    for list in lists {
        let kind = list.kind.as_str();
        if let Some(why) = list.unavailable {
            for cell in [kind, "?", "?", "?", why] {
                grid.push(cell);
            }
            continue;
        }
        let row = {
            let records = list.records;
            let orphans = records.iter().filter(|r| r.verdict.is_orphan()).count();
            let bytes: u64 = records.iter().map(|r| r.object.bytes()).sum();
            let content = match list.kind {
                Kind::Shm => {
                    let attached: u64 = records.iter().map(|r| r.object.attachments()).sum();
                    let mut text = format!("{attached} attachment(s)");
                    let memory: Vec<_> = records.iter().filter_map(|r| r.memory).collect();
                    if !memory.is_empty() {
                        let rss = memory.iter().map(|m| m.rss).sum();
                        let swap = memory.iter().map(|m| m.swap).sum();
                        text.push_str(&format!(
                            ", rss {}, swap {}",
                            cells.size(rss),
                            cells.size(swap)
                        ));
                    }
                    text
                }
                Kind::Sem => {
                    let n: u64 = records
                        .iter()
                        .map(|r| match &r.object {
                            Object::Sem(s) => s.nsems,
                            _ => 0,
                        })
                        .sum();
                    format!("{n} semaphore(s)")
                }
                Kind::Msg => {
                    let n: u64 = records
                        .iter()
                        .map(|r| match &r.object {
                            Object::Msg(q) => q.messages,
                            _ => 0,
                        })
                        .sum();
                    format!("{n} message(s)")
                }
                Kind::Pshm | Kind::Psem | Kind::Pmq => {
                    let held = records.iter().filter(|r| !r.holders.is_empty()).count();
                    format!("{held} held open or mapped")
                }
            };
            let size = if list.kind == Kind::Sem {
                "-".to_string()
            } else {
                cells.size(bytes)
            };
            [
                kind.to_string(),
                records.len().to_string(),
                orphans.to_string(),
                size,
                content,
            ]
        };
        for cell in &row {
            grid.push(cell);
        }
    }
    grid
}

/// `ls`'s tables, one per list with its columns: a title above each when more than segments
/// are listed (and headers are shown), a blank line between them. Returns the headers of the
/// columns left out to fit the width, each once.
pub fn tables(
    out: &mut dyn Write,
    lists: &[(&super::entries::List, &[&Column])],
    headers: bool,
    cells: Cells,
    layout: Layout,
) -> Result<Vec<&'static str>> {
    let grids: Vec<(Grid, &[&Column])> = lists
        .iter()
        .map(|(list, columns)| (Grid::of(list.kind, list.records, columns, cells), *columns))
        .collect();
    grid_tables(out, &grids, headers, layout)
}

/// [`tables`] of grids already made, each with its kind and columns.
pub fn grid_tables(
    out: &mut dyn Write,
    grids: &[(Grid, &[&Column])],
    headers: bool,
    layout: Layout,
) -> Result<Vec<&'static str>> {
    let kind_of = |grid: &Grid| grid.kind.unwrap_or(Kind::Shm);
    let titled = headers
        && grids.iter().any(|(grid, _)| kind_of(grid) != Kind::Shm)
        && matches!(layout, Layout::Aligned { .. });
    let mut dropped: Vec<&'static str> = Vec::new();
    let mut first = true;
    let mut raw_written = false;
    for (grid, columns) in grids {
        let kind = kind_of(grid);
        if titled {
            if !first {
                writeln!(out)?;
            }
            writeln!(out, "{}", kind.title())?;
        }
        if grid.records == 0 && grid.lens.is_empty() {
            // Scripts reading raw or exported rows get none; people are told.
            if titled || (headers && matches!(layout, Layout::Aligned { .. })) {
                writeln!(out, "no {}s", crate::ipc::noun(kind))?;
            }
            first = false;
            continue;
        }
        // Raw tables of several kinds are told apart by their header lines.
        if layout == Layout::Raw && headers && raw_written {
            writeln!(out)?;
        }
        raw_written = true;
        first = false;
        for header in grid_lines(out, grid, headers, layout)? {
            if let Some(c) = columns.iter().find(|c| c.header == header) {
                if !dropped.contains(&c.header) {
                    dropped.push(c.header);
                }
            }
        }
    }
    Ok(dropped)
}

/// Writes `grid` as `layout` says; returns the headers of the columns left out to fit.
pub fn grid_lines<'g>(
    out: &mut dyn Write,
    grid: &Grid<'g>,
    headers: bool,
    layout: Layout,
) -> Result<Vec<&'g str>> {
    match layout {
        Layout::Aligned { width } => aligned(out, grid, headers, width),
        Layout::Raw => {
            if headers {
                writeln!(out, "{}", grid.headers.join(" "))?;
            }
            let mut line = String::new();
            for row in grid.rows() {
                line.clear();
                for (i, (cell, _)) in row.enumerate() {
                    if i > 0 {
                        line.push(' ');
                    }
                    raw_cell(&mut line, cell);
                }
                writeln!(out, "{line}")?;
            }
            Ok(Vec::new())
        }
        Layout::Export => {
            let names: Vec<String> = grid.headers.iter().map(|h| h.replace('-', "_")).collect();
            let mut line = String::new();
            for row in grid.rows() {
                line.clear();
                if let Some(kind) = grid.kind {
                    line.push_str(&format!("KIND=\"{}\"", kind.as_str()));
                }
                for (name, (cell, _)) in names.iter().zip(row) {
                    if !line.is_empty() {
                        line.push(' ');
                    }
                    line.push_str(name);
                    line.push('=');
                    export_value(&mut line, cell);
                }
                writeln!(out, "{line}")?;
            }
            Ok(Vec::new())
        }
    }
}

/// The aligned table: one space, then each cell padded to its column's width, two spaces
/// between columns, trailing blanks trimmed (what `ipcs` users read). Widths come from one
/// pass over the cells' lengths; lines are then built in one reused buffer, written out
/// 64 KiB at a time.
fn aligned<'g>(
    out: &mut dyn Write,
    grid: &Grid<'g>,
    headers: bool,
    width: Option<usize>,
) -> Result<Vec<&'g str>> {
    let n = grid.headers.len();
    let mut widths: Vec<usize> = grid
        .headers
        .iter()
        .map(|h| if headers { h.width() } else { 0 })
        .collect();
    let (mut at, mut column) = (0, 0);
    for &l in &grid.lens {
        let len = (l & !PLAIN) as usize;
        let shown = match l & PLAIN {
            0 => grid
                .text
                .get(at..at + len)
                .map_or(len, |c| shown_width(c, false)),
            _ => len,
        };
        widths[column] = widths[column].max(shown);
        at += len;
        column = if column + 1 == n { 0 } else { column + 1 };
    }
    // Columns from the left while the line fits (the first always), none after the first
    // that does not.
    let mut shown = widths.len();
    if let Some(width) = width {
        let mut used = 0usize;
        for (i, w) in widths.iter().enumerate() {
            // A line is one space, the cells, and two spaces between them.
            if i > 0 && used + 2 + w > width {
                shown = i;
                break;
            }
            used += if i == 0 { 1 + w } else { 2 + w };
        }
    }
    let table = Aligned {
        widths: &widths,
        numeric: &grid.numeric,
        shown,
    };
    let mut lines: Vec<u8> = Vec::with_capacity(1 << 16);
    if headers {
        table.line(&mut lines, grid.headers.iter().map(|h| (*h, false)));
    }
    let mut at = 0;
    for row in grid.lens.chunks_exact(n.max(1)) {
        let text = &grid.text;
        let cells = row.iter().map(|&l| {
            let len = (l & !PLAIN) as usize;
            let cell = text.get(at..at + len).unwrap_or_default();
            at += len;
            (cell, l & PLAIN != 0)
        });
        table.line(&mut lines, cells);
        if lines.len() >= 1 << 16 {
            out.write_all(&lines)?;
            lines.clear();
        }
    }
    out.write_all(&lines)?;
    Ok(grid.headers[shown..].to_vec())
}

/// How an aligned table's lines are laid out.
struct Aligned<'t> {
    widths: &'t [usize],
    numeric: &'t [bool],
    /// The columns shown, from the left.
    shown: usize,
}

impl Aligned<'_> {
    /// Appends one line of `cells` (every cell of the row: those not shown are skipped).
    fn line<'c>(&self, lines: &mut Vec<u8>, cells: impl Iterator<Item = (&'c str, bool)>) {
        let start = lines.len();
        for (i, (cell, plain)) in cells.enumerate() {
            if i >= self.shown {
                continue;
            }
            // A plain cell is shown as it is: no second scan.
            let escaped;
            let (bytes, width) = if plain {
                (cell.as_bytes(), cell.len())
            } else {
                escaped = escape(cell);
                (escaped.as_bytes(), escaped.width())
            };
            let pad = self.widths[i].saturating_sub(width);
            lines.push(b' ');
            if self.numeric[i] {
                push_spaces(lines, pad);
                lines.extend_from_slice(bytes);
            } else {
                lines.extend_from_slice(bytes);
                push_spaces(lines, pad);
            }
            lines.push(b' ');
        }
        // Trailing blanks trimmed: ASCII ones here, any other kind as `str::trim_end` does.
        let mut end = lines[start..]
            .iter()
            .rposition(|&b| b != b' ')
            .map_or(start, |p| start + p + 1);
        if lines[start..end].last().is_some_and(|b| !b.is_ascii()) {
            if let Ok(line) = std::str::from_utf8(&lines[start..end]) {
                end = start + line.trim_end().len();
            }
        }
        lines.truncate(end);
        lines.push(b'\n');
    }
}

/// The columns a cell takes on a terminal once escaped: its length when it is plain (nearly
/// every cell), else the escaped text's display width.
fn shown_width(cell: &str, plain: bool) -> usize {
    if plain {
        cell.len()
    } else {
        escape(cell).width()
    }
}

fn push_spaces(line: &mut Vec<u8>, mut n: usize) {
    const SPACES: &[u8; 64] = &[b' '; 64];
    while n > 0 {
        let k = n.min(SPACES.len());
        line.extend_from_slice(&SPACES[..k]);
        n -= k;
    }
}

/// A raw cell: each blank, backslash and control character as `\xNN` (its UTF-8 bytes), an
/// empty cell as `-` (so that no column vanishes), the rest as it is.
fn raw_cell(line: &mut String, cell: &str) {
    if cell.is_empty() {
        line.push('-');
        return;
    }
    for c in cell.chars() {
        if c.is_whitespace() || c.is_control() || c == '\\' {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                line.push_str(&format!("\\x{b:02x}"));
            }
        } else {
            line.push(c);
        }
    }
}

/// A value in double quotes for the shell: `"`, `\`, `` ` `` and `$` backslashed, control
/// characters as `\xNN` (which the shell keeps as those four characters: nothing is obeyed).
fn export_value(line: &mut String, cell: &str) {
    line.push('"');
    for c in cell.chars() {
        match c {
            '"' | '\\' | '`' | '$' => {
                line.push('\\');
                line.push(c);
            }
            c if c.is_control() => line.push_str(&format!("\\x{:02x}", u32::from(c))),
            c => line.push(c),
        }
    }
    line.push('"');
}

/// `  ctime          2026-11-26 05:05:11 +00:00  (2026-11-26T05:05:11Z, 2s ago)`.
pub fn time_line(out: &mut dyn Write, label: &str, unix: i64, clock: Clock) -> Result<()> {
    if unix == 0 {
        writeln!(out, "  {label:<14} never")?;
    } else {
        let ago = human_duration(elapsed(clock.now, unix));
        writeln!(
            out,
            "  {label:<14} {}  ({}, {ago} ago)",
            clock.wall_time(unix),
            rfc3339_utc(unix)
        )?;
    }
    Ok(())
}

/// One `label  text` line of a stat block; `text` may hold outside text, so it is escaped.
fn line(out: &mut dyn Write, label: &str, text: &str) -> Result<()> {
    writeln!(out, "  {label:<14} {}", escape(text))?;
    Ok(())
}

/// A recorded pid, with what it is now and (alive) its command line.
fn pid_text(p: &PidState, r: &Record) -> String {
    let meaning = match p.state {
        Liveness::Never => return "never".to_string(),
        Liveness::Unknown => return "0: unknown (in another PID namespace)".to_string(),
        Liveness::Alive => "alive",
        Liveness::Dead => "dead",
        Liveness::Exited => "exited (a zombie, not reaped by its parent: it holds nothing)",
        Liveness::Reused => "dead (the pid now belongs to a younger process)",
    };
    match r.detail.as_ref().and_then(|d| d.cmdline(p)) {
        Some(cmd) => format!("{} {meaning}: {cmd}", p.pid),
        None => format!("{} {meaning}", p.pid),
    }
}

/// `stat`: one block per object, every field and the processes behind it.
pub fn stat(out: &mut dyn Write, records: &[Record], clock: Clock) -> Result<()> {
    for (i, r) in records.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        match &r.object {
            Object::Shm(s) => writeln!(out, "shm {} key {} ({})", s.id, KeyHex(s.key), s.key)?,
            o => writeln!(out, "{}", escape(&o.label()))?,
        }
        let o = r.object.owner();
        line(
            out,
            "owner",
            &format!(
                "{} (uid {}), group {} (gid {})",
                r.owner_name.as_deref().unwrap_or("?"),
                o.uid,
                r.group_name.as_deref().unwrap_or("?"),
                o.gid
            ),
        )?;
        if !r.object.kind().is_posix() {
            line(out, "creator", &format!("uid {}, gid {}", o.cuid, o.cgid))?;
        }
        let mode = r.object.perms();
        line(out, "mode", &format!("{mode:04o} {}", perms_string(mode)))?;
        match &r.object {
            Object::Shm(s) => segment_lines(out, r, s, clock)?,
            Object::Sem(s) => {
                line(out, "semaphores", &s.nsems.to_string())?;
                time_line(out, "last semop", s.otime, clock)?;
                time_line(out, "changed", s.ctime, clock)?;
                match &s.sems {
                    None => line(out, "values", "unreadable (no read permission)")?,
                    Some(sems) => {
                        writeln!(
                            out,
                            "  {:>6} {:>6}  {:<24} {:>5} {:>5}",
                            "SEMNUM", "VALUE", "LAST PID", "NCNT", "ZCNT"
                        )?;
                        for (num, sem) in sems.iter().enumerate() {
                            let pid = r
                                .pids
                                .iter()
                                .find(|p| p.pid == sem.pid)
                                .map_or("-".to_string(), |p| pid_text(p, r));
                            writeln!(
                                out,
                                "  {num:>6} {:>6}  {:<24} {:>5} {:>5}",
                                sem.value,
                                escape(&pid),
                                sem.ncnt,
                                sem.zcnt
                            )?;
                        }
                    }
                }
            }
            Object::Msg(q) => {
                let messages = format!(
                    "{} ({} bytes of at most {})",
                    q.messages,
                    q.bytes,
                    human_size(q.max_bytes)
                );
                line(out, "messages", &messages)?;
                for (role, label) in [("sender", "last sender"), ("receiver", "last receiver")] {
                    if let Some(p) = r.pid(role) {
                        line(out, label, &pid_text(p, r))?;
                    }
                }
                time_line(out, "last sent", q.stime, clock)?;
                time_line(out, "last received", q.rtime, clock)?;
                time_line(out, "changed", q.ctime, clock)?;
                let complete = if r.waiters_complete {
                    ""
                } else {
                    " (incomplete: some tasks could not be read)"
                };
                line(
                    out,
                    "blocked on it",
                    &format!("{} task(s){complete}", r.waiters.len()),
                )?;
                for w in &r.waiters {
                    writeln!(
                        out,
                        "    pid {} tid {} ({}) in {}",
                        w.pid,
                        w.tid,
                        escape(&w.comm),
                        w.call.as_str()
                    )?;
                }
            }
            Object::Posix(p) => {
                line(out, "path", &p.path.display().to_string())?;
                match (p.kind, p.queue, p.semaphore) {
                    (Kind::Pmq, Some(q), _) => {
                        let notify = if q.notify_pid == 0 {
                            "no notification registered".to_string()
                        } else {
                            format!("notifies pid {} (signal {})", q.notify_pid, q.signo)
                        };
                        line(out, "queued", &format!("{} bytes; {notify}", q.qsize))?
                    }
                    (Kind::Pmq, None, _) => line(out, "queued", "unreadable")?,
                    (Kind::Psem, _, Some(v)) => line(
                        out,
                        "value",
                        &format!("{}, {} waiter(s)", v.value, v.waiters),
                    )?,
                    (Kind::Psem, _, None) => line(out, "value", "unreadable")?,
                    _ => line(
                        out,
                        "size",
                        &format!("{} bytes ({})", p.size, human_size(p.size)),
                    )?,
                }
                time_line(out, "modified", p.mtime, clock)?;
                time_line(out, "accessed", p.atime, clock)?;
                time_line(out, "changed", p.ctime, clock)?;
                let complete = if r.holders_complete {
                    ""
                } else {
                    " (incomplete: some processes could not be read)"
                };
                let processes = crate::objects::holding_processes(&r.holders);
                line(
                    out,
                    "held by",
                    &format!("{processes} process(es){complete}"),
                )?;
                // One line per process, with every way it holds the object.
                let mut ways: std::collections::BTreeMap<i32, (&str, bool, bool)> =
                    std::collections::BTreeMap::new();
                for h in &r.holders {
                    let entry = ways.entry(h.pid).or_insert((h.comm.as_str(), false, false));
                    match h.how {
                        Hold::Map => entry.1 = true,
                        Hold::Fd => entry.2 = true,
                    }
                }
                for (pid, (comm, maps, open)) in ways {
                    let how = match (maps, open) {
                        (true, true) => "maps it and has it open",
                        (true, false) => "maps it",
                        _ => "has it open",
                    };
                    writeln!(out, "    pid {pid} ({}) {how}", escape(comm))?;
                }
            }
        }
        if !matches!(r.object, Object::Shm(_)) {
            let verdict = match &r.verdict {
                Verdict::Orphan { evidence } => {
                    let texts: Vec<&str> = evidence.iter().map(|e| e.text.as_ref()).collect();
                    format!("yes: {}", texts.join("; "))
                }
                Verdict::Kept(reason) => format!("no: {} ({})", reason.text, reason.code),
            };
            line(out, "orphan", &verdict)?;
        }
    }
    Ok(())
}

fn segment_lines(
    out: &mut dyn Write,
    r: &Record,
    s: &crate::model::Segment,
    clock: Clock,
) -> Result<()> {
    let status = s.status();
    let status = if status.is_empty() {
        "-".to_string()
    } else {
        status.join(", ")
    };
    line(out, "status", &status)?;
    line(
        out,
        "size",
        &format!("{} bytes ({})", s.size, human_size(s.size)),
    )?;
    let memory = match r.memory {
        Some(m) => format!(
            "{} resident, {} swapped",
            human_size(m.rss),
            human_size(m.swap)
        ),
        None => "unknown (/proc/sysvipc/shm unreadable)".to_string(),
    };
    line(out, "memory", &memory)?;
    line(out, "nattch", &s.nattch.to_string())?;
    for (role, label) in [("creator", "cpid"), ("last_user", "lpid")] {
        if let Some(p) = r.pid(role) {
            let text = match p.state {
                Liveness::Never => format!("{} never attached", p.pid),
                Liveness::Unknown => format!("{} unknown (pid 0: in another PID namespace)", p.pid),
                _ => pid_text(p, r),
            };
            line(out, label, &text)?;
        }
    }
    time_line(out, "ctime", s.ctime, clock)?;
    time_line(out, "atime", s.atime, clock)?;
    time_line(out, "dtime", s.dtime, clock)?;
    let Some(d) = &r.detail else {
        return Ok(());
    };
    if d.attached_complete {
        line(out, "attached", &d.attachers.len().to_string())?;
    } else {
        let others = if d.maps_readable {
            "the others are in processes this PID namespace cannot see"
        } else {
            "the others are in processes whose maps could not be read (run as root), or that \
             this PID namespace cannot see"
        };
        line(
            out,
            "attached",
            &format!("{} ({} found: {others})", s.nattch, d.attachers.len()),
        )?;
    }
    for a in &d.attachers {
        let rw = if a.writable { "rw" } else { "ro" };
        writeln!(
            out,
            "    pid {} ({}) at {:#x}, {} bytes, {rw}",
            a.pid,
            escape(&a.comm),
            a.address,
            a.length
        )?;
    }
    match d.shm_rmid_forced {
        Some(v) => line(out, "shm_rmid_forced", &v.to_string()),
        None => line(out, "shm_rmid_forced", "unknown"),
    }
}

/// How a report line names an object: a segment with its size.
fn report_label(o: &Object) -> String {
    match o {
        Object::Shm(s) => format!(
            "shm {} key {} ({})",
            s.id,
            KeyHex(s.key),
            human_size(s.size)
        ),
        o => o.label(),
    }
}

/// `: evidence; evidence (archived: DIR/….json)`.
fn evidence_text(item: &Removal) -> String {
    let mut text = String::new();
    if !item.evidence.is_empty() {
        let reasons: Vec<&str> = item.evidence.iter().map(|e| e.text.as_ref()).collect();
        text = format!(": {}", reasons.join("; "));
    }
    if let Some(archive) = &item.archive {
        text.push_str(&format!(" (archived: {})", archive.display()));
    }
    escape_owned(text)
}

/// One line per object of `rm`/`gc`, segments first; failures go to stderr through the
/// caller. gc ends with a summary: counts, bytes, failures, and why the rest were kept.
pub fn removal(out: &mut dyn Write, report: &Report, view: RemovalView) -> Result<()> {
    for r in report.restored.iter().filter(|r| r.error.is_none()) {
        writeln!(
            out,
            "restored {} to mode {:04o}: an interrupted run had left it at 0000",
            escape(&r.entry.label()),
            r.entry.mode
        )?;
    }
    let (mut removed, mut bytes, mut failed, mut segments_only) = (0usize, 0u64, 0usize, true);
    let mut kept: Vec<(&str, usize)> = Vec::new();
    let (segments, others): (Vec<&Removal>, Vec<&Removal>) = report
        .items
        .iter()
        .partition(|i| i.object.kind() == Kind::Shm);
    for item in segments.into_iter().chain(others) {
        let o = &item.object;
        // Made only for a line that is written (a quiet gc of 10,000 writes none).
        let label = || escape_owned(report_label(o));
        match &item.outcome {
            Outcome::Removed { marked: true } if !view.quiet => writeln!(
                out,
                "marked {} for destruction: {} attachment(s) remain, it goes at the last detach",
                escape_owned(o.label()),
                o.attachments()
            )?,
            Outcome::Removed { .. } if !view.quiet => {
                writeln!(out, "removed {}{}", label(), evidence_text(item))?
            }
            Outcome::WouldRemove => {
                let how = if o.attachments() > 0 {
                    " (attached: would only be marked for destruction)"
                } else {
                    ""
                };
                writeln!(out, "would remove {}{how}{}", label(), evidence_text(item))?
            }
            Outcome::Kept(reason) if view.list_kept => writeln!(
                out,
                "kept {}: {} ({})",
                escape_owned(o.label()),
                escape(&reason.text),
                reason.code
            )?,
            Outcome::Gone if !view.quiet => {
                let what = match o {
                    Object::Shm(s) => format!("shm {}", s.id),
                    o => escape_owned(o.label()),
                };
                writeln!(out, "{what} already gone")?
            }
            _ => {}
        }
        match &item.outcome {
            Outcome::Removed { .. } | Outcome::WouldRemove => {
                removed += 1;
                if !matches!(item.outcome, Outcome::Removed { marked: true }) {
                    bytes += o.bytes();
                }
                segments_only &= o.kind() == Kind::Shm;
            }
            Outcome::Kept(reason) => match kept.iter_mut().find(|(c, _)| *c == reason.code) {
                Some((_, n)) => *n += 1,
                None => kept.push((reason.code, 1)),
            },
            Outcome::Gone => {}
            Outcome::Failed { .. } => failed += 1,
        }
    }
    failed += report.restored.iter().filter(|r| r.error.is_some()).count();
    if view.summary && !view.quiet {
        let verb = if report.dry_run {
            "would remove"
        } else {
            "removed"
        };
        let what = if segments_only {
            "segment(s)"
        } else {
            "object(s)"
        };
        let mut summary = match (removed, failed) {
            (0, 0) => "nothing to remove".to_string(),
            (0, _) => format!("{verb} nothing"),
            _ => format!("{verb} {removed} {what}, {}", human_size(bytes)),
        };
        if failed > 0 {
            summary.push_str(&format!("; failed {failed}"));
        }
        if !kept.is_empty() {
            let total: usize = kept.iter().map(|(_, n)| n).sum();
            let parts: Vec<String> = kept.iter().map(|(code, n)| format!("{code} {n}")).collect();
            summary.push_str(&format!("; kept {total}: {}", parts.join(", ")));
        }
        writeln!(out, "{summary}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aligned_text(grid: &Grid, width: Option<usize>) -> (String, Vec<String>) {
        let mut out = Vec::new();
        let dropped = grid_lines(&mut out, grid, true, Layout::Aligned { width }).expect("write");
        let dropped = dropped.into_iter().map(str::to_string).collect();
        (String::from_utf8(out).expect("utf-8"), dropped)
    }

    /// Escaped and wide cells are padded by what they show; trailing blanks of any kind go;
    /// numbers are right-aligned; what does not fit is left out from the right.
    #[test]
    fn aligned_cells_pad_by_what_they_show() {
        let mut grid = Grid::new(None, vec!["NAME", "N", "LAST"], vec![false, true, false]);
        for cell in [
            "a\tb",
            "1",
            "x",
            "日本",
            "22",
            "wide\u{3000}",
            "plain",
            "333",
            "",
        ] {
            grid.push(cell);
        }
        let (text, dropped) = aligned_text(&grid, None);
        assert_eq!(
            text,
            " NAME     N  LAST\n a\\tb     1  x\n 日本    22  wide\n plain  333\n"
        );
        assert!(dropped.is_empty());
        let (narrow, dropped) = aligned_text(&grid, Some(12));
        assert_eq!(
            narrow,
            " NAME     N\n a\\tb     1\n 日本    22\n plain  333\n"
        );
        assert_eq!(dropped, ["LAST"]);
    }

    /// Written 64 KiB at a time, every line is still whole and in order.
    #[test]
    fn a_long_table_is_every_line_in_order() {
        let mut grid = Grid::new(None, vec!["ID", "NAME"], vec![true, false]);
        for i in 0..20_000 {
            grid.push(&i.to_string());
            grid.push(&format!("n{i}"));
        }
        let (text, _) = aligned_text(&grid, None);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 20_001);
        assert_eq!(lines[0], "    ID  NAME");
        assert_eq!(lines[1], "     0  n0");
        assert_eq!(lines[20_000], " 19999  n19999");
    }
}
