use std::io::Write;

use std::io::IsTerminal;

use crate::cli::{Format, LsArgs, View};
use crate::error::{Error, Exit, Result};
use crate::ipc::columns::{self, Cells, Column, Preset};
use crate::ipc::policy::Policy;
use crate::ipc::probe::Survey;
use crate::ipc::{kernel, Kind, Liveness, Object, Record};
use crate::model::Limits;
use crate::render::{self, entries::List, objects::Grid, objects::Layout};
use crate::sys::{self, procfs, shm};
use crate::units::Clock;

use super::Context;

/// Shared memory's limits and usage, for the metrics (absent when unreadable).
fn shm_limits() -> Option<Limits> {
    match (shm::limits(), shm::usage()) {
        (Ok(shm), Ok((_, usage))) => Some(Limits {
            shm,
            usage,
            page_size: sys::page_size(),
        }),
        _ => None,
    }
}

/// The kinds listed: `--all`, `--kind`, or shm.
fn kinds(args: &LsArgs) -> Vec<Kind> {
    if args.all {
        Kind::ALL.to_vec()
    } else {
        args.filters
            .kinds
            .clone()
            .map_or_else(|| vec![Kind::Shm], |k| k.0)
    }
}

/// `--columns`, `--sort` and `--key` are checked against the kinds listed: a column none of
/// them has is a usage error, not an empty table.
fn check_columns(args: &LsArgs, kinds: &[Kind]) -> Result<()> {
    let listed = || {
        kinds
            .iter()
            .map(|k| k.as_str())
            .collect::<Vec<_>>()
            .join(",")
    };
    let chosen = args.columns.iter().flat_map(|c| &c.columns).copied();
    for (c, what) in chosen
        .map(|c| (c, ""))
        .chain(args.sort.map(|s| (s.column, " to sort by")))
    {
        if !kinds.iter().any(|&k| c.has(k)) {
            return Err(Error::Usage(format!(
                "no kind listed ({}) has a column {}{what}",
                listed(),
                c.header
            )));
        }
    }
    if args.key.is_some() && kinds.iter().all(|k| k.is_posix()) {
        return Err(Error::Usage(format!(
            "--key selects System V objects; the kinds listed ({}) are named, not keyed",
            listed()
        )));
    }
    Ok(())
}

/// What the output is: a table laid out some way, JSON, or metrics. `--json` and a `--format`
/// other than json contradict each other.
#[derive(Clone, Copy)]
enum Output {
    Json,
    Prometheus,
    Table(Layout),
}

fn output(ctx: &Context, args: &LsArgs) -> Result<Output> {
    let output = match (ctx.json, args.format) {
        (true, None | Some(Format::Json)) | (false, Some(Format::Json)) => Output::Json,
        (true, Some(other)) => {
            return Err(Error::Usage(format!(
                "--json and --format {} ask for two outputs: give one",
                format_name(other)
            )))
        }
        (false, Some(Format::Prometheus)) => Output::Prometheus,
        (false, Some(Format::Raw)) => Output::Table(Layout::Raw),
        (false, Some(Format::Export)) => Output::Table(Layout::Export),
        (false, None | Some(Format::Table)) => {
            // On a terminal a row never wraps: columns that do not fit are left out.
            let width = (!args.wide && args.output.is_none() && std::io::stdout().is_terminal())
                .then(terminal_width)
                .flatten();
            Output::Table(Layout::Aligned { width })
        }
    };
    if let (Some(view), Output::Json | Output::Prometheus) = (args.view, &output) {
        return Err(Error::Usage(format!(
            "--view {} chooses table columns; JSON and metrics always carry every field",
            view_name(view)
        )));
    }
    Ok(output)
}

/// The terminal's width: its window size, else `$COLUMNS` (a terminal that reports no rows
/// reports no size).
fn terminal_width() -> Option<usize> {
    terminal_size::terminal_size()
        .map(|(w, _)| usize::from(w.0))
        .or_else(|| std::env::var("COLUMNS").ok()?.trim().parse().ok())
        .filter(|&w| w > 0)
}

fn format_name(format: Format) -> String {
    clap::ValueEnum::to_possible_value(&format)
        .map_or_else(String::new, |v| v.get_name().to_string())
}

fn view_name(view: View) -> String {
    clap::ValueEnum::to_possible_value(&view).map_or_else(String::new, |v| v.get_name().to_string())
}

/// `--pid PID`: what PID has attached (shmids) and the sets it waits on, read once.
struct PidFilter {
    pid: i32,
    attached: Vec<i32>,
    waits_on_sets: Vec<i32>,
}

