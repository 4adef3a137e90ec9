//! Wire forms of the rule book's values: how a request carries them, defined once for every sender (the
//! harness's planner, the property tests, the fuzzer, the benchmarks).

use ivconform_core::hex::encode_lower;
use ivconform_core::Config;

/// A configuration as a `verify` request carries it: every secret as `secret_hex`, so secrets that are not
/// text survive the trip byte for byte.
pub fn config_json(config: &Config) -> serde_json::Value {
    let mut doc = config.to_doc();
    for app in doc.apps.values_mut() {
        for p in [&mut app.web, &mut app.ios, &mut app.android].into_iter().flatten() {
            if let Some(text) = p.secret.take() {
                p.secret_hex = Some(encode_lower(text.as_bytes()));
            }
        }
    }
    serde_json::to_value(doc).expect("configurations serialise")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_travel_as_hex_and_come_back_equal() {
        let config = Config::from_toml_str("[apps.ws_prod]\nweb = { secret = \"s3cret\", enforced = true }\n").unwrap();
        let wire = config_json(&config);
        assert_eq!(wire["apps"]["ws_prod"]["web"]["secret_hex"], "733363726574");
        assert!(wire["apps"]["ws_prod"]["web"].get("secret").is_none(), "no secret in clear text: {wire}");
        assert_eq!(Config::from_json_str(&wire.to_string()).unwrap(), config);
    }
}
