//! Bytes + layout → values (pure). Never reads past the bytes it is given: what does not
//! fit is `Missing` (for `--partial`).
use crate::schema::types::{Sync, Ty};
use crate::schema::{Layouts, Target};

/// A decoded value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// An integer and its width in bits (its type's, or a bitfield's): `--hex` shows a
    /// negative one as its own bits (`int16_t` -40 is 0xffd8).
    Int {
        value: i128,
        bits: u32,
    },
    Float(f64),
    /// A `bool` whose byte is not 0 or 1 keeps the byte.
    Bool {
        value: bool,
        raw: u8,
    },
    /// A `char` array up to its NUL; `terminated` false when no NUL was found.
    Str {
        text: String,
        terminated: bool,
    },
    /// An enum: its constant's name when one matches.
    Enum {
        name: Option<String>,
        value: i128,
    },
    Pointer(u64),
    /// The first [`SHOWN`] elements of an array, and how many its bytes hold (`len`): a
    /// value is for reading, and `[1, 2, …]` of 2^30 elements is not. JSON streams every
    /// element instead ([`Decoder::node`]).
    Array {
        items: Vec<Value>,
        len: usize,
    },
    /// A struct, or a union (every member decoded over the same bytes).
    Record(Vec<(String, Value)>),
    Semaphore {
        value: u32,
        waiters: u32,
        shared: bool,
    },
    Mutex(MutexState),
    Condition {
        waiters: u32,
        shared: bool,
    },
    /// Past the end of the bytes (`--partial`).
    Missing,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MutexState {
    /// "free", "locked" or "locked, waiters".
    pub state: &'static str,
    pub owner_tid: i32,
    /// normal, recursive, errorcheck or adaptive.
    pub kind: &'static str,
    pub robust: bool,
    pub shared: bool,
    /// Held by a thread that no longer exists (or marked so by the kernel): a lock nobody
    /// will ever release — what a crashed writer leaves.
    pub owner_dead: bool,
}

/// How many elements of an array a [`Value`] holds: what a table shows.
pub const SHOWN: usize = 16;

