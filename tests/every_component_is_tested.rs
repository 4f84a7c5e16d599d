//! Keeps new components honest: each crate under `components/` has an
//! end-to-end test file of its own name here, and spin.toml serves it.

use std::path::Path;

#[test]
fn every_component_has_an_end_to_end_test_and_a_manifest_entry() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest = std::fs::read_to_string(root.join("spin.toml")).expect("spin.toml");
    let mut names: Vec<String> = std::fs::read_dir(root.join("components"))
        .expect("components/")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("Cargo.toml").exists())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(!names.is_empty());
    for name in names {
        // Test files are Rust identifiers: `purchase-scoring` → `purchase_scoring.rs`.
        let file = format!("{}.rs", name.replace('-', "_"));
        let test = root.join("tests").join(&file);
        let text = std::fs::read_to_string(&test).unwrap_or_else(|_| panic!("components/{name} has no tests/{file}"));
        assert!(text.contains("#[tokio::test"), "tests/{file} has no end-to-end test");
        assert!(manifest.contains(&format!("[component.{name}]")), "spin.toml does not serve {name}");
    }
}
