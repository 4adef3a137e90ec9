//! A strict RFC 8259 JSON parser for hostile boot payloads (rules P1, P2, P6).
//!
//! # Why not serde_json alone
//!
//! The verifier must refuse exactly what the rule book refuses and say which rule it broke:
//!
//! * **Duplicate keys at every depth (P2).** serde_json keeps the last value of a repeated key (or, into a
//!   struct, errors only for the struct's own fields). Two parsers that pick different winners are how an
//!   identity gets smuggled past a check, so the payload is rejected instead. Keys are compared *after*
//!   unescaping, so `"a"` and `"\u0061"` are the same key.
//! * **Depth bounded at 32 before recursing (P6).** serde_json's fixed limit is 128 and cannot be set lower.
//! * **Numbers kept as written.** P3 must tell `123` from `123.0` and `2^53` from `2^53 − 1`. serde_json can
//!   only do that with its `arbitrary_precision` feature, and cargo features unify across a workspace, so
//!   turning it on would silently change every other `serde_json::Value` in ivconform (vector loading,
//!   protocol messages). Here a number is its validated lexeme.
//! * **A rule id and position on every rejection**, rather than one error string to pattern-match.
//!
//! The parser is a small recursive descent over the input after one upfront UTF-8 check. Memory is bounded
//! by the input: the byte limit is checked before anything else, every node consumes at least one input
//! byte, and recursion stops at the depth limit. The fuzz suite and the proptests compare it against
//! serde_json on every input both accept.

mod parser;

pub use parser::parse;

use crate::rules::Rule;
use std::fmt;

/// Limits applied while parsing; the defaults are P6's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted input, in bytes (P6: 64 KiB).
    pub max_bytes: usize,
    /// Deepest accepted nesting of arrays and objects; the outermost container is depth 1 (P6: 32).
    pub max_depth: usize,
}

impl Limits {
    /// P6's limits: 65,536 bytes and depth 32.
    pub const P6: Limits = Limits { max_bytes: 64 * 1024, max_depth: 32 };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::P6
    }
}

/// A JSON number exactly as written, already checked against RFC 8259's grammar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Number {
    lexeme: String,
}

impl Number {
    /// The number's text as it appeared in the input.
    pub fn lexeme(&self) -> &str {
        &self.lexeme
    }

    /// True when written without fraction or exponent (so `123` but not `123.0` or `1e2`).
    pub fn is_integer_syntax(&self) -> bool {
        !self.lexeme.contains(['.', 'e', 'E'])
    }

    /// The value when written as an integer that fits in `i64` (`-0` reads as 0); `None` otherwise.
    pub fn as_i64(&self) -> Option<i64> {
        if self.is_integer_syntax() {
            self.lexeme.parse().ok()
        } else {
            None
        }
    }

    pub(crate) fn from_lexeme(lexeme: String) -> Self {
        Number { lexeme }
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.lexeme)
    }
}

/// A parsed JSON value. Objects keep their members in input order; their keys are unique (P2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A number, as written.
    Number(Number),
    /// A string, unescaped.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object: members in input order, keys unique.
    Object(Vec<(String, Value)>),
}

impl Value {
    /// The JSON type name, for error messages ("expected a string, found an array").
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(n) if n.is_integer_syntax() => "an integer",
            Value::Number(_) => "a non-integer number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }

    /// Serialises back to compact JSON (strings minimally escaped, numbers as written).
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        self.write_json(&mut out);
        out
    }

    fn write_json(&self, out: &mut String) {
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Number(n) => out.push_str(n.lexeme()),
            Value::String(s) => write_json_string(s, out),
            Value::Array(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    v.write_json(out);
                }
                out.push(']');
            }
            Value::Object(members) => {
                out.push('{');
                for (i, (k, v)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_json_string(k, out);
                    out.push(':');
                    v.write_json(out);
                }
                out.push('}');
            }
        }
    }
}

/// Writes `s` as a JSON string literal, escaping only what RFC 8259 requires, each in its shortest form (so
/// a re-serialised value is never longer than the text it was parsed from).
pub fn write_json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// What is wrong with a rejected input (the field names say what they hold).
#[allow(missing_docs)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// Larger than `Limits::max_bytes` (P6).
    TooLarge { len: usize, max: usize },
    /// Nested deeper than `Limits::max_depth` (P6).
    TooDeep { max: usize },
    /// A key repeated in one object (P2).
    DuplicateKey { key: String },
    /// Not valid UTF-8 (P1).
    InvalidUtf8,
    /// Starts with a UTF-8 byte order mark (P1).
    ByteOrderMark,
    /// The input ended inside a value (P1).
    UnexpectedEnd { expected: &'static str },
    /// A byte that cannot start or continue a value here (P1); `hint` names a common cause.
    Unexpected { found: char, expected: &'static str, hint: Option<&'static str> },
    /// A `\u` escape naming half of a surrogate pair without the other half (P1).
    LoneSurrogate,
    /// A backslash escape RFC 8259 does not define (P1).
    InvalidEscape,
    /// A raw control character (below U+0020) inside a string (P1).
    ControlCharacter,
    /// A number that breaks RFC 8259's grammar, e.g. `01`, `1.`, `+1`, `.5` (P1).
    InvalidNumber,
    /// Something after the top-level value (P1).
    TrailingCharacters,
}

/// A rejected JSON input: what, where (byte offset, 1-based line and column) and which rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// What is wrong.
    pub kind: ErrorKind,
    /// Byte offset into the input where the problem was seen.
    pub offset: usize,
    /// 1-based line of `offset`.
    pub line: usize,
    /// 1-based column (in characters) of `offset`.
    pub column: usize,
}

impl Error {
    /// The rule the input broke: P2 for duplicates, P6 for limits, P1 for everything else.
    pub fn rule(&self) -> Rule {
        match self.kind {
            ErrorKind::DuplicateKey { .. } => Rule::P2,
            ErrorKind::TooLarge { .. } | ErrorKind::TooDeep { .. } => Rule::P6,
            _ => Rule::P1,
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::TooLarge { len, max } => write!(f, "payload is {len} bytes, more than the limit of {max}"),
            ErrorKind::TooDeep { max } => write!(f, "nesting deeper than the limit of {max}"),
            ErrorKind::DuplicateKey { key } => write!(f, "key {key:?} appears twice in one object"),
            ErrorKind::InvalidUtf8 => f.write_str("not valid UTF-8"),
            ErrorKind::ByteOrderMark => f.write_str("starts with a byte order mark (U+FEFF), which JSON text must not"),
            ErrorKind::UnexpectedEnd { expected } => write!(f, "input ends where {expected} was expected"),
            ErrorKind::Unexpected { found, expected, hint } => {
                write!(f, "found {found:?} where {expected} was expected")?;
                if let Some(h) = hint {
                    write!(f, " ({h})")?;
                }
                Ok(())
            }
            ErrorKind::LoneSurrogate => f.write_str("\\u escape names a lone UTF-16 surrogate"),
            ErrorKind::InvalidEscape => f.write_str("invalid backslash escape in a string"),
            ErrorKind::ControlCharacter => f.write_str("raw control character inside a string (escape it)"),
            ErrorKind::InvalidNumber => f.write_str("number does not follow RFC 8259's grammar"),
            ErrorKind::TrailingCharacters => f.write_str("characters after the end of the JSON value"),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at line {}, column {} (byte {}) [{}]",
            self.kind,
            self.line,
            self.column,
            self.offset,
            self.rule()
        )
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests;
