//! Fuzzer bytes decoded into what [`crate::invariants`] checks: configurations, payloads, secrets and
//! identifiers, and JSON rendered in several shapes. The `jwt` target's input is [`jwt`].
//!
//! # Byte layout
//!
//! Each input starts with a small header read byte by byte (not derived), so that the seed corpora can be
//! *encoded* from the golden vectors ([`encode_verify`], [`encode_sign`], [`encode_json_text`]) and checked by
//! decoding them back. After the header, structure-aware parts (payloads built from identifiers, hash forms,
//! extra keys and nesting; JSON trees with the faults P1 names) come from `#[derive(Arbitrary)]` types.

use crate::invariants::Rendering;
use arbitrary::{Arbitrary, Unstructured};
use hmac::{Hmac, Mac};
use ivconform_core::config::{AppConfig, Config, PlatformConfig, Secret};
use ivconform_core::identifier::{Identifiers, UserId, MAX_SAFE_INTEGER};
use ivconform_core::json::{self, Limits, Value};
use ivconform_core::payload::BootPayload;
use ivconform_core::platform::Platform;
use sha2::Sha256;

pub mod jwt;

// ---- header reading: byte by byte, so the encoders below can write the same layout -------------------------

pub(crate) fn byte(u: &mut Unstructured) -> u8 {
    u.bytes(1).map_or(0, |b| b[0])
}

fn u16_le(u: &mut Unstructured) -> u16 {
    u16::from_le_bytes([byte(u), byte(u)])
}

fn u32_le(u: &mut Unstructured) -> u32 {
    u32::from_le_bytes([byte(u), byte(u), byte(u), byte(u)])
}

pub(crate) fn i64_le(u: &mut Unstructured) -> i64 {
    let mut b = [0u8; 8];
    b.iter_mut().for_each(|x| *x = byte(u));
    i64::from_le_bytes(b)
}

pub(crate) fn take<'a>(u: &mut Unstructured<'a>, len: usize) -> &'a [u8] {
    u.bytes(len.min(u.len())).unwrap_or(&[])
}

// ---- shapes and rendering ----------------------------------------------------------------------------------

/// Whitespace between tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Space {
    None,
    Single,
    Pretty,
    Random,
}

/// How string characters are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Escape {
    /// Only what RFC 8259 requires, with short escapes.
    Minimal,
    /// Every non-ASCII character as `\u` (surrogate pairs above the BMP).
    NonAscii,
    /// Every character as `\u`.
    All,
    /// Per character: raw, short escape or `\u` in either case.
    Random,
    /// `/` as `\/` and required escapes as `\u`.
    Solidus,
}

/// One way of writing a JSON value: member order, whitespace, escapes. Five header bytes: flags and a seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Shape {
    permute: bool,
    space: Space,
    escape: Escape,
    upper_hex: bool,
    seed: u32,
}

impl Shape {
    const COMPACT: Shape =
        Shape { permute: false, space: Space::None, escape: Escape::Minimal, upper_hex: false, seed: 1 };

    fn read(u: &mut Unstructured) -> Shape {
        let flags = byte(u);
        let space = [Space::None, Space::Single, Space::Pretty, Space::Random][usize::from(flags >> 1 & 3)];
        let escape = [Escape::Minimal, Escape::NonAscii, Escape::All, Escape::Random, Escape::Solidus]
            [usize::from(flags >> 3 & 7) % 5];
        Shape { permute: flags & 1 == 1, space, escape, upper_hex: flags & 0x40 != 0, seed: u32_le(u) }
    }
}

impl<'a> Arbitrary<'a> for Shape {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Shape::read(u))
    }
}

/// A piece of a JSON string as it will be written: text (escaped as the shape says), or a fault that is
/// written the same way in every shape, so every shape must refuse it alike.
#[derive(Arbitrary, Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Char(char),
    /// A `\u` escape of a surrogate (lone unless the next piece completes the pair).
    Lone(u16),
    /// A raw control character (P1).
    RawControl(u8),
    /// A backslash escape RFC 8259 does not define (P1).
    BadEscape(u8),
    /// A byte that cannot appear in UTF-8 here (P1).
    BadUtf8(u8),
}

/// A JSON value to render; object keys may repeat and strings may hold faults (P1, P2).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tree {
    Null,
    Bool(bool),
    Num(String),
    Str(Vec<Piece>),
    Arr(Vec<Tree>),
    Obj(Vec<(Vec<Piece>, Tree)>),
}

impl Tree {
    fn text(s: &str) -> Tree {
        Tree::Str(vec![Piece::Text(s.to_string())])
    }

