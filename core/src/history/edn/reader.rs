//! A reader for the part of EDN that Jepsen histories use: maps, vectors, lists and sets,
//! strings, whole numbers, keywords, symbols, `nil`, `true` and `false`. Tagged values are
//! read as their value, and `#_` discards the next form. Every mistake is a sentence, never
//! a panic; nesting deeper than [`MAX_DEPTH`] is refused rather than risking the stack.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

/// How deep collections may nest.
const MAX_DEPTH: usize = 64;

/// One EDN value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Edn {
    Nil,
    Bool(bool),
    Int(i64),
    Str(String),
    Keyword(String),
    /// A symbol, or a number that is not whole (kept as its text).
    Symbol(String),
    /// A vector, list or set.
    List(Vec<Edn>),
    Map(Vec<(Edn, Edn)>),
}

impl Edn {
    /// The value under keyword `:name` in a map.
    pub(super) fn get(&self, name: &str) -> Option<&Edn> {
        match self {
            Edn::Map(pairs) => pairs.iter().find(|(k, _)| matches!(k, Edn::Keyword(k) if k == name)).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The name of a keyword, string or symbol.
    pub(super) fn name(&self) -> Option<&str> {
        match self {
            Edn::Keyword(s) | Edn::Str(s) | Edn::Symbol(s) => Some(s),
            _ => None,
        }
    }
}

impl fmt::Display for Edn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Edn::Nil => f.write_str("nil"),
            Edn::Bool(b) => write!(f, "{b}"),
            Edn::Int(n) => write!(f, "{n}"),
            Edn::Str(s) => write!(f, "{s:?}"),
            Edn::Keyword(k) => write!(f, ":{k}"),
            Edn::Symbol(s) => f.write_str(s),
            Edn::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    write!(f, "{}{item}", if i > 0 { " " } else { "" })?;
                }
                f.write_str("]")
            }
            Edn::Map(pairs) => {
                f.write_str("{")?;
                for (i, (k, v)) in pairs.iter().enumerate() {
                    write!(f, "{}{k} {v}", if i > 0 { ", " } else { "" })?;
                }
                f.write_str("}")
            }
        }
    }
}

/// Reads EDN values from a text, one after another.
pub(super) struct Reader<'a> {
    text: &'a str,
    pos: usize,
}

fn is_delimiter(c: u8) -> bool {
    c.is_ascii_whitespace() || matches!(c, b',' | b';' | b'{' | b'}' | b'[' | b']' | b'(' | b')' | b'"')
}

