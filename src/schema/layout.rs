//! Sizes, alignments, offsets and bit positions as gcc computes them for x86-64 SysV and
//! AArch64 LP64 (KERNEL-NOTES.md §7: the algorithm that matched gcc on 10,500 random
//! structs per target). Pure.
use super::types::{EnumDef, Kind, Program, Sync, Ty};
use super::{too_deep, Target, MAX_DEPTH};

/// Where each member of a record lies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordLayout {
    pub size: u64,
    pub align: u64,
    /// Per member, in declaration order: its first bit from the record's start.
    pub bit_offsets: Vec<u64>,
}

/// A leaf member of a laid-out type, with its dotted path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub path: String,
    pub ty: Ty,
    pub offset: u64,
    pub size: u64,
    pub bit_offset: Option<u64>,
    pub bit_width: Option<u64>,
    /// Inside a union (its bytes overlap other fields').
    pub in_union: bool,
}

/// Layouts of every record of a program for one target.
pub struct Layouts<'p> {
    pub program: &'p Program,
    pub target: Target,
    records: Vec<Option<RecordLayout>>,
    /// Per record, how many records deep it is by value (1: none inside), at most
    /// [`MAX_DEPTH`]: what bounds [`Layouts::fields`]' recursion.
    heights: Vec<u32>,
    /// Records whose layout is being computed: meeting one again is containing itself.
    in_progress: Vec<bool>,
}

/// Why a type has no layout: the record (or member) at fault and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayoutError {
    pub line: u32,
    pub col: u32,
    pub message: String,
}

/// gcc's largest object, in bytes: PTRDIFF_MAX ("exceeds maximum object size").
pub const MAX_OBJECT_SIZE: u64 = i64::MAX as u64;

/// Bit positions are computed in u128, where no sum or product of sizes below
/// [`MAX_OBJECT_SIZE`] can overflow; `to` is never 0 (alignments are at least 1).
fn round_up(value: u128, to: u128) -> u128 {
    value.div_ceil(to.max(1)) * to.max(1)
}

/// Why a type has no size: a record never defined, or more bytes than gcc allows.
enum SizeError {
    Undefined,
    TooLarge,
}

impl<'p> Layouts<'p> {
    pub fn new(program: &'p Program, target: Target) -> Result<Layouts<'p>, LayoutError> {
        let mut layouts = Layouts {
            program,
            target,
            records: vec![None; program.records.len()],
            heights: vec![0; program.records.len()],
            in_progress: vec![false; program.records.len()],
        };
        for id in 0..program.records.len() {
            if program.records[id].defined {
                layouts.record(id, 0)?;
            }
        }
        Ok(layouts)
    }

    /// Layouts given whole — read from a compiler's debug information, where each record's
    /// size and member positions are what the compiler chose — rather than computed. Each
    /// record's height is still bounded by [`MAX_DEPTH`], and a record that contains itself
    /// by value (which no compiler writes) is refused.
    pub fn precomputed(
        program: &'p Program,
        target: Target,
        records: Vec<Option<RecordLayout>>,
    ) -> Result<Layouts<'p>, LayoutError> {
        let n = program.records.len();
        let mut layouts = Layouts {
            program,
            target,
            records,
            heights: vec![0; n],
            in_progress: vec![false; n],
        };
        layouts.records.resize(n, None);
        for id in 0..n {
            layouts.height(id, 0)?;
        }
        Ok(layouts)
    }

    /// How many records deep `id` is by value (see `heights`).
    fn height(&mut self, id: usize, depth: u32) -> Result<u32, LayoutError> {
        if self.heights[id] > 0 {
            return Ok(self.heights[id]);
        }
        let error = |message: String| LayoutError {
            line: 0,
            col: 0,
            message,
        };
        if self.in_progress[id] || depth >= MAX_DEPTH {
            return Err(error(format!(
                "`{}`: {}",
                self.program.records[id].display_name(),
                if self.in_progress[id] {
                    "a struct cannot contain itself".to_string()
                } else {
                    too_deep()
                }
            )));
        }
        self.in_progress[id] = true;
        let mut height = 1;
        for member in &self.program.records[id].members {
            if let Some(inner) = member.ty.record_held() {
                height = height.max(self.height(inner, depth + 1)? + 1);
            }
        }
        self.in_progress[id] = false;
        if height > MAX_DEPTH {
            return Err(error(too_deep()));
        }
        self.heights[id] = height;
        Ok(height)
    }

    pub fn record_layout(&self, id: usize) -> Option<&RecordLayout> {
        self.records.get(id).and_then(Option::as_ref)
    }

    /// sizeof and _Alignof.
    pub fn size_align(&self, ty: &Ty) -> Option<(u64, u64)> {
        self.size_align_inner(ty).ok()
    }