    fn from_value(v: &Value) -> Tree {
        match v {
            Value::Null => Tree::Null,
            Value::Bool(b) => Tree::Bool(*b),
            Value::Number(n) => Tree::Num(n.lexeme().to_string()),
            Value::String(s) => Tree::text(s),
            Value::Array(items) => Tree::Arr(items.iter().map(Tree::from_value).collect()),
            Value::Object(m) => {
                Tree::Obj(m.iter().map(|(k, v)| (vec![Piece::Text(k.clone())], Tree::from_value(v))).collect())
            }
        }
    }
}

/// Escapes RFC 8259 does not define, each invalid whatever follows it (an unfinished `\u` is not: the next
/// characters, raw in one shape and escaped in another, could complete it).
const BAD_ESCAPES: [&[u8]; 7] = [b"\\x41", b"\\'", b"\\a", b"\\0", b"\\U0041", b"\\u12G4", b"\\uZ"];

struct Renderer {
    out: Vec<u8>,
    shape: Shape,
    rng: u64,
}

impl Renderer {
    fn render(tree: &Tree, shape: Shape) -> Vec<u8> {
        let rng = (u64::from(shape.seed) << 1 | 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let mut r = Renderer { out: Vec::new(), shape, rng };
        r.ws();
        r.value(tree);
        r.ws();
        r.out
    }

    fn next(&mut self) -> u64 {
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng = x;
        x
    }

    fn ws(&mut self) {
        let s: &[u8] = match self.shape.space {
            Space::None => b"",
            Space::Single => b" ",
            Space::Pretty => b"\n  ",
            Space::Random => [&b""[..], b" ", b"\t", b"\n", b"\r\n", b" \n\t "][(self.next() % 6) as usize],
        };
        self.out.extend_from_slice(s);
    }

    fn value(&mut self, t: &Tree) {
        match t {
            Tree::Null => self.out.extend_from_slice(b"null"),
            Tree::Bool(b) => self.out.extend_from_slice(if *b { b"true" } else { b"false" }),
            Tree::Num(lexeme) => self.out.extend_from_slice(lexeme.as_bytes()),
            Tree::Str(pieces) => self.string(pieces),
            Tree::Arr(items) => {
                self.out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    self.ws();
                    if i > 0 {
                        self.out.push(b',');
                        self.ws();
                    }
                    self.value(item);
                }
                self.ws();
                self.out.push(b']');
            }
            Tree::Obj(members) => {
                let mut order: Vec<usize> = (0..members.len()).collect();
                if self.shape.permute {
                    for i in (1..order.len()).rev() {
                        let j = (self.next() % (i as u64 + 1)) as usize;
                        order.swap(i, j);
                    }
                }
                self.out.push(b'{');
                for (n, &i) in order.iter().enumerate() {
                    self.ws();
                    if n > 0 {
                        self.out.push(b',');
                        self.ws();
                    }
                    self.string(&members[i].0);
                    self.ws();
                    self.out.push(b':');
                    self.ws();
                    self.value(&members[i].1);
                }
                self.ws();
                self.out.push(b'}');
            }
        }
    }

    fn unicode(&mut self, unit: u32, upper: bool) {
        let digits: &[u8; 16] = if upper { b"0123456789ABCDEF" } else { b"0123456789abcdef" };
        self.out.extend_from_slice(b"\\u");
        self.out.extend((0..4).rev().map(|i| digits[(unit >> (4 * i) & 15) as usize]));
    }

    fn escaped_char(&mut self, c: char, upper: bool) {
        let mut units = [0u16; 2];
        for unit in c.encode_utf16(&mut units) {
            self.unicode(u32::from(*unit), upper);
        }
    }

    fn char(&mut self, c: char) {
        let short: Option<&[u8]> = match c {
            '"' => Some(b"\\\""),
            '\\' => Some(b"\\\\"),
            '\u{8}' => Some(b"\\b"),
            '\u{c}' => Some(b"\\f"),
            '\n' => Some(b"\\n"),
            '\r' => Some(b"\\r"),
            '\t' => Some(b"\\t"),
            _ => None,
        };
        let must = short.is_some() || (c as u32) < 0x20;
        let upper = self.shape.upper_hex;
        match self.shape.escape {
            Escape::All => self.escaped_char(c, upper),
            Escape::Solidus if must => self.escaped_char(c, upper),
            Escape::Solidus if c == '/' => self.out.extend_from_slice(b"\\/"),
            Escape::NonAscii if !c.is_ascii() => self.escaped_char(c, upper),
            Escape::Random => match (self.next() % 4, short) {
                (0, _) if !must => self.raw(c),
                (1, Some(s)) => self.out.extend_from_slice(s),
                (1, None) if c == '/' => self.out.extend_from_slice(b"\\/"),
                (2, _) => self.escaped_char(c, false),
                _ => self.escaped_char(c, true),
            },
            _ => match short {
                Some(s) => self.out.extend_from_slice(s),
                None if must => self.escaped_char(c, upper),
                None => self.raw(c),
            },
        }
    }

