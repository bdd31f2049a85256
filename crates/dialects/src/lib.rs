//! The registry: the one list of the platforms this workspace speaks. Every command, the
//! per-platform binaries, `cargo xtask` and every test that needs "all platforms" read it here,
//! so a platform added to [`REGISTRY`] is run, documented and tested everywhere at once.

use std::sync::LazyLock;

use manifest_core::capability::has_all;
use manifest_core::{Capability, Dialect, Platform, Recognition};
use reference_kit::Provider;

/// Every registered platform, in the order platforms are listed and run: its adapter crate's
/// reference provider, which names the dialect it speaks, so a platform cannot be registered
/// without the correct provider the fault matrix tests it against. Adding a platform is one
/// line here (and its crate among this crate's dependencies).
static REGISTRY: &[&Provider] = &[
    &heroku_adapter::REFERENCE,
    &scalingo_adapter::REFERENCE,
    &bitrise_adapter::REFERENCE,
    &clevercloud_adapter::REFERENCE,
];

static DIALECTS: LazyLock<Vec<&'static dyn Dialect>> =
    LazyLock::new(|| REGISTRY.iter().map(|provider| provider.dialect).collect());

/// Every registered dialect.
pub fn all() -> &'static [&'static dyn Dialect] {
    &DIALECTS
}

/// Every registered platform's reference provider, in [`all`]'s order.
pub fn providers() -> &'static [&'static Provider] {
    REGISTRY
}

/// The registered platforms, in [`REGISTRY`] order.
pub fn platforms() -> impl Iterator<Item = Platform> {
    all().iter().map(|dialect| dialect.platform())
}

/// The dialect of a platform, if one is registered.
pub fn find(platform: Platform) -> Option<&'static dyn Dialect> {
    all()
        .iter()
        .copied()
        .find(|dialect| dialect.platform() == platform)
}

/// The dialect `--platform NAME` means; `Err` says which names exist.
pub fn named(name: &str) -> Result<&'static dyn Dialect, String> {
    all()
        .iter()
        .copied()
        .find(|dialect| dialect.platform().as_str().eq_ignore_ascii_case(name))
        .ok_or_else(|| format!("unknown platform `{name}` (expected {})", names()))
}

/// The registered platforms that have every capability in `needs`: those a check applies to
/// (its `needs`) or a fault can be proven on (what it `breaks`).
pub fn having(needs: &[Capability]) -> Vec<Platform> {
    all()
        .iter()
        .filter(|dialect| has_all(dialect.expectations().capabilities, needs))
        .map(|dialect| dialect.platform())
        .collect()
}

/// The names of the registered platforms, for messages: `heroku, scalingo, bitrise`.
pub fn names() -> String {
    let names: Vec<&str> = platforms().map(Platform::as_str).collect();
    names.join(", ")
}