    fn size_align_inner(&self, ty: &Ty) -> Result<(u64, u64), SizeError> {
        Ok(match ty {
            Ty::Array { of, len, .. } => {
                let (size, align) = self.size_align_inner(of)?;
                let total = size
                    .checked_mul(*len)
                    .filter(|&t| t <= MAX_OBJECT_SIZE)
                    .ok_or(SizeError::TooLarge)?;
                (total, align)
            }
            Ty::Record(id) => match &self.records[*id] {
                Some(r) => (r.size, r.align),
                None => return Err(SizeError::Undefined),
            },
            Ty::Named { ty, .. } => self.size_align_inner(ty)?,
            scalar => scalar_size_align(scalar, &self.program.enums, self.target)
                .ok_or(SizeError::Undefined)?,
        })
        .map(|(size, align)| (size, if align == 0 { size } else { align }))
    }

    fn record(&mut self, id: usize, depth: u32) -> Result<(), LayoutError> {
        if self.records[id].is_some() {
            return Ok(());
        }
        let record = &self.program.records[id];
        self.in_progress[id] = true;
        let mut height = 1;
        // Members first: a record by value needs its layout.
        for member in &record.members {
            if let Some(inner) = member.ty.record_held() {
                if !self.program.records[inner].defined {
                    let r = &self.program.records[inner];
                    return Err(LayoutError {
                        line: member.line,
                        col: member.col,
                        message: format!(
                            "`{} {}` is declared but never defined here",
                            r.keyword(),
                            r.tag.as_deref().unwrap_or("")
                        ),
                    });
                }
                if self.in_progress[inner] {
                    return Err(LayoutError {
                        line: member.line,
                        col: member.col,
                        message: "a struct cannot contain itself".into(),
                    });
                }
                let too_deep = || LayoutError {
                    line: member.line,
                    col: member.col,
                    message: too_deep(),
                };
                if depth >= MAX_DEPTH {
                    return Err(too_deep());
                }
                self.record(inner, depth + 1)?;
                height = height.max(self.heights[inner] + 1);
                if height > MAX_DEPTH {
                    return Err(too_deep());
                }
            }
        }
        for member in &record.members {
            if let Err(SizeError::TooLarge) = self.size_align_inner(&member.ty) {
                return Err(LayoutError {
                    line: member.line,
                    col: member.col,
                    message: format!(
                        "size of array `{}` exceeds maximum object size {MAX_OBJECT_SIZE}",
                        member.name.as_deref().unwrap_or("(anonymous)")
                    ),
                });
            }
        }
        let layout = self.compute(id)?;
        self.records[id] = Some(layout);
        self.heights[id] = height;
        self.in_progress[id] = false;
        Ok(())
    }

    /// The algorithm of KERNEL-NOTES.md §7, in u128 bits: gcc's numbers for every type up to
    /// its maximum object size, then refused as gcc refuses it.
    fn compute(&self, id: usize) -> Result<RecordLayout, LayoutError> {
        let record = &self.program.records[id];
        let aarch64 = self.target == Target::Aarch64;
        let pack = record.pack.map(u128::from);
        let union = record.kind == Kind::Union;
        let (mut bitpos, mut align, mut end) = (0u128, 1u128, 0u128);
        let mut bit_offsets = Vec::with_capacity(record.members.len());
        for member in &record.members {
            if union {
                bitpos = 0;
            }
            let (size, type_align) = self.size_align_inner(&member.ty).unwrap_or((0, 1));
            let (size, type_align) = (u128::from(size), u128::from(type_align).max(1));
            let packed = record.packed || member.packed;
            match member.bit_width.map(u128::from) {
                None => {
                    let mut a = if packed { 1 } else { type_align };
                    if let Some(aligned) = member.aligned {
                        a = a.max(u128::from(aligned));
                    }
                    if let Some(p) = pack {
                        a = a.min(p);
                    }
                    let offset = round_up(bitpos, 8 * a);
                    bit_offsets.push(offset);
                    bitpos = offset + 8 * size;
                    align = align.max(a);
                }
                Some(0) => {
                    bitpos = round_up(bitpos, 8 * type_align);
                    bit_offsets.push(bitpos);
                    if aarch64 {
                        align = align.max(type_align);
                    }
                }
                Some(width) => {
                    let unit = 8 * type_align;
                    if !packed
                        && pack.is_none()
                        && (bitpos % unit + width).div_ceil(unit) > 8 * size / unit
                    {
                        bitpos = round_up(bitpos, unit);
                    }
                    bit_offsets.push(bitpos);
                    bitpos += width;
                    if member.name.is_some() || aarch64 {
                        let a = match pack {
                            Some(p) => type_align.min(p),
                            None if packed => 1,
                            None => type_align,
                        };
                        align = align.max(a);
                    }
                }
            }
            end = end.max(bitpos);
            // Past gcc's maximum already: stop before the sums grow any further.
            if end.div_ceil(8) > u128::from(MAX_OBJECT_SIZE) {
                break;
            }
        }
        if let Some(aligned) = record.aligned {
            align = align.max(u128::from(aligned));
        }
        let size = round_up(end.div_ceil(8), align);
        let error = |message: String| LayoutError {
            line: record.line,
            col: 1,
            message,
        };
        if size > u128::from(MAX_OBJECT_SIZE) {
            return Err(error(format!(
                "type `{}` is too large",
                record.display_name()
            )));
        }
        // Bit positions are u64 beyond this point: 2^61 bytes is the most they can name.
        let bit_offsets = bit_offsets
            .into_iter()
            .map(u64::try_from)
            .collect::<Result<Vec<u64>, _>>()
            .ok()
            .filter(|_| u64::try_from(size * 8).is_ok())
            .ok_or_else(|| {
                error(format!(
                    "type `{}` is {size} bytes: shmctl lays out types of up to 2^61 - 1 \
                     bytes (2 EiB), bit positions being 64-bit",
                    record.display_name()
                ))
            })?;
        // Both fit in u64: size ≤ MAX_OBJECT_SIZE, and align ≤ size or ≤ 2^28.
        Ok(RecordLayout {
            size: size as u64,
            align: align as u64,
            bit_offsets,
        })
    }