    fn raw(&mut self, c: char) {
        let mut buf = [0u8; 4];
        self.out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
    }

    fn string(&mut self, pieces: &[Piece]) {
        self.out.push(b'"');
        for piece in pieces {
            match piece {
                Piece::Text(s) => s.chars().for_each(|c| self.char(c)),
                Piece::Char(c) => self.char(*c),
                Piece::Lone(v) => {
                    let upper = self.shape.upper_hex;
                    self.unicode(0xD800 | u32::from(*v & 0x7FF), upper)
                }
                Piece::RawControl(b) => self.out.push(b % 0x20),
                Piece::BadEscape(i) => self.out.extend_from_slice(BAD_ESCAPES[usize::from(*i) % BAD_ESCAPES.len()]),
                Piece::BadUtf8(b) => self.out.push(if b & 1 == 1 { 0xFF } else { 0x80 | (b >> 2) }),
            }
        }
        self.out.push(b'"');
    }
}

// ---- structure-aware JSON ------------------------------------------------------------------------------

/// Keys that mean something (or look as if they did) in a boot payload, P4 and P5's look-alikes included.
const KEYS: [&str; 24] = [
    "app_id",
    "user_id",
    "email",
    "user_hash",
    "name",
    "created_at",
    "company",
    "companies",
    "hide_default_launcher",
    "custom_attributes",
    "userHash",
    "android_user_hash",
    "ios_user_hash",
    "user_hash ",
    "User_Hash",
    "USER_ID",
    "userId",
    "Email",
    "app_id ",
    "__proto__",
    "constructor",
    "",
    "intercom_user_jwt",
    "id",
];

/// Number lexemes around the edges P1 and P3 care about, invalid ones included.
const NUMBERS: [&str; 32] = [
    "0",
    "-0",
    "1",
    "-1",
    "123.0",
    "1e3",
    "1E+3",
    "1e-3",
    "0.5",
    "9007199254740991",
    "9007199254740992",
    "-9007199254740991",
    "-9007199254740992",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "1e400",
    "-1e400",
    "1.7976931348623157e308",
    "1.7976931348623158e308",
    "4.9e-324",
    "1e-400",
    "01",
    "1.",
    "+1",
    ".5",
    "-",
    "1e",
    "NaN",
    "Infinity",
    "0x10",
    "1_000",
];

#[derive(Arbitrary, Debug, Clone)]
enum Num {
    Int(i64),
    Float(f64),
    Edge(u8),
    Digits { negative: bool, int: Vec<u8>, frac: Option<Vec<u8>>, exp: Option<i16> },
}

impl Num {
    fn lexeme(&self) -> String {
        let digits = |d: &[u8]| d.iter().map(|b| char::from(b'0' + b % 10)).collect::<String>();
        match self {
            Num::Int(n) => n.to_string(),
            Num::Float(f) => format!("{f:e}"),
            Num::Edge(i) => NUMBERS[usize::from(*i) % NUMBERS.len()].to_string(),
            Num::Digits { negative, int, frac, exp } => {
                let mut s = if *negative { "-".to_string() } else { String::new() };
                s.push_str(&digits(int));
                if let Some(f) = frac {
                    s.push('.');
                    s.push_str(&digits(f));
                }
                if let Some(e) = exp {
                    s.push_str(&format!("e{e}"));
                }
                s
            }
        }
    }
}

#[derive(Arbitrary, Debug, Clone)]
enum Key {
    Known(u8),
    Other(Vec<Piece>),
}

impl Key {
    fn pieces(&self) -> Vec<Piece> {
        match self {
            Key::Known(i) => vec![Piece::Text(KEYS[usize::from(*i) % KEYS.len()].to_string())],
            Key::Other(p) => p.clone(),
        }
    }
}

/// A JSON value from the fuzzer: any shape, with faults, and `Nest` for depths around P6's limit of 32.
#[derive(Arbitrary, Debug, Clone)]
enum Node {
    Null,
    Bool(bool),
    Num(Num),
    Str(Vec<Piece>),
    Arr(Vec<Json>),
    Obj(Vec<(Key, Json)>),
    Nest(u8, Json),
}

