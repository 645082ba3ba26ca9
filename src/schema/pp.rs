//! The preprocessor subset: `#include` skipped, object-like `#define`s expanded (integer
//! ones usable in sizes and widths), `#ifdef`/`#ifndef`/`#if`/`#elif`/`#else`/`#endif`
//! over names defined in the file (`__cplusplus` is not), `#pragma pack` kept in place.
use std::collections::HashMap;

use super::expr;
use super::lex::{Tok, Token};
use super::{SchemaError, MAX_DEPTH};

enum Define {
    Object(Vec<Token>),
    Function,
}

struct Cond {
    /// This branch's lines are kept.
    active: bool,
    /// Some branch of this #if chain was taken.
    taken: bool,
    /// The enclosing region is kept.
    parent: bool,
    /// Where the `#if` is, for "#if without #endif".
    line: u32,
    col: u32,
}

type Err<'a> = &'a dyn Fn(u32, u32, String) -> SchemaError;

pub fn preprocess(tokens: Vec<Token>, error: Err) -> Result<Vec<Token>, SchemaError> {
    let limit = expansion_budget(tokens.len());
    let mut budget = limit;
    let mut defines: HashMap<String, Define> = HashMap::new();
    let mut stack: Vec<Cond> = Vec::new();
    let mut out = Vec::new();
    let mut line: Vec<Token> = Vec::new();
    for token in tokens {
        if token.tok != Tok::Newline {
            line.push(token);
            continue;
        }
        let active = stack.last().is_none_or(|c| c.active);
        if matches!(
            line.first(),
            Some(Token {
                tok: Tok::Punct("#"),
                ..
            })
        ) {
            directive(&line, &mut defines, &mut stack, &mut out, active, error)?;
        } else if active {
            let mut expander = Expander {
                defines: &defines,
                budget,
                limit,
                active: Vec::new(),
                error,
            };
            expander.expand(&line, &mut out)?;
            budget = expander.budget;
        }
        line.clear();
    }
    if let Some(open) = stack.last() {
        return Err(error(open.line, open.col, "#if without #endif".into()));
    }
    Ok(out)
}

fn ident(token: Option<&Token>) -> Option<&str> {
    match token {
        Some(Token {
            tok: Tok::Ident(name),
            ..
        }) => Some(name),
        _ => None,
    }
}

fn directive(
    line: &[Token],
    defines: &mut HashMap<String, Define>,
    stack: &mut Vec<Cond>,
    out: &mut Vec<Token>,
    active: bool,
    error: Err,
) -> Result<(), SchemaError> {
    let hash = &line[0];
    let Some(name) = ident(line.get(1)) else {
        return Ok(()); // a lone `#`
    };
    let at = &line[1];
    let args = &line[2..];
    let parent = active;
    let need_name = || {
        ident(args.first()).ok_or_else(|| error(at.line, at.col, format!("#{name} needs a name")))
    };
    match name {
        "ifdef" | "ifndef" => {
            let defined = parent && defines.contains_key(need_name()?);
            let active = parent && (defined == (name == "ifdef"));
            stack.push(Cond {
                active,
                taken: active,
                parent,
                line: hash.line,
                col: hash.col,
            });
        }
        "if" => {
            let active = parent && condition(args, at, defines, error)?;
            stack.push(Cond {
                active,
                taken: active,
                parent,
                line: hash.line,
                col: hash.col,
            });
        }
        "elif" => {
            let cond = stack
                .last()
                .ok_or_else(|| error(at.line, at.col, "#elif without #if".into()))?;
            let (parent, taken) = (cond.parent, cond.taken);
            let active = parent && !taken && condition(args, at, defines, error)?;
            let cond = stack
                .last_mut()
                .ok_or_else(|| error(at.line, at.col, "#elif without #if".into()))?;
            cond.active = active;
            cond.taken |= active;
        }
        "else" => {
            let cond = stack
                .last_mut()
                .ok_or_else(|| error(at.line, at.col, "#else without #if".into()))?;
            cond.active = cond.parent && !cond.taken;
            cond.taken = true;
        }
        "endif" => {
            stack
                .pop()
                .ok_or_else(|| error(at.line, at.col, "#endif without #if".into()))?;
        }
        _ if !active => {}
        "include" => {}
        "define" => {
            let name_tok = args
                .first()
                .ok_or_else(|| error(at.line, at.col, "#define needs a name".into()))?;
            let macro_name = need_name()?.to_string();
            let function_like = matches!(args.get(1), Some(Token { tok: Tok::Punct("("), line, col }) if *line == name_tok.line && *col == name_tok.col + macro_name.len() as u32);
            let define = if function_like {
                Define::Function
            } else {
                Define::Object(args[1..].to_vec())
            };
            defines.insert(macro_name, define);
        }
        "undef" => {
            defines.remove(need_name()?);
        }
        "pragma" => pragma(args, out, error)?,
        "error" => return Err(error(hash.line, hash.col, "#error in the header".into())),
        "warning" | "line" | "ident" => {}
        other => {
            return Err(error(
                at.line,
                at.col,
                format!("unsupported directive #{other}"),
            ))
        }
    }
    Ok(())
}

