//! `shmctl generate man|completions DIR` (hidden): man pages and shell completions from the
//! command line itself, so that they cannot drift from it. Their output is committed under
//! man/ and completions/, and a test fails when it is stale.
use std::io::Write;
use std::path::{Path, PathBuf};

use clap_complete::Shell;
use roff::{bold, roman, Roff};

use crate::cli::{self, GenerateArgs, Generated, EXAMPLES};
use crate::error::{Error, Exit, Result};

use super::Context;

pub fn run(ctx: Context, args: &GenerateArgs, out: &mut dyn Write) -> Result<Exit> {
    std::fs::create_dir_all(&args.dir)
        .map_err(|e| Error::io(format!("creating {}", args.dir.display()), e))?;
    let written = match args.what {
        Generated::Man => man_pages(&args.dir)?,
        Generated::Completions => completions(&args.dir)?,
    };
    if !ctx.quiet {
        for path in written {
            writeln!(out, "{}", path.display()).map_err(Error::output)?;
        }
    }
    Ok(Exit::Success)
}

fn completions(dir: &Path) -> Result<Vec<PathBuf>> {
    // The hidden subcommands (generate, clap's help) are never offered.
    let full = cli::command();
    let mut cmd = full
        .clone()
        .disable_help_subcommand(true)
        .subcommand_required(true);
    let hidden: Vec<String> = full
        .get_subcommands()
        .filter(|s| s.is_hide_set())
        .map(|s| s.get_name().to_string())
        .collect();
    cmd = rebuilt_without(cmd, &hidden);
    [
        Shell::Bash,
        Shell::Zsh,
        Shell::Fish,
        Shell::Elvish,
        Shell::PowerShell,
    ]
    .into_iter()
    .map(|shell| {
        clap_complete::generate_to(shell, &mut cmd, "shmctl", dir)
            .map_err(|e| Error::io(format!("writing {shell} completions"), e))
    })
    .collect()
}

/// `cmd` with the subcommands named in `hidden` left out (clap cannot remove one).
fn rebuilt_without(cmd: clap::Command, hidden: &[String]) -> clap::Command {
    let visible: Vec<clap::Command> = cmd
        .get_subcommands()
        .filter(|s| !hidden.iter().any(|h| h == s.get_name()))
        .cloned()
        .collect();
    let mut bare = clap::Command::new(cmd.get_name().to_string())
        .version(env!("CARGO_PKG_VERSION"))
        .disable_help_subcommand(true)
        .subcommand_required(true);
    if let Some(about) = cmd.get_about() {
        bare = bare.about(about.clone());
    }
    bare.args(cmd.get_arguments().filter(|a| !a.is_hide_set()).cloned())
        .subcommands(visible)
}

/// `shmctl.1`, and `shmctl-SUB.1` for every visible subcommand, each with the global options.
fn man_pages(dir: &Path) -> Result<Vec<PathBuf>> {
    let root = cli::command();
    let globals: Vec<clap::Arg> = root
        .get_arguments()
        .filter(|a| a.is_global_set() && !a.is_hide_set())
        .cloned()
        .collect();
    let mut written = vec![page(dir, "shmctl", root.clone(), None)?];
    for sub in root.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("shmctl-{}", sub.get_name());
        let cmd = sub
            .clone()
            .name(name.clone())
            .bin_name(format!("shmctl {}", sub.get_name()))
            .args(globals.iter().cloned().map(|a| a.global(false)));
        written.push(page(dir, &name, cmd, Some((sub.get_name(), &root)))?);
    }
    Ok(written)
}

fn page(
    dir: &Path,
    name: &str,
    cmd: clap::Command,
    sub: Option<(&str, &clap::Command)>,
) -> Result<PathBuf> {
    let path = dir.join(format!("{name}.1"));
    let man = clap_mangen::Man::new(cmd.clone().after_long_help(None::<&str>))
        .title(name.to_uppercase())
        .section("1")
        .source(format!("shmctl {}", env!("CARGO_PKG_VERSION")))
        .manual("shmctl manual");
    let mut text = Vec::new();
    let io = |e| Error::io(format!("rendering {name}.1"), e);
    man.render_title(&mut text).map_err(io)?;
    man.render_name_section(&mut text).map_err(io)?;
    man.render_synopsis_section(&mut text).map_err(io)?;
    man.render_description_section(&mut text).map_err(io)?;
    man.render_options_section(&mut text).map_err(io)?;
    let mut roff = Roff::new();
    match sub {
        None => subcommands(&mut roff, &cmd),
        Some(("gc", _)) => orphan_policy(&mut roff),
        Some(_) => {}
    }
    text.extend_from_slice(roff.to_roff().as_bytes());
    text.extend_from_slice(extra_sections(sub.map(|(s, _)| s)).to_roff().as_bytes());
    std::fs::write(&path, text).map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
    Ok(path)
}