/// [`Node`] with its generation depth bounded, so a long input cannot build a tree deep enough to exhaust the
/// stack while generating, rendering or dropping it (`Nest` reaches past P6's depth limit without recursing).
#[derive(Debug, Clone)]
struct Json(Box<Node>);

/// Deepest generated [`Json`] nesting (each level may add a `Nest` of up to 39 more).
const MAX_GENERATED_DEPTH: u32 = 12;

thread_local! {
    static DEPTH: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

impl<'a> Arbitrary<'a> for Json {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        struct Level;
        impl Drop for Level {
            fn drop(&mut self) {
                DEPTH.with(|d| d.set(d.get() - 1));
            }
        }
        if DEPTH.with(|d| d.get()) >= MAX_GENERATED_DEPTH {
            return Ok(Json(Box::new(Node::Null)));
        }
        DEPTH.with(|d| d.set(d.get() + 1));
        let _level = Level;
        Ok(Json(Box::new(Node::arbitrary(u)?)))
    }
}

impl Json {
    fn tree(&self) -> Tree {
        match &*self.0 {
            Node::Null => Tree::Null,
            Node::Bool(b) => Tree::Bool(*b),
            Node::Num(n) => Tree::Num(n.lexeme()),
            Node::Str(p) => Tree::Str(p.clone()),
            Node::Arr(items) => Tree::Arr(items.iter().map(Json::tree).collect()),
            Node::Obj(m) => Tree::Obj(m.iter().map(|(k, v)| (k.pieces(), v.tree())).collect()),
            Node::Nest(depth, inner) => (0..depth % 40).fold(inner.tree(), |t, i| {
                if i % 3 == 2 {
                    Tree::Obj(vec![(vec![], t)])
                } else {
                    Tree::Arr(vec![t])
                }
            }),
        }
    }
}

// ---- json_self_differential ------------------------------------------------------------------------------

/// The renderings `json_self_differential` compares: in text mode (first byte even), the text after three
/// shapes as sent and, when the strict parser accepts it, its value in those three shapes; in tree mode (odd),
/// a fuzzer-built tree compact and in up to four shapes.
pub fn decode_json(data: &[u8]) -> Vec<Rendering> {
    let mut u = Unstructured::new(data);
    if byte(&mut u) & 1 == 0 {
        let shapes = [Shape::read(&mut u), Shape::read(&mut u), Shape::read(&mut u)];
        let text = u.take_rest();
        let mut out = vec![Rendering { bytes: text.to_vec(), reordered: false }];
        if let Ok(value) = json::parse(text, Limits::P6) {
            let tree = Tree::from_value(&value);
            out.extend(shapes.iter().map(|s| Rendering { bytes: Renderer::render(&tree, *s), reordered: s.permute }));
        }
        out
    } else {
        let Ok((json, shapes)) = <(Json, Vec<Shape>)>::arbitrary_take_rest(u) else { return Vec::new() };
        let tree = json.tree();
        let mut out = vec![Rendering { bytes: Renderer::render(&tree, Shape::COMPACT), reordered: false }];
        out.extend(
            shapes.iter().take(4).map(|s| Rendering { bytes: Renderer::render(&tree, *s), reordered: s.permute }),
        );
        out
    }
}

/// A `json_self_differential` input in text mode for `text` (a seed), with three fixed shapes: permuted with
/// random whitespace and escapes, pretty with non-ASCII escaped, permuted with every character escaped.
pub fn encode_json_text(text: &[u8]) -> Vec<u8> {
    let seed = text.iter().fold(0x811C_9DC5u32, |h, &b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193));
    let mut out = vec![0u8];
    for flags in [0b0001_1111u8, 0b0000_1100, 0b0101_0011] {
        out.push(flags);
        out.extend_from_slice(&seed.to_le_bytes());
    }
    out.extend_from_slice(text);
    out
}

// ---- verify ----------------------------------------------------------------------------------------------

/// A decoded `verify` input: what [`crate::invariants::verify_properties`] is called with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyCase {
    /// One to three workspaces with arbitrary ids, secrets and enforcement (always a valid configuration).
    pub config: Config,
    /// The request's platform.
    pub platform: Platform,
    /// The payload bytes: raw from the input, or built from parts.
    pub payload: Vec<u8>,
}

