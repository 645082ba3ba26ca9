//! Types from a program's own DWARF debug information (`--debug-info FILE`), as the same
//! [`Program`] a header gives, with the layouts the compiler chose (sizes, member offsets,
//! bit positions) taken as they are rather than computed. Pure but for reading the file.
use std::collections::HashMap;

use gimli::constants as dw;

use crate::schema::layout::{LayoutError, RecordLayout};
use crate::schema::types::{EnumDef, Kind, Member, Record, Sync};
use crate::schema::{Layouts, Program, Target, Ty, MAX_DEPTH};

pub mod find;
mod read;

pub use read::ReadError;
use read::{Die, Dies};

/// The largest file read (a program's debug information can be large; not this large).
pub const MAX_FILE: u64 = 2 << 30;

/// The types of `path` (an ELF file) from its own DWARF or, when it has none, from its
/// separate debug file (see [`find`]); with the file they came from and how it was found.
pub fn load(
    path: &std::path::Path,
    root: &std::path::Path,
) -> Result<(DebugInfo, std::path::PathBuf, find::Found), LoadError> {
    let data = read_file(path)?;
    load_bytes(&data, path, root)
}

/// Why no types could be loaded: the file named is not there, or it (or what it leads to)
/// cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    #[error("{0}")]
    Missing(String),
    #[error("{0}")]
    Unusable(String),
}

/// A regular file's bytes, at most [`MAX_FILE`]: opened without blocking (a FIFO put in
/// its place would otherwise hang the read) and checked as opened, not as named.
pub fn read_file(path: &std::path::Path) -> Result<Vec<u8>, LoadError> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let shown = path.display();
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => LoadError::Missing(format!("{shown} does not exist")),
            _ => LoadError::Unusable(format!("{shown}: {e}")),
        })?;
    let unusable = |text: String| LoadError::Unusable(text);
    let meta = file
        .metadata()
        .map_err(|e| unusable(format!("{shown}: {e}")))?;
    if !meta.is_file() {
        return Err(unusable(format!("{shown} is not a regular file")));
    }
    if meta.len() > MAX_FILE {
        return Err(unusable(format!(
            "{shown} is {} bytes: shmctl reads debug information of at most {MAX_FILE}",
            meta.len()
        )));
    }
    let mut data = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(MAX_FILE)
        .read_to_end(&mut data)
        .map_err(|e| unusable(format!("{shown}: {e}")))?;
    Ok(data)
}

/// [`load`] of a binary already read (`/proc/PID/exe`), `shown` being its path as its
/// process sees it.
pub fn load_bytes(
    data: &[u8],
    shown: &std::path::Path,
    root: &std::path::Path,
) -> Result<(DebugInfo, std::path::PathBuf, find::Found), LoadError> {
    let (bytes, used, how) = find::debug_file(data, shown, root).map_err(LoadError::Unusable)?;
    let info = DebugInfo::parse(&bytes)
        .map_err(|e| LoadError::Unusable(format!("{}: {e}", used.display())))?;
    Ok((info, used, how))
}

/// What an ELF file's DWARF defines, ready to lay out and decode with.
#[derive(Debug)]
pub struct DebugInfo {
    pub program: Program,
    pub target: Target,
    records: Vec<Option<RecordLayout>>,
    /// The named types left out, and why (a C++ class with virtuals, a layout DWARF
    /// describes but C cannot have): by name.
    pub left_out: std::collections::BTreeMap<String, String>,
}

/// Why debug information gives no usable type.
#[derive(Debug, thiserror::Error)]
pub enum DebugInfoError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("{0}")]
    Type(String),
}

