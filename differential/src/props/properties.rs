//! The properties: each turns one generated input into probes (requests whose right answers the reference
//! knows). Differential properties compare one answer with the reference; metamorphic ones also send the
//! input after a change that must not matter (key order, extra attributes, another platform's settings), so a
//! broken law shows up as a wrong answer on one side, printed as that side's vector.

use super::strategies::{self, HashChoice, VerifyParts};
use super::{sign_probe, verify_probe, GenJson, IdField, Probe, SignInput, VerifyInput};
use ivconform_core::config::{AppConfig, PlatformConfig};
use ivconform_core::{Config, Platform, Rule, Secret};
use ivconform_protocol::Capability;
use ivconform_vectors::Flag;
use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;
use std::collections::BTreeMap;

/// A generated input of any property.
#[derive(Debug, Clone)]
pub enum Input {
    /// A signing input.
    Sign(SignInput),
    /// A verifying input.
    Verify(VerifyInput),
    /// The precedence grid's values (every combination is built from them).
    Grid(Grid),
    /// A verifying input and the same input after a change that must not change the decision.
    Pair {
        /// The input as generated.
        original: VerifyInput,
        /// After the change.
        changed: VerifyInput,
        /// What changed.
        change: String,
    },
}

/// A property: its name, what it checks, which capabilities it needs, its inputs and its probes.
pub struct Property {
    /// The name `--property` takes.
    pub name: &'static str,
    /// One line on what it checks.
    pub about: &'static str,
    /// Capabilities the IUT must claim (probes needing an unclaimed one are left out).
    pub needs: &'static [Capability],
    /// The inputs.
    pub strategy: fn() -> BoxedStrategy<Input>,
}

/// Every property, in the order they run.
pub const ALL: &[Property] = &[
    Property {
        name: "sign",
        about: "signing agrees with the reference (any secret, any identifiers)",
        needs: &[Capability::Sign],
        strategy: || strategies::sign_input().prop_map(Input::Sign).boxed(),
    },
    Property {
        name: "verify",
        about: "verify decisions agree with the reference (any configuration, payload and hash)",
        needs: &[Capability::Verify],
        strategy: || strategies::verify_input().prop_map(Input::Verify).boxed(),
    },
    Property {
        name: "precedence",
        about: "user_id over email for every combination of absent, null, \"\", string and integer fields",
        needs: &[Capability::Sign, Capability::Verify],
        strategy: || grid().prop_map(Input::Grid).boxed(),
    },
    Property {
        name: "reorder",
        about: "reordering keys (at every depth) never changes a decision",
        needs: &[Capability::Verify],
        strategy: || {
            (strategies::verify_parts(), any::<u64>())
                .prop_map(|(parts, seed)| {
                    let original = strategies::build(&parts);
                    let mut changed = original.clone();
                    strategies::shuffle_deep(&mut changed.members, seed);
                    Input::Pair { original, changed, change: "the same payload with its keys reordered".into() }
                })
                .boxed()
        },
    },
    Property {
        name: "custom-attributes",
        about: "adding custom attributes (look-alikes of identity keys included) never changes a decision",
        needs: &[Capability::Verify],
        strategy: || {
            let lookalikes = proptest::collection::vec(proptest::sample::select(strategies::LOOKALIKE_KEYS), 1..4);
            (strategies::verify_parts(), strategies::custom_attributes(), lookalikes, any::<u64>())
                .prop_map(|(parts, mut extra, lookalikes, seed)| {
                    extra.extend(lookalikes.into_iter().map(|k| (k.to_string(), GenJson::Null)));
                    added_attributes(&parts, extra, seed)
                })
                .boxed()
        },
    },
    Property {
        name: "other-platform",
        about: "changing another platform's or workspace's secret or enforcement never changes a decision",
        needs: &[Capability::Verify],
        strategy: || {
            (strategies::verify_parts(), elsewhere())
                .prop_map(|(parts, change)| {
                    let original = strategies::build(&parts);
                    let (config, what) = change.apply(&original);
                    let changed = VerifyInput { config, ..original.clone() };
                    Input::Pair { original, changed, change: what }
                })
                .boxed()
        },
    },
];

/// Keys the identity rules read: never added as custom attributes.
const IDENTITY_KEYS: &[&str] = &["app_id", "user_id", "email", "user_hash"];