/// Decodes a `verify` input. Header: platform byte; app count byte (1 + n % 3); per app an id (length byte,
/// bytes) and per platform (web, ios, android) a flags byte (1 = configured, 2 = enforced, 4 = JWT enforced) and a secret (length
/// byte, bytes; empty = none); then a mode byte: even = the rest is the raw payload, odd = the rest builds one.
pub fn decode_verify(data: &[u8]) -> VerifyCase {
    let mut u = Unstructured::new(data);
    let platform = Platform::ALL[usize::from(byte(&mut u)) % 3];
    let apps = 1 + usize::from(byte(&mut u)) % 3;
    let mut config = Config::default();
    for i in 0..apps {
        let len = usize::from(byte(&mut u));
        let mut id = String::from_utf8_lossy(take(&mut u, len)).into_owned();
        if id.is_empty() {
            id = format!("ws_{i}");
        }
        let mut app = AppConfig::default();
        for p in Platform::ALL {
            let flags = byte(&mut u);
            let len = usize::from(byte(&mut u));
            let secret = take(&mut u, len);
            if flags & 1 == 1 {
                let secret = (!secret.is_empty()).then(|| Secret::new(secret));
                let enforced = flags & 2 != 0 && secret.is_some();
                let jwt_enforced = flags & 4 != 0 && secret.is_some();
                app.platforms.insert(p, PlatformConfig { secret, enforced, jwt_enforced });
            }
        }
        config.apps.insert(id, app);
    }
    let payload = if byte(&mut u) & 1 == 0 {
        u.take_rest().to_vec()
    } else {
        Built::arbitrary_take_rest(u).map(|b| b.build(&config, platform)).unwrap_or_default()
    };
    VerifyCase { config, platform, payload }
}

/// The `verify` input (raw mode) that decodes to `config`, `platform` and `payload`, for seeds; labels and
/// API keys are left out (the verifier reads neither). Fails on what the layout cannot hold.
pub fn encode_verify(config: &Config, platform: Platform, payload: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = vec![Platform::ALL.iter().position(|p| *p == platform).expect("a platform") as u8];
    if !(1..=3).contains(&config.apps.len()) {
        return Err(format!("{} apps; the layout holds 1 to 3", config.apps.len()));
    }
    out.push(config.apps.len() as u8 - 1);
    for (id, app) in &config.apps {
        let len = u8::try_from(id.len()).map_err(|_| format!("app id {id:?} is longer than 255 bytes"))?;
        if len == 0 {
            return Err("an empty app id".into());
        }
        out.push(len);
        out.extend_from_slice(id.as_bytes());
        for p in Platform::ALL {
            match app.platforms.get(&p) {
                None => out.extend_from_slice(&[0, 0]),
                Some(pc) => {
                    let secret = pc.secret.as_ref().map_or(&[][..], Secret::expose);
                    if (pc.enforced || pc.jwt_enforced) && secret.is_empty() {
                        return Err(format!("{id}.{p} is enforced without a secret"));
                    }
                    out.push(1 | u8::from(pc.enforced) << 1 | u8::from(pc.jwt_enforced) << 2);
                    out.push(u8::try_from(secret.len()).map_err(|_| format!("{id}.{p}'s secret is over 255 bytes"))?);
                    out.extend_from_slice(secret);
                }
            }
        }
    }
    out.push(0);
    out.extend_from_slice(payload);
    Ok(out)
}

const IDENTIFIERS: [&str; 16] = [
    "5678",
    "0",
    "ann@example.com",
    " ann@example.com",
    "Ann@Example.COM",
    "jos\u{e9}",
    "jose\u{301}",
    "user-\u{1F600}",
    "u-1\u{0}admin",
    "a\"b\\c",
    "null",
    "false",
    "123.0",
    "-3",
    "\u{1D518}\u{1D530}",
    "3f2504e0-4f89-11d3-9a0c-0305e82c3301",
];

/// How `user_id`, `email` or `app_id` is sent.
#[derive(Arbitrary, Debug, Clone)]
enum Field {
    Missing,
    Null,
    Empty,
    Known(u8),
    /// `count` copies of a character: identifiers around P6's 1,024-byte limit and longer.
    Repeat(char, u16),
    Text(Vec<Piece>),
    Int(i64),
    IntEdge(u8),
    Other(Json),
}

impl Field {
    fn tree(&self) -> Option<Tree> {
        Some(match self {
            Field::Missing => return None,
            Field::Null => Tree::Null,
            Field::Empty => Tree::text(""),
            Field::Known(i) => Tree::text(IDENTIFIERS[usize::from(*i) % IDENTIFIERS.len()]),
            Field::Repeat(c, n) => {
                // Half the time a byte length within 1,000..1,050, across P6's 1,024.
                let count =
                    if n & 0x8000 != 0 { (1000 + usize::from(n % 50)) / c.len_utf8() } else { usize::from(n % 1100) };
                Tree::text(&c.to_string().repeat(count))
            }
            Field::Text(p) => Tree::Str(p.clone()),
            Field::Int(n) => Tree::Num(n.to_string()),
            Field::IntEdge(i) => Tree::Num(NUMBERS[usize::from(*i) % 16].to_string()),
            Field::Other(j) => j.tree(),
        })
    }
}

