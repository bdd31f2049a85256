//! What the add-on tells people: the manifest it serves and the list of faults.

use reference_addon::{Fault, ReferenceAddon};

#[tokio::test]
async fn manifest_snapshot() {
    let addon = ReferenceAddon::new(heroku_adapter::PLATFORM)
        .start()
        .await
        .unwrap();
    let port = format!(":{}/", addon.addr().port());
    let manifest = addon.manifest_json();
    insta::with_settings!({filters => vec![
        (r#""(password|sso_salt)": "[0-9a-f]+""#, r#""$1": "[SECRET]""#),
        (port.as_str(), ":[PORT]/"),
    ]}, {
        insta::assert_snapshot!(manifest);
    });
}

#[test]
fn fault_catalog_snapshot() {
    let table: String = Fault::ALL
        .iter()
        .map(|fault| {
            let platforms: Vec<_> = dialects::having(fault.breaks())
                .iter()
                .map(|p| p.as_str())
                .collect();
            format!(
                "{fault} [{}] proves {}\n    {}\n",
                platforms.join(", "),
                fault.proves().join(", "),
                fault.description()
            )
        })
        .collect();
    insta::assert_snapshot!(table);
}

#[test]
fn mode_catalog_snapshot() {
    let table: String = reference_addon::Mode::ALL
        .iter()
        .map(|mode| {
            let platforms: Vec<_> = reference_addon::platforms_in(*mode)
                .iter()
                .map(|p| p.as_str())
                .collect();
            format!(
                "{mode} [{}] warns on [{}]\n    {}\n",
                platforms.join(", "),
                mode.warns().join(", "),
                mode.description()
            )
        })
        .collect();
    insta::assert_snapshot!(table);
}
