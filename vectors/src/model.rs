//! The vector files' data model (see `docs/VECTORS.md`): one type per file group, shared by the generator
//! that writes them, the loader that checks them and the harness that runs them.

use ivconform_core::config::ConfigDoc;
use ivconform_core::{Platform, RejectReason, Rule, Source};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;

/// The suite version written into every file; semver (a new case is minor, a changed expectation major).
pub const SUITE_VERSION: &str = "2.1.0";

/// The vector groups, one file each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    /// `hmac_sha256.json`: the raw primitive.
    HmacSha256,
    /// `sign.json`: signing.
    Sign,
    /// `payload.json`: parsing, graded through the verifier.
    Payload,
    /// `verify.json`: verifying.
    Verify,
    /// `jwt.json`: JWT mode, verifying and signing tokens.
    Jwt,
    /// Cases read from an external Project Wycheproof MAC file (`ivconform run --wycheproof`), not a vector file.
    Wycheproof,
}

impl Group {
    /// Every vector-file group, in the order reports list them (Wycheproof is not a vector file).
    pub const ALL: [Group; 5] = [Group::HmacSha256, Group::Sign, Group::Payload, Group::Verify, Group::Jwt];

    /// The group's name (`"hmac_sha256"`, …), as in the files and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Group::HmacSha256 => "hmac_sha256",
            Group::Sign => "sign",
            Group::Payload => "payload",
            Group::Verify => "verify",
            Group::Jwt => "jwt",
            Group::Wycheproof => "wycheproof",
        }
    }

    /// The file name under `vectors/`.
    pub fn file_name(self) -> String {
        format!("{}.json", self.as_str())
    }

    /// The schema path written in the file's `$schema`.
    pub fn schema_path(self) -> String {
        format!("schema/{}.schema.json", self.as_str())
    }
}

impl std::str::FromStr for Group {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Group::ALL.into_iter().chain([Group::Wycheproof]).find(|g| g.as_str() == s).ok_or_else(|| {
            format!("unknown group {s:?}: expected one of hmac_sha256, sign, payload, verify, jwt, wycheproof")
        })
    }
}

/// Bug classes a case belongs to (Wycheproof's flags); `docs/VECTORS.md` describes each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[allow(missing_docs)]
pub enum Flag {
    Functionality,
    Rfc4231,
    KeyHandling,
    Precedence,
    Presence,
    Number,
    Encoding,
    Normalization,
    HexForm,
    WrongSecret,
    Enforcement,
    AuthBypass,
    Parser,
    DuplicateKey,
    Limit,
    Type,
    Algorithm,
    Base64url,
    Expiry,
    Leeway,
    ClearText,
}

impl Flag {
    /// Every flag.
    pub const ALL: [Flag; 21] = [
        Flag::Functionality,
        Flag::Rfc4231,
        Flag::KeyHandling,
        Flag::Precedence,
        Flag::Presence,
        Flag::Number,
        Flag::Encoding,
        Flag::Normalization,
        Flag::HexForm,
        Flag::WrongSecret,
        Flag::Enforcement,
        Flag::AuthBypass,
        Flag::Parser,
        Flag::DuplicateKey,
        Flag::Limit,
        Flag::Type,
        Flag::Algorithm,
        Flag::Base64url,
        Flag::Expiry,
        Flag::Leeway,
        Flag::ClearText,
    ];