/// A value one level at a time, for output that streams: an array is its element type and
/// bytes, decoded element by element as it is written, so nothing grows with its length.
pub enum Node<'t, 'b> {
    Leaf(Value),
    Array {
        of: &'t Ty,
        /// Each element's bytes: as many as the bytes hold, at most the declared length.
        elements: std::iter::Take<std::slice::ChunksExact<'b, u8>>,
    },
    /// A struct or union: its members by name (anonymous members' members inline), each
    /// with its type and bytes, or a value already decoded (a bitfield, a missing one).
    Record(Vec<(&'t str, Member<'t, 'b>)>),
}

pub enum Member<'t, 'b> {
    Typed(&'t Ty, &'b [u8]),
    Decoded(Value),
}

/// What decoding needs besides the bytes.
pub struct Decoder<'a> {
    pub layouts: &'a Layouts<'a>,
    /// Does a thread id exist? (For a held mutex's owner.)
    pub thread_alive: &'a dyn Fn(i32) -> bool,
}

fn le(bytes: &[u8]) -> u128 {
    bytes
        .iter()
        .rev()
        .fold(0u128, |acc, b| (acc << 8) | u128::from(*b))
}

impl<'a> Decoder<'a> {
    /// The value of `ty` whose first byte is `bytes[0]`.
    pub fn value(&self, ty: &Ty, bytes: &[u8]) -> Value {
        let program = self.layouts.program;
        let Some((size, _)) = self.layouts.size_align(ty) else {
            return Value::Missing;
        };
        let Some(bytes) = bytes.get(..size as usize) else {
            return self.partial(ty, bytes);
        };
        match ty {
            Ty::Named { ty, .. } => self.value(ty, bytes),
            Ty::Int { signed, .. } => {
                let signed = signed.unwrap_or(self.layouts.target == Target::X86_64);
                let bits = (size as u32).saturating_mul(8);
                Value::Int {
                    value: extend(le(bytes), bits, signed),
                    bits,
                }
            }
            Ty::Bool { .. } => Value::Bool {
                value: bytes[0] != 0,
                raw: bytes[0],
            },
            Ty::Float { size: 4, .. } => Value::Float(f64::from(f32::from_le_bytes([
                bytes[0], bytes[1], bytes[2], bytes[3],
            ]))),
            Ty::Float { .. } => Value::Float(f64::from_bits(le(bytes) as u64)),
            Ty::LongDouble => Value::Float(match self.layouts.target {
                Target::X86_64 => x87(&bytes[..10]),
                Target::Aarch64 => binary128(le(bytes)),
            }),
            Ty::Pointer(_) => Value::Pointer(le(bytes) as u64),
            Ty::Array { of, len, .. } => {
                if matches!(of.resolved(), Ty::Int { name, size: 1, .. } if name == "char") {
                    return string(bytes);
                }
                // Each element at its own bytes, as many as the bytes hold: elements of no
                // bytes hold nothing (and `E a[2^62]` must not make 2^62 values).
                let elements = self.elements(of, *len, bytes);
                Value::Array {
                    len: elements.len(),
                    items: elements
                        .take(SHOWN)
                        .map(|element| self.value(of, element))
                        .collect(),
                }
            }
            Ty::Record(id) => self.record(*id, bytes),
            Ty::Enum(id) => {
                let signed = program.enums[*id].is_signed();
                let value = extend(le(bytes), (size as u32).saturating_mul(8), signed);
                let name = program.enums[*id]
                    .values
                    .iter()
                    .find(|(_, v)| *v == value)
                    .map(|(n, _)| n.clone());
                Value::Enum { name, value }
            }
            Ty::Sync(Sync::Semaphore) => {
                let sem = crate::objects::SemValue::from_sem_t(bytes).unwrap_or(
                    crate::objects::SemValue {
                        value: 0,
                        waiters: 0,
                    },
                );
                let private = le(&bytes[8..12]) as u32;
                // glibc: 128 (FUTEX_PRIVATE_FLAG's value) marks a process-shared one.
                Value::Semaphore {
                    value: sem.value,
                    waiters: sem.waiters,
                    shared: private == 128,
                }
            }
            Ty::Sync(Sync::Mutex) => Value::Mutex(self.mutex(bytes)),
            Ty::Sync(Sync::Condition) => {
                let wrefs = le(&bytes[36..40]) as u32;
                Value::Condition {
                    waiters: wrefs >> 3,
                    shared: wrefs & 1 != 0,
                }
            }
            Ty::Function | Ty::Void => Value::Missing,
        }
    }

