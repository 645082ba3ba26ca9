//! Integer constant expressions: `NAME_LEN + 1`, `1 << 4`, `(A | B) & ~C`, `X ? 8 : 4`.
use super::lex::{Tok, Token};
use super::{too_deep, MAX_DEPTH};

/// Where an expression failed: the token index and a message.
pub type ExprError = (usize, String);

/// Evaluates `tokens` entirely; `name` resolves identifiers (enum constants; macros are
/// already expanded), or None for an unknown name.
pub fn eval(tokens: &[Token], name: &dyn Fn(&str) -> Option<i128>) -> Result<i128, ExprError> {
    if tokens.is_empty() {
        return Err((0, "expected a constant expression".into()));
    }
    let mut p = Parser {
        tokens,
        at: 0,
        name,
        depth: 0,
    };
    let value = p.ternary()?;
    if p.at < tokens.len() {
        return Err((p.at, "unexpected token in a constant expression".into()));
    }
    Ok(value)
}

struct Parser<'a> {
    tokens: &'a [Token],
    at: usize,
    name: &'a dyn Fn(&str) -> Option<i128>,
    /// Nested `(`, unary operators and `?:`, bounded by [`MAX_DEPTH`].
    depth: u32,
}

fn precedence(op: &str) -> Option<u8> {
    Some(match op {
        "||" => 1,
        "&&" => 2,
        "|" => 3,
        "^" => 4,
        "&" => 5,
        "==" | "!=" => 6,
        "<" | ">" | "<=" | ">=" => 7,
        "<<" | ">>" => 8,
        "+" | "-" => 9,
        "*" | "/" | "%" => 10,
        _ => return None,
    })
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.at).map(|t| &t.tok)
    }

    fn is(&self, punct: &str) -> bool {
        matches!(self.peek(), Some(Tok::Punct(p)) if *p == punct)
    }

    /// A `?:` branch: one level deeper.
    fn branch(&mut self) -> Result<i128, ExprError> {
        self.enter()?;
        let value = self.ternary();
        self.depth -= 1;
        value
    }

    /// One level deeper, refused past [`MAX_DEPTH`] at the token that goes too deep.
    fn enter(&mut self) -> Result<(), ExprError> {
        if self.depth >= MAX_DEPTH {
            return Err((self.at, too_deep()));
        }
        self.depth += 1;
        Ok(())
    }

    fn ternary(&mut self) -> Result<i128, ExprError> {
        let cond = self.binary(1)?;
        if !self.is("?") {
            return Ok(cond);
        }
        self.at += 1;
        let yes = self.branch()?;
        if !self.is(":") {
            return Err((self.at, "expected `:` in `?:`".into()));
        }
        self.at += 1;
        let no = self.branch()?;
        Ok(if cond != 0 { yes } else { no })
    }

    fn binary(&mut self, min: u8) -> Result<i128, ExprError> {
        let mut left = self.unary()?;
        while let Some(Tok::Punct(op)) = self.peek() {
            let op = *op;
            let Some(prec) = precedence(op) else { break };
            if prec < min {
                break;
            }
            let at = self.at;
            self.at += 1;
            let right = self.binary(prec + 1)?;
            let overflow = || (at, format!("`{op}` overflows"));
            left = match op {
                "||" => i128::from(left != 0 || right != 0),
                "&&" => i128::from(left != 0 && right != 0),
                "|" => left | right,
                "^" => left ^ right,
                "&" => left & right,
                "==" => i128::from(left == right),
                "!=" => i128::from(left != right),
                "<" => i128::from(left < right),
                ">" => i128::from(left > right),
                "<=" => i128::from(left <= right),
                ">=" => i128::from(left >= right),
                "<<" => u32::try_from(right)
                    .ok()
                    .and_then(|r| left.checked_shl(r))
                    .ok_or_else(overflow)?,
                ">>" => u32::try_from(right)
                    .ok()
                    .and_then(|r| left.checked_shr(r))
                    .ok_or_else(overflow)?,
                "+" => left.checked_add(right).ok_or_else(overflow)?,
                "-" => left.checked_sub(right).ok_or_else(overflow)?,
                "*" => left.checked_mul(right).ok_or_else(overflow)?,
                "/" | "%" if right == 0 => return Err((at, "division by zero".into())),
                "/" => left / right,
                _ => left % right,
            };
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<i128, ExprError> {
        self.enter()?;
        let value = self.unary_inner();
        self.depth -= 1;
        value
    }

    fn unary_inner(&mut self) -> Result<i128, ExprError> {
        let at = self.at;
        let Some(tok) = self.peek().cloned() else {
            return Err((at, "expression ends too early".into()));
        };
        self.at += 1;
        match tok {
            Tok::Int(v) => Ok(i128::from(v)),
            Tok::Punct("-") => Ok(-self.unary()?),
            Tok::Punct("+") => self.unary(),
            Tok::Punct("!") => Ok(i128::from(self.unary()? == 0)),
            Tok::Punct("~") => Ok(!self.unary()?),
            Tok::Punct("(") => {
                let v = self.ternary()?;
                if !self.is(")") {
                    return Err((self.at, "expected `)`".into()));
                }
                self.at += 1;
                Ok(v)
            }
            Tok::Ident(name) if name == "sizeof" || name == "_Alignof" => Err((
                at,
                format!("`{name}` is not supported in constant expressions here"),
            )),
            Tok::Ident(name) => (self.name)(&name).ok_or((
                at,
                format!("`{name}` is not an integer constant known here"),
            )),
            Tok::Number(text) => Err((at, super::lex::not_an_integer(&text))),
            _ => Err((at, "expected a number".into())),
        }
    }
}
