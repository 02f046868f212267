//! Reads the resolved versions of the Cranelift crates from Cargo.lock so that the
//! `info` op reports exactly what was linked (no hand-maintained constants).
use std::{env, fs, path::PathBuf};

const CRATES: &[(&str, &str)] = &[
    ("cranelift-codegen", "OPM_VERSION_CRANELIFT_CODEGEN"),
    ("cranelift-reader", "OPM_VERSION_CRANELIFT_READER"),
    ("cranelift-frontend", "OPM_VERSION_CRANELIFT_FRONTEND"),
    ("cranelift-wasm", "OPM_VERSION_CRANELIFT_WASM"),
    ("cranelift-interpreter", "OPM_VERSION_CRANELIFT_INTERPRETER"),
    ("wasmparser", "OPM_VERSION_WASMPARSER"),
];

fn main() {
    let dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let lock_path = dir.join("Cargo.lock");
    println!("cargo:rerun-if-changed={}", lock_path.display());
    println!("cargo:rerun-if-changed=build.rs");
    let lock = fs::read_to_string(&lock_path).unwrap_or_default();
    // Cargo.lock is a sequence of `[[package]]` tables with `name = "…"` then `version = "…"`.
    let mut found: Vec<(String, String)> = Vec::new();
    let mut name: Option<String> = None;
    for line in lock.lines() {
        let line = line.trim();
        if line == "[[package]]" {
            name = None;
        } else if let Some(v) = line.strip_prefix("name = ") {
            name = Some(v.trim_matches('"').to_string());
        } else if let Some(v) = line.strip_prefix("version = ") {
            if let Some(n) = name.take() {
                found.push((n, v.trim_matches('"').to_string()));
            }
        }
    }
    for (krate, var) in CRATES {
        let versions: Vec<&str> = found
            .iter()
            .filter(|(n, _)| n == krate)
            .map(|(_, v)| v.as_str())
            .collect();
        let v = if versions.is_empty() { "unknown".to_string() } else { versions.join(",") };
        println!("cargo:rustc-env={var}={v}");
    }
}