    /// Each element's bytes, as many as `bytes` hold of `len`: elements of no bytes hold
    /// nothing (and `E a[2^62]` must not make 2^62 values).
    fn elements<'b>(
        &self,
        of: &Ty,
        len: u64,
        bytes: &'b [u8],
    ) -> std::iter::Take<std::slice::ChunksExact<'b, u8>> {
        let stride = self.layouts.size_align(of).map_or(0, |(s, _)| s as usize);
        let count = match stride {
            0 => 0,
            _ => usize::try_from(len).unwrap_or(usize::MAX),
        };
        bytes.chunks_exact(stride.max(1)).take(count)
    }

    /// `ty` at `bytes`, one level deep: what [`Decoder::value`] gives, except that arrays
    /// (other than strings) and records are left to be decoded part by part.
    pub fn node<'t, 'b>(&self, ty: &'t Ty, bytes: &'b [u8]) -> Node<'t, 'b>
    where
        'a: 't,
    {
        let size = self.layouts.size_align(ty).map(|(s, _)| s as usize);
        match (ty, size) {
            (Ty::Named { ty, .. }, _) => self.node(ty, bytes),
            (Ty::Array { of, len, .. }, Some(size))
                if bytes.len() >= size
                    && !matches!(of.resolved(), Ty::Int { name, size: 1, .. } if name == "char") =>
            {
                Node::Array {
                    of,
                    elements: self.elements(of, *len, &bytes[..size]),
                }
            }
            (Ty::Record(id), Some(size)) => {
                Node::Record(self.members(*id, bytes.get(..size).unwrap_or(bytes)))
            }
            _ => Node::Leaf(self.value(ty, bytes)),
        }
    }

    /// A record's members, by name, in order; anonymous members' members inline.
    fn members<'t, 'b>(&self, id: usize, bytes: &'b [u8]) -> Vec<(&'t str, Member<'t, 'b>)>
    where
        'a: 't,
    {
        let program: &'a crate::schema::Program = self.layouts.program;
        let record = &program.records[id];
        let mut members = Vec::new();
        let Some(layout) = self.layouts.record_layout(id) else {
            return members;
        };
        for (member, bit) in record.members.iter().zip(&layout.bit_offsets) {
            let part = match member.bit_width {
                Some(0) => continue,
                Some(width) => Member::Decoded(bitfield(&member.ty, bytes, *bit, width)),
                None => match bytes.get((*bit / 8) as usize..) {
                    Some(rest) => Member::Typed(&member.ty, rest),
                    None => Member::Decoded(Value::Missing),
                },
            };
            match (&member.name, part) {
                (Some(name), part) => members.push((name.as_str(), part)),
                // An anonymous struct or union: its members are the parent's.
                (None, Member::Typed(ty, rest)) => {
                    if let Ty::Record(inner) = ty.resolved() {
                        members.extend(self.members(*inner, rest));
                    }
                }
                (None, Member::Decoded(_)) => {}
            }
        }
        members
    }

    /// A leaf field of a layout, from the bytes of the whole record.
    pub fn field(&self, field: &crate::schema::Field, record: &[u8]) -> Value {
        match (field.bit_offset, field.bit_width) {
            (Some(bit), Some(width)) => bitfield(&field.ty, record, bit, width),
            _ => match record.get(field.offset as usize..) {
                Some(rest) => self.value(&field.ty, rest),
                None => Value::Missing,
            },
        }
    }

    /// What fits of a value that runs past the bytes: a record's leading members.
    fn partial(&self, ty: &Ty, bytes: &[u8]) -> Value {
        match ty.resolved() {
            Ty::Record(id) => self.record(*id, bytes),
            _ => Value::Missing,
        }
    }

    fn record(&self, id: usize, bytes: &[u8]) -> Value {
        let record = &self.layouts.program.records[id];
        let Some(layout) = self.layouts.record_layout(id) else {
            return Value::Missing;
        };
        let mut members = Vec::new();
        for (member, bit) in record.members.iter().zip(&layout.bit_offsets) {
            let value = match member.bit_width {
                Some(0) => continue,
                Some(width) => bitfield(&member.ty, bytes, *bit, width),
                None => match bytes.get((*bit / 8) as usize..) {
                    Some(rest) => self.value(&member.ty, rest),
                    None => Value::Missing,
                },
            };
            match (&member.name, value) {
                (Some(name), value) => members.push((name.clone(), value)),
                // An anonymous struct or union: its members are the parent's.
                (None, Value::Record(inner)) => members.extend(inner),
                (None, _) => {}
            }
        }
        Value::Record(members)
    }

    fn mutex(&self, b: &[u8]) -> MutexState {
        let word = |at: usize| le(&b[at..at + 4]) as u32;
        let (lock, owner, kind) = (word(0), word(8) as i32, word(16));
        let robust = kind & 16 != 0;
        let pi = kind & 32 != 0;
        let tid = if robust || pi {
            (lock & 0x3fff_ffff) as i32
        } else {
            owner
        };
        let state = match (lock, robust || pi) {
            (0, _) => "free",
            (l, true) if l & 0x8000_0000 != 0 => "locked, waiters",
            (2, false) => "locked, waiters",
            _ => "locked",
        };
        let died_bit = (robust || pi) && lock & 0x4000_0000 != 0;
        let inconsistent = owner >= i32::MAX - 1;
        let gone = lock != 0 && tid > 0 && !(self.thread_alive)(tid);
        MutexState {
            state,
            owner_tid: tid,
            kind: ["normal", "recursive", "errorcheck", "adaptive"][(kind & 3) as usize],
            robust,
            shared: kind & 128 != 0,
            owner_dead: died_bit || inconsistent || gone,
        }
    }
}

