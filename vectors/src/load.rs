//! Loading vector files: bounded in size, strictly typed, and checked for everything the schema cannot say
//! (unique ids across files, case counts, config references, valid hex), with file and line in every error.

use crate::model::*;
use ivconform_core::config::Config;
use serde::de::DeserializeOwned;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

/// Largest vector file the loader reads; larger files are refused before reading them whole.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// A vector file that cannot be used: which file, which line (when known) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    /// The file.
    pub file: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.file.display(), line, self.message),
            None => write!(f, "{}: {}", self.file.display(), self.message),
        }
    }
}

impl std::error::Error for LoadError {}

/// All five groups, loaded and checked, with each verifier configuration already built.
#[derive(Debug, Clone)]
pub struct Suite {
    /// `hmac_sha256.json`.
    pub hmac: VectorFile<HmacCase>,
    /// `sign.json`.
    pub sign: VectorFile<SignCase>,
    /// `payload.json`.
    pub payload: VectorFile<VerifyCase>,
    /// `verify.json`.
    pub verify: VectorFile<VerifyCase>,
    /// `jwt.json`.
    pub jwt: VectorFile<JwtCase>,
    /// Built configurations, by (group, name).
    pub configs: HashMap<(Group, String), Config>,
}

impl Suite {
    /// Number of cases in all groups.
    pub fn len(&self) -> usize {
        self.hmac.cases.len()
            + self.sign.cases.len()
            + self.payload.cases.len()
            + self.verify.cases.len()
            + self.jwt.cases.len()
    }

    /// True if there is no case at all (never, for a loaded suite).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The built configuration a verifier case names.
    pub fn config_for(&self, group: Group, case: &VerifyCase) -> &Config {
        &self.configs[&(group, case.config.clone())]
    }

    /// The verifier cases of one group (payload or verify; see [`Suite::jwt_verify_cases`] for jwt.json's).
    pub fn verifier_cases(&self, group: Group) -> &[VerifyCase] {
        match group {
            Group::Payload => &self.payload.cases,
            Group::Verify => &self.verify.cases,
            _ => &[],
        }
    }

    /// The verifier cases of `jwt.json`, in file order.
    pub fn jwt_verify_cases(&self) -> impl Iterator<Item = &VerifyCase> {
        self.jwt.cases.iter().filter_map(|c| match c {
            JwtCase::Verify(v) => Some(v),
            JwtCase::Sign(_) => None,
        })
    }

    /// The signing cases of `jwt.json`, in file order.
    pub fn jwt_sign_cases(&self) -> impl Iterator<Item = &JwtSignCase> {
        self.jwt.cases.iter().filter_map(|c| match c {
            JwtCase::Sign(s) => Some(s),
            JwtCase::Verify(_) => None,
        })
    }
}

/// Reads and checks the five vector files in `dir`.
pub fn load_dir(dir: &Path) -> Result<Suite, LoadError> {
    let mut read = Vec::with_capacity(Group::ALL.len());
    for group in Group::ALL {
        let path = dir.join(group.file_name());
        let text = read_bounded(&path)?;
        read.push((path, text));
    }
    let files: Vec<(&Path, &str)> = read.iter().map(|(p, t)| (p.as_path(), t.as_str())).collect();
    load_texts(files.try_into().expect("one text per group"))
}

/// Checks the five vector files' texts, in [`Group::ALL`]'s order, each with the path its errors name: the
/// loader behind [`load_dir`] and [`crate::bundled::suite`] (the set compiled into the binary).
pub fn load_texts(files: [(&Path, &str); 5]) -> Result<Suite, LoadError> {
    let [(hp, ht), (sp, st), (pp, tp), (pv, tv), (pj, tj)] = files;
    let hmac = parse_file::<HmacCase>(hp, ht, Group::HmacSha256)?;
    let sign = parse_file::<SignCase>(sp, st, Group::Sign)?;
    let payload = parse_file::<VerifyCase>(pp, tp, Group::Payload)?;
    let verify = parse_file::<VerifyCase>(pv, tv, Group::Verify)?;
    let jwt = parse_file::<JwtCase>(pj, tj, Group::Jwt)?;

    // Ids are unique across all files.
    let texts = [
        (Group::HmacSha256, hp, ht),
        (Group::Sign, sp, st),
        (Group::Payload, pp, tp),
        (Group::Verify, pv, tv),
        (Group::Jwt, pj, tj),
    ];
    let mut seen: HashMap<String, Group> = HashMap::new();
    let all_ids = hmac
        .cases
        .iter()
        .map(|c| (&c.meta, Group::HmacSha256))
        .chain(sign.cases.iter().map(|c| (&c.meta, Group::Sign)))
        .chain(payload.cases.iter().map(|c| (&c.meta, Group::Payload)))
        .chain(verify.cases.iter().map(|c| (&c.meta, Group::Verify)))
        .chain(jwt.cases.iter().map(|c| (c.meta(), Group::Jwt)));
    for (meta, group) in all_ids {
        if let Some(first) = seen.insert(meta.id.clone(), group) {
            let (_, path, text) = texts.iter().find(|(g, _, _)| *g == group).expect("every group has a file");
            return Err(case_error(
                path,
                None,
                &format!("case id {:?} is already used in {}", meta.id, first.file_name()),
            )
            .with_line_of(text, &meta.id));
        }
    }

    let mut configs = HashMap::new();
    let config_tables = [
        (Group::Payload, &payload.configs, pp, tp),
        (Group::Verify, &verify.configs, pv, tv),
        (Group::Jwt, &jwt.configs, pj, tj),
    ];
    for (group, table, path, text) in config_tables {
        for (name, doc) in table {
            let config = doc.to_config().map_err(|e| LoadError {
                file: path.to_path_buf(),
                line: find_line(text, &format!("\"{name}\"")),
                message: format!("configuration {name:?}: {e}"),
            })?;
            configs.insert((group, name.clone()), config);
        }
    }
    Ok(Suite { hmac, sign, payload, verify, jwt, configs })
}