impl PidFilter {
    fn new(ctx: &Context, pid: i32, kinds: &[Kind]) -> PidFilter {
        let attached = if kinds.contains(&Kind::Shm) {
            match sys::maps::attached_by(pid) {
                Ok(ids) => ids.unwrap_or_default(),
                Err(e) => {
                    render::note(
                        ctx.quiet,
                        &format!(
                            "cannot read /proc/{pid}/maps ({e}): segments it has attached are \
                             listed only when it created or last used them"
                        ),
                    );
                    Vec::new()
                }
            }
        } else {
            Vec::new()
        };
        let waits_on_sets = if kinds.contains(&Kind::Sem) {
            match sys::waiters::scan() {
                Ok(scan) => scan.sets_waited_on_by(pid),
                Err(_) => Vec::new(),
            }
        } else {
            Vec::new()
        };
        PidFilter {
            pid,
            attached,
            waits_on_sets,
        }
    }

    /// PID created it, last used it, has it attached, holds it open or waits on it.
    fn matches(&self, r: &Record) -> bool {
        let pid = self.pid;
        r.pids
            .iter()
            .any(|p| p.pid == pid && p.state != Liveness::Never)
            || r.holders.iter().any(|h| h.pid == pid)
            || r.waiters.iter().any(|w| w.pid == pid)
            || match &r.object {
                Object::Shm(s) => self.attached.contains(&s.id),
                Object::Sem(set) => self.waits_on_sets.contains(&set.id),
                _ => false,
            }
    }
}

/// What `ls` keeps of the objects listed, and how it judges them.
struct Select<'a> {
    args: &'a LsArgs,
    now: i64,
    policy: &'a Policy,
    memory: Option<&'a rustc_hash::FxHashMap<i32, crate::model::SegmentMemory>>,
    by_pid: Option<&'a PidFilter>,
    /// Whether orphans carry their evidence (see [`Survey::record_judged`]).
    with_evidence: bool,
}

impl Select<'_> {
    /// The records of `objects` that `--user`, `--key`, `--older-than`, `--orphans` and
    /// `--pid` keep, judged as they are taken.
    fn records<'s>(
        &'s self,
        survey: &'s mut Survey,
        objects: Vec<Object>,
    ) -> impl Iterator<Item = Record> + 's {
        let args = self.args;
        objects
            .into_iter()
            .filter(move |o| args.filters.user.is_none_or(|uid| o.owner().uid == uid))
            .filter(move |o| args.key.is_none_or(|key| o.key() == Some(key)))
            .filter(move |o| {
                args.filters
                    .older_than
                    .is_none_or(|d| d.has_passed(o.last_activity(), self.now))
            })
            .map(move |o| {
                let mem = match (&o, self.memory) {
                    (Object::Shm(s), Some(m)) => m.get(&s.id).copied(),
                    _ => None,
                };
                let mut record = survey.record_judged(o, self.policy, self.now, self.with_evidence);
                record.memory = mem;
                record
            })
            .filter(move |r| !args.orphans || r.verdict.is_orphan())
            .filter(move |r| self.by_pid.is_none_or(|f| f.matches(r)))
    }
}