/// Which platform a parsed manifest belongs to, as far as its content tells.
#[derive(Debug)]
pub enum Detection {
    /// One dialect claims it more strongly than any other.
    One(&'static dyn Dialect),
    /// Several claim it equally: only `--platform` can decide.
    Ambiguous(Vec<&'static dyn Dialect>),
    /// No dialect claims it.
    Unknown,
}

/// Asks every dialect whether `document` is its manifest. The strongest [`Recognition`] wins;
/// a tie is doubt, never a guess in registry order.
pub fn detect(document: &serde_json::Value) -> Detection {
    detect_among(all(), document)
}

fn detect_among(
    dialects: &'static [&'static dyn Dialect],
    document: &serde_json::Value,
) -> Detection {
    let claims: Vec<(Recognition, &'static dyn Dialect)> = dialects
        .iter()
        .map(|dialect| (dialect.recognizes(document), *dialect))
        .collect();
    let strongest = claims
        .iter()
        .map(|(recognition, _)| *recognition)
        .max()
        .unwrap_or(Recognition::Foreign);
    if strongest == Recognition::Foreign {
        return Detection::Unknown;
    }
    let mut candidates: Vec<&'static dyn Dialect> = claims
        .into_iter()
        .filter(|(recognition, _)| *recognition == strongest)
        .map(|(_, dialect)| dialect)
        .collect();
    match candidates.len() {
        1 => Detection::One(candidates.remove(0)),
        _ => Detection::Ambiguous(candidates),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn platforms_are_named_once_and_well() {
        let mut seen = Vec::new();
        for dialect in all() {
            let platform = dialect.platform();
            assert_eq!(platform.as_str().parse::<Platform>(), Ok(platform));
            assert!(!seen.contains(&platform), "{platform} registered twice");
            seen.push(platform);
            assert_eq!(find(platform).map(|d| d.platform()), Some(platform));
            assert_eq!(named(platform.as_str()).map(|d| d.platform()), Ok(platform));
        }
        let files: Vec<_> = all().iter().map(|d| d.default_manifest_file()).collect();
        for file in &files {
            assert_eq!(files.iter().filter(|f| *f == file).count(), 1, "{file}");
        }
        assert!(named("nowhere").unwrap_err().contains(&names()));
    }

    /// Capabilities that the expectations also describe say the same thing, so a check never
    /// applies to a platform whose rules cannot decide it.
    #[test]
    fn declared_capabilities_agree_with_the_expectations() {
        use manifest_core::Capability::*;
        for dialect in all() {
            let expectations = dialect.expectations();
            let has = |capability| expectations.capabilities.contains(&capability);
            let platform = dialect.platform();
            for (capability, described) in [
                (AsyncProvisioning, expectations.provision_async.is_some()),
                (IdLimits, expectations.id_max_len.is_some()),
                (EmptyDeprovision, expectations.deprovision_empty_body),
                (SeveralTokenKinds, expectations.sso_token_kinds.len() > 1),
                (
                    EveryTokenKindAlone,
                    expectations.sso_every_token_kind_required
                        && expectations.sso_token_kinds.len() > 1,
                ),
                (
                    TokensTogether,
                    !expectations.sso_every_token_kind_required
                        && expectations.sso_token_kinds.len() > 1,
                ),
                (SsoPageMarkers, !expectations.sso_page_markers.is_empty()),
                (LegacySsoPage, expectations.legacy_sso_page.is_some()),
                (
                    ReplayStatus,
                    expectations.provision_replay_ok != expectations.provision_ok,
                ),
                (
                    RepeatDeprovisionSucceeds,
                    !expectations.deprovision_repeat_ok.contains(&404),
                ),
            ] {
                assert_eq!(
                    has(capability),
                    described,
                    "{platform}: {} is {} but the expectations say otherwise",
                    capability.name(),
                    if has(capability) {
                        "declared"
                    } else {
                        "not declared"
                    }
                );
            }
            assert!(!expectations.sso_transports.is_empty(), "{platform}");
            for level in expectations.levels {
                let check = manifest_core::catalog::lookup(level.check).unwrap_or_else(|| {
                    panic!("{platform} sets the level of unknown {}", level.check)
                });
                assert!(
                    check.applies_to(expectations.capabilities) && check.level != level.level,
                    "{platform} sets the level of {}, which does not apply to it or has that level",
                    level.check
                );
                assert!(
                    !level.note.is_empty(),
                    "{platform}: {} needs a note",
                    level.check
                );
            }
        }
    }

    #[test]
    fn each_platform_recognizes_its_own_shape() {
        let heroku = json!({"id": "x", "api": {"regions": ["us"]}});
        let scalingo = json!({"name": "x", "plans": []});
        let bitrise = json!({"addon-url": "http://x"});
        for (document, platform) in [
            (heroku, heroku_adapter::PLATFORM),
            (scalingo, scalingo_adapter::PLATFORM),
            (bitrise, bitrise_adapter::PLATFORM),
        ] {
            match detect(&document) {
                Detection::One(dialect) => assert_eq!(dialect.platform(), platform),
                other => panic!("{document}: {other:?}"),
            }
        }
        assert!(matches!(detect(&json!({"x": 1})), Detection::Unknown));
    }

    /// A platform's documented example manifest (its adapter's `fixtures/platform-examples/`) is
    /// read as that platform, or refused as ambiguous with it among the candidates: never
    /// silently as another platform.
    #[test]
    fn documented_examples_are_never_taken_for_another_platform() {
        for provider in providers() {
            let platform = provider.dialect.platform();
            let examples = std::path::Path::new(provider.fixtures).join("platform-examples");
            let Ok(examples) = std::fs::read_dir(examples) else {
                continue;
            };
            for example in examples {
                let path = example.unwrap().path();
                let document: serde_json::Value =
                    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
                let candidates = match detect(&document) {
                    Detection::One(dialect) => vec![dialect.platform()],
                    Detection::Ambiguous(dialects) => {
                        dialects.iter().map(|dialect| dialect.platform()).collect()
                    }
                    Detection::Unknown => Vec::new(),
                };
                assert!(
                    candidates.contains(&platform),
                    "{} is detected as {candidates:?}, not {platform}",
                    path.display()
                );
            }
        }
    }

    #[test]
    fn equal_claims_are_doubt_and_the_stronger_claim_wins() {
        static TWICE: &[&dyn Dialect] = &[&heroku_adapter::Heroku, &heroku_adapter::Heroku];
        let shaped = json!({"id": "x", "api": {}});
        assert!(matches!(
            detect_among(TWICE, &shaped),
            Detection::Ambiguous(candidates) if candidates.len() == 2
        ));
        static WITH_SCALINGO: &[&dyn Dialect] =
            &[&scalingo_adapter::Scalingo, &bitrise_adapter::Bitrise];
        let both = json!({"username": "x", "addon-url": "http://x"});
        match detect_among(WITH_SCALINGO, &both) {
            Detection::One(dialect) => assert_eq!(dialect.platform(), bitrise_adapter::PLATFORM),
            other => panic!("{other:?}"),
        }
    }
}