/// Which app the payload names.
#[derive(Arbitrary, Debug, Clone)]
enum AppRef {
    Configured(u8),
    Field(Field),
}

/// Letter case of a hex hash.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Case {
    Lower,
    Upper,
    Mixed(u64),
}

/// Ways a hash goes wrong around its form (V6).
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Mangle {
    Truncate,
    Extend(char),
    Prefix(u8),
    Suffix(u8),
    Spaced,
    Base64,
    Dashed,
}

/// The `user_hash` sent: right, nearly right, made with the wrong key or message, or malformed.
#[derive(Arbitrary, Debug, Clone)]
enum HashForm {
    Missing,
    Correct(Case),
    BitFlip(u8, Case),
    OtherPlatform(u8, Case),
    OtherApp(u8, Case),
    OtherIdentifier(Case),
    OfEmptyString(Case),
    Mangled(Mangle, Case),
    Field(Field),
}

/// A payload from parts: app, identifiers, hash, extra keys (documented ones, look-alikes, nested values),
/// one key possibly repeated (P2), written in a shape.
#[derive(Arbitrary, Debug, Clone)]
struct Built {
    app: AppRef,
    user_id: Field,
    email: Field,
    hash: HashForm,
    extra: Vec<(Key, Json)>,
    repeat: Option<(u8, Json)>,
    shape: Shape,
}

fn tag(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256>>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

fn hex_in(case: Case, bytes: &[u8]) -> String {
    let lower: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    match case {
        Case::Lower => lower,
        Case::Upper => lower.to_ascii_uppercase(),
        Case::Mixed(mask) => lower
            .chars()
            .enumerate()
            .map(|(i, c)| if mask >> (i % 64) & 1 == 1 { c.to_ascii_uppercase() } else { c })
            .collect(),
    }
}

fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for c in bytes.chunks(3) {
        let n = c.iter().enumerate().fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            s.push(if i <= c.len() { char::from(A[(n >> (18 - 6 * i) & 63) as usize]) } else { '=' });
        }
    }
    s
}

impl Built {
    fn build(&self, config: &Config, platform: Platform) -> Vec<u8> {
        let ids: Vec<&String> = config.apps.keys().collect();
        let pick = |i: u8| ids[usize::from(i) % ids.len()].clone();
        let app = match &self.app {
            AppRef::Configured(i) => Some(Tree::text(&pick(*i))),
            AppRef::Field(f) => f.tree(),
        };
        let mut members: Vec<(Vec<Piece>, Tree)> = Vec::new();
        let key = |k: &str| vec![Piece::Text(k.to_string())];
        for (name, value) in [("app_id", app), ("user_id", self.user_id.tree()), ("email", self.email.tree())] {
            if let Some(v) = value {
                members.push((key(name), v));
            }
        }
        let hash_at = members.len();
        if !matches!(self.hash, HashForm::Missing) {
            members.push((key("user_hash"), Tree::text("")));
        }
        members.extend(self.extra.iter().map(|(k, v)| (k.pieces(), v.tree())));
        if let Some((i, v)) = &self.repeat {
            let k = members[usize::from(*i) % members.len().max(1)..].first().map(|m| m.0.clone());
            members.push((k.unwrap_or_default(), v.tree()));
        }
        if let Some(hash) = self.hash_tree(config, platform, &members) {
            members[hash_at].1 = hash;
        }
        Renderer::render(&Tree::Obj(members), self.shape)
    }