/// Bits [bit, bit + width), LSB first, sign-extended for signed types (a plain `int`
/// bitfield is signed with gcc).
fn bitfield(ty: &Ty, bytes: &[u8], bit: u64, width: u64) -> Value {
    let first = (bit / 8) as usize;
    let last = (bit + width).div_ceil(8) as usize;
    let Some(span) = bytes.get(first..last) else {
        return Value::Missing;
    };
    if width == 0 {
        return Value::Int { value: 0, bits: 0 };
    }
    let mask = 1u128.checked_shl(width as u32).map_or(u128::MAX, |m| m - 1);
    let raw = (le(span) >> (bit % 8)) & mask;
    match ty.resolved() {
        Ty::Bool { .. } => Value::Bool {
            value: raw != 0,
            raw: raw as u8,
        },
        Ty::Int { signed, .. } => Value::Int {
            value: extend(raw, width as u32, signed.unwrap_or(true)),
            bits: width as u32,
        },
        _ => Value::Int {
            value: raw as i128,
            bits: width as u32,
        },
    }
}

fn extend(raw: u128, bits: u32, signed: bool) -> i128 {
    if signed && (1..128).contains(&bits) && raw >> (bits - 1) & 1 == 1 {
        (raw as i128) - (1i128 << bits)
    } else {
        raw as i128
    }
}

/// Up to the NUL; bytes that are not printable ASCII escaped (`\n`, `\x00`-style).
fn string(bytes: &[u8]) -> Value {
    let end = bytes.iter().position(|&b| b == 0);
    let mut text = String::new();
    for &b in &bytes[..end.unwrap_or(bytes.len())] {
        match b {
            b'\\' => text.push_str("\\\\"),
            b'\n' => text.push_str("\\n"),
            b'\t' => text.push_str("\\t"),
            b'\r' => text.push_str("\\r"),
            0x20..=0x7e => text.push(b as char),
            _ => text.push_str(&format!("\\x{b:02x}")),
        }
    }
    Value::Str {
        text,
        terminated: end.is_some(),
    }
}

/// x87 80-bit extended: 64-bit mantissa with an explicit integer bit, 15-bit exponent.
fn x87(b: &[u8]) -> f64 {
    let mantissa = le(&b[..8]) as u64;
    let exp_sign = le(&b[8..10]) as u16;
    let sign = if exp_sign & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = i32::from(exp_sign & 0x7fff);
    if exp == 0x7fff {
        return if mantissa << 1 == 0 {
            sign * f64::INFINITY
        } else {
            f64::NAN
        };
    }
    let exp = if exp == 0 { 1 - 16383 } else { exp - 16383 };
    sign * (mantissa as f64) * 2f64.powi(exp - 63)
}

