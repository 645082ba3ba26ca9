use std::io::Write;

use crate::cli::{SchemaArgs, TargetArg};
use crate::error::{Error, Exit, Result};
use crate::render;
use crate::schema::{self, lint, SizeCheck, Target, TypeView};

use super::{Context, Header};

pub fn run(ctx: Context, args: &SchemaArgs, out: &mut dyn Write) -> Result<Exit> {
    let header = Header::read(&args.file)?;
    let (file, program) = (&header.file, &header.program);
    let target = match args.target {
        Some(TargetArg::X86_64) => Target::X86_64,
        Some(TargetArg::Aarch64) => Target::Aarch64,
        None => Target::default(),
    };
    let layouts = header.layouts(target)?;
    let named = schema::named_records(program);
    let chosen: Vec<(String, usize)> = match &args.type_name {
        Some(name) => match schema::find_record(program, name) {
            Some(id) => vec![(name.trim_start_matches("struct ").to_string(), id)],
            None => {
                let known: Vec<&str> = named.iter().map(|(n, _)| n.as_str()).collect();
                return Err(Error::NotFound(format!(
                    "no struct or union `{name}` in {file}; it defines: {}",
                    known.join(", ")
                )));
            }
        },
        None => named,
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
