//! The module dependency table of the architecture, enforced.
//!
//! Each module may import only the modules its row allows (plus `error` and
//! `util`, which every module may use); `sentiment` and `clv` stand alone
//! so that a user can take just one of them.

use std::fs;
use std::path::Path;

/// Module → the modules it may import besides `error` and `util`.
const ALLOWED: &[(&str, &[&str])] = &[
    ("error", &[]),
    ("util", &[]),
    ("model", &[]),
    ("ingest", &["model"]),
    ("consent", &["model"]),
    ("identity", &["model"]),
    // 2026-12-04: merge may use identity for cluster ids *and normalisers*
    // (tombstones match identifiers as identity resolution reads them, so an
    // erased subject written another way stays out), and reaches the index
    // and model only to erase from them (issue #13).
    ("merge", &["model", "consent", "identity"]),
    ("segment", &["model"]),
    ("sentiment", &[]),
    ("clv", &["model"]),
    // 2026-12-05: the facade over resolution, consent and merging; reads
    // purchases into `clv` transactions, and its feedback is what
    // `sentiment` scores (its docs link `sentiment::Language`) (issue #15).
    (
        "pipeline",
        &[
            "model",
            "consent",
            "identity",
            "merge",
            "clv",
            "sentiment",
            "insights",
        ],
    ),
    // 2026-12-05: analyses over plain inputs (survey answers, RFM summaries,
    // purchase dates); the pipeline feeds them, never the reverse (issue #15).
    ("insights", &["model", "clv", "sentiment"]),
    // 2026-12-05: pictures of other modules' results (match explanations,
    // CLV calibration, cohorts, survey series); nothing imports it
    // (issue #15).
    ("chart", &["model", "identity", "clv", "insights"]),
];

const MODULES: &[&str] = &[
    "error",
    "util",
    "model",
    "ingest",
    "consent",
    "identity",
    "merge",
    "segment",
    "sentiment",
    "clv",
    "pipeline",
    "insights",
    "chart",
];

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn modules_import_only_what_the_architecture_allows() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut violations = Vec::new();
    let mut checked = 0;
    for (module, allowed) in ALLOWED {
        let mut files = Vec::new();
        rust_files(&src.join(module), &mut files);
        let single = src.join(format!("{module}.rs"));
        if single.exists() {
            files.push(single);
        }
        for file in files {
            checked += 1;
            let text = fs::read_to_string(&file).unwrap();
            for other in MODULES {
                if other == module || ["error", "util"].contains(other) || allowed.contains(other) {
                    continue;
                }
                for pattern in [
                    format!("crate::{other}::"),
                    format!("crate::{other}}}"),
                    format!("crate::{other};"),
                    format!("crate::{{{other}"),
                ] {
                    if text.contains(&pattern) {
                        violations.push(format!("{} uses {pattern}", file.display()));
                    }
                }
            }
        }
    }
    assert!(checked > 10, "the scan found only {checked} files");
    assert!(
        violations.is_empty(),
        "imports the architecture forbids:\n{}",
        violations.join("\n")
    );
}