impl DebugInfo {
    /// The types of `data`, an ELF file with DWARF (an executable, a shared library, or
    /// its separate `.debug` file).
    pub fn parse(data: &[u8]) -> Result<DebugInfo, DebugInfoError> {
        let dies = read::read(data)?;
        let target = dies.target.unwrap_or_default();
        let mut c = Converter {
            dies: &dies,
            program: Program::default(),
            records: Vec::new(),
            types: HashMap::new(),
            record_of: HashMap::new(),
            by_name: HashMap::new(),
            enum_of: HashMap::new(),
            definitions: HashMap::new(),
            failed: std::collections::BTreeMap::new(),
            visiting: Vec::new(),
            target,
        };
        c.convert_all();
        // What was left out but defined elsewhere in the file (another unit's copy) is not.
        let defined: std::collections::HashSet<&str> = c
            .program
            .records
            .iter()
            .filter(|r| r.defined)
            .filter_map(|r| r.name())
            .collect();
        let left_out = c
            .failed
            .iter()
            .filter(|(name, _)| !defined.contains(name.as_str()))
            .map(|(n, why)| (n.clone(), why.clone()))
            .collect();
        Ok(DebugInfo {
            program: c.program,
            target,
            records: c.records,
            left_out,
        })
    }

    /// The layouts of every record, as the compiler placed them.
    pub fn layouts(&self) -> Result<Layouts<'_>, LayoutError> {
        Layouts::precomputed(&self.program, self.target, self.records.clone())
    }
}

struct Converter<'d> {
    dies: &'d Dies,
    program: Program,
    records: Vec<Option<RecordLayout>>,
    /// Converted types, by DIE.
    types: HashMap<usize, Ty>,
    /// The record each struct/union DIE became.
    record_of: HashMap<usize, usize>,
    /// Defined records by (keyword, name, size): the copies of one struct in many
    /// compilation units are one record.
    by_name: HashMap<(Kind, String, u64), usize>,
    enum_of: HashMap<usize, usize>,
    /// Why each named type that could not be converted was left out.
    failed: std::collections::BTreeMap<String, String>,
    /// The first definition of each (tag, name): what a declaration stands for.
    definitions: HashMap<(u16, String), usize>,
    /// DIEs being converted (a chain of typedefs and qualifiers that loops is refused).
    visiting: Vec<usize>,
    target: Target,
}

fn is_record(tag: u16) -> bool {
    matches!(
        gimli::DwTag(tag),
        dw::DW_TAG_structure_type | dw::DW_TAG_union_type | dw::DW_TAG_class_type
    )
}