pub fn run(ctx: Context, args: &LsArgs, out: &mut dyn Write) -> Result<Exit> {
    // A target that would be followed or replaced is refused before anything is computed.
    if let Some(path) = &args.output {
        super::output::check_target(path)?;
    }
    let output = output(&ctx, args)?;
    let kinds = kinds(args);
    check_columns(args, &kinds)?;
    let summary = args.view == Some(View::Summary);
    let tables: Vec<(Kind, Vec<&Column>)> = kinds
        .iter()
        .map(|&k| {
            let columns = match args.view {
                Some(View::Pids) => columns::preset(Preset::Pids, k),
                Some(View::Times) => columns::preset(Preset::Times, k),
                Some(View::Creators) => columns::preset(Preset::Creators, k),
                Some(View::Summary) | None => {
                    columns::for_kind(k, args.columns.as_ref(), args.orphans)
                }
            };
            (k, columns)
        })
        .collect();
    let with_memory = tables
        .iter()
        .any(|(k, c)| *k == Kind::Shm && (summary || c.iter().any(|c| c.needs_memory)));
    let memory = if with_memory {
        Some(
            procfs::read_memory()
                .map_err(|e| Error::io("reading /proc/sysvipc/shm for rss/swap", e))?,
        )
    } else {
        None
    };

    let now = sys::now_unix();
    let policy = Policy {
        owners: super::caller_owners(),
        caller: super::caller(),
        ..Policy::default()
    };
    // JSON carries every orphan's evidence; a table only when it shows WHY.
    let with_evidence = !matches!(output, Output::Table(_))
        || tables
            .iter()
            .flat_map(|(_, columns)| columns)
            .chain(args.sort.as_ref().map(|s| &s.column))
            .any(|c| c.needs_evidence());
    let quiet_notes = ctx.quiet || matches!(output, Output::Json);
    let by_pid = args.pid.map(|pid| PidFilter::new(&ctx, pid, &kinds));
    let mut survey = Survey::default();
    // Every kind is read before anything is written: an error leaves no half document.
    let mut gathered: Vec<(Kind, Vec<Object>, Option<String>)> = Vec::new();
    for &kind in &kinds {
        let unavailable = kind
            .is_posix()
            .then(|| sys::posix::unavailable(kind))
            .flatten();
        if let Some(why) = &unavailable {
            render::note(quiet_notes, &format!("no {kind} objects listed: {why}"));
        }
        let objects = kernel::list(kind)?;
        if ctx.verbose {
            render::note(false, &format!("listed {} {kind} object(s)", objects.len()));
        }
        gathered.push((kind, objects, unavailable));
    }
    let select = Select {
        args,
        now,
        policy: &policy,
        memory: memory.as_ref(),
        by_pid: by_pid.as_ref(),
        with_evidence,
    };
    // JSON in the kernel's order is written record by record as each is judged: 10,000
    // records held at once cost more in page faults than the kernel spends listing them.
    if matches!(output, Output::Json) && args.sort.is_none() && !args.reverse {
        return emit(args, out, |sink| {
            let mut json =
                render::entries::LsJson::begin(sink, with_memory).map_err(Error::output)?;
            for (kind, objects, unavailable) in gathered {
                json.list(
                    kind,
                    unavailable.as_deref(),
                    select.records(&mut survey, objects),
                )
                .map_err(Error::output)?;
            }
            json.end().map_err(Error::output)
        });
    }
    let cells = Cells {
        clock: Clock::local(now),
        exact_sizes: args.bytes,
    };
    // So is a table in the kernel's order: its cells are taken from each record as it is
    // made, and the record let go.
    if let (Output::Table(layout), false, None, false) = (output, summary, args.sort, args.reverse)
    {
        let grids: Vec<(Grid, &[&Column])> = gathered
            .into_iter()
            .zip(&tables)
            .map(|((kind, objects, _), (_, columns))| {
                let records = select.records(&mut survey, objects);
                (Grid::of(kind, records, columns, cells), columns.as_slice())
            })
            .collect();
        return emit(args, out, |sink| {
            let dropped = render::objects::grid_tables(sink, &grids, !args.no_headers, layout)
                .map_err(Error::output)?;
            left_out(&ctx, &dropped, layout);
            Ok(())
        });
    }
    let mut lists: Vec<(Kind, Vec<Record>, Option<String>)> = Vec::new();
    for (kind, objects, unavailable) in gathered {
        let mut records: Vec<Record> = Vec::with_capacity(objects.len());
        records.extend(select.records(&mut survey, objects));
        columns::order(
            &mut records,
            args.sort.filter(|s| s.column.has(kind)),
            args.reverse,
        );
        lists.push((kind, records, unavailable));
    }

    let lists: Vec<List> = lists
        .iter()
        .map(|(kind, records, unavailable)| List {
            kind: *kind,
            records,
            unavailable: unavailable.as_deref(),
        })
        .collect();
    // With --output the whole result goes to a file at once, atomically.
    emit(args, out, |sink| {
        match output {
            Output::Json => {
                render::entries::ls(sink, &lists, with_memory).map_err(Error::output)?
            }
            Output::Prometheus => {
                let limits = kinds.contains(&Kind::Shm).then(shm_limits).flatten();
                render::prometheus::metrics(sink, &lists, limits.as_ref(), now)
                    .map_err(Error::output)?;
            }
            Output::Table(layout) if summary => {
                let grid = render::objects::summary(&lists, cells);
                let dropped = render::objects::grid_lines(sink, &grid, !args.no_headers, layout)
                    .map_err(Error::output)?;
                left_out(&ctx, &dropped, layout);
            }
            Output::Table(layout) => {
                let each: Vec<(&List, &[&Column])> = lists
                    .iter()
                    .zip(&tables)
                    .map(|(list, (_, columns))| (list, columns.as_slice()))
                    .collect();
                let dropped = render::objects::tables(sink, &each, !args.no_headers, cells, layout)
                    .map_err(Error::output)?;
                left_out(&ctx, &dropped, layout);
            }
        }
        Ok(())
    })
}

/// Says on stderr which columns a narrow terminal left out.
fn left_out(ctx: &Context, dropped: &[&str], layout: Layout) {
    if let (false, Layout::Aligned { width: Some(width) }) = (dropped.is_empty(), layout) {
        render::note(
            ctx.quiet,
            &format!(
                "left out {} to fit {width} columns; --wide shows every column",
                dropped.join(", ")
            ),
        );
    }
}

/// Writes what `write` writes to stdout, or with `--output FILE` to FILE all at once,
/// atomically.
fn emit(
    args: &LsArgs,
    out: &mut dyn Write,
    write: impl FnOnce(&mut dyn Write) -> Result<()>,
) -> Result<Exit> {
    let Some(path) = &args.output else {
        write(out)?;
        return Ok(Exit::Success);
    };
    let mut buffered = Vec::new();
    write(&mut buffered)?;
    super::output::write_atomically(path, &buffered)?;
    Ok(Exit::Success)
}
