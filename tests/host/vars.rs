//! Variables, resolved like Spin's `crates/expressions` (v4.0.2) with one
//! provider: the values a test sets, which stand in for `SPIN_VARIABLE_*`
//! (Spin's `crates/variables-env`): a provided value wins over the
//! manifest's `default`.
//!
//! - App variables (`[variables]`) have a `default` or are `required`.
//! - A component sees only the names in its `[component.X.variables]`; each
//!   value is a template (`"https://{{ host }}/x"`) over app variables.
//! - Asking for a name the component does not declare is
//!   `error::undefined`; a malformed name is `error::invalid-name`.
//! - A required variable without a provided value stops `Host::start`, as
//!   `spin up` stops (`crates/trigger/src/cli/variable.rs`).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use anyhow::{Result, anyhow, bail};

use crate::bindings::fermyon::spin::variables as wit;
use crate::manifest::VariableDecl;

/// One part of a template: Spin's `crates/expressions/src/template.rs`.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    Lit(String),
    Expr(String),
}

/// A `{{ name }}` template, parsed exactly as Spin parses it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

impl Template {
    pub fn new(template: &str) -> Result<Template, VarError> {
        let mut parts = vec![];
        let mut remainder = template;
        while !remainder.is_empty() {
            if let Some(expr_rest) = remainder.strip_prefix("{{") {
                let Some((expr, rest)) = expr_rest.split_once("}}") else {
                    return Err(VarError::Other(
                        "invalid variable template: unmatched '{{' in template".into(),
                    ));
                };
                parts.push(Part::Expr(expr.trim().to_string()));
                remainder = rest;
            } else if let Some(idx) = remainder.find("{{") {
                let (lit, rest) = remainder.split_at(idx);
                parts.push(Part::Lit(lit.to_string()));
                remainder = rest;
            } else {
                parts.push(Part::Lit(remainder.to_string()));
                remainder = "";
            }
        }
        Ok(Template { parts })
    }

    pub fn is_literal(&self) -> bool {
        self.parts.iter().all(|p| matches!(p, Part::Lit(_)))
    }

    fn exprs(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Expr(e) => Some(e.as_str()),
            Part::Lit(_) => None,
        })
    }
}

/// The `fermyon:spin/variables` error cases, with Spin's messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VarError {
    InvalidName(String),
    Undefined(String),
    Provider(String),
    Other(String),
}

impl std::fmt::Display for VarError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VarError::InvalidName(m) => write!(f, "invalid variable name: {m}"),
            VarError::Undefined(m) => write!(f, "undefined variable: {m}"),
            VarError::Provider(m) => write!(f, "provider error: {m}"),
            VarError::Other(m) => f.write_str(m),
        }
    }
}

/// Spin's `Key::validate` (crates/expressions/src/lib.rs).
pub fn validate_key(key: &str) -> Result<(), VarError> {
    let reason = if key.is_empty() {
        Some("must not be empty".to_string())
    } else if let Some(invalid) = key
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_'))
    {
        Some(format!(
            "invalid character {invalid:?}. Variable names may contain only lower-case letters, numbers, and underscores."
        ))
    } else if !key.as_bytes()[0].is_ascii_lowercase() {
        Some("must start with a lowercase ASCII letter".to_string())
    } else if !key.as_bytes()[key.len() - 1].is_ascii_alphanumeric() {
        Some("must end with a lowercase ASCII letter or digit".to_string())
    } else if key.contains("__") {
        Some("must not contain multiple consecutive underscores".to_string())
    } else {
        None
    };
    match reason {
        Some(reason) => Err(VarError::InvalidName(format!("{key:?}: {reason}"))),
        None => Ok(()),
    }
}

/// Every variable of one running application.
pub struct Variables {
    decls: BTreeMap<String, VariableDecl>,
    /// component -> variable name -> template
    components: HashMap<String, HashMap<String, Template>>,
    /// Values set by the test (the stand-in for `SPIN_VARIABLE_*`).
    provided: Mutex<HashMap<String, String>>,
}

