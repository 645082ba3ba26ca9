//! The types a header declares, as the parser understood them (no layout yet).

/// A C type. Sizes of scalars are fixed for LP64 targets; records are laid out later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ty {
    /// Integers and characters. `signed` None is plain `char` (signed on x86-64, unsigned
    /// on aarch64).
    Int {
        name: String,
        size: u64,
        signed: Option<bool>,
    },
    Float {
        name: String,
        size: u64,
    },
    Bool {
        name: String,
    },
    /// `long double`: 16 bytes on both targets (x87 80-bit in the low 10 on x86-64).
    LongDouble,
    Pointer(Box<Ty>),
    /// A flexible array member is an array of length 0 (`flexible`).
    Array {
        of: Box<Ty>,
        len: u64,
        flexible: bool,
    },
    Record(usize),
    Enum(usize),
    Sync(Sync),
    /// A function: only behind a pointer.
    Function,
    Void,
    /// A typedef name, shown as written, laid out as what it names.
    Named {
        name: String,
        ty: Box<Ty>,
    },
}

/// glibc synchronisation objects, decoded by meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sync {
    Semaphore,
    Mutex,
    Condition,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Struct,
    Union,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub name: Option<String>,
    pub ty: Ty,
    pub bit_width: Option<u64>,
    pub packed: bool,
    pub aligned: Option<u64>,
    pub line: u32,
    pub col: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub kind: Kind,
    pub tag: Option<String>,
    /// The first typedef name given to an untagged record.
    pub typedef_name: Option<String>,
    pub members: Vec<Member>,
    pub packed: bool,
    pub aligned: Option<u64>,
    /// `#pragma pack` in force where the record was defined.
    pub pack: Option<u64>,
    pub defined: bool,
    /// Declared inline as an anonymous member (`struct { … };` inside another record).
    pub anonymous_member: bool,
    pub line: u32,
}

impl Record {
    /// The name people use for it: the tag, else its typedef name.
    pub fn name(&self) -> Option<&str> {
        self.tag.as_deref().or(self.typedef_name.as_deref())
    }