fn read_bounded(path: &Path) -> Result<String, LoadError> {
    // The file's own error names the path already; LoadError prints it again, so keep only what is wrong.
    crate::file::read_regular_text(path, MAX_FILE_BYTES).map_err(|e| {
        let prefix = format!("{}: ", path.display());
        let message = e.message.strip_prefix(&prefix).unwrap_or(&e.message).to_string();
        LoadError { file: path.to_path_buf(), line: None, message }
    })
}

fn find_line(text: &str, needle: &str) -> Option<usize> {
    text.find(needle).map(|pos| text[..pos].matches('\n').count() + 1)
}

fn case_error(path: &Path, line: Option<usize>, message: &str) -> LoadError {
    LoadError { file: path.to_path_buf(), line, message: message.to_string() }
}

impl LoadError {
    fn with_line_of(mut self, text: &str, id: &str) -> Self {
        self.line = find_line(text, &format!("\"id\": \"{id}\"")).or_else(|| find_line(text, &format!("\"{id}\"")));
        self
    }
}

/// Checks one case's common fields.
fn check_meta(meta: &CaseMeta, described: &BTreeMap<Flag, String>) -> Result<(), String> {
    let kebab = !meta.id.is_empty()
        && meta
            .id
            .split('-')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
    if !kebab {
        return Err(format!(
            "id {:?} is not kebab-case (lowercase letters and digits joined by single dashes)",
            meta.id
        ));
    }
    if meta.comment.trim().is_empty() {
        return Err("comment is empty".into());
    }
    if meta.rules.is_empty() {
        return Err("rules is empty: every case names the rules it exercises".into());
    }
    if meta.flags.is_empty() {
        return Err("flags is empty: every case names its bug class".into());
    }
    if let Some(f) = meta.flags.iter().find(|f| !described.contains_key(f)) {
        return Err(format!("flag {} is not described in the file's flags table", f.as_str()));
    }
    Ok(())
}

fn check_hex(name: &str, value: &str) -> Result<(), String> {
    ivconform_core::hex::decode(value).map(|_| ()).ok_or_else(|| format!("{name} is not an even number of hex digits"))
}

fn one_of(a: &Option<String>, b: &Option<String>, name: &str) -> Result<(), String> {
    match (a, b) {
        (Some(_), Some(_)) => Err(format!("give either {name} or {name}_hex, not both")),
        (None, None) => Err(format!("{name} or {name}_hex is required")),
        _ => Ok(()),
    }
}

/// A case type that knows how to check what the schema cannot.
pub trait CheckCase {
    /// The case's common fields.
    fn meta(&self) -> &CaseMeta;
    /// Case-specific checks; `configs` is the file's configuration table.
    fn check(&self, configs: &BTreeMap<String, ivconform_core::config::ConfigDoc>) -> Result<(), String>;
}

impl CheckCase for HmacCase {
    fn meta(&self) -> &CaseMeta {
        &self.meta
    }
    fn check(&self, _: &BTreeMap<String, ivconform_core::config::ConfigDoc>) -> Result<(), String> {
        check_hex("key_hex", &self.key_hex)?;
        check_hex("msg_hex", &self.msg_hex)?;
        check_hex("tag_hex", &self.tag_hex)?;
        match (self.tag_bits, self.tag_hex.len()) {
            (256, 64) | (128, 32) => Ok(()),
            (bits, len) => Err(format!("tag_bits is {bits} but tag_hex has {len} hex digits")),
        }
    }
}