impl<'a> Reader<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        Reader { text, pos: 0 }
    }

    /// Whether only whitespace, commas and comments are left.
    pub(super) fn at_end(&mut self) -> bool {
        self.skip();
        self.pos >= self.text.len()
    }

    /// What is left to read.
    pub(super) fn rest(&self) -> &'a str {
        self.text.get(self.pos..).unwrap_or_default()
    }

    /// Reads the next value.
    pub(super) fn value(&mut self) -> Result<Edn, String> {
        self.read(0)
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn skip(&mut self) {
        while let Some(c) = self.peek() {
            if c == b';' {
                while self.peek().is_some_and(|c| c != b'\n') {
                    self.pos += 1;
                }
            } else if c.is_ascii_whitespace() || c == b',' {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    fn read(&mut self, depth: usize) -> Result<Edn, String> {
        if depth > MAX_DEPTH {
            return Err(format!("values are nested more than {MAX_DEPTH} deep"));
        }
        self.skip();
        let Some(c) = self.peek() else {
            return Err("the line ends where a value should be".into());
        };
        match c {
            b'{' => {
                self.pos += 1;
                let items = self.items(b'{', b'}', depth)?;
                if items.len() % 2 != 0 {
                    return Err(format!("a map has a key without a value: {}", Edn::List(items)));
                }
                let mut pairs = Vec::with_capacity(items.len() / 2);
                let mut items = items.into_iter();
                while let (Some(k), Some(v)) = (items.next(), items.next()) {
                    pairs.push((k, v));
                }
                Ok(Edn::Map(pairs))
            }
            b'[' | b'(' => {
                self.pos += 1;
                let close = if c == b'[' { b']' } else { b')' };
                Ok(Edn::List(self.items(c, close, depth)?))
            }
            b'#' => {
                self.pos += 1;
                match self.peek() {
                    Some(b'{') => {
                        self.pos += 1;
                        Ok(Edn::List(self.items(b'{', b'}', depth)?))
                    }
                    Some(b'_') => {
                        self.pos += 1;
                        self.read(depth + 1)?;
                        self.read(depth + 1)
                    }
                    _ if self.token().is_empty() => Err("a `#` with no tag after it".into()),
                    _ => self.read(depth + 1),
                }
            }
            b'"' => self.string(),
            b'}' | b']' | b')' => Err(format!("an unexpected `{}`", c as char)),
            b'\\' => Err("character literals like `\\a` are not supported".into()),
            _ => atom(self.token()),
        }
    }

    fn items(&mut self, open: u8, close: u8, depth: usize) -> Result<Vec<Edn>, String> {
        let mut items = Vec::new();
        loop {
            self.skip();
            match self.peek() {
                None => return Err(format!("a `{}` is never closed", open as char)),
                Some(c) if c == close => {
                    self.pos += 1;
                    return Ok(items);
                }
                Some(_) => items.push(self.read(depth + 1)?),
            }
        }
    }

    /// The text up to the next delimiter (a delimiter is always ASCII, so this slices on a
    /// character boundary).
    fn token(&mut self) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(|c| !is_delimiter(c)) {
            self.pos += 1;
        }
        self.text.get(start..self.pos).unwrap_or_default()
    }

    fn next_char(&mut self) -> Option<char> {
        let c = self.rest().chars().next()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn string(&mut self) -> Result<Edn, String> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            match self.next_char() {
                None => return Err("a string is never closed".into()),
                Some('"') => return Ok(Edn::Str(out)),
                Some('\\') => out.push(match self.next_char() {
                    Some('n') => '\n',
                    Some('t') => '\t',
                    Some('r') => '\r',
                    Some('b') => '\u{8}',
                    Some('f') => '\u{c}',
                    Some(c @ ('"' | '\\' | '/')) => c,
                    Some('u') => {
                        let hex: String = (0..4).filter_map(|_| self.next_char()).collect();
                        u32::from_str_radix(&hex, 16)
                            .ok()
                            .and_then(char::from_u32)
                            .ok_or_else(|| format!("`\\u{hex}` in a string is not a character"))?
                    }
                    Some(c) => return Err(format!("`\\{c}` in a string is not an escape EDN knows")),
                    None => return Err("a string is never closed".into()),
                }),
                Some(c) => out.push(c),
            }
        }
    }
}

fn atom(token: &str) -> Result<Edn, String> {
    match token {
        "" => return Err("an unexpected character".into()),
        "nil" => return Ok(Edn::Nil),
        "true" => return Ok(Edn::Bool(true)),
        "false" => return Ok(Edn::Bool(false)),
        _ => {}
    }
    if let Some(name) = token.strip_prefix(':') {
        if name.is_empty() {
            return Err("a `:` with no keyword after it".into());
        }
        return Ok(Edn::Keyword(name.to_string()));
    }
    let unsigned = token.strip_prefix(['-', '+']).unwrap_or(token);
    if !unsigned.starts_with(|c: char| c.is_ascii_digit()) {
        return Ok(Edn::Symbol(token.to_string()));
    }
    let whole = token.strip_suffix('N').unwrap_or(token);
    match whole.parse::<i64>() {
        Ok(n) => Ok(Edn::Int(n)),
        Err(_) if whole.strip_prefix(['-', '+']).unwrap_or(whole).bytes().all(|c| c.is_ascii_digit()) => {
            Err(format!("the number {token} is too large"))
        }
        Err(_) => Ok(Edn::Symbol(token.to_string())),
    }
}
