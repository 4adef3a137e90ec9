//! The committed vector files are exactly what the generator writes from the definitions today.

use ivconform_vectorgen::generate;

#[test]
fn committed_files_match_a_fresh_generation() {
    let dir = ivconform_vectors::default_dir();
    let generated = generate().expect("the definitions generate");
    let mut stale = Vec::new();
    for (name, text) in generated.files() {
        let committed = std::fs::read_to_string(dir.join(&name)).unwrap_or_default();
        if committed != text {
            stale.push(name);
        }
    }
    assert!(
        stale.is_empty(),
        "{stale:?} differ from a fresh generation: run `cargo run -p ivconform-vectorgen -- generate` and commit the result"
    );
}

#[test]
fn generation_is_deterministic() {
    let a = generate().expect("generates").files();
    let b = generate().expect("generates").files();
    assert_eq!(a, b);
}