impl Variables {
    /// Validates names and templates like Spin's `Resolver::new` and
    /// `add_component_variables`: a template naming an unknown app variable
    /// stops the app.
    pub fn new<'a>(
        decls: &BTreeMap<String, VariableDecl>,
        components: impl IntoIterator<Item = (&'a str, &'a BTreeMap<String, String>)>,
    ) -> Result<Arc<Variables>> {
        for name in decls.keys() {
            validate_key(name).map_err(|e| anyhow!("[variables]: {e}"))?;
        }
        let mut by_component = HashMap::new();
        for (component, vars) in components {
            let mut templates = HashMap::new();
            for (key, value) in vars {
                validate_key(key).map_err(|e| anyhow!("component {component:?}: {e}"))?;
                let template = Template::new(value)
                    .map_err(|e| anyhow!("component {component:?} variable {key:?}: {e}"))?;
                if let Some(unknown) = template.exprs().find(|e| !decls.contains_key(*e)) {
                    bail!(
                        "component {component:?} variable {key:?}: invalid variable template: unknown variable {unknown:?}"
                    );
                }
                templates.insert(key.clone(), template);
            }
            by_component.insert(component.to_string(), templates);
        }
        Ok(Arc::new(Variables {
            decls: decls.clone(),
            components: by_component,
            provided: Mutex::new(HashMap::new()),
        }))
    }

    /// Sets a provided value. A name the app does not declare is a test
    /// bug (Spin would silently ignore such an environment variable).
    pub fn set(&self, name: &str, value: &str) {
        assert!(
            self.decls.contains_key(name),
            "set_variable({name:?}): spin.toml declares no such variable (known: {:?})",
            self.decls.keys().collect::<Vec<_>>()
        );
        self.provided
            .lock()
            .unwrap()
            .insert(name.to_string(), value.to_string());
    }

    /// Spin's `ensure_required_variables_resolvable`, with its message.
    pub fn ensure_required(&self) -> Result<()> {
        let provided = self.provided.lock().unwrap();
        let missing: Vec<&String> = self
            .decls
            .iter()
            .filter(|(name, d)| d.default.is_none() && !provided.contains_key(*name))
            .map(|(name, _)| name)
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            bail!("provider error: no provider resolved required variable(s): {missing:?}")
        }
    }

    fn resolve_variable(&self, name: &str) -> Result<String, VarError> {
        if let Some(v) = self.provided.lock().unwrap().get(name) {
            return Ok(v.clone());
        }
        let decl = self
            .decls
            .get(name)
            .ok_or_else(|| VarError::InvalidName(name.to_string()))?;
        decl.default.clone().ok_or_else(|| {
            VarError::Provider(format!("no provider resolved required variable {name:?}"))
        })
    }

    pub fn resolve_template(&self, template: &Template) -> Result<String, VarError> {
        let mut out = String::new();
        for part in &template.parts {
            match part {
                Part::Lit(l) => out.push_str(l),
                Part::Expr(e) => out.push_str(&self.resolve_variable(e)?),
            }
        }
        Ok(out)
    }

    /// Resolves a template with manifest defaults only: what Spin uses to
    /// validate `allowed_outbound_hosts` templates at load time. `None` when
    /// some variable has no default.
    pub fn resolve_with_defaults(&self, template: &Template) -> Option<String> {
        let mut out = String::new();
        for part in &template.parts {
            match part {
                Part::Lit(l) => out.push_str(l),
                Part::Expr(e) => out.push_str(self.decls.get(e)?.default.as_deref()?),
            }
        }
        Some(out)
    }

    /// Spin's `PreparedResolver`: every app variable must resolve, or no
    /// outbound request is allowed (crates/factor-outbound-networking).
    pub fn prepare_check(&self) -> Result<(), VarError> {
        for name in self.decls.keys() {
            self.resolve_variable(name)?;
        }
        Ok(())
    }

    /// `fermyon:spin/variables.get` for one component.
    pub fn get(&self, component: &str, key: &str) -> Result<String, VarError> {
        validate_key(key)?;
        let configs = self.components.get(component).ok_or_else(|| {
            VarError::Undefined(format!("no variable for component {component:?}"))
        })?;
        let template = configs
            .get(key)
            .ok_or_else(|| VarError::Undefined(format!("no variable for {component:?}.{key:?}")))?;
        self.resolve_template(template)
    }
}

/// Per-call state behind `fermyon:spin/variables`.
pub struct VarsCall {
    pub component: String,
    pub vars: Arc<Variables>,
}

impl wit::Host for VarsCall {
    async fn get(&mut self, name: String) -> wasmtime::Result<Result<String, wit::Error>> {
        Ok(self.vars.get(&self.component, &name).map_err(|e| match e {
            VarError::InvalidName(m) => wit::Error::InvalidName(m),
            VarError::Undefined(m) => wit::Error::Undefined(m),
            VarError::Provider(m) => wit::Error::Provider(m),
            VarError::Other(m) => wit::Error::Other(m),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decl(default: Option<&str>) -> VariableDecl {
        VariableDecl {
            description: None,
            required: default.is_none(),
            default: default.map(str::to_string),
            secret: false,
        }
    }

    fn vars() -> Arc<Variables> {
        let decls = BTreeMap::from([
            ("host".to_string(), decl(Some("example.com"))),
            ("token".to_string(), decl(None)),
        ]);
        let comp = BTreeMap::from([
            ("url".to_string(), "https://{{ host }}/x".to_string()),
            ("token".to_string(), "{{token}}".to_string()),
        ]);
        Variables::new(&decls, [("c", &comp)]).unwrap()
    }

    #[test]
    fn templates_resolve_defaults_and_provided_values() {
        let v = vars();
        assert_eq!(v.get("c", "url").unwrap(), "https://example.com/x");
        v.set("host", "127.0.0.1:9");
        assert_eq!(v.get("c", "url").unwrap(), "https://127.0.0.1:9/x");
    }

    #[test]
    fn a_required_variable_without_value_stops_the_app() {
        let v = vars();
        let err = v.ensure_required().unwrap_err().to_string();
        assert!(
            err.contains("no provider resolved required variable(s)"),
            "{err}"
        );
        v.set("token", "t");
        v.ensure_required().unwrap();
    }

    #[test]
    fn names_are_checked_like_spin() {
        let v = vars();
        assert!(matches!(v.get("c", "Bad"), Err(VarError::InvalidName(_))));
        assert!(matches!(v.get("c", "nope"), Err(VarError::Undefined(_))));
        assert!(matches!(v.get("other", "url"), Err(VarError::Undefined(_))));
    }

    #[test]
    fn a_template_naming_an_unknown_variable_is_refused() {
        let decls = BTreeMap::from([("a".to_string(), decl(Some("1")))]);
        let comp = BTreeMap::from([("x".to_string(), "{{ b }}".to_string())]);
        assert!(Variables::new(&decls, [("c", &comp)]).is_err());
    }
}
