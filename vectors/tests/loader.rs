//! A broken vector file is a clear error naming the file, the line and what is wrong.

use ivconform_vectors::{default_dir, load_dir};
use std::path::PathBuf;

/// A temporary copy of the committed files, with one file's text replaced by `edit(original)`.
fn copy_with(file: &str, edit: impl Fn(&str) -> String) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("ivconform-loader-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for name in ["hmac_sha256.json", "sign.json", "payload.json", "verify.json", "jwt.json"] {
        let text = std::fs::read_to_string(default_dir().join(name)).unwrap();
        let text = if name == file { edit(&text) } else { text };
        std::fs::write(dir.join(name), text).unwrap();
    }
    dir
}

fn error_for(file: &str, edit: impl Fn(&str) -> String) -> String {
    let dir = copy_with(file, edit);
    let e = load_dir(&dir).expect_err("the edited suite must not load");
    let _ = std::fs::remove_dir_all(&dir);
    e.to_string()
}

#[test]
fn syntax_error_names_file_and_line() {
    let e = error_for("sign.json", |t| t.replacen("\"comment\"", "\"comment\" oops", 1));
    assert!(e.contains("sign.json:") && e.contains("expected"), "{e}");
    let line: usize = e.split(':').nth(1).unwrap().parse().expect("a line number");
    assert!(line > 1, "{e}");
}

#[test]
fn unknown_field_is_refused() {
    let e = error_for("verify.json", |t| t.replacen("\"comment\":", "\"coment\": \"typo\", \"comment\":", 1));
    assert!(e.contains("verify.json") && e.contains("coment"), "{e}");
}

#[test]
fn semantic_errors_point_at_the_case() {
    let e = error_for("sign.json", |t| t.replacen("\"id\": \"sign-only-user-id\"", "\"id\": \"Sign_Only\"", 1));
    assert!(e.contains("Sign_Only") && e.contains("kebab-case"), "{e}");
    assert!(e.split(':').nth(1).unwrap().parse::<usize>().is_ok(), "{e}");

    let e = error_for("verify.json", |t| t.replacen("\"config\": \"standard\"", "\"config\": \"nope\"", 1));
    assert!(e.contains("\"nope\" is not in the file's configs"), "{e}");

    let e = error_for("hmac_sha256.json", |t| t.replacen("\"number_of_cases\": 27", "\"number_of_cases\": 28", 1));
    assert!(e.contains("number_of_cases"), "{e}");

    let e = error_for("payload.json", |t| t.replacen("\"id\": \"payload-bom\"", "\"id\": \"verify-unknown-app\"", 1));
    assert!(e.contains("already used"), "{e}");

    let e = error_for("sign.json", |t| {
        t.replacen("\"rules\": [\n        \"S1\",\n        \"S2\"\n      ]", "\"rules\": [\"S1\", \"Q7\"]", 1)
    });
    assert!(e.contains("Q7"), "{e}");
}

#[test]
fn jwt_errors_point_at_the_case() {
    let e = error_for("jwt.json", |t| t.replacen("\"kind\": \"sign\"", "\"kind\": \"sing\"", 1));
    assert!(e.contains("jwt.json:") && e.contains("sing"), "{e}");
    let e = error_for("jwt.json", |t| t.replacen("\"id\": \"jwt-alg-none\"", "\"id\": \"verify-unknown-app\"", 1));
    assert!(e.contains("already used"), "{e}");
    let e = error_for("jwt.json", |t| t.replacen("\"config\": \"jwt_enforced\"", "\"config\": \"nope\"", 1));
    assert!(e.contains("\"nope\" is not in the file's configs"), "{e}");
}

#[test]
fn missing_file_and_oversize_are_clear() {
    let dir = copy_with("none", |t| t.to_string());
    std::fs::remove_file(dir.join("payload.json")).unwrap();
    let e = load_dir(&dir).unwrap_err().to_string();
    assert!(e.contains("payload.json") && e.contains("cannot read"), "{e}");
    let big = std::fs::File::create(dir.join("payload.json")).unwrap();
    big.set_len(ivconform_vectors::load::MAX_FILE_BYTES + 1).unwrap();
    let e = load_dir(&dir).unwrap_err().to_string();
    assert!(e.contains("limit"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}
