//! Tokens of the C subset, each with the line and column it starts at. Comments vanish and
//! backslash-newlines join lines; a `Newline` token ends each line, for the preprocessor.
use super::SchemaError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tok {
    Ident(String),
    /// An integer literal's value (suffixes u/l dropped).
    Int(u64),
    /// A floating literal or anything else numeric we do not evaluate, as written.
    Number(String),
    Str(String),
    Punct(&'static str),
    Newline,
    /// `#pragma pack(...)`, placed where it appeared: Some(n) sets, None resets, and
    /// push/pop save and restore.
    PackPush(Option<u64>),
    PackPop,
    PackSet(Option<u64>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub tok: Tok,
    pub line: u32,
    pub col: u32,
}

const PUNCTS: [&str; 30] = [
    "...", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "->", "##", "{", "}", "(", ")", "[",
    "]", ";", ",", ":", "*", "=", "+", "-", "/", "%", "<", ">", "!", "~",
];
const MORE_PUNCTS: [&str; 6] = ["&", "|", "^", "?", ".", "#"];

pub fn lex(
    src: &str,
    error: &dyn Fn(u32, u32, String) -> SchemaError,
) -> Result<Vec<Token>, SchemaError> {
    let chars: Vec<char> = src.chars().collect();
    let (mut i, mut line, mut col) = (0usize, 1u32, 1u32);
    let mut out = Vec::new();
    let advance = |i: &mut usize, line: &mut u32, col: &mut u32, chars: &[char]| {
        if chars[*i] == '\n' {
            *line += 1;
            *col = 1;
        } else {
            *col += 1;
        }
        *i += 1;
    };
    while i < chars.len() {
        let c = chars[i];
        // A UTF-8 byte order mark at the start, as editors on Windows write it.
        if i == 0 && c == '\u{feff}' {
            i += 1;
            continue;
        }
        // Line continuation, also as a CRLF file writes it (gcc takes both).
        let newline_after = match (chars.get(i + 1), chars.get(i + 2)) {
            (Some('\n'), _) => Some(2),
            (Some('\r'), Some('\n')) => Some(3),
            _ => None,
        };
        if let (true, Some(width)) = (c == '\\', newline_after) {
            i += width;
            line += 1;
            col = 1;
            continue;
        }
        if c == '\n' {
            out.push(Token {
                tok: Tok::Newline,
                line,
                col,
            });
            advance(&mut i, &mut line, &mut col, &chars);
            continue;
        }
        if c.is_whitespace() {
            advance(&mut i, &mut line, &mut col, &chars);
            continue;
        }
        if c == '/' && chars.get(i + 1) == Some(&'/') {
            while i < chars.len() && chars[i] != '\n' {
                advance(&mut i, &mut line, &mut col, &chars);
            }
            continue;
        }
        if c == '/' && chars.get(i + 1) == Some(&'*') {
            let (l0, c0) = (line, col);
            i += 2;
            col += 2;
            loop {
                if i + 1 >= chars.len() {
                    return Err(error(l0, c0, "unterminated comment".into()));
                }
                if chars[i] == '*' && chars[i + 1] == '/' {
                    i += 2;
                    col += 2;
                    break;
                }
                advance(&mut i, &mut line, &mut col, &chars);
            }
            continue;
        }
        let (l0, c0) = (line, col);
        if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                advance(&mut i, &mut line, &mut col, &chars);
            }
            out.push(Token {
                tok: Tok::Ident(chars[start..i].iter().collect()),
                line: l0,
                col: c0,
            });
            continue;
        }
        if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit()))
        {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric() || chars[i] == '.' || chars[i] == '_')
            {
                // A pp-number takes the sign after an exponent letter: 1e-5, 0x1p+3.
                if matches!(chars[i], 'e' | 'E' | 'p' | 'P')
                    && matches!(chars.get(i + 1), Some('+' | '-'))
                {
                    advance(&mut i, &mut line, &mut col, &chars);
                }
                advance(&mut i, &mut line, &mut col, &chars);
            }
            let text: String = chars[start..i].iter().collect();
            out.push(Token {
                tok: number(&text),
                line: l0,
                col: c0,
            });
            continue;
        }
        if c == '"' || c == '\'' {
            let quote = c;
            advance(&mut i, &mut line, &mut col, &chars);
            let mut value = String::new();
            loop {
                match chars.get(i) {
                    None | Some('\n') => return Err(error(l0, c0, "unterminated literal".into())),
                    Some(&q) if q == quote => {
                        advance(&mut i, &mut line, &mut col, &chars);
                        break;
                    }
                    Some('\\') => {
                        advance(&mut i, &mut line, &mut col, &chars);
                        let escaped = chars.get(i).copied().unwrap_or('\\');
                        value.push(match escaped {
                            'n' => '\n',
                            't' => '\t',
                            '0' => '\0',
                            'r' => '\r',
                            other => other,
                        });
                        if i < chars.len() {
                            advance(&mut i, &mut line, &mut col, &chars);
                        }
                    }
                    Some(&ch) => {
                        value.push(ch);
                        advance(&mut i, &mut line, &mut col, &chars);
                    }
                }
            }
            let tok = if quote == '"' {
                Tok::Str(value)
            } else {
                let mut cs = value.chars();
                match (cs.next(), cs.next()) {
                    (Some(ch), None) => Tok::Int(ch as u64),
                    _ => {
                        return Err(error(
                            l0,
                            c0,
                            format!("character literal '{value}' is not one character"),
                        ))
                    }
                }
            };
            out.push(Token {
                tok,
                line: l0,
                col: c0,
            });
            continue;
        }
        let rest: String = chars[i..chars.len().min(i + 3)].iter().collect();
        let punct = PUNCTS
            .iter()
            .chain(MORE_PUNCTS.iter())
            .find(|p| rest.starts_with(**p));
        match punct {
            Some(p) => {
                for _ in 0..p.len() {
                    advance(&mut i, &mut line, &mut col, &chars);
                }
                out.push(Token {
                    tok: Tok::Punct(p),
                    line: l0,
                    col: c0,
                });
            }
            None => return Err(error(l0, c0, unexpected(c))),
        }
    }
    out.push(Token {
        tok: Tok::Newline,
        line,
        col,
    });
    Ok(out)
}

