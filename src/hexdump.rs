//! The hex formatter (pure; writes to any `io::Write`): `hexdump -C` lines, identical lines
//! squeezed to `*` as `hexdump -C` and `xxd -a` do. A whole chunk is formatted into one
//! buffer from lookup tables and written once.
use std::io::{self, Write};

use crate::sys::hexline::Ssse3;

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Colours by kind of byte (as hexyl does): NUL, printable ASCII, ASCII whitespace and
/// control, and everything else.
const RESET: &[u8; 4] = b"\x1b[0m";

const fn colour(b: u8) -> &'static [u8; 5] {
    match b {
        0 => b"\x1b[90m",
        0x21..=0x7e => b"\x1b[36m",
        0x01..=0x20 | 0x7f => b"\x1b[32m",
        _ => b"\x1b[33m",
    }
}

/// What the text column shows for a byte.
const fn shown(b: u8) -> u8 {
    if b >= 0x20 && b < 0x7f {
        b
    } else {
        b'.'
    }
}

/// `text` between byte `b`'s colour and the reset, in a cell of `N` bytes (the rest blank):
/// every colour is five bytes, so every coloured cell of a kind has one size.
const fn painted<const N: usize>(b: u8, text: &[u8]) -> [u8; N] {
    let mut cell = [b' '; N];
    let colour = colour(b);
    let mut i = 0;
    while i < 5 {
        cell[i] = colour[i];
        i += 1;
    }
    let mut j = 0;
    while j < text.len() {
        cell[5 + j] = text[j];
        j += 1;
    }
    let mut k = 0;
    while k < 4 {
        cell[5 + text.len() + k] = RESET[k];
        k += 1;
    }
    cell
}

/// Every byte's coloured hex cell (`ESC[36m41ESC[0m `, twelve bytes) and coloured text
/// cell (ten), computed when compiling: a line is then a few table copies, not a loop of
/// pushes.
const HEX_CELLS: [[u8; 12]; 256] = {
    let mut t = [[0u8; 12]; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = painted(b as u8, &[HEX[b >> 4], HEX[b & 0xf]]);
        b += 1;
    }
    t
};

const TEXT_CELLS: [[u8; 10]; 256] = {
    let mut t = [[0u8; 10]; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = painted(b as u8, &[shown(b as u8)]);
        b += 1;
    }
    t
};

const SHOWN: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = shown(b as u8);
        b += 1;
    }
    t
};

/// Every byte's `hh ` and one more blank, as four bytes stored at once (the next cell's
/// store overwrites the blank); its first two are the byte's hex digits.
const HEX_CELL4: [[u8; 4]; 256] = {
    let mut t = [[b' '; 4]; 256];
    let mut b = 0;
    while b < 256 {
        t[b][0] = HEX[b >> 4];
        t[b][1] = HEX[b & 0xf];
        b += 1;
    }
    t
};

/// The length of a full line below 4 GiB.
const LINE: usize = 79;

/// A full line below 4 GiB, the line nearly every dump is made of, written in place: the
/// offset's digits and every byte's come from tables (no branch on the data: random bytes
/// would mispredict half of them), at positions the compiler knows.
fn plain_line(line: &mut [u8; LINE], offset: u32, bytes: &[u8; 16]) {
    offset_cells(line, offset);
    for (i, &b) in bytes[..8].iter().enumerate() {
        line[10 + 3 * i..14 + 3 * i].copy_from_slice(&HEX_CELL4[usize::from(b)]);
    }
    for (i, &b) in bytes[8..].iter().enumerate() {
        line[35 + 3 * i..39 + 3 * i].copy_from_slice(&HEX_CELL4[usize::from(b)]);
    }
    line[59] = b' ';
    line[60] = b'|';
    for (shown, &b) in line[61..77].iter_mut().zip(bytes) {
        *shown = SHOWN[usize::from(b)];
    }
    line[77] = b'|';
    line[78] = b'\n';
}

/// A line's offset and the two blanks after it.
fn offset_cells(line: &mut [u8; LINE], offset: u32) {
    for (k, &o) in offset.to_be_bytes().iter().enumerate() {
        line[2 * k..2 * k + 2].copy_from_slice(&HEX_CELL4[usize::from(o)][..2]);
    }
    line[8..10].copy_from_slice(b"  ");
}

/// [`plain_line`] with its cells from SIMD registers.
fn simd_line(simd: Ssse3, line: &mut [u8; LINE], offset: u32, bytes: &[u8; 16]) {
    offset_cells(line, offset);
    simd.cells(bytes, line);
    line[78] = b'\n';
}

/// The length of a full coloured line below 4 GiB.
const COLOUR_LINE: usize = 367;

