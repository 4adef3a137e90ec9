use super::*;
use proptest::prelude::*;

fn p(s: &str) -> Result<Value, Error> {
    parse(s.as_bytes(), Limits::P6)
}

fn kind(s: &str) -> ErrorKind {
    p(s).expect_err(s).kind
}

#[test]
fn accepts_rfc8259() {
    let v = p(" {\"a\" : [1, -0, 2.5e-3, true, false, null, \"x\\u00e9\\ud83d\\ude00\\n\"], \"b\": {}} ").unwrap();
    let Value::Object(m) = v else { panic!("object expected") };
    assert_eq!(m[0].0, "a");
    let Value::Array(items) = &m[0].1 else { panic!("array expected") };
    assert_eq!(items[6], Value::String("x\u{e9}\u{1F600}\n".into()));
    assert_eq!(p("123").unwrap(), Value::Number(Number::from_lexeme("123".into())));
}

#[test]
fn rejects_what_p1_names() {
    assert_eq!(kind("\u{feff}{}"), ErrorKind::ByteOrderMark);
    assert!(matches!(kind("{} // c"), ErrorKind::TrailingCharacters));
    assert!(matches!(kind("{/*c*/}"), ErrorKind::Unexpected { hint: Some(h), .. } if h.contains("comments")));
    assert!(matches!(kind("[1,]"), ErrorKind::Unexpected { hint: Some(h), .. } if h.contains("trailing")));
    assert!(matches!(kind("{\"a\":1,}"), ErrorKind::Unexpected { hint: Some(h), .. } if h.contains("trailing")));
    assert!(matches!(kind("[NaN]"), ErrorKind::Unexpected { hint: Some(h), .. } if h.contains("NaN")));
    assert!(matches!(kind("[Infinity]"), ErrorKind::Unexpected { .. }));
    assert!(matches!(kind("[-Infinity]"), ErrorKind::InvalidNumber));
    assert_eq!(kind("[\"\\ud800\"]"), ErrorKind::LoneSurrogate);
    assert_eq!(kind("[\"\\udc00\"]"), ErrorKind::LoneSurrogate);
    assert_eq!(kind("[\"\\ud800\\u0041\"]"), ErrorKind::LoneSurrogate);
    assert_eq!(kind("[\"\\x41\"]"), ErrorKind::InvalidEscape);
    assert_eq!(kind("[\"a\tb\"]"), ErrorKind::ControlCharacter);
    for bad in ["[01]", "[1.]", "[.5]", "[+1]", "[1e]", "[-]", "[0x10]"] {
        assert!(matches!(kind(bad), ErrorKind::InvalidNumber | ErrorKind::Unexpected { .. }), "{bad}");
    }
    assert_eq!(parse(b"{\"a\":\"\xff\"}", Limits::P6).unwrap_err().kind, ErrorKind::InvalidUtf8);
    assert!(matches!(kind(""), ErrorKind::UnexpectedEnd { .. }));
    assert!(matches!(kind("{\"a\":1"), ErrorKind::UnexpectedEnd { .. }));
    assert!(matches!(kind("{'a':1}"), ErrorKind::Unexpected { .. }));
    assert!(matches!(kind("{a:1}"), ErrorKind::Unexpected { .. }));
}

#[test]
fn duplicates_are_found_after_unescaping_at_any_depth() {
    let e = p("{\"a\":1,\"\\u0061\":2}").unwrap_err();
    assert_eq!(e.kind, ErrorKind::DuplicateKey { key: "a".into() });
    assert_eq!(e.rule(), crate::Rule::P2);
    assert_eq!((e.line, e.column, e.offset), (1, 8, 7));
    let nested = p("{\"x\":[{\"k\":1,\"k\":1}]}").unwrap_err();
    assert!(matches!(nested.kind, ErrorKind::DuplicateKey { .. }));
    // The same key in sibling objects is fine.
    assert!(p("[{\"k\":1},{\"k\":2}]").is_ok());
}

#[test]
fn limits_are_exact() {
    let nest = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    assert!(p(&nest(32)).is_ok());
    let e = p(&nest(33)).unwrap_err();
    assert_eq!(e.kind, ErrorKind::TooDeep { max: 32 });
    assert_eq!(e.rule(), crate::Rule::P6);
    let at = format!("\"{}\"", "a".repeat(65536 - 2));
    assert!(p(&at).is_ok());
    let over = format!("\"{}\"", "a".repeat(65536 - 1));
    assert_eq!(p(&over).unwrap_err().kind, ErrorKind::TooLarge { len: 65537, max: 65536 });
    // Deep input far past the limit is refused without recursing into it.
    assert!(p(&"[".repeat(60_000)).is_err());
}

#[test]
fn numbers_keep_their_form() {
    let n = |s: &str| match p(s).unwrap() {
        Value::Number(n) => n,
        _ => panic!("number expected"),
    };
    assert_eq!(n("123").as_i64(), Some(123));
    assert_eq!(n("123.0").as_i64(), None);
    assert_eq!(n("1e2").as_i64(), None);
    assert_eq!(n("-0").as_i64(), Some(0));
    assert_eq!(n("9007199254740992").as_i64(), Some(1 << 53));
    assert_eq!(n("99999999999999999999").as_i64(), None);
    assert!(!n("123.0").is_integer_syntax());
}

#[test]
fn error_positions_count_lines_and_characters() {
    let e = p("{\n  \"é\": x}").unwrap_err();
    assert_eq!((e.line, e.column), (2, 8));
    assert!(e.to_string().contains("line 2, column 8"));
}

fn to_serde(v: &Value) -> serde_json::Value {
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Number(n) => serde_json::from_str(n.lexeme()).unwrap(),
        Value::String(s) => serde_json::Value::String(s.clone()),
        Value::Array(a) => serde_json::Value::Array(a.iter().map(to_serde).collect()),
        Value::Object(m) => serde_json::Value::Object(m.iter().map(|(k, v)| (k.clone(), to_serde(v))).collect()),
    }
}

/// JSON-ish text built from the pieces parsers disagree on, so random inputs reach deep into the grammar.
fn jsonish() -> impl Strategy<Value = String> {
    let atoms = prop::sample::select(vec![
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        "\"a\"",
        "\"b\"",
        "\"\\u0061\"",
        "\"\\ud83d\\ude00\"",
        "\"\\ud800\"",
        "1",
        "-0",
        "1.5e3",
        "01",
        "true",
        "null",
        "nul",
        " ",
        "\n",
        "\"é\"",
        "NaN",
        "//",
        "\"\\\"\"",
        "\"\t\"",
    ]);
    prop::collection::vec(atoms, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn never_panics_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = parse(&bytes, Limits::P6);
    }

    #[test]
    fn accepted_input_means_the_same_to_serde_json(text in jsonish()) {
        if let Ok(v) = p(&text) {
            let theirs: serde_json::Value = serde_json::from_str(&text).expect("serde_json must accept what we accept");
            prop_assert_eq!(to_serde(&v), theirs);
            // Re-serialising and re-parsing gives the same value.
            prop_assert_eq!(p(&v.to_json()).unwrap(), v);
        }
    }
}