/// An integer literal (decimal, 0x hex, 0 octal, 0b binary; u/l suffixes), else a number
/// we keep as text (floating).
fn number(text: &str) -> Tok {
    let digits = text.trim_end_matches(['u', 'U', 'l', 'L']);
    if !valid_suffix(&text[digits.len()..]) {
        return Tok::Number(text.to_string());
    }
    let value = if let Some(hex) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        u64::from_str_radix(hex, 16).ok()
    } else if let Some(bin) = digits
        .strip_prefix("0b")
        .or_else(|| digits.strip_prefix("0B"))
    {
        u64::from_str_radix(bin, 2).ok()
    } else if digits.len() > 1 && digits.starts_with('0') {
        u64::from_str_radix(&digits[1..], 8).ok()
    } else {
        digits.parse().ok()
    };
    match value {
        Some(v) => Tok::Int(v),
        None => Tok::Number(text.to_string()),
    }
}

/// C's integer suffixes: `u` and one of `l`, `ll` (not `lL`), in either order and case.
fn valid_suffix(suffix: &str) -> bool {
    let (unsigned, long) = match suffix.find(['u', 'U']) {
        Some(0) => suffix.split_at(1),
        Some(i) if i + 1 == suffix.len() => {
            let (long, unsigned) = suffix.split_at(i);
            (unsigned, long)
        }
        Some(_) => return false,
        None => ("", suffix),
    };
    unsigned.len() <= 1 && ["", "l", "L", "ll", "LL"].contains(&long)
}

/// Why a numeric token is not an integer constant, as gcc says it: an integer with a suffix
/// C does not have (`10UUL`, `10_u`), or something else numeric (`1e3`, `1.5`).
pub fn not_an_integer(text: &str) -> String {
    let (radix, body) = match text.get(..2) {
        Some("0x" | "0X") => (16, &text[2..]),
        Some("0b" | "0B") => (2, &text[2..]),
        _ => (10, text),
    };
    let digits = body
        .find(|c: char| !c.is_digit(radix))
        .unwrap_or(body.len());
    let suffix = &body[digits..];
    let floating = suffix.starts_with(['.', 'i', 'j'])
        || (radix == 10 && suffix.starts_with(['e', 'E']))
        || (radix == 16 && suffix.contains(['p', 'P', '.']));
    if digits > 0 && !suffix.is_empty() && !floating {
        return format!("invalid suffix \"{suffix}\" on integer constant");
    }
    format!("`{text}` is not an integer")
}

/// What an unexpected character is, named when it would not show.
fn unexpected(c: char) -> String {
    match c {
        '\u{feff}' => "an invisible byte order mark (U+FEFF) here".to_string(),
        '\0' => "a NUL byte here".to_string(),
        // What the header's reader puts where a byte is not UTF-8.
        char::REPLACEMENT_CHARACTER => "a byte that is not UTF-8 text here".to_string(),
        c if c.is_control() => format!("an unexpected control character U+{:04X}", c as u32),
        c => format!("unexpected character `{c}`"),
    }
}