/// [`plain_line`] in colour: every cell a fixed-size table entry (every colour is five
/// bytes), so positions are known here too.
fn colour_line(line: &mut [u8; COLOUR_LINE], offset: u32, bytes: &[u8; 16]) {
    for (k, &o) in offset.to_be_bytes().iter().enumerate() {
        line[2 * k..2 * k + 2].copy_from_slice(&HEX_CELL4[usize::from(o)][..2]);
    }
    line[8..10].copy_from_slice(b"  ");
    for (i, &b) in bytes[..8].iter().enumerate() {
        line[10 + 12 * i..22 + 12 * i].copy_from_slice(&HEX_CELLS[usize::from(b)]);
    }
    line[106] = b' ';
    for (i, &b) in bytes[8..].iter().enumerate() {
        line[107 + 12 * i..119 + 12 * i].copy_from_slice(&HEX_CELLS[usize::from(b)]);
    }
    line[203..205].copy_from_slice(b" |");
    for (i, &b) in bytes.iter().enumerate() {
        line[205 + 10 * i..215 + 10 * i].copy_from_slice(&TEXT_CELLS[usize::from(b)]);
    }
    line[365..367].copy_from_slice(b"|\n");
}

/// `N` more bytes at the end of `buffer`, to be written in place (always `Some`).
fn append<const N: usize>(buffer: &mut Vec<u8>) -> Option<&mut [u8; N]> {
    buffer.resize(buffer.len() + N, 0);
    buffer.last_chunk_mut()
}

pub struct HexDumper {
    squeeze: bool,
    color: bool,
    /// Where the CPU has it, full plain lines are made in SIMD registers.
    simd: Option<Ssse3>,
    previous: Option<[u8; 16]>,
    squeezing: bool,
    buffer: Vec<u8>,
}

impl HexDumper {
    pub fn new(squeeze: bool, color: bool) -> HexDumper {
        HexDumper {
            squeeze,
            color,
            simd: Ssse3::detect(),
            previous: None,
            squeezing: false,
            buffer: Vec::with_capacity(1 << 20),
        }
    }

    /// Formats `bytes`, starting at `offset` (relative to the segment's start), and writes.
    /// Lines are 16 bytes; only the last chunk of a dump may end with a short line.
    pub fn chunk(&mut self, out: &mut dyn Write, offset: u64, bytes: &[u8]) -> io::Result<()> {
        self.buffer.clear();
        for (i, line) in bytes.chunks(16).enumerate() {
            self.line(offset + (i * 16) as u64, line);
        }
        out.write_all(&self.buffer)
    }

    fn line(&mut self, offset: u64, bytes: &[u8]) {
        if self.squeeze
            && bytes.len() == 16
            && self.previous.as_ref().is_some_and(|p| p[..] == *bytes)
        {
            if !self.squeezing {
                self.buffer.extend_from_slice(b"*\n");
                self.squeezing = true;
            }
            return;
        }
        self.squeezing = false;
        if let Ok(full) = <[u8; 16]>::try_from(bytes) {
            self.previous = Some(full);
        }
        let buffer = &mut self.buffer;
        if let (Ok(full), Ok(offset)) = (<&[u8; 16]>::try_from(bytes), u32::try_from(offset)) {
            if self.color {
                if let Some(line) = append(buffer) {
                    colour_line(line, offset, full);
                }
            } else if let Some(line) = append(buffer) {
                match self.simd {
                    Some(simd) => simd_line(simd, line, offset, full),
                    None => plain_line(line, offset, full),
                }
            }
            return;
        }
        // At least 8 digits, more past 4 GiB (as hexdump's `%08x`).
        let width = (16 - offset.leading_zeros() as usize / 4).max(8);
        let mut digits = [0u8; 16];
        for (i, d) in digits[..width].iter_mut().rev().enumerate() {
            *d = HEX[((offset >> (i * 4)) & 0xf) as usize];
        }
        buffer.extend_from_slice(&digits[..width]);
        buffer.extend_from_slice(b"  ");
        for i in 0..16 {
            match bytes.get(i) {
                Some(&b) if self.color => buffer.extend_from_slice(&HEX_CELLS[usize::from(b)]),
                Some(&b) => buffer.extend_from_slice(&HEX_CELL4[usize::from(b)][..3]),
                None => buffer.extend_from_slice(b"   "),
            }
            if i == 7 {
                buffer.push(b' ');
            }
        }
        buffer.extend_from_slice(b" |");
        for &b in bytes {
            if self.color {
                buffer.extend_from_slice(&TEXT_CELLS[usize::from(b)]);
            } else {
                buffer.push(SHOWN[usize::from(b)]);
            }
        }
        buffer.extend_from_slice(b"|\n");
    }

    /// The closing line: the offset just past the data.
    pub fn end(&mut self, out: &mut dyn Write, offset: u64) -> io::Result<()> {
        writeln!(out, "{offset:08x}")
    }
}