    /// The flag's name as written in files (`"HEX_FORM"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Flag::Functionality => "FUNCTIONALITY",
            Flag::Rfc4231 => "RFC4231",
            Flag::KeyHandling => "KEY_HANDLING",
            Flag::Precedence => "PRECEDENCE",
            Flag::Presence => "PRESENCE",
            Flag::Number => "NUMBER",
            Flag::Encoding => "ENCODING",
            Flag::Normalization => "NORMALIZATION",
            Flag::HexForm => "HEX_FORM",
            Flag::WrongSecret => "WRONG_SECRET",
            Flag::Enforcement => "ENFORCEMENT",
            Flag::AuthBypass => "AUTH_BYPASS",
            Flag::Parser => "PARSER",
            Flag::DuplicateKey => "DUPLICATE_KEY",
            Flag::Limit => "LIMIT",
            Flag::Type => "TYPE",
            Flag::Algorithm => "ALGORITHM",
            Flag::Base64url => "BASE64URL",
            Flag::Expiry => "EXPIRY",
            Flag::Leeway => "LEEWAY",
            Flag::ClearText => "CLEAR_TEXT",
        }
    }

    /// What the bug class is, written into each file's `flags` table.
    pub fn description(self) -> &'static str {
        match self {
            Flag::Functionality => "Ordinary correct behaviour: the baseline every implementation must get right.",
            Flag::Rfc4231 => "Published HMAC-SHA-256 test vectors from RFC 4231.",
            Flag::KeyHandling => "The secret's exact bytes: long keys, trailing zero bytes, hex-looking secrets, key and message swapped.",
            Flag::Precedence => "user_id must be hashed over email whenever user_id is present (S2, V7).",
            Flag::Presence => "What counts as present: 0 is present; \"\", null and a missing key are absent (P3).",
            Flag::Number => "Integer user ids: canonical decimal, no 123.0, nothing JavaScript would round (S4, P3).",
            Flag::Encoding => "Identifier bytes are exactly the UTF-8 of the string: non-BMP, NUL, HTML entities untouched (S3).",
            Flag::Normalization => "No trimming, case folding or Unicode normalisation of identifiers (S3).",
            Flag::HexForm => "user_hash is 64 hex characters in either case; any other form is invalid (S1, V6).",
            Flag::WrongSecret => "A hash made with another platform's or workspace's secret, or with the API key (V2).",
            Flag::Enforcement => "Enforcement is per platform and per workspace and decides missing/invalid hashes (V4, V5, V8).",
            Flag::AuthBypass => "A lax implementation would accept an impersonation here.",
            Flag::Parser => "Strict RFC 8259 parsing of the boot payload (P1).",
            Flag::DuplicateKey => "A key twice in one object, at any depth: parsers that disagree on the winner smuggle identities (P2).",
            Flag::Limit => "Size, depth and identifier-length limits, at and one past the bound (P6).",
            Flag::Type => "A documented key or claim with the wrong JSON type (P3, P4, P5, J2).",
            Flag::Algorithm => "The token's alg: only HS256, exactly; none, RS256, HS512, hs256 and a missing alg are refused (J1).",
            Flag::Base64url => "The compact form: three non-empty segments of canonical unpadded base64url, no padding, no +/ (J1, J2).",
            Flag::Expiry => "exp and nbf against now: a token past its exp is expired_jwt, one before its nbf invalid_jwt, beyond the 60 s leeway; no current time with either fails closed (J2).",
            Flag::Leeway => "A time inside J2's leeway window (exp in (now-60, now], nbf in (now, now+60]): the leeway is the implementation's choice in 0-60 s, so accepting and refusing are both conformant; graded as `either`, never as a pass (J2).",
            Flag::ClearText => "Clear-text user_id or email beside a token: they must equal the signed claims (J3).",
        }
    }
}

/// What every case carries: a stable id, a comment, the rules it exercises and its bug classes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseMeta {
    /// Stable kebab-case id, unique across all files.
    pub id: String,
    /// One sentence on what the case is about.
    pub comment: String,
    /// Rule ids exercised.
    pub rules: Vec<Rule>,
    /// Bug classes.
    pub flags: Vec<Flag>,
}

