//! Empty on purpose: it exists so that cargo honours course's
//! `[build-dependencies]`, which only set the features of syn (see the end of
//! course/Cargo.toml: one build of each dependency for every chapter).

fn main() {
    // Never rerun: nothing here depends on the sources.
    println!("cargo::rerun-if-changed=build.rs");
}