/// Standard base64 (RFC 4648, with padding), for a queue's messages in an archive.
pub fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The SIMD line is the table-driven one, byte for byte: every byte value in every
    /// column, and lines of mixed bytes at offsets of every width.
    #[test]
    fn simd_lines_are_the_tables_lines() {
        let Some(simd) = Ssse3::detect() else {
            eprintln!("no SSSE3 here: only the scalar line is used");
            return;
        };
        let mut lines: Vec<[u8; 16]> = Vec::new();
        for value in 0..=255u8 {
            for column in 0..16 {
                let mut line = [0x41; 16];
                line[column] = value;
                lines.push(line);
            }
            lines.push([value; 16]);
        }
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..4096 {
            let mut line = [0u8; 16];
            for b in &mut line {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                *b = state as u8;
            }
            lines.push(line);
        }
        for (i, bytes) in lines.iter().enumerate() {
            let offset = (i as u32).wrapping_mul(0x9e37_79b9);
            let (mut ours, mut tables) = ([0u8; LINE], [0u8; LINE]);
            simd_line(simd, &mut ours, offset, bytes);
            plain_line(&mut tables, offset, bytes);
            assert_eq!(
                String::from_utf8_lossy(&ours),
                String::from_utf8_lossy(&tables),
                "{bytes:02x?}"
            );
        }
    }

    #[test]
    fn lines_and_squeeze_like_hexdump_c() {
        let mut out = Vec::new();
        let mut dumper = HexDumper::new(true, false);
        let data: Vec<u8> = b"Hello, world!\n\0\x01"
            .iter()
            .copied()
            .chain([0u8; 48])
            .chain(*b"end")
            .collect();
        // Squeezing carries across chunks.
        dumper.chunk(&mut out, 0, &data[..32]).expect("write");
        dumper.chunk(&mut out, 32, &data[32..]).expect("write");
        dumper.end(&mut out, data.len() as u64).expect("write");
        let expected = "00000000  48 65 6c 6c 6f 2c 20 77  6f 72 6c 64 21 0a 00 01  |Hello, world!...|\n\
                        00000010  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n\
                        *\n\
                        00000040  65 6e 64                                          |end|\n\
                        00000043\n";
        assert_eq!(String::from_utf8(out).expect("utf-8"), expected);
    }

    #[test]
    fn colour_marks_kinds_of_bytes_and_only_when_asked() {
        let mut out = Vec::new();
        HexDumper::new(false, true)
            .chunk(&mut out, 0, b"A\0\n\xff")
            .expect("write");
        let text = String::from_utf8(out).expect("utf-8");
        assert!(
            text.contains("\x1b[36m41\x1b[0m") && text.contains("\x1b[90m00\x1b[0m"),
            "{text:?}"
        );
        assert!(
            text.contains("\x1b[32m0a\x1b[0m") && text.contains("\x1b[33mff\x1b[0m"),
            "{text:?}"
        );
        let mut plain = Vec::new();
        HexDumper::new(false, false)
            .chunk(&mut plain, 0, b"A\0\n\xff")
            .expect("write");
        assert!(!plain.contains(&0x1b));
    }

    /// Every byte value, in full lines and a short one, plain and coloured, against a
    /// formatter written the slow, obvious way.
    #[test]
    fn the_tables_write_what_the_obvious_loop_writes() {
        fn obvious(offset: u64, line: &[u8], color: bool) -> String {
            let paint = |b: u8, text: String| {
                if color {
                    let c = String::from_utf8_lossy(colour(b)).into_owned();
                    format!("{c}{text}\x1b[0m")
                } else {
                    text
                }
            };
            let mut out = format!("{offset:08x}  ");
            for i in 0..16 {
                match line.get(i) {
                    Some(&b) => out.push_str(&format!("{} ", paint(b, format!("{b:02x}")))),
                    None => out.push_str("   "),
                }
                if i == 7 {
                    out.push(' ');
                }
            }
            out.push_str(" |");
            for &b in line {
                out.push_str(&paint(b, char::from(shown(b)).to_string()));
            }
            out.push_str("|\n");
            out
        }
        let data: Vec<u8> = (0..=255u8).chain(0..=6).collect();
        for color in [false, true] {
            let mut ours = Vec::new();
            HexDumper::new(false, color)
                .chunk(&mut ours, 0, &data)
                .expect("write");
            let expected: String = data
                .chunks(16)
                .enumerate()
                .map(|(i, line)| obvious(i as u64 * 16, line, color))
                .collect();
            assert_eq!(String::from_utf8(ours).expect("utf-8"), expected);
        }
    }

    #[test]
    fn offsets_past_4_gib_keep_every_digit() {
        let mut out = Vec::new();
        HexDumper::new(false, false)
            .chunk(&mut out, 0x1_2345_6780, b"A")
            .expect("write");
        assert!(
            String::from_utf8_lossy(&out).starts_with("123456780  41 "),
            "{}",
            String::from_utf8_lossy(&out)
        );
    }

    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }
}