/// The header every vector file has, around its cases.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VectorFile<C> {
    /// Path of the file's JSON Schema, relative to the file.
    #[serde(rename = "$schema")]
    pub schema: String,
    /// Always `"ivconform"`.
    pub suite: String,
    /// Semver of the suite.
    pub suite_version: String,
    /// Which group this file holds.
    pub group: Group,
    /// What the file checks.
    pub description: String,
    /// Descriptions of the flags used in the file.
    pub flags: BTreeMap<Flag, String>,
    /// Must equal `cases.len()`.
    pub number_of_cases: usize,
    /// Named workspace configurations (verifier groups only).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub configs: BTreeMap<String, ConfigDoc>,
    /// The cases.
    pub cases: Vec<C>,
}

/// A case of `hmac_sha256.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HmacCase {
    /// Id, comment, rules, flags.
    #[serde(flatten)]
    pub meta: CaseMeta,
    /// The key, hex.
    pub key_hex: String,
    /// The message, hex.
    pub msg_hex: String,
    /// The expected tag (or its first `tag_bits` bits), lowercase hex.
    pub tag_hex: String,
    /// 256, or 128 for RFC 4231's truncated case 5.
    pub tag_bits: u32,
}

/// Bytes given either as UTF-8 text (`X`) or as hex (`X_hex`); see "How bytes travel" in `docs/VECTORS.md`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bytes {
    /// The UTF-8 encoding of this text.
    Text(String),
    /// These raw bytes (written as lowercase hex).
    Raw(Vec<u8>),
}

impl Bytes {
    /// The exact bytes.
    pub fn to_vec(&self) -> Vec<u8> {
        match self {
            Bytes::Text(t) => t.as_bytes().to_vec(),
            Bytes::Raw(b) => b.clone(),
        }
    }

    /// The most readable exact form: text when the bytes are UTF-8 without control characters or a BOM.
    pub fn readable(bytes: &[u8]) -> Bytes {
        match std::str::from_utf8(bytes) {
            Ok(t) if !t.starts_with('\u{feff}') && t.chars().all(|c| !c.is_control() || c == '\n') => {
                Bytes::Text(t.to_string())
            }
            _ => Bytes::Raw(bytes.to_vec()),
        }
    }
}

/// A JSON field that may be missing altogether, distinct from one sent as `null`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Field {
    /// The key was not sent.
    #[default]
    Missing,
    /// The key was sent with this value (`null` included).
    Sent(serde_json::Value),
}

impl Field {
    /// True when the key was not sent (for `skip_serializing_if`).
    pub fn is_missing(&self) -> bool {
        matches!(self, Field::Missing)
    }
}

impl Serialize for Field {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Field::Missing => s.serialize_none(),
            Field::Sent(v) => v.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Only called when the key is present, so even `null` is "sent".
        serde_json::Value::deserialize(d).map(Field::Sent)
    }
}

/// A case of `sign.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignCase {
    /// Id, comment, rules, flags.
    #[serde(flatten)]
    pub meta: CaseMeta,
    /// The secret as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// The secret as hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_hex: Option<String>,
    /// `user_id` as it would be sent.
    #[serde(default, skip_serializing_if = "Field::is_missing")]
    pub user_id: Field,
    /// `email` as it would be sent.
    #[serde(default, skip_serializing_if = "Field::is_missing")]
    pub email: Field,
    /// The outcome.
    pub expected: SignExpected,
}

/// What a signer must produce.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case", deny_unknown_fields)]
pub enum SignExpected {
    /// A hash, with the intermediate values that explain it.
    Hash {
        /// Which field was hashed.
        identifier_source: Source,
        /// The identifier text.
        identifier: String,
        /// The exact HMAC message, hex.
        message_hex: String,
        /// The expected `user_hash`.
        user_hash: String,
    },
    /// A refusal, by class (`no_identifier`, `empty_secret`).
    Error {
        /// The error class.
        error: String,
    },
}

/// An identifier as the verifier must report it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedIdentifier {
    /// Which field.
    pub source: Source,
    /// Its text (integers in canonical decimal).
    pub value: String,
    /// The exact HMAC message, hex.
    pub message_hex: String,
}

