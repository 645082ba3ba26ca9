//! Values people type → bytes at a field's place (`attach --set`). Pure; refuses anything
//! that does not fit rather than truncating or wrapping.
use crate::schema::types::Ty;
use crate::schema::{Field, Layouts, Program, Target};

/// The bytes to write for one field: (offset, bytes, mask) — the mask keeps the other bits
/// of a bitfield's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Write {
    pub offset: u64,
    pub bytes: Vec<u8>,
    /// For bitfields: the bits of `bytes` that belong to the field.
    pub mask: Option<Vec<u8>>,
}

pub fn encode(
    program: &Program,
    layouts: &Layouts,
    field: &Field,
    text: &str,
) -> Result<Write, String> {
    let ty = field.ty.resolved();
    if let (Some(bit), Some(width)) = (field.bit_offset, field.bit_width) {
        let value = match ty {
            Ty::Bool { .. } => i128::from(parse_bool(text)?),
            Ty::Int { signed, .. } => integer(
                text,
                width as u32,
                signed.unwrap_or(layouts.target == Target::X86_64),
            )?,
            Ty::Enum(id) => {
                let v = enum_value(program, *id, text)?;
                integer(&v.to_string(), width as u32, program.enums[*id].is_signed())?
            }
            _ => return Err(format!("`{}` cannot be set", field.path)),
        };
        let first = bit / 8;
        let span = ((bit + width).div_ceil(8) - first) as usize;
        let shift = bit % 8;
        let field_mask = ((1u128 << width) - 1) << shift;
        let bits = ((value as u128) << shift) & field_mask;
        return Ok(Write {
            offset: first,
            bytes: bits.to_le_bytes()[..span].to_vec(),
            mask: Some(field_mask.to_le_bytes()[..span].to_vec()),
        });
    }
    let size = field.size as usize;
    let bytes = match ty {
        Ty::Int { signed, .. } => {
            let signed = signed.unwrap_or(layouts.target == Target::X86_64);
            let v = integer(text, size as u32 * 8, signed)?;
            (v as u128).to_le_bytes()[..size].to_vec()
        }
        Ty::Bool { .. } => vec![u8::from(parse_bool(text)?)],
        Ty::Float { size: 4, .. } => text
            .parse::<f32>()
            .map_err(|_| format!("`{text}` is not a number"))?
            .to_le_bytes()
            .to_vec(),
        Ty::Float { .. } => text
            .parse::<f64>()
            .map_err(|_| format!("`{text}` is not a number"))?
            .to_le_bytes()
            .to_vec(),
        Ty::Enum(id) => {
            let v = enum_value(program, *id, text)?;
            let signed = program.enums[*id].is_signed();
            let v = integer(&v.to_string(), size as u32 * 8, signed)?;
            (v as u128).to_le_bytes()[..size].to_vec()
        }
        Ty::Array { of, len, .. } if matches!(of.resolved(), Ty::Int { size: 1, name, .. } if name == "char") =>
        {
            if text.len() + 1 > *len as usize {
                return Err(format!(
                    "\"{text}\" is {} bytes; `{}` holds {} with its NUL",
                    text.len(),
                    field.path,
                    len - 1
                ));
            }
            let mut bytes = vec![0u8; *len as usize];
            bytes[..text.len()].copy_from_slice(text.as_bytes());
            bytes
        }
        other => {
            return Err(format!(
                "`{}` ({}) cannot be set from the command line",
                field.path,
                other.display(program)
            ))
        }
    };
    Ok(Write {
        offset: field.offset,
        bytes,
        mask: None,
    })
}

pub(crate) fn parse_bool(text: &str) -> Result<bool, String> {
    match text {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(format!("`{text}` is not a bool: use true/false or 1/0")),
    }
}

/// An integer (decimal, 0x hex, negative) that fits in `bits` of that signedness.
pub(crate) fn integer(text: &str, bits: u32, signed: bool) -> Result<i128, String> {
    let t = text.trim();
    let (negative, digits) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let magnitude = match digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        Some(hex) => i128::from_str_radix(hex, 16),
        None => digits.parse::<i128>(),
    }
    .map_err(|_| format!("`{text}` is not an integer"))?;
    let value = if negative { -magnitude } else { magnitude };
    // 128 bits hold every i128 (an unsigned one past i128::MAX is not parsed at all).
    let (min, max) = match (signed, bits) {
        (_, 0) => (0, 0),
        (true, 128..) => (i128::MIN, i128::MAX),
        (false, 127..) => (0, i128::MAX),
        (true, _) => (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1),
        (false, _) => (0, (1i128 << bits) - 1),
    };
    if value < min || value > max {
        return Err(format!(
            "{value} does not fit: the field holds {min}..={max}"
        ));
    }
    Ok(value)
}