/// The root page's SUBCOMMANDS: each visible one with its page (clap's `help` has none), and
/// a note on the name.
fn subcommands(roff: &mut Roff, root: &clap::Command) {
    roff.control("SH", ["SUBCOMMANDS"]);
    for sub in root.get_subcommands().filter(|s| !s.is_hide_set()) {
        roff.control("TP", []);
        roff.text([bold(format!("shmctl-{}(1)", sub.get_name()))]);
        if let Some(about) = sub.get_about() {
            roff.text([roman(about.to_string())]);
        }
    }
    roff.control("TP", []);
    roff.text([bold("shmctl help [SUBCOMMAND]")]);
    roff.text([roman("The help of shmctl or of a subcommand (as --help).")]);
    roff.control("SH", ["NOTES"]);
    roff.text([roman(
        "The name is also that of the System V system call shmctl(2), which controls a \
         segment (IPC_STAT, IPC_SET, IPC_RMID); this tool is built on it and on shmget(2), \
         shmat(2), semctl(2) and msgctl(2). For the system call, see man 2 shmctl.",
    )]);
}

/// `shmctl-gc(1)`: the orphan policy, and every reason and evidence code.
fn orphan_policy(roff: &mut Roff) {
    use crate::ipc::policy::{EVIDENCE_CODES, REASON_CODES};
    roff.control("SH", ["ORPHAN POLICY"]);
    let paragraphs = [
        "A segment is an orphan when nothing is attached (nattch 0) and its creator and last \
         user are proven dead: kill(pid, 0) says ESRCH, the pid is a zombie (exited, not yet \
         reaped, with no other thread left), or the pid now belongs to a process that started \
         more than 2 s after the segment (PID reuse). A pid that exists but whose start time \
         cannot be read counts as alive; a pid of 0 (a process in another PID namespace) keeps \
         the segment unless --include-unknown.",
        "The other kinds (--kind sem,msg,pshm,psem,pmq or all) need --older-than: a semaphore \
         set or queue is an orphan when nobody waits on it, its last users are dead and it has \
         been idle that long; a POSIX object when no process maps it or holds it open.",
        "Removal follows one guarded sequence: fresh facts, mode 000, fresh facts again, then \
         IPC_RMID or unlink — or the mode restored and the object reported kept (changed). \
         Runs take a lock per IPC namespace; SIGINT and SIGTERM stop a run between two objects, \
         never inside one's sequence. ls --orphans lists exactly what gc would remove.",
    ];
    for (i, text) in paragraphs.into_iter().enumerate() {
        if i > 0 {
            roff.control("PP", []);
        }
        roff.text([roman(text)]);
    }
    for (title, codes) in [
        ("REASON CODES", REASON_CODES),
        ("EVIDENCE CODES", EVIDENCE_CODES),
    ] {
        roff.control("SH", [title]);
        roff.text([roman(if title == "REASON CODES" {
            "Why an object is kept (JSON: kept[].reason.code; gc -v; ls --orphans WHY):"
        } else {
            "What proves an object an orphan (JSON: evidence[].code; ls WHY, joined by +):"
        })]);
        for (code, kinds, meaning) in codes {
            roff.control("TP", []);
            roff.text([bold(*code)]);
            roff.text([roman(format!("{meaning} ({kinds})."))]);
        }
    }
}

/// EXAMPLES, EXIT STATUS and SEE ALSO, written for people.
fn extra_sections(sub: Option<&str>) -> Roff {
    let mut roff = Roff::new();
    let examples: Vec<(&str, &str)> = match sub {
        Some(name) => EXAMPLES
            .iter()
            .filter(|(n, _)| *n == name)
            .flat_map(|(_, e)| e.iter().copied())
            .collect(),
        // The root page: the first example of each subcommand.
        None => EXAMPLES
            .iter()
            .filter_map(|(_, e)| e.first().copied())
            .collect(),
    };
    if !examples.is_empty() {
        roff.control("SH", ["EXAMPLES"]);
        for (command, what) in examples {
            roff.control("TP", []);
            roff.text([bold(command)]);
            roff.text([roman(what)]);
        }
    }
    roff.control("SH", ["EXIT STATUS"]);
    let codes = [
        ("0", "Success; also gc with nothing to do, and a target that vanished between plan and removal."),
        ("1", "An operation failed or was refused (an attached segment without --force, a lint finding, a --check or --expect mismatch); in a batch, failures of mixed kinds."),
        ("2", "A usage error or a malformed selector; gc with no terminal and no --yes."),
        ("3", "A named target does not exist (in a batch: every failure was of this kind)."),
        ("4", "Permission denied (in a batch: every failure was of this kind)."),
    ];
    for (code, meaning) in codes {
        roff.control("TP", []);
        roff.text([bold(code)]);
        roff.text([roman(meaning)]);
    }
    roff.control("PP", []);
    roff.text([roman("A broken pipe exits 0. rm and gc stopped by SIGINT or SIGTERM print their report, then end as the signal would.")]);
    roff.control("SH", ["SEE ALSO"]);
    let mut see_also = String::new();
    if sub.is_some() {
        see_also.push_str("shmctl(1), ");
    }
    see_also.push_str("ipcs(1), ipcrm(1), ipcmk(1), lsipc(1), shmctl(2), shmget(2), shmat(2), ftok(3), sem_overview(7)");
    roff.text([roman(see_also)]);
    roff
}