/// Who the verifier accepts a request as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum As {
    /// A visitor.
    Visitor,
    /// A user.
    User,
}

/// What a verifier must decide.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case", deny_unknown_fields)]
pub enum VerifyExpected {
    /// Boot as a visitor or user.
    Accept {
        /// Visitor or user.
        #[serde(rename = "as")]
        as_: As,
        /// For users: whether the hash matched.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        verified: Option<bool>,
        /// For users: the identifier selected.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        identifier: Option<ExpectedIdentifier>,
    },
    /// Refuse, with a class.
    Reject {
        /// The reject class.
        reason: RejectReason,
    },
    /// J2's leeway window: the time is inside (0, 60] s of `exp` or `nbf`, so a verifier whose leeway covers it
    /// accepts and one with a smaller leeway refuses. Both are conformant; anything else is a failure. Graded
    /// as the outcome kind `either`, never counted as a pass.
    Either {
        /// What a verifier whose leeway covers the time decides (an [`VerifyExpected::Accept`]).
        accept: Box<VerifyExpected>,
        /// The class a verifier with a smaller leeway refuses with.
        reject: RejectReason,
    },
}

impl VerifyExpected {
    /// A verifier's decision in the vector files' form (the reference's answer, when comparing with a case).
    pub fn of(outcome: &ivconform_core::Outcome) -> Self {
        use ivconform_core::{Identity, Outcome};
        match outcome {
            Outcome::Accept(Identity::Visitor) => {
                VerifyExpected::Accept { as_: As::Visitor, verified: None, identifier: None }
            }
            Outcome::Accept(Identity::User { verified, identifier }) => VerifyExpected::Accept {
                as_: As::User,
                verified: Some(*verified),
                identifier: Some(ExpectedIdentifier {
                    source: identifier.source,
                    value: identifier.text.clone(),
                    message_hex: ivconform_core::hex::encode_lower(identifier.message()),
                }),
            },
            Outcome::Reject(r) => VerifyExpected::Reject { reason: *r },
        }
    }

    /// The expectation J2 sets for a request, from the decisions of the narrowest (0 s) and the widest (60 s)
    /// leeway: their common answer when they agree, [`VerifyExpected::Either`] when the widest accepts and the
    /// narrowest refuses. Any other disagreement is not a case one expectation can state (an error).
    pub fn across_leeways(
        narrowest: &ivconform_core::Outcome,
        widest: &ivconform_core::Outcome,
    ) -> Result<Self, String> {
        use ivconform_core::Outcome;
        match (narrowest, widest) {
            (a, b) if a == b => Ok(VerifyExpected::of(a)),
            (Outcome::Reject(r), accept @ Outcome::Accept(_)) => {
                Ok(VerifyExpected::Either { accept: Box::new(VerifyExpected::of(accept)), reject: *r })
            }
            (a, b) => Err(format!("a 0 s leeway decides {a:?} and a 60 s leeway {b:?}: more than one problem")),
        }
    }
}

/// The typed parse a `payload.json` case expects when the payload is accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedParse {
    /// `app_id`.
    pub app_id: String,
    /// `user_id` as sent (`null` when missing or null).
    pub user_id: serde_json::Value,
    /// `email` as sent (`null` when missing or null).
    pub email: Option<String>,
    /// `user_hash` as sent.
    pub user_hash: Option<String>,
    /// Every other top-level key, in input order.
    pub custom_keys: Vec<String>,
}