/// `#if`/`#elif`: `defined NAME`, `defined(NAME)`, integer macros, 0 and 1. A name that is
/// not defined in the file is an error, not 0: we cannot know what the compiler defines.
fn condition(
    args: &[Token],
    at: &Token,
    defines: &HashMap<String, Define>,
    error: Err,
) -> Result<bool, SchemaError> {
    let mut replaced = Vec::with_capacity(args.len());
    let mut i = 0;
    while i < args.len() {
        if ident(args.get(i)) == Some("defined") {
            let (name, used) = match (args.get(i + 1), ident(args.get(i + 2)), args.get(i + 3)) {
                (
                    Some(Token {
                        tok: Tok::Punct("("),
                        ..
                    }),
                    Some(n),
                    Some(Token {
                        tok: Tok::Punct(")"),
                        ..
                    }),
                ) => (n, 4),
                _ => match ident(args.get(i + 1)) {
                    Some(n) => (n, 2),
                    None => {
                        return Err(error(
                            args[i].line,
                            args[i].col,
                            "`defined` needs a name".into(),
                        ))
                    }
                },
            };
            let value = u64::from(defines.contains_key(name));
            replaced.push(Token {
                tok: Tok::Int(value),
                line: args[i].line,
                col: args[i].col,
            });
            i += used;
        } else {
            replaced.push(args[i].clone());
            i += 1;
        }
    }
    let mut expanded = Vec::new();
    // Its own budget: the tokens of one #if are dropped once it is decided.
    let limit = expansion_budget(0);
    Expander {
        defines,
        budget: limit,
        limit,
        active: Vec::new(),
        error,
    }
    .expand(&replaced, &mut expanded)?;
    let value = expr::eval(&expanded, &|_| None).map_err(|(idx, msg)| {
        let t = expanded.get(idx).unwrap_or(at);
        let msg = match &t.tok {
            Tok::Ident(n) => {
                format!("`{n}` is not defined in this file, so this #if cannot be decided")
            }
            _ => msg,
        };
        error(t.line, t.col, msg)
    })?;
    Ok(value != 0)
}

