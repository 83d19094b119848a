//! The workspace's layering, read from `cargo metadata`: `core` ← `store` ← `engine` ←
//! {`server`, `gateway`} ← `cli`. A front door never depends on another, not even in its
//! tests (they drive the engine's own operations), and nothing below a layer reaches up.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::process::Command;

use serde_json::Value;

/// For each workspace crate, its normal `wicket-*` dependencies and its dev-dependencies.
fn edges() -> BTreeMap<String, (Vec<String>, Vec<String>)> {
    let out = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut map = BTreeMap::new();
    for p in meta["packages"].as_array().unwrap() {
        let name = p["name"].as_str().unwrap().to_string();
        let (mut normal, mut dev) = (Vec::new(), Vec::new());
        for d in p["dependencies"].as_array().unwrap() {
            let dep = d["name"].as_str().unwrap();
            if !dep.starts_with("wicket-") {
                continue;
            }
            match d["kind"].as_str() {
                Some("dev") => dev.push(dep.to_string()),
                _ => normal.push(dep.to_string()),
            }
        }
        map.insert(name, (normal, dev));
    }
    map
}

#[test]
fn front_doors_stand_on_the_engine_and_never_on_each_other() {
    let edges = edges();
    let doors = ["wicket-server", "wicket-gateway", "wicket-ssh"];
    for door in doors {
        let Some((normal, dev)) = edges.get(door) else {
            continue;
        };
        assert!(
            normal.iter().any(|d| d == "wicket-engine"),
            "{door} does not stand on wicket-engine: {normal:?}"
        );
        for other in doors.iter().filter(|o| **o != door) {
            assert!(
                !normal.iter().any(|d| d == other),
                "{door} depends on {other}, another front door"
            );
            assert!(
                !dev.iter().any(|d| d == other),
                "{door}'s tests depend on {other}, another front door"
            );
        }
    }
}

#[test]
fn no_layer_reaches_up() {
    let edges = edges();
    let allowed: &[(&str, &[&str])] = &[
        ("wicket-core", &[]),
        ("wicket-store", &["wicket-core"]),
        ("wicket-engine", &["wicket-core", "wicket-store"]),
    ];
    for (krate, may) in allowed {
        let (normal, _) = edges
            .get(*krate)
            .unwrap_or_else(|| panic!("{krate} is missing"));
        for dep in normal {
            assert!(
                may.contains(&dep.as_str()),
                "{krate} depends on {dep}, a layer above it"
            );
        }
    }
}