/// A case of `payload.json` or `verify.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyCase {
    /// Id, comment, rules, flags.
    #[serde(flatten)]
    pub meta: CaseMeta,
    /// Name of a configuration in the file's `configs`.
    pub config: String,
    /// The platform the request came from.
    pub platform: Platform,
    /// The request body as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
    /// The request body as hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload_hex: Option<String>,
    /// The decision.
    pub expected: VerifyExpected,
    /// The tag the verifier must compute (when an identifier is selected and a secret configured).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_mac_hex: Option<String>,
    /// The typed parse (payload.json, accepted cases).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parsed: Option<ExpectedParse>,
    /// The current time, seconds since the epoch, the verifier is given (jwt.json; absent: none given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub now: Option<i64>,
    /// jwt.json: HMAC-SHA256 of the token's signing input (`header.claims`) under the platform's secret, present
    /// when the payload carries a token of three segments, the app is known and the platform has a secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_signature_hex: Option<String>,
}

/// The claims a `jwt.json` signing case signs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimsDoc {
    /// `user_id` (empty: the signer must refuse with `no_identifier`).
    pub user_id: String,
    /// `email`, when signed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// `exp`, when signed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
}

/// What a JWT signer must produce.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case", deny_unknown_fields)]
pub enum JwtSignExpected {
    /// A token that means the case's `claims` (J5): graded by verifying it (compact JWS, `alg` `HS256`, a valid
    /// signature under the secret, `user_id` equal, `email` and `exp` equal when asked for and absent when not,
    /// no `nbf`), not by its bytes; header order, JSON escapes and extra claims such as `iat` are free. The
    /// reference's token is given as one conformant example.
    Token {
        /// One conformant token: the reference's (header `{"alg":"HS256","typ":"JWT"}`, compact claims).
        example_token: String,
        /// The example's claims JSON (its second segment decoded).
        example_claims_json: String,
        /// The example's signature, hex (its third segment decoded).
        example_signature_hex: String,
    },
    /// A refusal, by class (`no_identifier`, `empty_secret`).
    Error {
        /// The error class.
        error: String,
    },
}

/// A signing case of `jwt.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwtSignCase {
    /// Id, comment, rules, flags.
    #[serde(flatten)]
    pub meta: CaseMeta,
    /// The secret as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// The secret as hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_hex: Option<String>,
    /// The claims to sign.
    pub claims: ClaimsDoc,
    /// The outcome.
    pub expected: JwtSignExpected,
}

impl JwtSignCase {
    /// The secret's exact bytes.
    pub fn secret_bytes(&self) -> Vec<u8> {
        match (&self.secret, &self.secret_hex) {
            (Some(text), _) => text.as_bytes().to_vec(),
            (None, Some(hex)) => ivconform_core::hex::decode(hex).unwrap_or_default(),
            (None, None) => Vec::new(),
        }
    }
}

/// A case of `jwt.json`: verifying a boot request (a verifier case with `now`) or signing claims.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum JwtCase {
    /// A verifier case: a payload (usually with `intercom_user_jwt`), a platform, a configuration and `now`.
    Verify(VerifyCase),
    /// A signing case: a secret and claims in, a token (or an error class) out.
    Sign(JwtSignCase),
}

impl JwtCase {
    /// The case's id, comment, rules and flags.
    pub fn meta(&self) -> &CaseMeta {
        match self {
            JwtCase::Verify(c) => &c.meta,
            JwtCase::Sign(c) => &c.meta,
        }
    }
}

impl VerifyCase {
    /// The request body's exact bytes (the loader has checked that exactly one form is present and valid).
    pub fn payload_bytes(&self) -> Vec<u8> {
        match (&self.payload, &self.payload_hex) {
            (Some(text), _) => text.as_bytes().to_vec(),
            (None, Some(hex)) => ivconform_core::hex::decode(hex).unwrap_or_default(),
            (None, None) => Vec::new(),
        }
    }
}

impl SignCase {
    /// The secret's exact bytes.
    pub fn secret_bytes(&self) -> Vec<u8> {
        match (&self.secret, &self.secret_hex) {
            (Some(text), _) => text.as_bytes().to_vec(),
            (None, Some(hex)) => ivconform_core::hex::decode(hex).unwrap_or_default(),
            (None, None) => Vec::new(),
        }
    }
}
