//! `--all-namespaces` (`-A`): `ls`, `stat` or `gc` in every IPC namespace on the machine.
//!
//! The namespaces are found first (ours, then the others by inode). The sweep enters each
//! in turn with setns, on this (the only) thread, runs the command there exactly as
//! `--ipc-ns` would — its own lock and journal, POSIX objects left out — and comes back
//! before the next. Only the IPC namespace changes: liveness and PID reuse are judged in
//! ours, where the kernel translates every recorded pid. One signal scope covers the whole
//! sweep: a SIGTERM between two namespaces ends it with the report of those swept.
use std::io::Write;

use crate::cli::{Format, GcArgs, LsArgs, StatArgs};
use crate::error::{Error, Exit, Result};
use crate::ipc::archive::ArchiveDir;
use crate::ipc::namespaces::{self, Namespace};
use crate::render::{self, json::ErrorJson, json::Unresolved, namespaces::State};
use crate::sys::{self, lock::Interrupts, nsfs};

use super::{gc, ls, stat, Context};

/// The command a sweep runs in each namespace.
#[derive(Clone, Copy)]
pub enum Job<'a> {
    Ls(&'a LsArgs),
    Stat(&'a StatArgs),
    Gc(&'a GcArgs),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Output {
    Text,
    Json,
    Prometheus,
}

/// How a text output says which namespace each line is in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lines {
    /// A header line above each namespace's output (and, unless --no-headers, a blank line
    /// after it).
    Grouped { headers: bool },
    /// `--format raw`: an `IPC_NS` column.
    Raw { headers: bool },
    /// `--format export`: an `IPC_NS="…"` pair on every line.
    Export,
}

/// What became of one namespace, and what the command wrote there.
struct Part {
    ns: Namespace,
    state: Swept,
    output: Vec<u8>,
}

enum Swept {
    Ran(Exit),
    Gone,
    Skipped(String),
    Failed(ErrorJson, Exit),
    NotReached,
}

impl Part {
    fn state(&self) -> State<'_> {
        match &self.state {
            Swept::Ran(_) => State::Swept,
            Swept::Gone => State::Gone,
            Swept::Skipped(why) => State::Skipped(why),
            Swept::Failed(e, _) => State::Failed(e),
            Swept::NotReached => State::NotReached,
        }
    }
}

/// Why POSIX objects are not looked at in another namespace.
const POSIX_ELSEWHERE: &str = "POSIX objects live in a mount namespace's /dev/shm and \
     /dev/mqueue, which --all-namespaces does not enter: they are listed in shmctl's own \
     namespace only";

