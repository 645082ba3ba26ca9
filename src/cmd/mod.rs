//! One module per subcommand: glue between the command line, the kernel layer, the policy
//! and the renderers.
use std::io::Write;

use crate::cli::{Cli, ColorChoice, Command, Global};
use crate::error::{Error, Exit, Result};
use crate::ipc::kernel::Resolver;
use crate::ipc::policy::{Caller, Owners};
use crate::ipc::select::Selector;
use crate::ipc::{Kind, Object};
use crate::model::Segment;
use crate::render::{
    self,
    json::{ErrorJson, Unresolved},
};
use crate::sys::{self, SysError};

mod attach;
mod create;
mod dump;
mod gc;
mod generate;
mod input;
mod key;
mod limits;
mod ls;
mod output;
mod read;
mod rm;
pub mod schema;
mod stat;
mod sweep;
mod types;

/// What every command may consult: output choices.
#[derive(Debug, Clone, Copy)]
pub struct Context {
    pub json: bool,
    pub quiet: bool,
    pub verbose: bool,
    pub color: bool,
}

impl Context {
    /// The output choices of `g`; colour as `color` (dump's `--color`) says.
    fn new(g: &Global, color: Option<ColorChoice>) -> Self {
        use std::io::IsTerminal;
        let color = match color.or(g.color).unwrap_or(ColorChoice::Auto) {
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
    let color = match &cli.command {
        Command::Dump(args) => args.color,
        _ => None,
    };
    let ctx = Context::new(&cli.global, color);
    if let Some(target) = &cli.global.ipc_ns {
        enter_namespace(target)?;
        sys::posix::look_nowhere(format!(
            "POSIX objects live in a mount namespace's /dev/shm and /dev/mqueue, which \
             --ipc-ns {target} does not enter (to see a container's: nsenter --target PID \
             --mount --ipc shmctl …)"
        ));
    }
    if cli.global.all_namespaces {
        let job = match &cli.command {
            Command::Ls(args) => sweep::Job::Ls(args),
            Command::Stat(args) => sweep::Job::Stat(args),
            Command::Gc(args) => sweep::Job::Gc(args),
            _ => {
                return Err(Error::Usage(
                    "--all-namespaces works with ls, stat and gc; for one namespace use \
                     --ipc-ns PID|PATH"
                        .to_string(),
                ))
            }
        };
        return sweep::run(ctx, job, out);
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
        Command::Limits(args) => limits::run(ctx, args, out),
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

/// The segment a selector names (`dump`, `attach`, `schema --check` work on segments only).
pub fn segment(selector: &Selector) -> Result<Segment> {
    if selector.kind() != Kind::Shm {
        return Err(Error::Usage(format!(
            "`{selector}` is not a shared memory segment: dump, attach and schema --check read \
             segments; ls, stat, rm and gc handle {} objects",
            selector.kind()
        )));
    }
    match Resolver::default().resolve(selector)? {
        Object::Shm(segment) => Ok(segment),
        other => Err(Error::Usage(format!("{} is not a segment", other.label()))),
    }
}

/// Selectors as objects; what names nothing is reported (on stderr unless JSON) and kept
/// for the batch's `failed` list and exit code. Each object once, however often named.
pub fn resolve_all(
    ctx: Context,
    selectors: &[Selector],
) -> (Vec<Object>, Vec<Unresolved>, Vec<Exit>) {
    let mut resolver = Resolver::default();
    let mut seen = std::collections::HashSet::new();
    let (mut objects, mut failed, mut exits) = (Vec::new(), Vec::new(), Vec::new());
    for selector in selectors {
        match resolver.resolve(selector) {
            Ok(object) => {
                if seen.insert((object.kind(), object.selector())) {
                    objects.push(object);
                }
            }
            Err(e) => {
                exits.push(e.exit());
                if !ctx.json {
                    render::error(&e);
                }
                failed.push(unresolved(selector, &e));
            }
        }
    }
    (objects, failed, exits)
}

/// A selector that failed to resolve, for a batch's report.
pub fn unresolved(selector: &Selector, err: &Error) -> Unresolved {
    Unresolved {
        kind: selector.kind(),
        selector: selector.to_string(),
        error: ErrorJson {
            code: unresolved_code(err),
            text: err.to_string(),
        },
    }
}

/// The errno name an error reports in JSON (`ENOENT`, `EACCES` …).
pub fn unresolved_code(err: &Error) -> String {
    match err {
        Error::NotFound(_) => "ENOENT".to_string(),
        Error::Sys { err, .. } => err.code(),
        Error::Io { err, .. } => err
            .raw_os_error()
            .map_or(sys::error::FAILED.to_string(), sys::error::errno_name),
        // No errno behind it: the errno of what it means (a malformed selector, a refusal)…
        Error::Usage(_) | Error::Schema(_) => "EINVAL".to_string(),
        Error::Denied(_) => "EACCES".to_string(),
        // …or, for a failure that is no errno's, a code that names no errno.
        Error::Failed(_) => sys::error::FAILED.to_string(),
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
