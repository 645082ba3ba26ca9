use std::io::Write;

use crate::cli::{SchemaArgs, TargetArg};
use crate::error::{Error, Exit, Result};
use crate::render;
use crate::schema::{self, lint, SizeCheck, Target, TypeView};

use super::types::Types;
use super::{Context, Header};

pub fn run(ctx: Context, args: &SchemaArgs, out: &mut dyn Write) -> Result<Exit> {
    if let (Some(dwarf), Some(header)) = (&args.compare_debug_info, &args.file) {
        return compare(ctx, args, header, dwarf, out);
    }
    // `--debug-info auto` finds the program through the segment --check names.
    let segment = match (&args.check, args.debug_info.as_deref()) {
        (Some(selector), Some("auto")) => Some(super::segment(selector)?),
        _ => None,
    };
    let types = Types::load(
        ctx,
        args.file.as_deref(),
        args.debug_info.as_deref(),
        &args.debug_root.dir,
        segment.as_ref(),
    )?
    .ok_or_else(|| Error::Usage("name a header, or --debug-info FILE".into()))?;
    let (file, program) = (types.file(), types.program());
    let target = match (&types, args.target) {
        (Types::Dwarf { info, .. }, _) => info.target,
        (_, Some(TargetArg::X86_64)) => Target::X86_64,
        (_, Some(TargetArg::Aarch64)) => Target::Aarch64,
        (_, None) => Target::default(),
    };
    let layouts = types.layouts(target)?;
    let named = schema::named_records(program);
    let chosen: Vec<(String, usize)> = match &args.type_name {
        Some(name) => match schema::find_record(program, name) {
            Some(id) => vec![(name.trim_start_matches("struct ").to_string(), id)],
            // Not there: the close names, and every name it has.
            None => {
                return Err(match types.missing(name) {
                    Error::NotFound(text) => {
                        let known: Vec<&str> = named.iter().map(|(n, _)| n.as_str()).collect();
                        Error::NotFound(format!("{text}; it defines: {}", known.join(", ")))
                    }
                    left_out => left_out,
                })
            }
        },
        None => {
            types.note_left_out(ctx);
            named
        }
    };
    let views: Vec<TypeView> = chosen
        .into_iter()
        .filter_map(|(name, id)| {
            let layout = layouts.record_layout(id)?;
            let fields = layouts.fields(id);
            let holes = schema::layout::holes(&fields, layout.size);
            let keyword = program.records[id].keyword();
            Some(TypeView {
                id,
                name,
                keyword,
                size: layout.size,
                align: layout.align,
                fields,
                holes,
            })
        })
        .collect();

    if let Some(selector) = &args.check {
        let [view] = views.as_slice() else {
            return Err(Error::Usage(format!(
                "{file} defines {} types: name one with --type",
                views.len()
            )));
        };
        let segment = super::segment(selector)?;
        let check = SizeCheck {
            type_name: &view.name,
            type_size: view.size,
            segment_id: segment.id,
            segment_key: segment.key,
            segment_size: segment.size,
        };
        if ctx.json {
            render::json::schema_check(out, &check).map_err(Error::output)?;
        } else {
            render::table::schema_check(out, &check).map_err(Error::output)?;
        }
        return Ok(if view.size == segment.size {
            Exit::Success
        } else {
            Exit::Failure
        });
    }
    if args.lint {
        let mut findings = Vec::new();
        for view in &views {
            findings.extend(
                lint::lint(&layouts, view.id)
                    .into_iter()
                    .map(|f| (view.name.clone(), f)),
            );
        }
        if ctx.json {
            render::json::schema_lint(out, &findings).map_err(Error::output)?;
        } else {
            render::table::schema_lint(out, &findings).map_err(Error::output)?;
        }
        return Ok(if findings.is_empty() {
            Exit::Success
        } else {
            Exit::Failure
        });
    }
    if ctx.json {
        render::json::schema(out, program, &views).map_err(Error::output)?;
    } else {
        render::table::schema(out, program, &views).map_err(Error::output)?;
    }
    Ok(Exit::Success)
}

/// `schema HEADER --type T --compare-debug-info FILE`: the type as the header lays it out
/// (for FILE's target) against the compiler's layout in FILE's DWARF.
fn compare(
    ctx: Context,
    args: &SchemaArgs,
    header: &std::path::Path,
    dwarf: &std::path::Path,
    out: &mut dyn Write,
) -> Result<Exit> {
    let type_name = args.type_name.as_deref().unwrap_or_default();
    let header = Types::Header(Header::read(header)?);
    let dwarf = Types::from_file(ctx, dwarf, &args.debug_root.dir)?;
    let ours = header.layouts(dwarf.compiled_for().unwrap_or_default())?;
    let theirs = dwarf.layouts(Target::default())?;
    let record = |types: &Types| {
        schema::find_record(types.program(), type_name).ok_or_else(|| types.missing(type_name))
    };
    let (a, b) = (record(&header)?, record(&dwarf)?);
    let differences = schema::compare::compare(&ours, a, &theirs, b);
    let names = (header.file(), dwarf.file());
    if ctx.json {
        render::json::schema_compare(out, type_name, names, &differences).map_err(Error::output)?;
    } else {
        render::table::schema_compare(out, type_name, names, &differences)
            .map_err(Error::output)?;
    }
    Ok(if differences.is_empty() {
        Exit::Success
    } else {
        Exit::Failure
    })
}
