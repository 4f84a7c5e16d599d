//! `spin.toml` (manifest version 2), as far as the test host serves it.
//!
//! The shapes follow Spin's `crates/manifest/src/schema/v2.rs` and
//! `schema/common.rs` at v4.0.2. Every table denies unknown fields: a manifest
//! feature the host does not implement (files, static responses, SQLite, ...)
//! stops `Host::start` with a message instead of being silently ignored.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, bail, ensure};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub spin_manifest_version: u32,
    pub application: Application,
    #[serde(default)]
    pub variables: BTreeMap<String, VariableDecl>,
    #[serde(default)]
    pub trigger: Triggers,
    #[serde(default)]
    pub component: BTreeMap<String, ComponentDecl>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Application {
    pub name: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub authors: Vec<String>,
}

/// An application variable (`[variables]`), Spin's `schema/common.rs`
/// `Variable`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariableDecl {
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub default: Option<String>,
    #[serde(default)]
    pub secret: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Triggers {
    #[serde(default)]
    pub http: Vec<HttpTrigger>,
    #[serde(default)]
    pub cron: Vec<CronTrigger>,
}

/// `[[trigger.http]]`. Spin also accepts `static_response`, `executor` and
/// `route = { private = true }`; the host refuses them (unknown field / not a
/// string) because no component of ours uses them.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpTrigger {
    #[serde(default)]
    pub id: Option<String>,
    pub route: String,
    pub component: String,
}

/// `[[trigger.cron]]`, the cron plugin's `CronTriggerConfig`
/// (spinframework/spin-trigger-cron `src/lib.rs`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CronTrigger {
    #[serde(default)]
    pub id: Option<String>,
    pub component: String,
    pub cron_expression: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComponentDecl {
    pub source: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
    #[serde(default)]
    pub allowed_outbound_hosts: Vec<String>,
    #[serde(default, alias = "key-value-stores")]
    pub key_value_stores: Vec<String>,
    #[serde(default)]
    pub build: Option<BuildDecl>,
}

/// `[component.X.build]`, used the way `spin build` uses it
/// (Spin's `crates/build/src/lib.rs`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuildDecl {
    pub command: String,
    #[serde(default)]
    pub workdir: Option<String>,
    #[serde(default)]
    pub watch: Vec<String>,
}

impl Manifest {
    pub fn load(path: &Path) -> Result<Manifest> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Manifest::parse(&text).with_context(|| format!("parsing {}", path.display()))
    }

    pub fn parse(text: &str) -> Result<Manifest> {
        let manifest: Manifest = toml::from_str(text)
            .context("spin.toml uses something the test host does not serve (or is malformed)")?;
        manifest.validate()?;
        Ok(manifest)
    }

    /// The checks `spin up` makes before serving anything that this host
    /// would otherwise trip over later.
    fn validate(&self) -> Result<()> {
        ensure!(
            self.spin_manifest_version == 2,
            "spin_manifest_version must be 2, found {}",
            self.spin_manifest_version
        );
        for (name, var) in &self.variables {
            // Spin's crates/loader/src/local.rs: `required ^ default.is_some()`.
            ensure!(
                var.required ^ var.default.is_some(),
                "variable {name:?}: must be `required` OR have a `default`"
            );
        }
        for trigger in &self.trigger.http {
            ensure!(
                self.component.contains_key(&trigger.component),
                "[[trigger.http]] route {:?} names component {:?}, which spin.toml does not define",
                trigger.route,
                trigger.component
            );
        }
        for trigger in &self.trigger.cron {
            ensure!(
                self.component.contains_key(&trigger.component),
                "[[trigger.cron]] names component {:?}, which spin.toml does not define",
                trigger.component
            );
            // The plugin hands the expression to tokio-cron-scheduler, which
            // wants six or seven fields (seconds first).
            let fields = trigger.cron_expression.split_whitespace().count();
            if !(6..=7).contains(&fields) {
                bail!(
                    "cron_expression {:?} for {:?} has {fields} fields; the cron plugin wants 6 (seconds first)",
                    trigger.cron_expression,
                    trigger.component
                );
            }
        }
        Ok(())
    }

    /// Components with a `[[trigger.cron]]`.
    pub fn cron_components(&self) -> impl Iterator<Item = &str> {
        self.trigger.cron.iter().map(|t| t.component.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_repository_manifest_parses() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("spin.toml");
        let m = Manifest::load(&path).unwrap();
        assert!(m.component.contains_key("enrollment"));
    }

    #[test]
    fn a_variable_with_both_default_and_required_is_refused() {
        let err = Manifest::parse(
            r#"
spin_manifest_version = 2
[application]
name = "x"
[variables]
v = { default = "a", required = true }
"#,
        )
        .unwrap_err();
        assert!(format!("{err:#}").contains("must be `required` OR have a `default`"));
    }

    #[test]
    fn a_static_response_trigger_is_refused_loudly() {
        let err = Manifest::parse(
            r#"
spin_manifest_version = 2
[application]
name = "x"
[[trigger.http]]
route = "/"
static_response = { status_code = 200 }
"#,
        )
        .unwrap_err();
        assert!(format!("{err:#}").contains("does not serve"), "{err:#}");
    }
}
