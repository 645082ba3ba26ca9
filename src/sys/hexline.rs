//! A full `hexdump -C` line's cells from SIMD registers: the sixteen `hh ` cells and the
//! text column of sixteen bytes in a few shuffles (the `pshufb` nibble-to-hex technique),
//! where the CPU has SSSE3. [`crate::hexdump`] keeps the table-driven scalar line for
//! every other CPU and for the lines this does not cover; a test holds the two equal.

/// Proof that this CPU has SSSE3: only [`Ssse3::detect`] makes one.
#[derive(Debug, Clone, Copy)]
pub struct Ssse3(());

impl Ssse3 {
    #[cfg(target_arch = "x86_64")]
    pub fn detect() -> Option<Ssse3> {
        std::is_x86_feature_detected!("ssse3").then_some(Ssse3(()))
    }

    #[cfg(not(target_arch = "x86_64"))]
    pub fn detect() -> Option<Ssse3> {
        None
    }

    /// Writes columns 10..78 of a full 79-byte line (see `hexdump::plain_line`): the hex
    /// cells of `bytes` with the extra blank after the eighth, two blanks, `|`, the text
    /// column and `|`. The offset (columns 0..8), its two blanks and the newline are the
    /// caller's.
    #[cfg(target_arch = "x86_64")]
    pub fn cells(self, bytes: &[u8; 16], line: &mut [u8; 79]) {
        // SAFETY: an `Ssse3` exists only where SSSE3 was detected, which is all `cells_ssse3`
        // needs; it reads 16 bytes from `bytes` and writes inside `line` (checked there).
        unsafe { cells_ssse3(bytes, line) }
    }

    #[cfg(not(target_arch = "x86_64"))]
    pub fn cells(self, _: &[u8; 16], _: &mut [u8; 79]) {
        // No value of the type exists here: `detect` never makes one.
        match self.0 {}
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "ssse3")]
unsafe fn cells_ssse3(bytes: &[u8; 16], line: &mut [u8; 79]) {
    use std::arch::x86_64::*;
    /// Where each of 16 output bytes takes its digit from (0x80: none, a blank), for the
    /// first 16 and the last 8 of eight `hh ` cells (24 bytes).
    const FIRST: [u8; 16] = [
        0, 1, 0x80, 2, 3, 0x80, 4, 5, 0x80, 6, 7, 0x80, 8, 9, 0x80, 10,
    ];
    const REST: [u8; 16] = [
        11, 0x80, 12, 13, 0x80, 14, 15, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
    ];
    /// A blank where the shuffle put none of the digits.
    const fn blanks(map: [u8; 16]) -> [u8; 16] {
        let mut out = [0u8; 16];
        let mut i = 0;
        while i < 16 {
            out[i] = if map[i] == 0x80 { b' ' } else { 0 };
            i += 1;
        }
        out
    }
    const FIRST_BLANKS: [u8; 16] = blanks(FIRST);
    const REST_BLANKS: [u8; 16] = blanks(REST);
    const HEX: &[u8; 16] = b"0123456789abcdef";
    // SAFETY (the loads and stores below): each reads a whole 16-byte array or writes a
    // 16-byte slice of `line`, unaligned as the intrinsics allow; SSSE3 is the caller's.
    let load = |a: &[u8; 16]| _mm_loadu_si128(a.as_ptr().cast());
    let v = load(bytes);
    let low = _mm_set1_epi8(0x0f);
    let his = _mm_shuffle_epi8(load(HEX), _mm_and_si128(_mm_srli_epi16(v, 4), low));
    let los = _mm_shuffle_epi8(load(HEX), _mm_and_si128(v, low));
    // Each byte's two digits, in order: bytes 0..8, then 8..16.
    let halves = [_mm_unpacklo_epi8(his, los), _mm_unpackhi_epi8(his, los)];
    let (first, rest) = (load(&FIRST), load(&REST));
    let (first_blanks, rest_blanks) = (load(&FIRST_BLANKS), load(&REST_BLANKS));
    // Stored in order, each store's tail is blanks the next overwrites (the first half's
    // tail leaves column 34 blank, the second's columns 59..67 before the text goes in).
    for (digits, at) in halves.into_iter().zip([10usize, 35]) {
        let a = _mm_or_si128(_mm_shuffle_epi8(digits, first), first_blanks);
        let b = _mm_or_si128(_mm_shuffle_epi8(digits, rest), rest_blanks);
        let (a_cells, rest_cells) = line[at..at + 32].split_at_mut(16);
        _mm_storeu_si128(a_cells.as_mut_ptr().cast(), a);
        _mm_storeu_si128(rest_cells.as_mut_ptr().cast(), b);
    }
    // Printable ASCII (0x20..0x7e) as is, everything else '.': as signed bytes, 0x80..0xff
    // are below 0x20.
    let printable = _mm_and_si128(
        _mm_cmpgt_epi8(v, _mm_set1_epi8(0x1f)),
        _mm_cmplt_epi8(v, _mm_set1_epi8(0x7f)),
    );
    let text = _mm_or_si128(
        _mm_and_si128(printable, v),
        _mm_andnot_si128(printable, _mm_set1_epi8(b'.' as i8)),
    );
    line[59] = b' ';
    line[60] = b'|';
    _mm_storeu_si128(line[61..77].as_mut_ptr().cast(), text);
    line[77] = b'|';
}
