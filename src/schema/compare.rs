//! One type laid out two ways (a header's, and the compiler's as its debug information
//! records it): every difference, leaf by leaf. Pure.
use super::{Field, Layouts};

/// One way the two layouts of a type differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// The field's dotted path; None for the type itself.
    pub field: Option<String>,
    /// missing (in the header only), extra (in the debug information only), offset, size,
    /// type, bit_offset, bit_width, or for the type itself size.
    pub what: &'static str,
    pub header: Option<String>,
    pub debug_info: Option<String>,
}

/// Every difference between type `a` of `ours` (the header) and type `b` of `theirs` (the
/// debug information): its size, then each leaf in the header's order, then the leaves
/// only the debug information has.
pub fn compare(ours: &Layouts, a: usize, theirs: &Layouts, b: usize) -> Vec<Difference> {
    let mut out = Vec::new();
    let size = |l: &Layouts, id| l.record_layout(id).map(|r| r.size);
    let (sa, sb) = (size(ours, a), size(theirs, b));
    if sa != sb {
        out.push(Difference {
            field: None,
            what: "size",
            header: sa.map(|s| s.to_string()),
            debug_info: sb.map(|s| s.to_string()),
        });
    }
    let (fa, fb) = (ours.fields(a), theirs.fields(b));
    let find = |fields: &'_ [Field], path: &str| fields.iter().position(|f| f.path == path);
    for f in &fa {
        let Some(j) = find(&fb, &f.path) else {
            out.push(Difference {
                field: Some(f.path.clone()),
                what: "missing",
                header: Some(describe(ours, f)),
                debug_info: None,
            });
            continue;
        };
        let g = &fb[j];
        let mut differ = |what: &'static str, x: String, y: String| {
            if x != y {
                out.push(Difference {
                    field: Some(f.path.clone()),
                    what,
                    header: Some(x),
                    debug_info: Some(y),
                });
            }
        };
        differ(
            "type",
            f.ty.display(ours.program),
            g.ty.display(theirs.program),
        );
        match (f.bit_offset, g.bit_offset) {
            (None, None) => {
                differ("offset", f.offset.to_string(), g.offset.to_string());
                differ("size", f.size.to_string(), g.size.to_string());
            }
            _ => {
                let bits = |b: Option<u64>| b.map_or_else(|| "-".to_string(), |b| b.to_string());
                differ("bit_offset", bits(f.bit_offset), bits(g.bit_offset));
                differ("bit_width", bits(f.bit_width), bits(g.bit_width));
            }
        }
    }
    for g in &fb {
        if find(&fa, &g.path).is_none() {
            out.push(Difference {
                field: Some(g.path.clone()),
                what: "extra",
                header: None,
                debug_info: Some(describe(theirs, g)),
            });
        }
    }
    out
}

/// `uint32_t at 8 (4 bytes)`, or for a bitfield `unsigned int at bit 67 (3 bits)`.
fn describe(l: &Layouts, f: &Field) -> String {
    let ty = f.ty.display(l.program);
    match (f.bit_offset, f.bit_width) {
        (Some(bit), Some(width)) => format!("{ty} at bit {bit} ({width} bits)"),
        _ => format!("{ty} at {} ({} bytes)", f.offset, f.size),
    }
}