fn added_attributes(parts: &VerifyParts, extra: Vec<(String, GenJson)>, seed: u64) -> Input {
    let original = strategies::build(parts);
    let mut changed = original.clone();
    let mut added = Vec::new();
    for (i, (k, v)) in extra.into_iter().enumerate() {
        if IDENTITY_KEYS.contains(&k.as_str()) || changed.members.iter().any(|(m, _)| *m == k) {
            continue;
        }
        // Look-alike keys carry the right hash: the bait a lax implementation takes.
        let v = if strategies::LOOKALIKE_KEYS.contains(&k.as_str()) {
            let right = strategies::hash_text(
                &HashChoice::Right,
                &original.config,
                original.app_id().unwrap_or_default(),
                original.platform,
                &parts.user_id,
                &parts.email,
            );
            GenJson::Str(right.unwrap_or_default())
        } else {
            v
        };
        let at = (seed.wrapping_add(i as u64 * 31) % (changed.members.len() as u64 + 1)) as usize;
        added.push(format!("{k:?}"));
        changed.members.insert(at, (k, v));
    }
    let change = if added.is_empty() {
        "nothing added (every generated key was taken)".to_string()
    } else {
        format!("the same payload with custom attributes {} added", added.join(", "))
    };
    Input::Pair { original, changed, change }
}

/// A change elsewhere in the configuration: another platform of the request's app, or another app.
#[derive(Debug, Clone)]
pub struct Elsewhere {
    /// Which platform to change, as an offset from the request's (1 or 2), when changing the same app.
    offset: usize,
    /// Change another app instead (added when there is none).
    other_app: bool,
    /// The new settings (a new secret, none, or the same secret with enforcement flipped).
    new: Option<(Vec<u8>, bool)>,
    /// Flip enforcement only, keeping the secret.
    flip_only: bool,
}

fn elsewhere() -> impl Strategy<Value = Elsewhere> {
    (1usize..=2, prop::bool::weighted(0.3), proptest::option::of((strategies::secret(), any::<bool>())), any::<bool>())
        .prop_map(|(offset, other_app, new, flip_only)| Elsewhere { offset, other_app, new, flip_only })
}

impl Elsewhere {
    /// The changed configuration and a description of the change.
    fn apply(&self, input: &VerifyInput) -> (Config, String) {
        let mut config = input.config.clone();
        let app = input.app_id().unwrap_or_default().to_string();
        let change = |pc: Option<&PlatformConfig>| -> Option<PlatformConfig> {
            match (&self.new, pc) {
                (_, Some(pc)) if self.flip_only && pc.secret.is_some() => {
                    Some(PlatformConfig { secret: pc.secret.clone(), enforced: !pc.enforced, jwt_enforced: false })
                }
                (Some((s, enforced)), _) => Some(PlatformConfig {
                    secret: Some(Secret::new(s.clone())),
                    enforced: *enforced,
                    jwt_enforced: false,
                }),
                (None, _) => None,
            }
        };
        if self.other_app || !config.apps.contains_key(&app) {
            let other = config.apps.keys().find(|a| **a != app).cloned();
            let name = other.clone().unwrap_or_else(|| "ws_other".to_string());
            let entry = config.apps.entry(name.clone()).or_default();
            let p = Platform::ALL[self.offset % 3];
            match change(entry.platforms.get(&p)) {
                Some(pc) => entry.platforms.insert(p, pc),
                None => entry.platforms.remove(&p),
            };
            let what = if other.is_some() { "changed" } else { "added" };
            return (config, format!("the same request with the {p} settings of another workspace ({name}) {what}"));
        }
        let idx = Platform::ALL.iter().position(|p| *p == input.platform).expect("a platform");
        let p = Platform::ALL[(idx + self.offset) % 3];
        let entry = config.apps.get_mut(&app).expect("checked above");
        match change(entry.platforms.get(&p)) {
            Some(pc) => entry.platforms.insert(p, pc),
            None => entry.platforms.remove(&p),
        };
        (
            config,
            format!("the same request with the {p} settings of {app} changed (the request is from {})", input.platform),
        )
    }
}

/// The precedence grid's values: one of each kind, combined exhaustively by [`probes`].
#[derive(Debug, Clone)]
pub struct Grid {
    /// The platform's secret.
    secret: Vec<u8>,
    /// Whether the platform enforces identity verification.
    enforced: bool,
    /// The request's platform.
    platform: Platform,
    /// A string user_id.
    user_id_text: String,
    /// An integer user_id (safe).
    user_id_int: String,
    /// A string email.
    email_text: String,
    /// Which field the page hashed: user_id (0), email (1), or none sent (2).
    hashed: u8,
}

fn grid() -> impl Strategy<Value = Grid> {
    (
        strategies::secret(),
        any::<bool>(),
        strategies::platform(),
        strategies::identifier_text(),
        strategies::safe_integer(),
        strategies::identifier_text(),
        0u8..3,
    )
        .prop_map(|(secret, enforced, platform, user_id_text, user_id_int, email_text, hashed)| Grid {
            secret,
            enforced,
            platform,
            user_id_text,
            user_id_int,
            email_text,
            hashed,
        })
}

