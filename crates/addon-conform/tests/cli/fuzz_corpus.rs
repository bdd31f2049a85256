//! The committed fuzz corpus (`fuzz/corpus/<target>/`: seeds, and every input that once made a
//! target fail) replayed through the fuzz targets' own entry points, on stable: a bug the
//! fuzzer found stays fixed.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use addon_conform::fuzzing::TARGETS;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

#[test]
fn every_corpus_input_is_read_without_a_panic() {
    for target in TARGETS {
        let dir = fuzz_dir().join("corpus").join(target.name);
        let mut inputs: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|error| panic!("cannot read {}: {error}", dir.display()))
            .map(|entry| entry.unwrap().path())
            .collect();
        inputs.sort();
        assert!(
            inputs.len() >= 10,
            "{} has too few inputs to replay",
            dir.display()
        );
        let panicked: Vec<String> = inputs
            .iter()
            .filter(|input| {
                let data = std::fs::read(input).unwrap();
                catch_unwind(AssertUnwindSafe(|| (target.run)(&data))).is_err()
            })
            .map(|input| input.display().to_string())
            .collect();
        assert!(
            panicked.is_empty(),
            "{} panicked on {}",
            target.name,
            panicked.join(", ")
        );
    }
}

/// `cargo xtask fuzz` runs the targets by name: each must be a binary of the fuzz crate.
#[test]
fn every_target_is_a_binary_of_the_fuzz_crate() {
    let manifest = std::fs::read_to_string(fuzz_dir().join("Cargo.toml")).unwrap();
    for target in TARGETS {
        assert!(
            manifest.contains(&format!(
                "name = \"{0}\"\npath = \"fuzz_targets/{0}.rs\"",
                target.name
            )),
            "fuzz/Cargo.toml has no [[bin]] for {}",
            target.name
        );
        assert!(
            fuzz_dir()
                .join(format!("fuzz_targets/{}.rs", target.name))
                .is_file()
        );
    }
}