fn pragma(args: &[Token], out: &mut Vec<Token>, error: Err) -> Result<(), SchemaError> {
    if ident(args.first()) != Some("pack") {
        return Ok(()); // once, GCC diagnostic …: nothing to do with layout
    }
    let at = &args[0];
    let inner: Vec<&Tok> = args[1..].iter().map(|t| &t.tok).collect();
    let bad = || {
        error(
            at.line,
            at.col,
            "expected #pragma pack(N), pack(push[, N]), pack(pop) or pack()".into(),
        )
    };
    let value = |tok: &Tok| match tok {
        Tok::Int(n @ (1 | 2 | 4 | 8 | 16)) => Ok(*n),
        _ => Err(error(
            at.line,
            at.col,
            "#pragma pack takes 1, 2, 4, 8 or 16".into(),
        )),
    };
    let tok = match inner.as_slice() {
        [Tok::Punct("("), Tok::Punct(")")] => Tok::PackSet(None),
        [Tok::Punct("("), n, Tok::Punct(")")] if !matches!(n, Tok::Ident(_)) => {
            Tok::PackSet(Some(value(n)?))
        }
        [Tok::Punct("("), Tok::Ident(p), Tok::Punct(")")] if p == "push" => Tok::PackPush(None),
        [Tok::Punct("("), Tok::Ident(p), Tok::Punct(","), n, Tok::Punct(")")] if p == "push" => {
            Tok::PackPush(Some(value(n)?))
        }
        [Tok::Punct("("), Tok::Ident(p), Tok::Punct(")")] if p == "pop" => Tok::PackPop,
        _ => return Err(bad()),
    };
    out.push(Token {
        tok,
        line: at.line,
        col: at.col,
    });
    Ok(())
}

/// Replaces object-like macros by their bodies (at the use's position), as gcc does: a
/// macro's own name inside its expansion is left alone (`#define X X` leaves `X`), chains
/// of distinct macros nest up to [`MAX_DEPTH`], and all expansions together may add at most
/// `budget` tokens, so that no header makes the output grow without bound.
struct Expander<'a, 'e> {
    defines: &'a HashMap<String, Define>,
    /// Tokens macros may still add, of `limit`.
    budget: usize,
    limit: usize,
    /// The macros being expanded, outermost first.
    active: Vec<&'a str>,
    error: Err<'e>,
}

/// How many tokens macros may add, given the header's own: 64 per token, at least 65,536
/// (so small headers may use macros freely), at most 1,000,000 (a few tens of MB).
pub fn expansion_budget(input_tokens: usize) -> usize {
    input_tokens
        .saturating_mul(64)
        .clamp(1 << 16, MAX_EXPANSION)
}

/// The most tokens macros may add to any header.
pub const MAX_EXPANSION: usize = 1_000_000;

impl<'a> Expander<'a, '_> {
    fn expand(&mut self, line: &[Token], out: &mut Vec<Token>) -> Result<(), SchemaError> {
        for token in line {
            let Tok::Ident(name) = &token.tok else {
                self.push(token.clone(), out)?;
                continue;
            };
            let Some((name, define)) = self.defines.get_key_value(name.as_str()) else {
                self.push(token.clone(), out)?;
                continue;
            };
            if self.active.contains(&name.as_str()) {
                // gcc: a macro does not expand inside itself; the name stays as written.
                self.push(token.clone(), out)?;
                continue;
            }
            match define {
                Define::Object(body) => {
                    if self.active.len() >= MAX_DEPTH as usize {
                        return Err((self.error)(
                            token.line,
                            token.col,
                            format!("macro `{name}` is nested too deeply (limit {MAX_DEPTH})"),
                        ));
                    }
                    let placed: Vec<Token> = body
                        .iter()
                        .map(|t| Token {
                            tok: t.tok.clone(),
                            line: token.line,
                            col: token.col,
                        })
                        .collect();
                    self.active.push(name);
                    self.expand(&placed, out)?;
                    self.active.pop();
                }
                Define::Function => {
                    return Err((self.error)(
                        token.line,
                        token.col,
                        format!("function-like macro `{name}` is not supported"),
                    ))
                }
            }
        }
        Ok(())
    }

    /// One token out; those a macro produced count against the budget.
    fn push(&mut self, token: Token, out: &mut Vec<Token>) -> Result<(), SchemaError> {
        if let Some(outer) = self.active.first() {
            if self.budget == 0 {
                return Err((self.error)(
                    token.line,
                    token.col,
                    format!(
                        "macro `{outer}` expands past the limit: macros may add at most {} \
                         tokens to a header of this size",
                        self.limit
                    ),
                ));
            }
            self.budget -= 1;
        }
        out.push(token);
        Ok(())
    }
}