impl Grid {
    fn user_ids(&self) -> [IdField; 5] {
        [
            IdField::Absent,
            IdField::Null,
            IdField::Empty,
            IdField::Text(self.user_id_text.clone()),
            IdField::Int(self.user_id_int.clone()),
        ]
    }

    fn emails(&self) -> [IdField; 5] {
        [
            IdField::Absent,
            IdField::Null,
            IdField::Empty,
            IdField::Text(self.email_text.clone()),
            IdField::Int(self.user_id_int.clone()),
        ]
    }

    fn config(&self) -> Config {
        let mut platforms = BTreeMap::new();
        platforms.insert(
            self.platform,
            PlatformConfig {
                secret: Some(Secret::new(self.secret.clone())),
                enforced: self.enforced,
                jwt_enforced: false,
            },
        );
        Config { apps: [("ws_prod".to_string(), AppConfig { label: None, api_key: None, platforms })].into() }
    }
}

/// The probes of one input (those needing a capability the IUT does not claim are left out).
pub fn probes(property: &str, input: &Input, claimed: &[Capability]) -> Vec<Probe> {
    let can = |c: Capability| claimed.contains(&c);
    let mut out = Vec::new();
    match input {
        Input::Sign(s) => {
            if can(Capability::Sign) {
                let comment = format!(
                    "props sign: user_id {}, email {}{}",
                    s.user_id.kind(),
                    s.email.kind(),
                    if s.secret.is_empty() { ", empty secret" } else { "" }
                );
                out.push(sign_probe(property, &comment, s, &[Flag::Functionality]));
            }
        }
        Input::Verify(v) => {
            if can(Capability::Verify) {
                out.push(verify_probe(
                    property,
                    "props verify: a generated boot request",
                    v,
                    &[],
                    &[Flag::Functionality],
                ));
            }
        }
        Input::Grid(g) => {
            let config = g.config();
            for user_id in g.user_ids() {
                for email in g.emails() {
                    let kinds = format!("user_id {}, email {}", user_id.kind(), email.kind());
                    if can(Capability::Sign) && !matches!(email, IdField::Int(_)) {
                        let s = SignInput { secret: g.secret.clone(), user_id: user_id.clone(), email: email.clone() };
                        let comment = format!("props precedence (sign): {kinds}");
                        out.push(sign_probe(property, &comment, &s, &[Flag::Precedence, Flag::Presence]));
                    }
                    if can(Capability::Verify) {
                        let hashed = match g.hashed {
                            0 => Some(user_id.text()),
                            1 => Some(email.text()),
                            _ => None,
                        };
                        let mut members = vec![("app_id".to_string(), GenJson::Str("ws_prod".into()))];
                        members.extend(user_id.json().map(|v| ("user_id".to_string(), v)));
                        members.extend(email.json().map(|v| ("email".to_string(), v)));
                        if let Some(text) = &hashed {
                            let h = ivconform_core::hex::encode_lower(&ivconform_core::mac::hmac_sha256(
                                &g.secret,
                                text.as_bytes(),
                            ));
                            members.push(("user_hash".to_string(), GenJson::Str(h)));
                        }
                        let v = VerifyInput { config: config.clone(), platform: g.platform, members };
                        let what = match g.hashed {
                            0 => "the user_id's hash",
                            1 => "the email's hash",
                            _ => "no hash",
                        };
                        let comment = format!(
                            "props precedence: {kinds}, {what}, {} {}",
                            g.platform,
                            if g.enforced { "enforced" } else { "not enforced" }
                        );
                        out.push(verify_probe(
                            property,
                            &comment,
                            &v,
                            &[Rule::S2, Rule::V7, Rule::P3],
                            &[Flag::Precedence, Flag::Presence],
                        ));
                    }
                }
            }
        }
        Input::Pair { original, changed, change } => {
            if can(Capability::Verify) {
                let (rules, flags): (&[Rule], &[Flag]) = match property {
                    "reorder" => (&[Rule::P5], &[Flag::Functionality]),
                    "custom-attributes" => (&[Rule::P4, Rule::P5], &[Flag::AuthBypass]),
                    _ => (&[Rule::V2, Rule::V8], &[Flag::WrongSecret, Flag::Enforcement]),
                };
                out.push(verify_probe(
                    property,
                    &format!("props {property}: the request as generated"),
                    original,
                    rules,
                    flags,
                ));
                out.push(verify_probe(property, &format!("props {property}: {change}"), changed, rules, flags));
            }
        }
    }
    out
}