pub(crate) fn enum_value(program: &Program, id: usize, text: &str) -> Result<i128, String> {
    let values = &program.enums[id].values;
    if let Some((_, v)) = values.iter().find(|(name, _)| name == text) {
        return Ok(*v);
    }
    // A number: the caller checks that it fits the field (its width and signedness).
    integer(text, 64, true).map_err(|_| {
        let names: Vec<&str> = values.iter().map(|(n, _)| n.as_str()).collect();
        format!("`{text}` is not one of {}", names.join(", "))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema;

    fn fields(text: &str) -> (Program, Vec<Field>) {
        let program = schema::parse("t.h", text).expect("parse");
        let fields = schema::Layouts::new(&program, Target::X86_64)
            .expect("layout")
            .fields(0);
        (program, fields)
    }

    fn set(text: &str, path: &str, value: &str) -> Result<Write, String> {
        let (program, fields) = fields(text);
        let layouts = schema::Layouts::new(&program, Target::X86_64).expect("layout");
        let field = fields.iter().find(|f| f.path == path).expect("field");
        encode(&program, &layouts, field, value)
    }

    const S: &str = "enum Mode { IDLE, RUN = 5 }; struct S { unsigned char u8; short s16; char name[6]; _Bool ok; \
                     unsigned flags:3; int level:4; enum Mode mode; double ratio; void *p; };";

    #[test]
    fn integers_in_range_only() {
        assert_eq!(set(S, "u8", "255").expect("fits").bytes, [255]);
        assert!(set(S, "u8", "256")
            .expect_err("too big")
            .contains("0..=255"));
        assert!(set(S, "u8", "-1").is_err());
        assert_eq!(set(S, "s16", "-2").expect("fits").bytes, [0xfe, 0xff]);
        assert_eq!(set(S, "s16", "0x7fff").expect("fits").bytes, [0xff, 0x7f]);
        assert!(set(S, "s16", "40000").is_err());
        assert!(set(S, "s16", "twelve")
            .expect_err("nan")
            .contains("not an integer"));
    }

    #[test]
    fn strings_need_room_for_their_nul() {
        assert_eq!(set(S, "name", "hello").expect("fits").bytes, b"hello\0");
        assert!(set(S, "name", "hello!")
            .expect_err("no room")
            .contains("holds 5 with its NUL"));
    }

    #[test]
    fn bools_enums_bitfields_floats() {
        assert_eq!(set(S, "ok", "true").expect("bool").bytes, [1]);
        assert!(set(S, "ok", "yes").is_err());
        assert_eq!(set(S, "mode", "RUN").expect("enum").bytes, [5, 0, 0, 0]);
        assert!(set(S, "mode", "FAST")
            .expect_err("unknown")
            .contains("IDLE, RUN"));
        let w = set(S, "level", "-3").expect("bitfield");
        assert_eq!(
            (w.bytes.clone(), w.mask.clone()),
            (vec![0b0110_1000], Some(vec![0b0111_1000]))
        );
        assert!(set(S, "flags", "8").expect_err("3 bits").contains("0..=7"));
        assert!(set(S, "level", "8").is_err());
        assert_eq!(
            set(S, "ratio", "0.5").expect("double").bytes,
            0.5f64.to_le_bytes()
        );
        assert!(set(S, "p", "0x1234")
            .expect_err("pointer")
            .contains("cannot be set"));
    }

    /// An enum without negative constants is unsigned, as gcc makes it: a packed one holding
    /// 200 is an unsigned char (200 was refused), `0xffffffff` an unsigned int; and an enum
    /// bitfield takes only what fits its width (300 was masked to 44 without a word).
    #[test]
    fn enums_are_unsigned_without_negative_constants() {
        let text = "enum __attribute__((packed)) Small { LOW, HIGH = 200 }; \
                    enum Big { ALL = 0xffffffff }; enum Neg { M = -1, P = 1 }; \
                    struct S { enum Small sm; enum Big big; enum Neg neg; enum Small bits:4; };";
        assert_eq!(set(text, "sm", "200").expect("unsigned char").bytes, [200]);
        assert_eq!(set(text, "sm", "HIGH").expect("by name").bytes, [200]);
        assert!(set(text, "sm", "-1").is_err());
        assert_eq!(set(text, "big", "ALL").expect("u32").bytes, [0xff; 4]);
        assert_eq!(
            set(text, "big", "0xffffffff").expect("u32").bytes,
            [0xff; 4]
        );
        assert_eq!(set(text, "neg", "-1").expect("signed").bytes, [0xff; 4]);
        assert!(set(text, "neg", "0xffffffff").is_err());
        assert!(set(text, "bits", "300")
            .expect_err("4 bits")
            .contains("0..=15"));
        assert!(set(text, "bits", "15").is_ok());
    }
}