pub fn run(ctx: Context, job: Job, out: &mut dyn Write) -> Result<Exit> {
    let output = match job {
        Job::Ls(args) => {
            if let Some(path) = &args.output {
                super::output::check_target(path)?;
            }
            match (ctx.json, args.format) {
                (true, _) | (false, Some(Format::Json)) => Output::Json,
                (false, Some(Format::Prometheus)) => Output::Prometheus,
                _ => Output::Text,
            }
        }
        _ if ctx.json => Output::Json,
        _ => Output::Text,
    };
    let found =
        namespaces::discover().map_err(|e| Error::io("reading /proc for the IPC namespaces", e))?;
    if !found.unreadable.is_empty() {
        render::note(
            ctx.quiet || output != Output::Text,
            &format!(
                "the IPC namespace of {} process(es) could not be read (another user's, or one \
                 with capabilities shmctl lacks: that needs CAP_SYS_PTRACE); a namespace only \
                 they are in is not swept",
                found.unreadable.len()
            ),
        );
    }
    let posix = |f: &crate::cli::Filters| {
        f.kinds
            .as_ref()
            .is_some_and(|k| k.0.iter().any(|k| k.is_posix()))
    };
    let posix_listed = match job {
        Job::Ls(args) => args.all || posix(&args.filters),
        Job::Gc(args) => posix(&args.filters),
        Job::Stat(_) => false,
    };
    if posix_listed && found.namespaces.len() > 1 {
        render::note(ctx.quiet || output != Output::Text, POSIX_ELSEWHERE);
    }
    let interrupts = Interrupts::catch().map_err(|e| Error::io("catching signals", e))?;
    let home =
        nsfs::IpcNs::current().map_err(|e| Error::io("opening /proc/thread-self/ns/ipc", e))?;
    let mut runner = Runner::new(ctx, job, output);
    let mut collected: Vec<u8> = Vec::new();
    let mut parts: Vec<Part> = Vec::new();
    let direct = output == Output::Text
        && !matches!(
            job,
            Job::Ls(LsArgs {
                output: Some(_),
                ..
            })
        );
    let headers = !matches!(job, Job::Ls(args) if args.no_headers);
    let lines = match job {
        Job::Ls(args) if args.format == Some(Format::Raw) => Lines::Raw { headers },
        Job::Ls(args) if args.format == Some(Format::Export) => Lines::Export,
        _ => Lines::Grouped { headers },
    };
    for (i, ns) in found.namespaces.into_iter().enumerate() {
        if interrupts.pending().is_some() {
            parts.push(Part {
                ns,
                state: Swept::NotReached,
                output: Vec::new(),
            });
            continue;
        }
        let mut buffer = Vec::new();
        let state = match enter(&ns) {
            Err(state) => state,
            Ok(()) => {
                let result = runner.command(i, &ns, &mut buffer);
                if !ns.current {
                    // Back home before anything else happens: every later step (the next
                    // namespace's open, the lock of ours) assumes it.
                    home.enter()
                        .map_err(|e| Error::io("returning to shmctl's own IPC namespace", e))?;
                    sys::posix::look_here();
                }
                match result {
                    Ok(exit) => Swept::Ran(exit),
                    // Stopped before it began (waiting for the lock) by a signal.
                    Err(_) if interrupts.pending().is_some() => Swept::NotReached,
                    // A mistake on the command line is the same in every namespace: the
                    // first (ours) reports it, and the sweep stops there.
                    Err(e @ Error::Usage(_)) if i == 0 => return Err(e),
                    // So is an --archive DIR that cannot be used: no namespace could use it.
                    Err(e) if runner.archive_refused => return Err(e),
                    Err(e) => {
                        let json = ErrorJson {
                            code: super::unresolved_code(&e),
                            text: e.to_string(),
                        };
                        if output == Output::Text {
                            render::error(&Error::Failed(format!("IPC namespace {}: {e}", ns.ino)));
                        }
                        Swept::Failed(json, e.exit())
                    }
                }
            }
        };
        let part = Part {
            ns,
            state,
            output: buffer,
        };
        if let Swept::Skipped(why) = &part.state {
            render::note(
                ctx.quiet || output != Output::Text,
                &format!("IPC namespace {} skipped: {why}", part.ns.ino),
            );
        }
        if output == Output::Text {
            // A stat names objects: a namespace without any of them says nothing.
            let silent = matches!(job, Job::Stat(_))
                && matches!(part.state, Swept::Ran(_))
                && part.output.is_empty();
            if !silent {
                let sink: &mut dyn Write = if direct { &mut *out } else { &mut collected };
                write_text(sink, &part, lines).map_err(Error::output)?;
                if direct {
                    out.flush().map_err(Error::output)?;
                }
            }
            parts.push(Part {
                output: Vec::new(),
                ..part
            });
        } else {
            parts.push(part);
        }
    }
    let caught = interrupts.pending();
    drop(interrupts);

    let mut exits: Vec<Exit> = parts
        .iter()
        .filter_map(|p| match &p.state {
            Swept::Ran(exit) | Swept::Failed(_, exit) => Some(*exit),
            _ => None,
        })
        .collect();
    let swept = parts
        .iter()
        .filter(|p| matches!(p.state, Swept::Ran(_)))
        .count();
    if swept == 0 && parts.iter().any(|p| matches!(p.state, Swept::Skipped(_))) {
        exits.push(Exit::PermissionDenied);
    }
    // `stat`: what named nothing in any namespace is an error, once.
    let mut unresolved = Vec::new();
    let Runner {
        named,
        first_failure,
        tally,
        ..
    } = runner;
    for (j, failure) in first_failure.into_iter().enumerate() {
        if let (false, Some((exit, u))) = (named[j], failure) {
            exits.push(exit);
            if output == Output::Text {
                render::error(&Error::Failed(format!(
                    "{} (in none of the {swept} IPC namespaces swept)",
                    u.error.text
                )));
            }
            unresolved.push(u);
        }
    }
    match output {
        Output::Text => {
            if let Job::Gc(args) = job {
                let sink: &mut dyn Write = if direct { &mut *out } else { &mut collected };
                let counts = (swept, parts.len());
                render::namespaces::gc_total(sink, ctx.quiet, args.dry_run, tally, counts)
                    .map_err(Error::output)?;
            }
        }
        Output::Json => {
            let mut doc = b"{\"schema_version\":1,\"namespaces\":[".to_vec();
            for (n, part) in parts.iter().enumerate() {
                if n > 0 {
                    doc.push(b',');
                }
                render::namespaces::json_entry(&mut doc, &part.ns, part.state(), &part.output)
                    .map_err(Error::output)?;
            }
            doc.extend_from_slice(b"]");
            let dry_run = matches!(job, Job::Gc(args) if args.dry_run);
            render::namespaces::json_tail(
                &mut doc,
                &found.unreadable,
                matches!(job, Job::Gc(_)).then_some((tally, dry_run)),
                matches!(job, Job::Stat(_)).then_some(unresolved.as_slice()),
            )
            .map_err(Error::output)?;
            collected = doc;
        }
        Output::Prometheus => {
            let each: Vec<(&Namespace, State, &[u8])> = parts
                .iter()
                .map(|p| (&p.ns, p.state(), p.output.as_slice()))
                .collect();
            render::namespaces::metrics(&mut collected, &each).map_err(Error::output)?;
        }
    }
    match job {
        Job::Ls(LsArgs {
            output: Some(path), ..
        }) => super::output::write_atomically(path, &collected)?,
        _ => out.write_all(&collected).map_err(Error::output)?,
    }
    // A signal ends the process as it would have, once the report is out.
    if let Some(signal) = caught {
        let left = parts
            .iter()
            .filter(|p| matches!(p.state, Swept::NotReached))
            .count();
        render::note(
            ctx.quiet,
            &format!("interrupted by signal {signal}: {left} IPC namespace(s) not reached"),
        );
        exits.push(Exit::Signal(signal));
    }
    Ok(Exit::merge(exits))
}

