//! The recursive-descent parser behind [`super::parse`].

use super::{Error, ErrorKind, Limits, Number, Value};
use std::collections::HashSet;

/// Parses `input` as one JSON value under `limits`, refusing everything RFC 8259 does not allow.
pub fn parse(input: &[u8], limits: Limits) -> Result<Value, Error> {
    if input.len() > limits.max_bytes {
        return Err(error_at(input, 0, ErrorKind::TooLarge { len: input.len(), max: limits.max_bytes }));
    }
    if input.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return Err(error_at(input, 0, ErrorKind::ByteOrderMark));
    }
    if let Err(e) = std::str::from_utf8(input) {
        return Err(error_at(input, e.valid_up_to(), ErrorKind::InvalidUtf8));
    }
    let mut p = Parser { input, pos: 0, limits };
    p.skip_ws();
    let value = p.value(0)?;
    p.skip_ws();
    if p.pos != input.len() {
        return Err(p.error(ErrorKind::TrailingCharacters));
    }
    Ok(value)
}

fn error_at(input: &[u8], offset: usize, kind: ErrorKind) -> Error {
    let before = &input[..offset.min(input.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    // Columns count characters; before the UTF-8 check passes, count bytes that start a character.
    let column = before[line_start..].iter().filter(|&&b| (b & 0xC0) != 0x80).count() + 1;
    Error { kind, offset, line, column }
}

struct Parser<'a> {
    input: &'a [u8],
    pos: usize,
    limits: Limits,
}

impl<'a> Parser<'a> {
    fn error(&self, kind: ErrorKind) -> Error {
        error_at(self.input, self.pos, kind)
    }

    fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// The character at the cursor, for messages (the input is valid UTF-8 by now).
    fn current_char(&self) -> char {
        std::str::from_utf8(&self.input[self.pos..]).ok().and_then(|s| s.chars().next()).unwrap_or('\u{FFFD}')
    }

    fn unexpected(&self, expected: &'static str) -> Error {
        let Some(b) = self.peek() else {
            return self.error(ErrorKind::UnexpectedEnd { expected });
        };
        let hint = match b {
            b'/' | b'#' => Some("comments are not allowed in JSON"),
            b'\'' => Some("strings need double quotes"),
            b'N' | b'I' => Some("NaN and Infinity are not JSON numbers"),
            b'}' | b']' if expected == "a value" || expected == "a string key" => {
                Some("trailing commas are not allowed")
            }
            _ if b.is_ascii_alphabetic() || b == b'_' || b == b'$' => Some("keys and strings need double quotes"),
            _ => None,
        };
        self.error(ErrorKind::Unexpected { found: self.current_char(), expected, hint })
    }

    fn value(&mut self, depth: usize) -> Result<Value, Error> {
        match self.peek() {
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => Ok(Value::String(self.string()?)),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'n') => self.literal("null", Value::Null),
            _ => Err(self.unexpected("a value")),
        }
    }

    fn literal(&mut self, word: &'static str, value: Value) -> Result<Value, Error> {
        if self.input[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(self.unexpected("true, false or null"))
        }
    }

    fn enter(&self, depth: usize) -> Result<(), Error> {
        if depth > self.limits.max_depth {
            Err(self.error(ErrorKind::TooDeep { max: self.limits.max_depth }))
        } else {
            Ok(())
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value, Error> {
        self.enter(depth)?;
        self.pos += 1; // '['
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::Array(items));
                }
                _ => return Err(self.unexpected("',' or ']'")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value, Error> {
        self.enter(depth)?;
        self.pos += 1; // '{'
        let mut members: Vec<(String, Value)> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::Object(members));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.unexpected("a string key"));
            }
            let key_pos = self.pos;
            let key = self.string()?;
            if !seen.insert(key.clone()) {
                return Err(error_at(self.input, key_pos, ErrorKind::DuplicateKey { key }));
            }
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.unexpected("':'"));
            }
            self.pos += 1;
            self.skip_ws();
            let value = self.value(depth)?;
            members.push((key, value));
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Object(members));
                }
                _ => return Err(self.unexpected("',' or '}'")),
            }
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<Value, Error> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                if let Some(b'0'..=b'9') = self.peek() {
                    return Err(self.error(ErrorKind::InvalidNumber)); // leading zero
                }
            }
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.error(ErrorKind::InvalidNumber)),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.error(ErrorKind::InvalidNumber));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.error(ErrorKind::InvalidNumber));
            }
        }
        let lexeme = std::str::from_utf8(&self.input[start..self.pos]).expect("number lexemes are ASCII");
        Ok(Value::Number(Number::from_lexeme(lexeme.to_string())))
    }

    fn hex4(&mut self) -> Result<u16, Error> {
        let digits = self.input.get(self.pos..self.pos + 4).ok_or_else(|| self.error(ErrorKind::InvalidEscape))?;
        let mut v: u16 = 0;
        for &d in digits {
            let n = (d as char).to_digit(16).ok_or_else(|| self.error(ErrorKind::InvalidEscape))?;
            v = v << 4 | n as u16;
        }
        self.pos += 4;
        Ok(v)
    }

    fn string(&mut self) -> Result<String, Error> {
        self.pos += 1; // opening quote
        let mut out = String::new();
        loop {
            // Copy the longest run of ordinary characters in one go.
            let run_start = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            out.push_str(std::str::from_utf8(&self.input[run_start..self.pos]).expect("input was checked to be UTF-8"));
            match self.peek() {
                None => return Err(self.error(ErrorKind::UnexpectedEnd { expected: "the end of the string" })),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    let escape_pos = self.pos;
                    self.pos += 1;
                    let c = match self.peek() {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.pos += 1;
                            let c = self.unicode_escape(escape_pos)?;
                            out.push(c);
                            continue;
                        }
                        _ => return Err(self.error(ErrorKind::InvalidEscape)),
                    };
                    self.pos += 1;
                    out.push(c);
                }
                Some(_) => return Err(self.error(ErrorKind::ControlCharacter)),
            }
        }
    }

    /// After `\u`: one BMP scalar, or a high surrogate that must be followed by `\u` and a low one.
    fn unicode_escape(&mut self, escape_pos: usize) -> Result<char, Error> {
        let lone = |p: &Self| error_at(p.input, escape_pos, ErrorKind::LoneSurrogate);
        let first = self.hex4()?;
        match first {
            0xD800..=0xDBFF => {
                if !self.input[self.pos..].starts_with(b"\\u") {
                    return Err(lone(self));
                }
                self.pos += 2;
                let second = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return Err(lone(self));
                }
                let scalar = 0x10000 + ((u32::from(first) - 0xD800) << 10) + (u32::from(second) - 0xDC00);
                Ok(char::from_u32(scalar).expect("a surrogate pair always names a scalar value"))
            }
            0xDC00..=0xDFFF => Err(lone(self)),
            _ => Ok(char::from_u32(u32::from(first)).expect("non-surrogate BMP code points are scalar values")),
        }
    }
}
