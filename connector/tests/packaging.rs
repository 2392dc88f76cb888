//! Packaging invariants the Airbyte platform relies on, checked statically (no Docker daemon needed):
//! the Dockerfile's labels match `airbyte-spec/metadata.yaml`, `AIRBYTE_ENTRYPOINT` equals the exec-form
//! ENTRYPOINT, the final stage keeps a shell and runs as a non-root user, hadolint finds nothing;
//! `metadata.yaml` is valid against Airbyte's `ConnectorMetadataDefinitionV0` (required fields and enums,
//! `tests/fixtures/metadata_schema.json`); the sample files are usable.
mod common;

use common::repo_root;

fn read(rel: &str) -> String {
    std::fs::read_to_string(repo_root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn yaml_value(yaml: &str, key: &str) -> String {
    yaml.lines()
        .find_map(|l| l.trim().strip_prefix(&format!("{key}:")))
        .map(|v| v.trim().trim_matches('"').to_string())
        .unwrap_or_else(|| panic!("metadata.yaml has no {key}"))
}

#[test]
fn dockerfile_matches_metadata_and_airbyte_rules() {
    let docker = read("Dockerfile");
    let meta = read("airbyte-spec/metadata.yaml");
    let final_stage = docker.rsplit("\nFROM ").next().expect("a FROM line");
    let base = final_stage.lines().next().unwrap_or_default();
    assert!(
        !base.contains("scratch") && !base.contains("distroless"),
        "final image needs /bin/sh: {base}"
    );
    assert!(final_stage.contains(&format!(
        "io.airbyte.name=\"{}\"",
        yaml_value(&meta, "dockerRepository")
    )));
    assert!(final_stage.contains(&format!(
        "io.airbyte.version=\"{}\"",
        yaml_value(&meta, "dockerImageTag")
    )));
    let entry = final_stage
        .lines()
        .find_map(|l| l.strip_prefix("ENTRYPOINT [\""))
        .and_then(|l| l.strip_suffix("\"]"))
        .expect("exec-form ENTRYPOINT with one element");
    assert!(
        final_stage.contains(&format!("ENV AIRBYTE_ENTRYPOINT=\"{entry}\"")),
        "AIRBYTE_ENTRYPOINT must equal {entry}"
    );
    let user = final_stage
        .lines()
        .find_map(|l| l.strip_prefix("USER "))
        .expect("a USER line");
    assert!(
        user.trim() != "root" && user.trim() != "0",
        "the image must not run as root"
    );
    assert_eq!(yaml_value(&meta, "connectorType"), "source");
    assert_eq!(
        yaml_value(&meta, "dockerImageTag"),
        env!("CARGO_PKG_VERSION")
    );
}

#[test]
fn sample_config_and_catalog_are_accepted() {
    let server = common::start("all_providers.json");
    let mut config: serde_json::Value =
        serde_json::from_str(&read("airbyte-spec/sample_config.json")).expect("JSON");
    config["base_urls"] = common::config(&server)["base_urls"].clone();
    config["rate_limits"] = common::config(&server)["rate_limits"].clone();
    config["mempool_blocks_backfill"] = serde_json::json!(30);
    let catalog: serde_json::Value =
        serde_json::from_str(&read("airbyte-spec/configured_catalog.json")).expect("JSON");
    let run = common::read(&config, &catalog, None);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    assert_eq!(run.of_type("STATE").len() >= 10, true);
}

fn metadata_validator() -> jsonschema::Validator {
    let schema: serde_json::Value =
        serde_json::from_str(&read("connector/tests/fixtures/metadata_schema.json")).expect("JSON");
    jsonschema::draft7::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("a draft-07 schema")
}

fn errors(validator: &jsonschema::Validator, doc: &serde_json::Value) -> Vec<String> {
    validator
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

#[test]
fn metadata_is_valid_against_airbytes_connector_metadata_schema() {
    let validator = metadata_validator();
    let meta: serde_json::Value =
        serde_yaml::from_str(&read("airbyte-spec/metadata.yaml")).expect("YAML");
    assert_eq!(errors(&validator, &meta), Vec::<String>::new());
    // The schema copy has teeth: the shapes Airbyte refuses are refused here too.
    let mut old = meta.clone();
    old["data"]["registries"] = old["data"]["registryOverrides"].take();
    old["data"]
        .as_object_mut()
        .map(|d| d.remove("registryOverrides"));
    assert!(!errors(&validator, &old).is_empty(), "`registries` is gone");
    let mut unlabeled = meta.clone();
    unlabeled["data"]
        .as_object_mut()
        .map(|d| d.remove("githubIssueLabel"));
    assert!(errors(&validator, &unlabeled)
        .iter()
        .any(|e| e.contains("githubIssueLabel")));
    let mut bad = meta;
    bad["data"]["releaseStage"] = serde_json::json!("source");
    bad["data"]["connectorSubtype"] = serde_json::json!("rest");
    assert_eq!(errors(&validator, &bad).len(), 2);
}

/// hadolint, installed by `scripts/hadolint.sh setup` (scripts/test.sh runs it); CI fails without it.
#[test]
fn the_dockerfile_is_clean_for_hadolint() {
    let script = repo_root().join("scripts/hadolint.sh");
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".cache")))
        .expect("HOME");
    if !cache
        .join("bitcoin-pipeline/hadolint-venv/bin/hadolint")
        .exists()
    {
        assert!(
            std::env::var_os("CI").is_none(),
            "hadolint is not installed and CI is set: run `scripts/hadolint.sh setup` (scripts/test.sh does)"
        );
        eprintln!(
            "\n!!!!! SKIPPED: hadolint is not installed; run `scripts/hadolint.sh setup` !!!!!\n"
        );
        return;
    }
    let out = std::process::Command::new("bash")
        .arg(script)
        .output()
        .expect("run scripts/hadolint.sh");
    assert!(
        out.status.success(),
        "hadolint: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
