//! Faults in the manifest the reference add-on hands out, each breaking one static rule. The
//! add-on itself keeps serving correctly: only what the manifest says is wrong.

use std::collections::BTreeSet;

use manifest_core::Platform;
use serde_json::{Value, json};

use crate::fault::Fault;

/// The manifest with every manifest fault of `faults` applied.
pub(crate) fn apply(platform: Platform, faults: &BTreeSet<Fault>, manifest: String) -> String {
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
            fault => edit(platform, fault, &mut document),
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

/// Where the environments and their settings live in each platform's manifest.
fn settings(platform: Platform, document: &mut Value) -> &mut Value {
    match platform {
        heroku_adapter::PLATFORM | clevercloud_adapter::PLATFORM => &mut document["api"],
        _ => document,
    }
}

fn edit(platform: Platform, fault: Fault, document: &mut Value) {
    match fault {
        Fault::ManifestBlankName => document["name"] = json!(" "),
        Fault::ManifestDeprecatedUsername => document["api"]["username"] = json!("reference-db"),
        Fault::ManifestBlankSsoSalt => settings(platform, document)["sso_salt"] = json!(""),
        Fault::ManifestRelativeUrl => {
            let production = &mut settings(platform, document)["production"];
            if production.is_string() {
                *production = json!("reference-db/heroku");
            } else {
                production["sso_url"] = json!("/sso/login");
            }
        }
        Fault::ManifestHttpProduction => {
            let production = &mut settings(platform, document)["production"];
            if production.is_string() {
                *production = json!("http://reference-db.example");
            } else if let Some(url) = production["base_url"].as_str() {
                production["base_url"] = json!(url.replacen("https://", "http://", 1));
            }
        }
        Fault::ManifestUnknownRegion => push(&mut document["api"]["regions"], "mars"),
        Fault::ManifestUnknownRequires => push(&mut document["api"]["requires"], "telepathy"),
        Fault::ManifestBadConfigVar => {
            let name = match platform {
                heroku_adapter::PLATFORM => "REFERENCE_DB__EXTRA",
                _ => "REFERENCE-DB-EXTRA",
            };
            push(&mut settings(platform, document)["config_vars"], name);
        }
        Fault::ManifestNegativePrice => document["plans"][0]["price"] = json!(-5),
        Fault::ManifestBlankDescription => document["description"] = json!(""),
        Fault::ManifestUnknownKey => {
            let (key, value) = match platform {
                heroku_adapter::PLATFORM => ("config_var_prefix", json!("REFERENCE_DB")),
                _ => ("test_sso_url", json!("https://reference-db.example/sso")),
            };
            settings(platform, document)[key] = value;
        }
        _ => {}
    }
}

fn push(list: &mut Value, item: &str) {
    if let Some(items) = list.as_array_mut() {
        items.push(json!(item));
    }
}
