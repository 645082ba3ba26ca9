//! One module per subcommand: glue between the command line, the kernel layer, the policy
//! and the renderers.
use std::io::Write;

use crate::cli::{Cli, ColorChoice, Command, Global};
use crate::error::{Error, Exit, Result};
use crate::gc::{self as orphan, Caller, Owners, Policy};
use crate::liveness;
use crate::model::{Reason, Segment, SegmentMemory, SegmentRecord, Verdict};
use crate::render::json::{ErrorJson, Unresolved};
use crate::select::Selector;
use crate::sys::{self, process::ProcessTable, shm, users::Names, SysError};

mod archive;
mod attach;
mod create;
mod dump;
mod gc;
mod generate;
mod input;
mod key;
pub mod kinds;
mod limits;
mod ls;
mod output;
mod read;
mod rm;
mod rm_kinds;
pub mod schema;
mod session;
mod stat;

/// What every command may consult: output choices.
#[derive(Debug, Clone, Copy)]
pub struct Context {
    pub json: bool,
    pub quiet: bool,
    pub verbose: bool,
    pub color: bool,
}

impl From<&Global> for Context {
    fn from(g: &Global) -> Self {
        use std::io::IsTerminal;
        let color = match g.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            // https://no-color.org: set and not empty means no colour.
            ColorChoice::Auto => {
                std::io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        };
        Context {
            json: g.json,
            quiet: g.quiet,
            verbose: g.verbose,
            color,
        }
    }
}

pub fn run(cli: &Cli, out: &mut dyn Write) -> Result<Exit> {
    let ctx = Context::from(&cli.global);
    if let Some(target) = &cli.global.ipc_ns {
        enter_namespace(target)?;
    }
    match &cli.command {
        Command::Ls(args) => ls::run(ctx, args, out),
        Command::Stat(args) => stat::run(ctx, args, out),
        Command::Create(args) => create::run(ctx, args, out),
        Command::Rm(args) => rm::run(ctx, args, out),
        Command::Gc(args) => gc::run(ctx, args, out),
        Command::Dump(args) => dump::run(ctx, args, out),
        Command::Attach(args) => attach::run(ctx, args, out),
        Command::Schema(args) => schema::run(ctx, args, out),
        Command::Key(args) => key::run(ctx, args, out),
        Command::Generate(args) => generate::run(ctx, args, out),
        Command::Limits(_) => limits::run(ctx, out),
    }
}

/// `--ipc-ns PID|PATH`, before anything reads a segment.
fn enter_namespace(target: &str) -> Result<()> {
    let path = match target.parse::<u32>() {
        Ok(pid) => std::path::PathBuf::from(format!("/proc/{pid}/ns/ipc")),
        Err(_) => std::path::PathBuf::from(target),
    };
    sys::enter_ipc_namespace(&path).map_err(|e| match e.raw_os_error() {
        Some(libc::EPERM | libc::EACCES) => Error::io(
            format!(
                "entering the IPC namespace {} needs CAP_SYS_ADMIN (run as root)",
                path.display()
            ),
            e,
        ),
        Some(libc::ENOENT) => Error::NotFound(format!(
            "{}: no such process or namespace file",
            path.display()
        )),
        Some(libc::EINVAL) => Error::Usage(format!("{} is not an IPC namespace", path.display())),
        _ => Error::io(format!("entering the IPC namespace {}", path.display()), e),
    })
}

/// Looks up owners and processes once each, however many segments share them.
#[derive(Debug, Default)]
pub struct Facts {
    names: Names,
    processes: ProcessTable,
}

impl Facts {
    /// The orphan policy's verdict on `segment`, each pid probed once per run.
    pub fn verdict(&mut self, policy: &Policy, segment: &Segment, now: i64) -> Verdict {
        self.judged(segment, now, |facts| orphan::judge(policy, facts))
    }

    /// What keeps `segment` under `policy`, if anything (no evidence is built).
    pub fn kept_reason(&mut self, policy: &Policy, segment: &Segment, now: i64) -> Option<Reason> {
        self.judged(segment, now, |facts| orphan::kept_reason(policy, facts))
    }

    /// The facts a verdict on `segment` is made of, handed to `judge`.
    fn judged<T>(
        &mut self,
        segment: &Segment,
        now: i64,
        judge: impl FnOnce(&orphan::Facts) -> T,
    ) -> T {
        let owner = self.names.user(segment.uid);
        judge(&orphan::Facts {
            segment,
            creator: self.processes.presence(segment.cpid),
            last_user: self.processes.presence(segment.lpid),
            now,
            owner_name: owner.as_deref(),
        })
    }

    /// Why the caller may not remove an object of `uid` (created by `cuid`), if it may not.
    pub fn not_permitted(
        &mut self,
        caller: &Caller,
        posix: bool,
        uid: u32,
        cuid: u32,
    ) -> Option<Reason> {
        let owner = self.names.user(uid);
        orphan::not_permitted(caller, posix, uid, cuid, owner.as_deref())
    }

    /// The text of a removal the kernel refused (EPERM): whose object it is, who may.
    pub fn permission_text(&mut self, posix: bool, uid: u32, cuid: u32) -> String {
        let owner = self.names.user(uid);
        orphan::permission_text(posix, uid, cuid, owner.as_deref())
    }

    /// What probing `pid` finds, once per run.
    pub fn presence(&mut self, pid: i32) -> crate::model::Presence {
        self.processes.presence(pid)
    }

