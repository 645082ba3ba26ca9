//! Shared-memory pitfalls in a struct: what `schema --lint` reports.
use super::layout::{holes, Field};
use super::types::Ty;
use super::Layouts;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub code: &'static str,
    pub path: Option<String>,
    pub text: String,
}

/// Findings for one record, in field order, then the record-wide ones.
pub fn lint(layouts: &Layouts, id: usize) -> Vec<Finding> {
    let fields = layouts.fields(id);
    let mut findings = Vec::new();
    let find = |code, path: &Field, text: String| Finding {
        code,
        path: Some(path.path.clone()),
        text,
    };
    for field in &fields {
        let mut ty = &field.ty;
        while let Ty::Array { of, .. } = ty {
            ty = of;
        }
        match ty {
            Ty::Pointer(_) => findings.push(find(
                "pointer",
                field,
                "a pointer is an address in one process; in another it points elsewhere (store an offset)".into(),
            )),
            Ty::Int { name, .. } if ["long", "unsigned long", "int", "unsigned int", "short", "unsigned short", "long long", "unsigned long long"].contains(&name.as_str()) => {
                let fixed = match name.as_str() {
                    "long" | "long long" => "int64_t",
                    "unsigned long" | "unsigned long long" => "uint64_t",
                    "int" => "int32_t",
                    "unsigned int" => "uint32_t",
                    "short" => "int16_t",
                    _ => "uint16_t",
                };
                findings.push(find(
                    "not_fixed_width",
                    field,
                    format!("`{name}` has no fixed width across compilers and ABIs: use {fixed}"),
                ));
            }
            Ty::Bool { name } => findings.push(find(
                "bool_size",
                field,
                format!("the size of `{name}` is the compiler's choice (1 with gcc): use uint8_t"),
            )),
            Ty::Enum(_) => findings.push(find(
                "enum_size",
                field,
                "an enum's size is the compiler's choice (4, or less with -fshort-enums): store a fixed-width integer".into(),
            )),
            _ => {}
        }
    }
    let Some(layout) = layouts.record_layout(id) else {
        return findings;
    };
    for (offset, size) in holes(&fields, layout.size) {
        let after = fields
            .iter()
            .filter(|f| f.offset + f.size <= offset)
            .max_by_key(|f| f.offset + f.size);
        let place = match after {
            Some(f) if offset + size == layout.size => format!("at the end, after `{}`", f.path),
            Some(f) => format!("after `{}`", f.path),
            None => "at the start".to_string(),
        };
        findings.push(Finding {
            code: "implicit_padding",
            path: after.map(|f| f.path.clone()),
            text: format!("{size} byte(s) of implicit padding at {offset:#x} {place}: make it an explicit field"),
        });
    }
    let named = |pattern: &str| {
        fields
            .iter()
            .any(|f| f.path.to_ascii_lowercase().contains(pattern))
    };
    if !named("version") && !named("magic") {
        findings.push(Finding {
            code: "no_version",
            path: None,
            text: "no version or magic field: a reader cannot tell an old or foreign layout from this one".into(),
        });
    }
    findings
}
