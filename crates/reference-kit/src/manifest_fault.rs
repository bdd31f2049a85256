//! Faults in the manifest the reference add-on hands out, each breaking one static rule. The
//! add-on itself keeps serving correctly: only what the manifest says is wrong.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::fault::Fault;

/// Where a platform's manifest keeps what the manifest faults edit.
#[derive(Debug, Clone, Copy)]
pub struct ManifestShape {
    /// The key of the object holding the environments and their settings (`production`,
    /// `sso_salt`, `config_vars`); `None` where they are at the top level.
    pub settings: Option<&'static str>,
    /// A config var name the platform's rules refuse.
    pub bad_config_var: &'static str,
    /// A key the platform does not know, with a string value, in the settings object.
    pub unknown_key: (&'static str, &'static str),
}

/// The manifest with every manifest fault of `faults` applied.
pub(crate) fn apply(shape: &ManifestShape, faults: &BTreeSet<Fault>, manifest: String) -> String {
    let edits: Vec<Fault> = faults
        .iter()
        .copied()
        .filter(|f| is_manifest_fault(*f))
        .collect();
    if edits.is_empty() {
        return manifest;
    }
    let Ok(mut document) = serde_json::from_str::<Value>(&manifest) else {
        return manifest;
    };
    let mut syntax_error = false;
    for fault in edits {
        match fault {
            Fault::ManifestSyntaxError => syntax_error = true,
            fault => edit(shape, fault, &mut document),
        }
    }
    let mut text = serde_json::to_string_pretty(&document).unwrap_or(manifest);
    if syntax_error {
        // A trailing comma: the most common way a hand-edited manifest stops being JSON.
        if let Some(last) = text.rfind('}') {
            text.insert(last, ',');
        }
    }
    text.push('\n');
    text
}

fn is_manifest_fault(fault: Fault) -> bool {
    fault.name().starts_with("manifest-")
}

fn settings<'a>(shape: &ManifestShape, document: &'a mut Value) -> &'a mut Value {
    match shape.settings {
        Some(key) => &mut document[key],
        None => document,
    }
}

fn edit(shape: &ManifestShape, fault: Fault, document: &mut Value) {
    match fault {
        Fault::ManifestBlankName => document["name"] = json!(" "),
        Fault::ManifestDeprecatedUsername => document["api"]["username"] = json!("reference-db"),
        Fault::ManifestBlankSsoSalt => settings(shape, document)["sso_salt"] = json!(""),
        Fault::ManifestRelativeUrl => {
            let production = &mut settings(shape, document)["production"];
            if production.is_string() {
                *production = json!("reference-db/heroku");
            } else {
                production["sso_url"] = json!("/sso/login");
            }
        }
        Fault::ManifestHttpProduction => {
            let production = &mut settings(shape, document)["production"];
            if production.is_string() {
                *production = json!("http://reference-db.example");
            } else if let Some(url) = production["base_url"].as_str() {
                production["base_url"] = json!(url.replacen("https://", "http://", 1));
            }
        }
        Fault::ManifestUnknownRegion => push(&mut document["api"]["regions"], "mars"),
        Fault::ManifestUnknownRequires => push(&mut document["api"]["requires"], "telepathy"),
        Fault::ManifestBadConfigVar => {
            push(
                &mut settings(shape, document)["config_vars"],
                shape.bad_config_var,
            );
        }
        Fault::ManifestNegativePrice => document["plans"][0]["price"] = json!(-5),
        Fault::ManifestBlankDescription => document["description"] = json!(""),
        Fault::ManifestUnknownKey => {
            let (key, value) = shape.unknown_key;
            settings(shape, document)[key] = json!(value);
        }
        _ => {}
    }
}

fn push(list: &mut Value, item: &str) {
    if let Some(items) = list.as_array_mut() {
        items.push(json!(item));
    }
}