    /// The leaf fields of a record, nested records expanded with dotted paths, anonymous
    /// members under their own names, arrays as one field, unnamed bitfields left out.
    pub fn fields(&self, id: usize) -> Vec<Field> {
        let mut out = Vec::new();
        self.collect(id, 0, "", false, &mut out);
        out
    }

    fn collect(
        &self,
        id: usize,
        base_bits: u64,
        prefix: &str,
        in_union: bool,
        out: &mut Vec<Field>,
    ) {
        let record = &self.program.records[id];
        let Some(layout) = self.record_layout(id) else {
            return;
        };
        let in_union = in_union || record.kind == Kind::Union;
        for (member, bits) in record.members.iter().zip(&layout.bit_offsets) {
            let bits = base_bits + bits;
            let path = match &member.name {
                Some(name) => format!("{prefix}{name}"),
                None if member.bit_width.is_some() => continue, // padding, not a field
                None => prefix.trim_end_matches('.').to_string(),
            };
            if member.bit_width.is_none() {
                if let Ty::Record(inner) = member.ty.resolved() {
                    let nested_prefix = if member.name.is_some() {
                        format!("{path}.")
                    } else {
                        prefix.to_string()
                    };
                    self.collect(*inner, bits, &nested_prefix, in_union, out);
                    continue;
                }
            }
            let size = self.size_align(&member.ty).map_or(0, |(s, _)| s);
            out.push(Field {
                path,
                ty: member.ty.clone(),
                offset: bits / 8,
                size,
                bit_offset: member.bit_width.map(|_| bits),
                bit_width: member.bit_width,
                in_union,
            });
        }
    }
}

/// sizeof and _Alignof of a type that is not built of records (None for one that is):
/// the target's scalars, enums by their values (or the size a compiler gave), glibc's
/// synchronisation objects. An alignment of 0 means "its size".
pub fn scalar_size_align(ty: &Ty, enums: &[EnumDef], target: Target) -> Option<(u64, u64)> {
    Some(match ty {
        Ty::Int { size, .. } | Ty::Float { size, .. } => (*size, *size),
        Ty::Bool { .. } => (1, 1),
        Ty::LongDouble => (16, 16),
        Ty::Pointer(_) => (8, 8),
        Ty::Enum(id) => {
            let e = enums.get(*id)?;
            (e.size.unwrap_or_else(|| enum_size(&e.values, e.packed)), 0)
        }
        Ty::Sync(Sync::Semaphore) => (32, 8),
        Ty::Sync(Sync::Mutex) => (if target == Target::Aarch64 { 48 } else { 40 }, 8),
        Ty::Sync(Sync::Condition) => (48, 8),
        Ty::Function | Ty::Void => (1, 1),
        Ty::Array { .. } | Ty::Record(_) | Ty::Named { .. } => return None,
    })
}

/// Every byte range no field covers, as (offset, size): interior holes and tail padding.
pub fn holes(fields: &[Field], size: u64) -> Vec<(u64, u64)> {
    let mut spans: Vec<(u64, u64)> = fields
        .iter()
        .map(|f| match (f.bit_offset, f.bit_width) {
            (Some(bit), Some(width)) => (bit / 8, (bit + width).div_ceil(8)),
            _ => (f.offset, f.offset + f.size),
        })
        .filter(|(start, end)| end > start)
        .collect();
    spans.sort_unstable();
    let mut holes = Vec::new();
    let mut covered = 0;
    for (start, end) in spans {
        if start > covered {
            holes.push((covered, start - covered));
        }
        covered = covered.max(end);
    }
    if size > covered {
        holes.push((covered, size - covered));
    }
    holes
}

/// An enum's size: 4 (8 when a value needs it); packed: the smallest that holds them all.
fn enum_size(values: &[(String, i128)], packed: bool) -> u64 {
    let (min, max) = values
        .iter()
        .fold((0i128, 0i128), |(lo, hi), (_, v)| (lo.min(*v), hi.max(*v)));
    let fits = |bits: u32| {
        let signed = min >= -(1i128 << (bits - 1)) && max < (1i128 << (bits - 1));
        let unsigned = min >= 0 && max < (1i128 << bits);
        signed || unsigned
    };
    if packed {
        [1u64, 2, 4]
            .into_iter()
            .find(|b| fits(*b as u32 * 8))
            .unwrap_or(8)
    } else if fits(32) {
        4
    } else {
        8
    }
}
