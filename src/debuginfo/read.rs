//! The type DIEs of an ELF file's DWARF (4 or 5, compressed sections included), read once
//! into a flat arena: only what describes types, with the attributes a layout needs.
use std::borrow::Cow;
use std::collections::HashMap;

use gimli::{constants as dw, AttributeValue, Reader};
use object::{Object, ObjectSection};

use crate::schema::Target;

/// One debugging information entry that describes a type (or a part of one).
#[derive(Debug, Clone, Default)]
pub struct Die {
    pub tag: u16,
    pub name: Option<String>,
    pub byte_size: Option<u64>,
    pub encoding: Option<u8>,
    /// DW_AT_type, as an index into the arena.
    pub ty: Option<usize>,
    pub member_location: Option<u64>,
    pub bit_size: Option<u64>,
    /// DW_AT_bit_offset (DWARF 2/3, and gcc's DWARF 4): from the storage unit's most
    /// significant bit (negative for a packed one that starts before its unit).
    pub bit_offset: Option<i64>,
    pub data_bit_offset: Option<u64>,
    pub count: Option<u64>,
    /// DW_AT_upper_bound, signed (-1: a zero-length array).
    pub upper_bound: Option<i64>,
    pub lower_bound: Option<i64>,
    pub const_value: Option<i128>,
    pub declaration: bool,
    pub alignment: Option<u64>,
    /// DW_AT_virtuality (a virtual member function or base: C++, not plain data).
    pub virtuality: bool,
    pub decl_file: Option<u64>,
    pub decl_line: Option<u64>,
    /// The compilation unit it is in (its order in the file).
    pub unit: usize,
    pub children: Vec<usize>,
}

/// The arena, and where each name is defined.
#[derive(Debug, Default)]
pub struct Dies {
    pub dies: Vec<Die>,
    pub target: Option<Target>,
    pub little_endian: bool,
}