impl CheckCase for SignCase {
    fn meta(&self) -> &CaseMeta {
        &self.meta
    }
    fn check(&self, _: &BTreeMap<String, ivconform_core::config::ConfigDoc>) -> Result<(), String> {
        one_of(&self.secret, &self.secret_hex, "secret")?;
        if let Some(h) = &self.secret_hex {
            check_hex("secret_hex", h)?;
        }
        if let Field::Sent(v) = &self.user_id {
            if !(v.is_null() || v.is_string() || v.is_i64()) {
                return Err("user_id must be a string, an integer or null".into());
            }
        }
        if let Field::Sent(v) = &self.email {
            if !(v.is_null() || v.is_string()) {
                return Err("email must be a string or null".into());
            }
        }
        if let SignExpected::Hash { message_hex, user_hash, .. } = &self.expected {
            check_hex("message_hex", message_hex)?;
            if user_hash.len() != 64 || !user_hash.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
                return Err("expected user_hash must be 64 lowercase hex digits".into());
            }
        }
        Ok(())
    }
}

impl CheckCase for VerifyCase {
    fn meta(&self) -> &CaseMeta {
        &self.meta
    }
    fn check(&self, configs: &BTreeMap<String, ivconform_core::config::ConfigDoc>) -> Result<(), String> {
        one_of(&self.payload, &self.payload_hex, "payload")?;
        if let Some(h) = &self.payload_hex {
            check_hex("payload_hex", h)?;
        }
        if !configs.contains_key(&self.config) {
            return Err(format!("config {:?} is not in the file's configs", self.config));
        }
        match &self.expected {
            VerifyExpected::Accept { as_: As::Visitor, verified: None, identifier: None } => Ok(()),
            VerifyExpected::Accept { as_: As::User, verified: Some(_), identifier: Some(id) } => {
                check_hex("message_hex", &id.message_hex)
            }
            VerifyExpected::Accept { as_: As::Visitor, .. } => {
                Err("a visitor carries neither verified nor identifier".into())
            }
            VerifyExpected::Accept { as_: As::User, .. } => Err("a user needs both verified and identifier".into()),
            VerifyExpected::Reject { .. } => Ok(()),
            VerifyExpected::Either { .. } if self.now.is_none() => {
                Err("an either expectation (J2's leeway window) needs the case's now".into())
            }
            VerifyExpected::Either { accept, .. } => match accept.as_ref() {
                VerifyExpected::Accept { as_: As::User, verified: Some(true), identifier: Some(id) } => {
                    check_hex("message_hex", &id.message_hex)
                }
                _ => Err("either's accept must be a verified user (the leeway window is about a valid token)".into()),
            },
        }
    }
}

impl CheckCase for JwtCase {
    fn meta(&self) -> &CaseMeta {
        JwtCase::meta(self)
    }
    fn check(&self, configs: &BTreeMap<String, ivconform_core::config::ConfigDoc>) -> Result<(), String> {
        match self {
            JwtCase::Verify(v) => {
                if let Some(h) = &v.expected_signature_hex {
                    check_hex("expected_signature_hex", h)?;
                }
                v.check(configs)
            }
            JwtCase::Sign(c) => {
                one_of(&c.secret, &c.secret_hex, "secret")?;
                if let Some(h) = &c.secret_hex {
                    check_hex("secret_hex", h)?;
                }
                if let JwtSignExpected::Token { example_token, example_signature_hex, .. } = &c.expected {
                    check_hex("example_signature_hex", example_signature_hex)?;
                    if example_token.split('.').count() != 3 {
                        return Err("example_token must have three dot-separated segments".into());
                    }
                }
                Ok(())
            }
        }
    }
}

/// Parses and checks one vector file's text; `path` is used in errors.
pub fn parse_file<C: DeserializeOwned + CheckCase>(
    path: &Path,
    text: &str,
    group: Group,
) -> Result<VectorFile<C>, LoadError> {
    let file: VectorFile<C> = serde_json::from_str(text).map_err(|e| LoadError {
        file: path.to_path_buf(),
        line: Some(e.line()),
        message: strip_position(&e.to_string()),
    })?;
    let header = |message: String| LoadError { file: path.to_path_buf(), line: Some(1), message };
    if file.suite != "ivconform" {
        return Err(header(format!("suite is {:?}, expected \"ivconform\"", file.suite)));
    }
    if file.group != group {
        return Err(header(format!("group is {:?}, but this file holds {:?}", file.group.as_str(), group.as_str())));
    }
    if file.schema != group.schema_path() {
        return Err(header(format!("$schema is {:?}, expected {:?}", file.schema, group.schema_path())));
    }
    if file.number_of_cases != file.cases.len() {
        return Err(header(format!(
            "number_of_cases is {} but the file has {} cases",
            file.number_of_cases,
            file.cases.len()
        )));
    }
    let mut ids = HashMap::new();
    for case in &file.cases {
        let meta = case.meta();
        let fail = |m: String| case_error(path, None, &format!("case {:?}: {m}", meta.id)).with_line_of(text, &meta.id);
        check_meta(meta, &file.flags).map_err(fail)?;
        case.check(&file.configs).map_err(fail)?;
        if ids.insert(meta.id.clone(), ()).is_some() {
            return Err(fail("id used twice in this file".into()));
        }
    }
    Ok(file)
}

fn strip_position(message: &str) -> String {
    message.rsplit_once(" at line ").map_or_else(|| message.to_string(), |(m, _)| m.to_string())
}