    /// The `user_hash` value, computed from what the payload without it parses to (its app and S2's pick).
    fn hash_tree(&self, config: &Config, platform: Platform, members: &[(Vec<Piece>, Tree)]) -> Option<Tree> {
        match &self.hash {
            HashForm::Missing => return None,
            HashForm::Field(f) => return f.tree(),
            _ => {}
        }
        let probe = BootPayload::parse(&Renderer::render(&Tree::Obj(members.to_vec()), self.shape)).ok();
        let app_id = probe.as_ref().map(|p| p.app_id.clone()).unwrap_or_default();
        let selected = probe.as_ref().and_then(|p| p.identifiers.select()).map(|s| s.text).unwrap_or_default();
        let other_identifier = probe.as_ref().map_or(String::new(), |p| {
            let user_id = p.identifiers.user_id.as_ref().map(UserId::canonical_text).unwrap_or_default();
            if user_id == selected {
                p.identifiers.email.clone().unwrap_or_default()
            } else {
                user_id
            }
        });
        let secret = |app: &str, p: Platform| -> Vec<u8> {
            config
                .apps
                .get(app)
                .and_then(|a| a.platforms.get(&p))
                .and_then(|s| s.secret.as_ref())
                .map_or(b"no secret configured".to_vec(), |s| s.expose().to_vec())
        };
        let own = secret(&app_id, platform);
        let text = match &self.hash {
            HashForm::Missing | HashForm::Field(_) => unreachable!("returned above"),
            HashForm::Correct(c) => hex_in(*c, &tag(&own, selected.as_bytes())),
            HashForm::BitFlip(bit, c) => {
                let mut t = tag(&own, selected.as_bytes());
                t[usize::from(bit / 8)] ^= 1 << (bit % 8);
                hex_in(*c, &t)
            }
            HashForm::OtherPlatform(i, c) => {
                hex_in(*c, &tag(&secret(&app_id, Platform::ALL[usize::from(*i) % 3]), selected.as_bytes()))
            }
            HashForm::OtherApp(i, c) => {
                let ids: Vec<&String> = config.apps.keys().collect();
                hex_in(*c, &tag(&secret(ids[usize::from(*i) % ids.len()], platform), selected.as_bytes()))
            }
            HashForm::OtherIdentifier(c) => hex_in(*c, &tag(&own, other_identifier.as_bytes())),
            HashForm::OfEmptyString(c) => hex_in(*c, &tag(&own, b"")),
            HashForm::Mangled(m, c) => {
                let t = tag(&own, selected.as_bytes());
                let h = hex_in(*c, &t);
                match m {
                    Mangle::Truncate => h[..63].to_string(),
                    Mangle::Extend(x) => format!("{h}{x}"),
                    Mangle::Prefix(i) => {
                        format!("{}{h}", ["sha256=", "0x", " ", "\t", "\u{feff}", "="][usize::from(*i) % 6])
                    }
                    Mangle::Suffix(i) => format!("{h}{}", ["\n", " ", "=", "0", "\u{0}"][usize::from(*i) % 5]),
                    Mangle::Spaced => {
                        h.as_bytes().chunks(8).map(|c| String::from_utf8_lossy(c)).collect::<Vec<_>>().join(" ")
                    }
                    Mangle::Base64 => base64(&t),
                    Mangle::Dashed => format!("{}-{}-{}-{}", &h[..16], &h[16..32], &h[32..48], &h[48..]),
                }
            }
        };
        Some(Tree::text(&text))
    }
}

// ---- sign ---------------------------------------------------------------------------------------------------

/// A decoded `sign` input: what [`crate::invariants::sign_properties`] is called with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInput {
    /// The secret's raw bytes (possibly empty: S5).
    pub secret: Vec<u8>,
    /// `user_id` and `email`.
    pub identifiers: Identifiers,
    /// More messages to sign under the same secret (all paths, the batch one included).
    pub batch: Vec<Vec<u8>>,
}

/// Most messages a `sign` input carries besides its identifier.
const MAX_BATCH: usize = 16;

/// Decodes a `sign` input: secret (u16 LE length, bytes); `user_id` (tag byte: 0 or 3 absent, 1 text with a
/// u16 LE length, 2 an i64 LE clamped to ±(2^53 − 1)); `email` (tag byte: odd = text with a u16 LE length);
/// then up to 16 messages (u16 LE length, bytes).
pub fn decode_sign(data: &[u8]) -> SignInput {
    let mut u = Unstructured::new(data);
    let text = |u: &mut Unstructured| {
        let len = usize::from(u16_le(u));
        String::from_utf8_lossy(take(u, len)).into_owned()
    };
    let len = usize::from(u16_le(&mut u));
    let secret = take(&mut u, len).to_vec();
    let user_id = match byte(&mut u) % 4 {
        1 => Some(UserId::Text(text(&mut u))),
        2 => Some(UserId::Integer(i64_le(&mut u).clamp(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER))),
        _ => None,
    };
    let email = (byte(&mut u) & 1 == 1).then(|| text(&mut u));
    let mut batch = Vec::new();
    while !u.is_empty() && batch.len() < MAX_BATCH {
        let len = usize::from(u16_le(&mut u));
        batch.push(take(&mut u, len).to_vec());
    }
    SignInput { secret, identifiers: Identifiers { user_id, email }, batch }
}