/// IEEE binary128 (aarch64 long double), to the nearest f64.
fn binary128(bits: u128) -> f64 {
    let sign = if bits >> 127 != 0 { -1.0 } else { 1.0 };
    let exp = ((bits >> 112) & 0x7fff) as i32;
    let fraction = bits & ((1u128 << 112) - 1);
    if exp == 0x7fff {
        return if fraction == 0 {
            sign * f64::INFINITY
        } else {
            f64::NAN
        };
    }
    let (mantissa, exp) = if exp == 0 {
        (fraction, 1 - 16383)
    } else {
        (fraction | (1u128 << 112), exp - 16383)
    };
    sign * (mantissa as f64) * 2f64.powi(exp - 112)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// gcc makes an enum without negative constants unsigned: 200 in a packed one is 200
    /// (it decoded as -56), 0xffffffff is 4294967295 (it was -1); with a negative constant
    /// the enum is signed.
    #[test]
    fn enums_without_negative_constants_are_unsigned() {
        let text = "enum __attribute__((packed)) Small { LOW, HIGH = 200 }; \
                    enum Big { ALL = 0xffffffff }; enum Neg { M = -1, P = 1 }; \
                    struct S { enum Small sm; enum Big big; enum Neg neg; };";
        let program = crate::schema::parse("t.h", text).expect("parse");
        let layouts = Layouts::new(&program, crate::schema::Target::X86_64).expect("layout");
        let decoder = Decoder {
            layouts: &layouts,
            thread_alive: &|_| false,
        };
        let fields = layouts.fields(0);
        let mut bytes = vec![0xffu8; 12];
        bytes[0] = 200;
        let value = |path: &str| {
            let field = fields.iter().find(|f| f.path == path).expect("field");
            match decoder.field(field, &bytes) {
                Value::Enum { name, value } => (name, value),
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(value("sm"), (Some("HIGH".into()), 200));
        assert_eq!(value("big"), (Some("ALL".into()), 4294967295));
        assert_eq!(value("neg"), (Some("M".into()), -1));
    }

    fn int(value: i128, bits: u32) -> Value {
        Value::Int { value, bits }
    }

    #[test]
    fn long_doubles() {
        // 1.5 in x87: mantissa 0xC000…, exponent 16383.
        let mut b = [0u8; 10];
        b[..8].copy_from_slice(&0xC000_0000_0000_0000u64.to_le_bytes());
        b[8..].copy_from_slice(&16383u16.to_le_bytes());
        assert_eq!(x87(&b), 1.5);
        b[8..].copy_from_slice(&(16383u16 | 0x8000).to_le_bytes());
        assert_eq!(x87(&b), -1.5);
        b[8..].copy_from_slice(&0x7fffu16.to_le_bytes());
        assert!(x87(&b).is_nan());
        let q = (16383u128 << 112) | (1u128 << 111); // 1.5 as binary128
        assert_eq!(binary128(q), 1.5);
    }

    #[test]
    fn strings_stop_at_nul_and_flag_its_absence() {
        assert_eq!(
            string(b"hi\0junk"),
            Value::Str {
                text: "hi".into(),
                terminated: true
            }
        );
        assert_eq!(
            string(b"a\nb\xff"),
            Value::Str {
                text: "a\\nb\\xff".into(),
                terminated: false
            }
        );
    }

    #[test]
    fn bitfields_sign_extend() {
        let sint = Ty::Int {
            name: "int".into(),
            size: 4,
            signed: Some(true),
        };
        let uint = Ty::Int {
            name: "unsigned int".into(),
            size: 4,
            signed: Some(false),
        };
        let bytes = [0b1110_1000u8, 0, 0, 0];
        assert_eq!(bitfield(&sint, &bytes, 3, 5), int(-3, 5));
        assert_eq!(bitfield(&uint, &bytes, 3, 5), int(29, 5));
        assert_eq!(
            bitfield(&uint, &bytes, 30, 5),
            Value::Missing,
            "never past the bytes"
        );
    }

    /// The value of the header's `name`, decoded over `bytes` (x86_64).
    fn decode(header: &str, name: &str, bytes: &[u8]) -> Value {
        let program = crate::schema::parse("t.h", header).expect("parse");
        let layouts = Layouts::new(&program, Target::X86_64).expect("layout");
        let id = crate::schema::find_record(&program, name).expect("type");
        let decoder = Decoder {
            layouts: &layouts,
            thread_alive: &|_| true,
        };
        decoder.value(&Ty::Record(id), bytes)
    }

    #[test]
    fn zero_size_types_decode_without_panicking() {
        assert_eq!(decode("struct E { };", "E", &[]), Value::Record(vec![]));
        assert_eq!(
            decode("struct Z { int a[0]; };", "Z", &[1, 2, 3]),
            Value::Record(vec![(
                "a".into(),
                Value::Array {
                    items: vec![],
                    len: 0
                }
            )])
        );
        // 2^62 elements of no bytes: no 2^62 values ("capacity overflow" before).
        assert_eq!(
            decode(
                "struct E { }; struct H { struct E e[4611686018427387904]; int x; };",
                "H",
                &[7, 0, 0, 0]
            ),
            Value::Record(vec![
                (
                    "e".into(),
                    Value::Array {
                        items: vec![],
                        len: 0
                    }
                ),
                ("x".into(), int(7, 32)),
            ])
        );
    }

    #[test]
    fn huge_types_decode_only_the_bytes_there_are() {
        // 2^40 bytes of type, 6 bytes of segment: what fits, the rest missing.
        let big = "struct B { short s; char pad[2]; int tail[274877906944]; short after; };";
        assert_eq!(
            decode(big, "B", &[0xd8, 0xff, 0, 0, 1, 0]),
            Value::Record(vec![
                ("s".into(), int(-40, 16)),
                (
                    "pad".into(),
                    Value::Str {
                        text: String::new(),
                        terminated: true
                    }
                ),
                ("tail".into(), Value::Missing),
                ("after".into(), Value::Missing),
            ])
        );
        // Many small elements: one value per element the bytes hold.
        let many = "struct M { unsigned char b[3]; };";
        assert_eq!(
            decode(many, "M", &[1, 2, 3, 4]),
            Value::Record(vec![(
                "b".into(),
                Value::Array {
                    items: vec![int(1, 8), int(2, 8), int(3, 8)],
                    len: 3
                }
            )])
        );
    }

    #[test]
    fn bitfields_of_every_width() {
        let int128 = Ty::Int {
            name: "__int128".into(),
            size: 16,
            signed: Some(true),
        };
        assert_eq!(bitfield(&int128, &[0xff; 16], 0, 128), int(-1, 128));
        assert_eq!(bitfield(&int128, &[0xff; 16], 0, 0), int(0, 0));
        assert_eq!(extend(0, 0, true), 0, "no bits, no sign");
    }

    #[test]
    fn no_type_and_no_length_of_bytes_panics() {
        let headers = [
            "struct T { };",
            "struct T { int a[0]; char c[0]; };",
            "struct E { }; struct T { struct E e[1000000000000]; struct E f; };",
            "struct T { unsigned char b[1000000000000]; };",
            "struct T { char s[1099511627776]; int after; };",
            "struct T { long long a:1, :0, b:63; unsigned c:32; _Bool d:1; };",
            "enum M { A = -1 }; struct T { enum M m; enum M n:4; };",
            "#include <stdint.h>\nstruct T { __int128 w; unsigned __int128 u; long double l[2]; };",
            "#include <pthread.h>\n#include <semaphore.h>\n\
             struct T { sem_t s; pthread_mutex_t m; pthread_cond_t c; };",
            "struct I { int x; }; struct T { struct I i[3]; union { float f; double d; }; void *p; };",
            "struct T { char c; } __attribute__((aligned(4096)));",
        ];
        let bytes: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
        for header in headers {
            let program = crate::schema::parse("t.h", header).expect("parse");
            let layouts = Layouts::new(&program, Target::X86_64).expect("layout");
            let id = crate::schema::find_record(&program, "T").expect("type");
            let decoder = Decoder {
                layouts: &layouts,
                thread_alive: &|_| false,
            };
            let fields = layouts.fields(id);
            for len in (0..200).chain([4095, 4096, 4097, 5000]) {
                let value = decoder.value(&Ty::Record(id), &bytes[..len]);
                assert!(
                    matches!(value, Value::Record(_)),
                    "{header} over {len}: {value:?}"
                );
                for field in &fields {
                    decoder.field(field, &bytes[..len]);
                }
            }
        }
    }
}