    pub fn user_name(&mut self, uid: u32) -> Option<std::rc::Rc<str>> {
        self.names.user(uid)
    }

    pub fn group_name(&mut self, gid: u32) -> Option<std::rc::Rc<str>> {
        self.names.group(gid)
    }

    pub fn record(
        &mut self,
        segment: Segment,
        memory: Option<SegmentMemory>,
        policy: &Policy,
        now: i64,
    ) -> SegmentRecord {
        let creator_state = liveness::creator(&segment, self.processes.presence(segment.cpid));
        let last_state = liveness::last_user(&segment, self.processes.presence(segment.lpid));
        SegmentRecord {
            verdict: self.verdict(policy, &segment, now),
            owner_name: self.names.user(segment.uid),
            group_name: self.names.group(segment.gid),
            creator_state,
            last_state,
            memory,
            segment,
        }
    }
}

/// A C header given with `--schema`, read and parsed once.
pub struct Header {
    pub file: String,
    text: String,
    pub program: crate::schema::Program,
}

impl Header {
    pub fn read(path: &std::path::Path) -> Result<Header> {
        let file = path.display().to_string();
        let text = input::read_header(path)?;
        let program = crate::schema::parse(&file, &text)?;
        Ok(Header {
            file,
            text,
            program,
        })
    }

    /// The layouts for `target`.
    pub fn layouts(&self, target: crate::schema::Target) -> Result<crate::schema::Layouts<'_>> {
        Ok(crate::schema::layouts(
            &self.file,
            &self.text,
            &self.program,
            target,
        )?)
    }

    /// This machine's layouts and the id of `type_name` (`--type`).
    pub fn find(&self, type_name: &str) -> Result<(crate::schema::Layouts<'_>, usize)> {
        let layouts = self.layouts(crate::schema::Target::default())?;
        let id = crate::schema::find_record(&self.program, type_name).ok_or_else(|| {
            Error::NotFound(format!("no struct or union `{type_name}` in {}", self.file))
        })?;
        Ok((layouts, id))
    }
}

/// Whose segments this caller may remove: root all, anyone else its own (owner or creator).
pub fn caller_owners() -> Owners {
    match sys::process::effective_uid() {
        0 => Owners::Any,
        uid => Owners::Caller(uid),
    }
}

/// This process as a remover: its uid and whether it has CAP_SYS_ADMIN and CAP_FOWNER.
pub fn caller() -> Caller {
    let uid = sys::process::effective_uid();
    match sys::process::effective_capabilities() {
        Some(caps) => Caller {
            uid,
            sys_admin: caps & (1 << sys::process::CAP_SYS_ADMIN) != 0,
            fowner: caps & (1 << sys::process::CAP_FOWNER) != 0,
        },
        None => Caller {
            uid,
            sys_admin: uid == 0,
            fowner: uid == 0,
        },
    }
}

/// Turns selectors into segments, enumerating at most once.
#[derive(Debug, Default)]
pub struct Resolver {
    all: Option<Vec<Segment>>,
}

impl Resolver {
    pub fn resolve(&mut self, selector: &Selector) -> Result<Segment> {
        let key = match selector {
            Selector::Id(id) => {
                return shm::stat(*id).map_err(|e| match e {
                    e if e.is_gone() => {
                        Error::NotFound(format!("no shared memory segment has id {id}"))
                    }
                    e => Error::sys(format!("segment {id}"), e),
                })
            }
            Selector::Key(key) => *key,
            Selector::SysV { .. } | Selector::Posix { .. } => {
                return Err(Error::Usage(format!(
                    "`{selector}` is not a shared memory segment: only stat, rm and ls \
                     handle {} objects",
                    selector.kind()
                )))
            }
            Selector::Ftok { path, proj } => {
                sys::ftok::ftok(path, *proj)
                    .map_err(|e| match e.kind() {
                        std::io::ErrorKind::NotFound => {
                            Error::NotFound(format!("ftok: {} does not exist", path.display()))
                        }
                        _ => Error::io(format!("ftok: {}", path.display()), e),
                    })?
                    .key
            }
        };
        if self.all.is_none() {
            let (segments, _) = shm::enumerate().map_err(|e| Error::sys("listing segments", e))?;
            self.all = Some(segments);
        }
        self.all
            .iter()
            .flatten()
            .find(|s| s.key == key)
            .cloned()
            .ok_or_else(|| Error::NotFound(format!("no shared memory segment has {selector}")))
    }
}

/// A selector that failed to resolve, for a batch's report.
pub fn unresolved(selector: &Selector, err: &Error) -> Unresolved {
    let code = match err {
        Error::NotFound(_) => "ENOENT".to_string(),
        Error::Sys { err, .. } => err.code().to_string(),
        Error::Io { err, .. } => err
            .raw_os_error()
            .map_or("EIO", sys::error::errno_name)
            .to_string(),
        _ => "EFAILED".to_string(),
    };
    Unresolved {
        kind: selector.kind(),
        selector: selector.to_string(),
        error: ErrorJson {
            code,
            text: err.to_string(),
        },
    }
}

/// A kernel failure as an exit code.
pub fn exit_of(err: &SysError) -> Exit {
    if err.is_permission() {
        Exit::PermissionDenied
    } else if err.is_gone() {
        Exit::NotFound
    } else {
        Exit::Failure
    }
}