/// The `sign` input that decodes to `input`, for seeds. Fails on what the layout cannot hold.
pub fn encode_sign(input: &SignInput) -> Result<Vec<u8>, String> {
    fn prefixed(out: &mut Vec<u8>, bytes: &[u8]) -> Result<(), String> {
        let len = u16::try_from(bytes.len()).map_err(|_| format!("{} bytes do not fit a u16 length", bytes.len()))?;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(bytes);
        Ok(())
    }
    if input.batch.len() > MAX_BATCH {
        return Err(format!("{} batch messages; the layout holds {MAX_BATCH}", input.batch.len()));
    }
    let mut out = Vec::new();
    prefixed(&mut out, &input.secret)?;
    match &input.identifiers.user_id {
        None => out.push(0),
        Some(UserId::Text(s)) => {
            out.push(1);
            prefixed(&mut out, s.as_bytes())?;
        }
        Some(UserId::Integer(n)) => {
            out.push(2);
            out.extend_from_slice(&n.to_le_bytes());
        }
    }
    match &input.identifiers.email {
        None => out.push(0),
        Some(e) => {
            out.push(1);
            prefixed(&mut out, e.as_bytes())?;
        }
    }
    for m in &input.batch {
        prefixed(&mut out, m)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ivconform_core::decision::{Identity, Outcome};

    #[test]
    fn verify_layout_round_trips() {
        let config = Config::from_toml_str(
            "[apps.ws_prod]\nweb = { secret = \"w\", enforced = true }\nandroid = { enforced = false }\n[apps.ws_test]\nios = { secret_hex = \"00ff\" }\n",
        )
        .unwrap();
        let bytes = encode_verify(&config, Platform::Ios, b"{\"app_id\":\"ws_prod\"}").unwrap();
        let case = decode_verify(&bytes);
        assert_eq!(
            (case.config, case.platform, case.payload),
            (config, Platform::Ios, b"{\"app_id\":\"ws_prod\"}".to_vec())
        );
    }

    #[test]
    fn sign_layout_round_trips() {
        let input = SignInput {
            secret: vec![0, 1, 2],
            identifiers: Identifiers { user_id: UserId::integer(-3), email: Some("é@x".into()) },
            batch: vec![vec![], vec![9; 70]],
        };
        assert_eq!(decode_sign(&encode_sign(&input).unwrap()), input);
    }

    #[test]
    fn shapes_write_one_value_many_ways() {
        let value = json::parse("{\"a\":[1,\"é/\\n\u{1F600}\"],\"b\":{\"c\":null}}".as_bytes(), Limits::P6).unwrap();
        let tree = Tree::from_value(&value);
        let mut seen = std::collections::BTreeSet::new();
        for flags in 0..=127u8 {
            let shape = Shape::read(&mut Unstructured::new(&[flags, 7, 0, 0, 0]));
            let text = Renderer::render(&tree, shape);
            let again = json::parse(&text, Limits::P6).unwrap_or_else(|e| panic!("{shape:?}: {e}"));
            assert_eq!(again.to_json().len(), value.to_json().len(), "{shape:?}");
            seen.insert(text);
        }
        assert!(seen.len() > 20, "only {} distinct renderings", seen.len());
    }

    #[test]
    fn built_payloads_reach_every_decision() {
        let config = Config::from_toml_str(
            "[apps.a]\nweb = { secret = \"s\", enforced = true }\nandroid = { secret = \"t\", enforced = false }\n",
        )
        .unwrap();
        let mut outcomes = std::collections::BTreeSet::new();
        let mut rng = 0x2545_F491_4F6C_DD1Du64;
        for n in 0..3000 {
            let data: Vec<u8> = (0..96)
                .map(|_| {
                    rng ^= rng << 13;
                    rng ^= rng >> 7;
                    rng ^= rng << 17;
                    rng as u8
                })
                .collect();
            let Ok(b) = Built::arbitrary_take_rest(Unstructured::new(&data)) else { continue };
            let platform = if n % 2 == 0 { Platform::Web } else { Platform::Android };
            outcomes.insert(
                match ivconform_core::verify::verify(&config, platform, &b.build(&config, platform)).outcome {
                    Outcome::Reject(reason) => reason.as_str(),
                    Outcome::Accept(Identity::Visitor) => "visitor",
                    Outcome::Accept(Identity::User { verified: true, .. }) => "verified",
                    Outcome::Accept(Identity::User { verified: false, .. }) => "unverified",
                },
            );
        }
        assert_eq!(outcomes.len(), 8, "built payloads reach only {outcomes:?}");
    }
}