impl Converter<'_> {
    fn die(&self, i: usize) -> &Die {
        &self.dies.dies[i]
    }

    /// Every named struct, union, enum and typedef defined at the top of a unit, records
    /// numbered in source order (so that a listing is in file order).
    fn convert_all(&mut self) {
        // The defined, named records: what declarations stand for, and the types listed.
        let mut top = Vec::new();
        for (i, d) in self.dies.dies.iter().enumerate() {
            if let (Some(name), false, true) = (&d.name, d.declaration, is_record(d.tag)) {
                if d.byte_size.is_some() {
                    self.definitions.entry((d.tag, name.clone())).or_insert(i);
                    top.push(i);
                }
            }
        }
        top.sort_by_key(|&i| {
            let d = self.die(i);
            (d.unit, d.decl_file, d.decl_line, i)
        });
        for i in top {
            // Left out, with why (see `failed`); the rest of the file is still usable.
            self.record(i, 0).ok();
        }
        let mut typedefs = std::collections::HashSet::new();
        for i in 0..self.dies.dies.len() {
            let d = self.die(i);
            let tag = gimli::DwTag(d.tag);
            let Some(name) = d.name.clone() else { continue };
            if !matches!(tag, dw::DW_TAG_typedef | dw::DW_TAG_enumeration_type) {
                continue;
            }
            match self.ty(i, 0) {
                Ok(ty) if tag == dw::DW_TAG_typedef && typedefs.insert(name.clone()) => {
                    self.program.typedefs.push((name, ty));
                }
                Ok(_) => {}
                Err(e) => {
                    self.failed.entry(name).or_insert_with(|| e.to_string());
                }
            }
        }
    }

    fn error(&self, i: usize, what: &str) -> DebugInfoError {
        let d = self.die(i);
        let name = d.name.as_deref().unwrap_or("<anonymous>");
        DebugInfoError::Type(format!("{name}: {what}"))
    }

    /// The type DIE `i` describes.
    fn ty(&mut self, i: usize, depth: u32) -> Result<Ty, DebugInfoError> {
        if let Some(ty) = self.types.get(&i) {
            return Ok(ty.clone());
        }
        if depth >= MAX_DEPTH {
            return Err(self.error(i, &crate::schema::too_deep()));
        }
        if self.visiting.contains(&i) {
            return Err(self.error(i, "the type refers to itself"));
        }
        self.visiting.push(i);
        let ty = self.convert(i, depth);
        self.visiting.pop();
        let ty = ty?;
        self.types.insert(i, ty.clone());
        Ok(ty)
    }

    /// What DW_AT_type of `i` names (void when absent).
    fn target_of(&mut self, i: usize, depth: u32) -> Result<Ty, DebugInfoError> {
        match self.die(i).ty {
            Some(t) => self.ty(t, depth + 1),
            None => Ok(Ty::Void),
        }
    }

    fn convert(&mut self, i: usize, depth: u32) -> Result<Ty, DebugInfoError> {
        let d = self.die(i).clone();
        let name = d.name.clone();
        Ok(match gimli::DwTag(d.tag) {
            dw::DW_TAG_base_type => self.base(&d)?,
            dw::DW_TAG_pointer_type
            | dw::DW_TAG_reference_type
            | dw::DW_TAG_rvalue_reference_type => {
                // Behind a pointer a record need not be laid out: only named.
                let to = match d.ty {
                    Some(t) if is_record(self.die(t).tag) => Ty::Record(self.record(t, depth + 1)?),
                    Some(_) => self.target_of(i, depth)?,
                    None => Ty::Void,
                };
                Ty::Pointer(Box::new(to))
            }
            dw::DW_TAG_array_type => self.array(i, &d, depth)?,
            dw::DW_TAG_structure_type | dw::DW_TAG_union_type | dw::DW_TAG_class_type => {
                Ty::Record(self.record(i, depth)?)
            }
            dw::DW_TAG_enumeration_type => Ty::Enum(self.enumeration(i, &d)),
            dw::DW_TAG_typedef => {
                let name = name.unwrap_or_default();
                // glibc's synchronisation objects are decoded by meaning, as from a header.
                match name.as_str() {
                    "sem_t" => return Ok(Ty::Sync(Sync::Semaphore)),
                    "pthread_mutex_t" => return Ok(Ty::Sync(Sync::Mutex)),
                    "pthread_cond_t" => return Ok(Ty::Sync(Sync::Condition)),
                    _ => {}
                }
                let ty = self.target_of(i, depth)?;
                // An untagged struct, union or enum is known by its typedef name.
                match &ty {
                    Ty::Record(id) if self.program.records[*id].name().is_none() => {
                        self.program.records[*id].typedef_name = Some(name.clone());
                    }
                    Ty::Enum(id)
                        if self.program.enums[*id].tag.is_none()
                            && self.program.enums[*id].typedef_name.is_none() =>
                    {
                        self.program.enums[*id].typedef_name = Some(name.clone());
                    }
                    _ => {}
                }
                Ty::Named {
                    name,
                    ty: Box::new(ty),
                }
            }
            dw::DW_TAG_const_type
            | dw::DW_TAG_volatile_type
            | dw::DW_TAG_atomic_type
            | dw::DW_TAG_restrict_type => self.target_of(i, depth)?,
            dw::DW_TAG_subroutine_type => Ty::Function,
            dw::DW_TAG_unspecified_type => Ty::Void,
            _ => return Err(self.error(i, "not a type shmctl can lay out")),
        })
    }

    fn base(&self, d: &Die) -> Result<Ty, DebugInfoError> {
        let name = d.name.clone().unwrap_or_else(|| "<base>".into());
        let size = d.byte_size.unwrap_or(0);
        let encoding = gimli::DwAte(d.encoding.unwrap_or(0));
        Ok(match encoding {
            dw::DW_ATE_boolean => Ty::Bool { name },
            dw::DW_ATE_float if size == 16 => Ty::LongDouble,
            dw::DW_ATE_float => Ty::Float { name, size },
            dw::DW_ATE_complex_float => Ty::Array {
                of: Box::new(if size == 32 {
                    Ty::LongDouble
                } else {
                    Ty::Float {
                        name: format!("{name} (part)"),
                        size: size / 2,
                    }
                }),
                len: 2,
                flexible: false,
            },
            dw::DW_ATE_signed
            | dw::DW_ATE_signed_char
            | dw::DW_ATE_unsigned
            | dw::DW_ATE_unsigned_char
            | dw::DW_ATE_UTF => Ty::Int {
                signed: if name == "char" {
                    None
                } else {
                    Some(matches!(
                        encoding,
                        dw::DW_ATE_signed | dw::DW_ATE_signed_char
                    ))
                },
                name,
                size,
            },
            _ => {
                return Err(DebugInfoError::Type(format!(
                    "{name}: a base type of encoding {encoding} is not one shmctl decodes"
                )))
            }
        })
    }

    /// An array; several subranges are the dimensions of a multi-dimensional one, the first
    /// outermost.
    fn array(&mut self, i: usize, d: &Die, depth: u32) -> Result<Ty, DebugInfoError> {
        let mut ty = self.target_of(i, depth)?;
        let dims: Vec<Die> = d
            .children
            .iter()
            .map(|&c| self.die(c).clone())
            .filter(|c| gimli::DwTag(c.tag) == dw::DW_TAG_subrange_type)
            .collect();
        if dims.is_empty() {
            return Ok(Ty::Array {
                of: Box::new(ty),
                len: 0,
                flexible: true,
            });
        }
        for (n, dim) in dims.iter().enumerate().rev() {
            let lower = dim.lower_bound.unwrap_or(0);
            let len = match (dim.count, dim.upper_bound) {
                (Some(count), _) => Some(count),
                (None, Some(upper)) => {
                    Some(u64::try_from(i128::from(upper) - i128::from(lower) + 1).unwrap_or(0))
                }
                (None, None) => None,
            };
            if len.is_none() && n > 0 {
                return Err(self.error(i, "only an array's first dimension may be unbounded"));
            }
            ty = Ty::Array {
                of: Box::new(ty),
                len: len.unwrap_or(0),
                flexible: len.is_none(),
            };
        }
        Ok(ty)
    }

    fn enumeration(&mut self, i: usize, d: &Die) -> usize {
        if let Some(&id) = self.enum_of.get(&i) {
            return id;
        }
        let values = d
            .children
            .iter()
            .map(|&c| self.die(c))
            .filter(|c| gimli::DwTag(c.tag) == dw::DW_TAG_enumerator)
            .map(|c| {
                let value = c.const_value.unwrap_or(0);
                (c.name.clone().unwrap_or_default(), value)
            })
            .collect::<Vec<_>>();
        // A constant in an unsigned data form may be the bits of a negative one: sign it
        // by the enum's underlying type when that is signed.
        let signed = d
            .ty
            .map(|t| self.die(t))
            .and_then(|t| t.encoding)
            .is_some_and(|e| matches!(gimli::DwAte(e), dw::DW_ATE_signed | dw::DW_ATE_signed_char));
        let size = d.byte_size;
        let values = values
            .into_iter()
            .map(|(n, v)| match (signed, size) {
                (true, Some(s @ 1..=8)) if v >= 0 && v >> (8 * s - 1) == 1 => {
                    (n, v - (1i128 << (8 * s)))
                }
                _ => (n, v),
            })
            .collect();
        self.program.enums.push(EnumDef {
            tag: d.name.clone(),
            typedef_name: None,
            values,
            packed: size.is_some_and(|s| s < 4),
            size,
        });
        let id = self.program.enums.len() - 1;
        self.enum_of.insert(i, id);
        id
    }

    /// The record a struct, union or class DIE is; a declaration takes the definition of
    /// the same name if the file has one.
    fn record(&mut self, i: usize, depth: u32) -> Result<usize, DebugInfoError> {
        if let Some(&id) = self.record_of.get(&i) {
            return Ok(id);
        }
        let d = self.die(i).clone();
        let kind = if gimli::DwTag(d.tag) == dw::DW_TAG_union_type {
            Kind::Union
        } else {
            Kind::Struct
        };
        if d.declaration {
            if let Some(name) = &d.name {
                let definition = self.definitions.get(&(d.tag, name.clone())).copied();
                if let Some(j) = definition {
                    let id = self.record(j, depth)?;
                    self.record_of.insert(i, id);
                    return Ok(id);
                }
            }
        }
        // Another unit's copy of the same definition is the same record.
        let copy_of = match (&d.name, d.byte_size, d.declaration) {
            (Some(name), Some(size), false) => Some((kind, name.clone(), size)),
            _ => None,
        };
        if let Some(&id) = copy_of.as_ref().and_then(|key| self.by_name.get(key)) {
            self.record_of.insert(i, id);
            return Ok(id);
        }
        let id = self.program.records.len();
        self.program.records.push(Record {
            kind,
            tag: d.name.clone(),
            typedef_name: None,
            members: Vec::new(),
            packed: false,
            aligned: None,
            pack: None,
            defined: !d.declaration && d.byte_size.is_some(),
            anonymous_member: false,
            line: d.decl_line.and_then(|l| u32::try_from(l).ok()).unwrap_or(0),
        });
        self.records.push(None);
        self.record_of.insert(i, id);
        if let Some(key) = copy_of {
            self.by_name.insert(key, id);
        }
        if !self.program.records[id].defined {
            return Ok(id);
        }
        // A record that cannot be laid out is left undefined (what contains it by value
        // fails in turn; a pointer to it is still a pointer), and says why when named.
        if let Err(e) = self.fill(id, i, &d, depth) {
            self.program.records[id].defined = false;
            if let Some(name) = &d.name {
                let keyword = self.program.records[id].keyword();
                self.failed
                    .entry(name.clone())
                    .or_insert_with(|| format!("{keyword} {name}: {e}"));
            }
            return Err(e);
        }
        Ok(id)
    }

    /// A record's members and layout, from its DIE's children.
    fn fill(&mut self, id: usize, i: usize, d: &Die, depth: u32) -> Result<(), DebugInfoError> {
        if d.children.iter().any(|&c| self.die(c).virtuality) {
            return Err(self.error(
                i,
                "a C++ class with virtual functions or bases is not plain data: its bytes \
                 hold a pointer to its class's table, valid only in the process that made it",
            ));
        }
        if depth >= MAX_DEPTH {
            return Err(self.error(i, &crate::schema::too_deep()));
        }
        let size = d.byte_size.unwrap_or(0);
        let mut members = Vec::new();
        let mut bit_offsets = Vec::new();
        for &c in &d.children {
            let m = self.die(c).clone();
            let tag = gimli::DwTag(m.tag);
            if tag != dw::DW_TAG_member && tag != dw::DW_TAG_inheritance {
                continue;
            }
            // A C++ static member has no place in the object.
            if m.declaration {
                continue;
            }
            let ty = match m.ty {
                Some(t) => self.ty(t, depth + 1)?,
                None => return Err(self.error(c, "a member without a type")),
            };
            let base = m.member_location.unwrap_or(0).saturating_mul(8);
            let bits = match (m.bit_size, m.data_bit_offset, m.bit_offset) {
                (Some(_), Some(data_bit), _) => data_bit,
                (Some(width), None, Some(from_msb)) => {
                    // DW_AT_bit_offset counts from the most significant bit of a storage
                    // unit of DW_AT_byte_size (else the type's) bytes at the member's
                    // location; on a little-endian target that unit's bit 0 is its lowest.
                    let unit = m.byte_size.or_else(|| self.size_of(&ty)).unwrap_or(0) * 8;
                    let (base, unit, width) =
                        (i128::from(base), i128::from(unit), i128::from(width));
                    let from_msb = i128::from(from_msb);
                    let bits = if self.dies.little_endian {
                        base + unit - from_msb - width
                    } else {
                        base + from_msb
                    };
                    u64::try_from(bits)
                        .map_err(|_| self.error(c, "a bitfield before its record's start"))?
                }
                _ => base,
            };
            let flexible = matches!(ty.resolved(), Ty::Array { flexible: true, .. });
            let bytes = match self.size_of(&ty) {
                Some(bytes) => bytes,
                None if flexible => 0,
                None => {
                    return Err(self.error(
                        c,
                        "member has no size shmctl can compute (more than 2^64 bytes, or \
                         of a type never defined)",
                    ))
                }
            };
            let end = match m.bit_size {
                Some(width) => bits.saturating_add(width),
                None => bits.saturating_add(bytes.saturating_mul(8)),
            };
            if end > size.saturating_mul(8)
                && !matches!(ty.resolved(), Ty::Array { flexible: true, .. })
            {
                return Err(self.error(
                    c,
                    &format!(
                        "member lies outside {} (bits {bits}..{end} of a {size}-byte type)",
                        d.name.as_deref().unwrap_or("its record")
                    ),
                ));
            }
            let anonymous = m.name.is_none();
            if anonymous {
                if let Ty::Record(inner) = ty.resolved() {
                    self.program.records[*inner].anonymous_member = true;
                }
            }
            members.push(Member {
                name: m.name.clone(),
                ty,
                bit_width: m.bit_size,
                packed: false,
                aligned: None,
                line: m.decl_line.and_then(|l| u32::try_from(l).ok()).unwrap_or(0),
                col: 0,
            });
            bit_offsets.push(bits);
        }
        let align = self.alignment(d, &members, &bit_offsets, size);
        self.program.records[id].members = members;
        self.records[id] = Some(RecordLayout {
            size,
            align,
            bit_offsets,
        });
        Ok(())
    }

    fn size_of(&self, ty: &Ty) -> Option<u64> {
        self.size_align(ty).map(|(s, _)| s)
    }

    /// sizeof and _Alignof of a type, its records laid out as far as they are now.
    fn size_align(&self, ty: &Ty) -> Option<(u64, u64)> {
        match ty.resolved() {
            Ty::Record(id) => self.records.get(*id)?.as_ref().map(|r| (r.size, r.align)),
            Ty::Array { of, len, .. } => {
                let (s, a) = self.size_align(of)?;
                Some((s.checked_mul(*len)?, a))
            }
            other => {
                crate::schema::layout::scalar_size_align(other, &self.program.enums, self.target)
                    .map(|(s, a)| (s, if a == 0 { s } else { a }))
            }
        }
    }

    /// A record's alignment: DW_AT_alignment when the compiler wrote it (DWARF 5, for an
    /// explicit one); else its members' largest, 1 if one of them sits off its own
    /// alignment (packed); raised to what its size says when the tail padding is more
    /// than that alignment explains (an `aligned(N)` that DWARF 4 does not record).
    fn alignment(&self, d: &Die, members: &[Member], bits: &[u64], size: u64) -> u64 {
        if let Some(a) = d.alignment.filter(|a| a.is_power_of_two()) {
            return a;
        }
        let mut align = 1;
        let mut packed = false;
        let mut end = 0;
        for (m, &bit) in members.iter().zip(bits) {
            let (msize, malign) = self.size_align(&m.ty).unwrap_or((0, 1));
            let malign = malign.max(1);
            match m.bit_width {
                None => {
                    if bit % malign.saturating_mul(8) != 0 {
                        packed = true;
                    }
                    end = end.max((bit / 8).saturating_add(msize));
                }
                Some(w) => end = end.max(bit.saturating_add(w).div_ceil(8)),
            }
            align = align.max(malign);
        }
        if packed {
            align = 1;
        }
        let fits = |a: u64| end.div_ceil(a).checked_mul(a) == Some(size);
        if !fits(align) {
            // Tail padding larger than the members' alignment: an explicit alignment.
            let mut a = align;
            while a < size && !fits(a) && a < (1 << 28) {
                a *= 2;
            }
            if fits(a) {
                align = a;
            } else {
                while align > 1 && size % align != 0 {
                    align /= 2;
                }
            }
        }
        align
    }
}