/// Why a file gave no types.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("not an ELF file shmctl can read: {0}")]
    Object(#[from] object::Error),
    #[error("its DWARF is malformed: {0}")]
    Dwarf(#[from] gimli::Error),
    #[error("it has no DWARF debug information (.debug_info)")]
    NoDwarf,
}

/// The tags whose DIEs are kept.
fn wanted(tag: dw::DwTag) -> bool {
    matches!(
        tag,
        dw::DW_TAG_base_type
            | dw::DW_TAG_pointer_type
            | dw::DW_TAG_reference_type
            | dw::DW_TAG_rvalue_reference_type
            | dw::DW_TAG_array_type
            | dw::DW_TAG_subrange_type
            | dw::DW_TAG_structure_type
            | dw::DW_TAG_union_type
            | dw::DW_TAG_class_type
            | dw::DW_TAG_enumeration_type
            | dw::DW_TAG_enumerator
            | dw::DW_TAG_member
            | dw::DW_TAG_inheritance
            | dw::DW_TAG_typedef
            | dw::DW_TAG_const_type
            | dw::DW_TAG_volatile_type
            | dw::DW_TAG_atomic_type
            | dw::DW_TAG_restrict_type
            | dw::DW_TAG_subroutine_type
            | dw::DW_TAG_unspecified_type
            | dw::DW_TAG_subprogram
    )
}

/// Whether an entry of this tag describes the parts of its parent type.
fn part_of_type(tag: dw::DwTag) -> bool {
    matches!(
        tag,
        dw::DW_TAG_subrange_type
            | dw::DW_TAG_enumerator
            | dw::DW_TAG_member
            | dw::DW_TAG_inheritance
            | dw::DW_TAG_subprogram
    )
}

/// Reads every type DIE of `data`, an ELF object with DWARF.
pub fn read(data: &[u8]) -> Result<Dies, ReadError> {
    let file = object::File::parse(data)?;
    let target = match file.architecture() {
        object::Architecture::X86_64 => Some(Target::X86_64),
        object::Architecture::Aarch64 => Some(Target::Aarch64),
        _ => None,
    };
    if file.section_by_name(".debug_info").is_none() {
        return Err(ReadError::NoDwarf);
    }
    let endian = if file.is_little_endian() {
        gimli::RunTimeEndian::Little
    } else {
        gimli::RunTimeEndian::Big
    };
    let load = |id: gimli::SectionId| -> Result<Cow<[u8]>, ReadError> {
        Ok(match file.section_by_name(id.name()) {
            Some(section) => section.uncompressed_data()?,
            None => Cow::Borrowed(&[][..]),
        })
    };
    let sections = gimli::DwarfSections::load(load)?;
    let dwarf = sections.borrow(|s| gimli::EndianSlice::new(s, endian));
    let mut dies = Dies {
        target,
        little_endian: file.is_little_endian(),
        ..Dies::default()
    };
    // Global offsets (in .debug_info) of every kept DIE, and the references to resolve.
    let mut at: HashMap<u64, usize> = HashMap::new();
    let mut refs: Vec<(usize, u64)> = Vec::new();
    let mut units = dwarf.units();
    let mut unit_index = 0;
    while let Some(header) = units.next()? {
        let unit = dwarf.unit(header)?;
        let base = unit.header.offset().0 as u64;
        let mut entries = unit.entries();
        // The kept DIE at each depth, to hang children on.
        let mut stack: Vec<(isize, usize)> = Vec::new();
        while let Some(entry) = entries.next_dfs()? {
            let depth = entry.depth();
            while stack.last().is_some_and(|&(d, _)| d >= depth) {
                stack.pop();
            }
            let tag = entry.tag();
            if !wanted(tag) {
                continue;
            }
            let parent = stack.last().map(|&(_, i)| i);
            // A member or enumerator only as a part of a kept type; a function's DIE only
            // as a member function (for DW_AT_virtuality).
            if part_of_type(tag) && parent.is_none() {
                continue;
            }
            let mut die = Die {
                tag: tag.0,
                unit: unit_index,
                ..Die::default()
            };
            for attr in entry.attrs() {
                let value = attr.value();
                match attr.name() {
                    dw::DW_AT_name => {
                        if let Ok(s) = dwarf.attr_string(&unit, value) {
                            die.name = Some(s.to_string_lossy().into_owned());
                        }
                    }
                    dw::DW_AT_byte_size => die.byte_size = value.udata_value(),
                    dw::DW_AT_encoding => {
                        if let AttributeValue::Encoding(e) = value {
                            die.encoding = Some(e.0);
                        }
                    }
                    dw::DW_AT_type => match value {
                        AttributeValue::UnitRef(o) => {
                            refs.push((dies.dies.len(), base + o.0 as u64))
                        }
                        AttributeValue::DebugInfoRef(o) => refs.push((dies.dies.len(), o.0 as u64)),
                        _ => {}
                    },
                    dw::DW_AT_data_member_location => {
                        die.member_location = match value {
                            AttributeValue::Exprloc(expr) => plus_uconst(expr.0),
                            v => v.udata_value(),
                        }
                    }
                    dw::DW_AT_bit_size => die.bit_size = value.udata_value(),
                    dw::DW_AT_bit_offset => die.bit_offset = signed(&value),
                    dw::DW_AT_data_bit_offset => die.data_bit_offset = value.udata_value(),
                    dw::DW_AT_count => die.count = value.udata_value(),
                    dw::DW_AT_upper_bound => die.upper_bound = signed(&value),
                    dw::DW_AT_lower_bound => die.lower_bound = signed(&value),
                    dw::DW_AT_const_value => {
                        die.const_value = match value {
                            AttributeValue::Sdata(v) => Some(i128::from(v)),
                            AttributeValue::Udata(v) => Some(i128::from(v)),
                            AttributeValue::Data1(v) => Some(i128::from(v)),
                            AttributeValue::Data2(v) => Some(i128::from(v)),
                            AttributeValue::Data4(v) => Some(i128::from(v)),
                            AttributeValue::Data8(v) => Some(i128::from(v)),
                            _ => None,
                        }
                    }
                    dw::DW_AT_declaration => die.declaration = true,
                    dw::DW_AT_alignment => die.alignment = value.udata_value(),
                    dw::DW_AT_virtuality => {
                        die.virtuality =
                            !matches!(value, AttributeValue::Virtuality(dw::DW_VIRTUALITY_none))
                    }
                    dw::DW_AT_decl_file => die.decl_file = value.udata_value(),
                    dw::DW_AT_decl_line => die.decl_line = value.udata_value(),
                    _ => {}
                }
            }
            let index = dies.dies.len();
            at.insert(base + entry.offset().0 as u64, index);
            dies.dies.push(die);
            if let Some(parent) = parent {
                dies.dies[parent].children.push(index);
            }
            if entry.has_children() {
                stack.push((depth, index));
            }
        }
        unit_index += 1;
    }
    for (index, target) in refs {
        dies.dies[index].ty = at.get(&target).copied();
    }
    Ok(dies)
}

/// A location expression that is one `DW_OP_plus_uconst N` (what DWARF 2 compilers wrote
/// for a member's offset).
fn plus_uconst(expr: gimli::EndianSlice<gimli::RunTimeEndian>) -> Option<u64> {
    let mut r = expr;
    let op = r.read_u8().ok()?;
    if op != dw::DW_OP_plus_uconst.0 {
        return None;
    }
    let value = r.read_uleb128().ok()?;
    r.is_empty().then_some(value)
}

/// A bound as a signed number: the data forms are unsigned (gcc writes an upper bound of
/// 255 as one byte 0xff), `sdata` is signed (-1: a zero-length array, as some compilers
/// write it).
fn signed(value: &AttributeValue<gimli::EndianSlice<gimli::RunTimeEndian>>) -> Option<i64> {
    match *value {
        AttributeValue::Sdata(v) => Some(v),
        ref v => v.udata_value().and_then(|v| i64::try_from(v).ok()),
    }
}