    pub fn keyword(&self) -> &'static str {
        match self.kind {
            Kind::Struct => "struct",
            Kind::Union => "union",
        }
    }

    /// As gcc names it in messages: `struct S`, or `struct <anonymous>`.
    pub fn display_name(&self) -> String {
        match (&self.tag, &self.typedef_name) {
            (Some(tag), _) => format!("{} {tag}", self.keyword()),
            (None, Some(name)) => name.clone(),
            (None, None) => format!("{} <anonymous>", self.keyword()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnumDef {
    pub tag: Option<String>,
    pub typedef_name: Option<String>,
    pub values: Vec<(String, i128)>,
    pub packed: bool,
    /// Its size when a compiler said it (debug information); else computed from the values.
    pub size: Option<u64>,
}

impl EnumDef {
    /// gcc's underlying type is unsigned when no constant is negative (`enum { A = 200 }`
    /// packed is an `unsigned char`; `0xffffffff` is an `unsigned int`).
    pub fn is_signed(&self) -> bool {
        self.values.iter().any(|(_, v)| *v < 0)
    }
}

/// Everything a header defines.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Program {
    pub records: Vec<Record>,
    pub enums: Vec<EnumDef>,
    pub typedefs: Vec<(String, Ty)>,
}

impl Ty {
    /// The type as C spells it, for tables and JSON (`unsigned int`, `char[100]`,
    /// `struct Node *`).
    pub fn display(&self, program: &Program) -> String {
        match self {
            Ty::Int { name, .. } | Ty::Float { name, .. } | Ty::Bool { name } => name.clone(),
            Ty::LongDouble => "long double".into(),
            Ty::Pointer(to) => match to.as_ref() {
                Ty::Function => "void (*)()".into(),
                to => format!("{} *", to.display(program)),
            },
            Ty::Array { of, len, flexible } => {
                // Multi-dimensional: char[2][3], dimensions in declaration order.
                let mut dims = if *flexible {
                    "[]".to_string()
                } else {
                    format!("[{len}]")
                };
                let mut inner = of.as_ref();
                while let Ty::Array { of, len, .. } = inner {
                    dims.push_str(&format!("[{len}]"));
                    inner = of;
                }
                format!("{}{dims}", inner.display(program))
            }
            Ty::Record(id) => {
                let r = &program.records[*id];
                match (&r.tag, &r.typedef_name) {
                    (Some(tag), _) => format!("{} {tag}", r.keyword()),
                    (None, Some(name)) => name.clone(),
                    (None, None) => format!("{} {{…}}", r.keyword()),
                }
            }
            Ty::Enum(id) => {
                let e = &program.enums[*id];
                match (&e.tag, &e.typedef_name) {
                    (Some(tag), _) => format!("enum {tag}"),
                    (None, Some(name)) => name.clone(),
                    (None, None) => "enum {…}".into(),
                }
            }
            Ty::Sync(Sync::Semaphore) => "sem_t".into(),
            Ty::Sync(Sync::Mutex) => "pthread_mutex_t".into(),
            Ty::Sync(Sync::Condition) => "pthread_cond_t".into(),
            Ty::Function => "function".into(),
            Ty::Void => "void".into(),
            Ty::Named { name, .. } => name.clone(),
        }
    }

    /// What a typedef name stands for, all the way down.
    pub fn resolved(&self) -> &Ty {
        let mut ty = self;
        while let Ty::Named { ty: inner, .. } = ty {
            ty = inner;
        }
        ty
    }

    /// The record a value of this type holds by value, through typedefs and arrays (not
    /// through a pointer).
    pub fn record_held(&self) -> Option<usize> {
        let mut ty = self;
        while let Ty::Array { of: inner, .. } | Ty::Named { ty: inner, .. } = ty {
            ty = inner;
        }
        match ty {
            Ty::Record(id) => Some(*id),
            _ => None,
        }
    }

    /// How many types this one is built of, itself included: `int **` is 3 deep.
    pub fn depth(&self) -> usize {
        let mut depth = 1;
        let mut ty = self;
        while let Ty::Pointer(inner) | Ty::Array { of: inner, .. } | Ty::Named { ty: inner, .. } =
            ty
        {
            depth += 1;
            ty = inner;
        }
        depth
    }
}

/// Type names the C library defines that headers use without defining (LP64 glibc).
pub fn builtin(name: &str) -> Option<Ty> {
    let int = |size: u64, signed: bool| {
        Some(Ty::Int {
            name: name.to_string(),
            size,
            signed: Some(signed),
        })
    };
    let atomic = |base: &str| {
        builtin(base).map(|ty| Ty::Named {
            name: name.to_string(),
            ty: Box::new(ty),
        })
    };
    match name {
        "int8_t" | "int_least8_t" => int(1, true),
        "uint8_t" | "uint_least8_t" => int(1, false),
        "int16_t" | "int_least16_t" => int(2, true),
        "uint16_t" | "uint_least16_t" | "char16_t" => int(2, false),
        "int32_t" | "int_least32_t" | "pid_t" | "wchar_t" | "key_t" => int(4, true),
        "uint32_t" | "uint_least32_t" | "uid_t" | "gid_t" | "char32_t" | "mode_t" => int(4, false),
        "int64_t" | "int_least64_t" | "intptr_t" | "ssize_t" | "ptrdiff_t" | "intmax_t"
        | "off_t" | "time_t" => int(8, true),
        "uint64_t" | "uint_least64_t" | "uintptr_t" | "size_t" | "uintmax_t" => int(8, false),
        "sem_t" => Some(Ty::Sync(Sync::Semaphore)),
        "pthread_mutex_t" => Some(Ty::Sync(Sync::Mutex)),
        "pthread_cond_t" => Some(Ty::Sync(Sync::Condition)),
        "atomic_bool" | "atomic_flag" => Some(Ty::Named {
            name: name.into(),
            ty: Box::new(Ty::Bool {
                name: "_Bool".into(),
            }),
        }),
        "atomic_char" => Some(Ty::Named {
            name: name.into(),
            ty: Box::new(Ty::Int {
                name: "char".into(),
                size: 1,
                signed: None,
            }),
        }),
        "atomic_schar" => int(1, true),
        "atomic_uchar" => int(1, false),
        "atomic_short" => int(2, true),
        "atomic_ushort" => int(2, false),
        "atomic_int" => int(4, true),
        "atomic_uint" => int(4, false),
        "atomic_long" | "atomic_llong" => int(8, true),
        "atomic_ulong" | "atomic_ullong" => int(8, false),
        _ => name.strip_prefix("atomic_").and_then(|base| {
            if base.ends_with("_t") {
                atomic(base)
            } else {
                None
            }
        }),
    }
}
