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
    let mut cmd = cli::command();
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

/// `shmctl.1`, and `shmctl-SUB.1` for every visible subcommand.
fn man_pages(dir: &Path) -> Result<Vec<PathBuf>> {
    let root = cli::command();
    let mut written = vec![page(dir, "shmctl", root.clone(), None)?];
    for sub in root.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("shmctl-{}", sub.get_name());
        let cmd = sub
            .clone()
            .name(name.clone())
            .bin_name(format!("shmctl {}", sub.get_name()));
        written.push(page(dir, &name, cmd, Some(sub.get_name()))?);
    }
    Ok(written)
}

fn page(dir: &Path, name: &str, cmd: clap::Command, sub: Option<&str>) -> Result<PathBuf> {
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
    if sub.is_none() {
        man.render_subcommands_section(&mut text).map_err(io)?;
    }
    text.extend_from_slice(extra_sections(sub).to_roff().as_bytes());
    std::fs::write(&path, text).map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
    Ok(path)
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