/// What a sweep keeps from one namespace to the next while it runs the command in each.
struct Runner<'a> {
    ctx: Context,
    job: Job<'a>,
    output: Output,
    /// gc: what every namespace's report listed.
    tally: crate::ipc::removal::Tally,
    /// gc --archive: DIR, checked once; whether it was refused (which stops the sweep).
    archive_top: Option<ArchiveDir>,
    archive_refused: bool,
    /// stat: which selectors named something in some namespace, and the first failure of
    /// each (reported if none did).
    named: Vec<bool>,
    first_failure: Vec<Option<(Exit, Unresolved)>>,
}

impl<'a> Runner<'a> {
    fn new(ctx: Context, job: Job<'a>, output: Output) -> Runner<'a> {
        let selectors = match job {
            Job::Stat(args) => args.segments.len(),
            _ => 0,
        };
        Runner {
            ctx,
            job,
            output,
            tally: crate::ipc::removal::Tally::default(),
            archive_top: None,
            archive_refused: false,
            named: vec![false; selectors],
            first_failure: (0..selectors).map(|_| None).collect(),
        }
    }

    /// The command in namespace `ns` (the `i`th, entered already), into `buffer`.
    fn command(&mut self, i: usize, ns: &Namespace, buffer: &mut Vec<u8>) -> Result<Exit> {
        let ctx = self.ctx;
        match self.job {
            Job::Ls(args) => {
                let args = LsArgs {
                    output: None,
                    ..args.clone()
                };
                // Its notes were said in ours already (POSIX objects not listed,
                // columns left out): once is enough.
                let ctx = Context {
                    quiet: ctx.quiet || i > 0,
                    ..ctx
                };
                ls::run(ctx, &args, buffer)
            }
            Job::Gc(args) => {
                // Each namespace's records apart (ids repeat between namespaces), in
                // DIR/ipc-INODE: DIR checked once, the rest made through it.
                let mut archive = |args: &GcArgs| -> Result<Option<ArchiveDir>> {
                    let Some(dir) = &args.removing.archive else {
                        return Ok(None);
                    };
                    if args.dry_run {
                        return ArchiveDir::check(dir)
                            .map(|()| None)
                            .inspect_err(|_| self.archive_refused = true);
                    }
                    if self.archive_top.is_none() {
                        let top = ArchiveDir::prepare(dir)
                            .inspect_err(|_| self.archive_refused = true)?;
                        self.archive_top = Some(top);
                    }
                    self.archive_top
                        .as_ref()
                        .map(|top| top.subdir(&format!("ipc-{}", ns.ino)))
                        .transpose()
                };
                gc::run_with(ctx, args, &mut archive, buffer).map(|(exit, counted)| {
                    self.tally.add(counted);
                    exit
                })
            }
            Job::Stat(args) => {
                let quiet = Context { json: true, ..ctx };
                let (objects, failed, exits) = super::resolve_all(quiet, &args.segments);
                for (j, selector) in args.segments.iter().enumerate() {
                    let text = selector.to_string();
                    match failed.iter().position(|u| u.selector == text) {
                        None => self.named[j] = true,
                        Some(k) if self.first_failure[j].is_none() => {
                            self.first_failure[j] = Some((exits[k], failed[k].clone()));
                        }
                        Some(_) => {}
                    }
                }
                let any = !objects.is_empty();
                stat::show(ctx, objects, &[], buffer).map(|()| {
                    if !any && self.output == Output::Text {
                        buffer.clear();
                    }
                    Exit::Success
                })
            }
        }
    }
}

/// Enters `ns` unless it is ours; what stood in the way otherwise.
fn enter(ns: &Namespace) -> std::result::Result<(), Swept> {
    if ns.current {
        return Ok(());
    }
    let paths: Vec<std::path::PathBuf> = ns
        .pids
        .iter()
        .map(|pid| std::path::PathBuf::from(format!("/proc/{pid}/ns/ipc")))
        .chain(ns.mounts.iter().cloned())
        .collect();
    let target = match nsfs::IpcNs::open(ns.ino, &paths) {
        Ok(target) => target,
        Err(nsfs::OpenError::Gone) => return Err(Swept::Gone),
        Err(nsfs::OpenError::Denied(e)) => {
            return Err(Swept::Skipped(format!(
                "its namespace file cannot be opened ({e}): that needs CAP_SYS_PTRACE"
            )))
        }
        Err(nsfs::OpenError::Other(e)) => {
            return Err(Swept::Skipped(format!(
                "its namespace file cannot be opened: {e}"
            )))
        }
    };
    target.enter().map_err(|e| {
        Swept::Skipped(match e.raw_os_error() {
            Some(libc::EPERM) => "entering it needs CAP_SYS_ADMIN".to_string(),
            _ => format!("setns: {e}"),
        })
    })?;
    sys::posix::look_nowhere(POSIX_ELSEWHERE.to_string());
    Ok(())
}

/// What the command wrote in a namespace, said to be that namespace's.
fn write_text(out: &mut dyn Write, part: &Part, lines: Lines) -> std::io::Result<()> {
    match lines {
        Lines::Grouped { headers } => {
            if headers {
                render::namespaces::header(out, &part.ns, part.state())?;
            }
            out.write_all(&part.output)?;
            if headers && !part.output.is_empty() && !part.output.ends_with(b"\n\n") {
                writeln!(out)?;
            }
            Ok(())
        }
        Lines::Raw { headers } => {
            render::namespaces::raw_rows(out, part.ns.ino, &part.output, headers)
        }
        Lines::Export => render::namespaces::export_rows(out, part.ns.ino, &part.output),
    }
}
