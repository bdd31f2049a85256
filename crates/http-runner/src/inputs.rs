//! Generated provision inputs. Every value comes from one seeded proptest runner, so a seed
//! printed in a report replays the same names, uuids and options.

use std::collections::BTreeMap;

use manifest_core::{ProvisionInput, Secret};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::string::{RegexGeneratorStrategy, string_regex};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// Characters app names are drawn from: ASCII, accents, CJK, RTL and an emoji, because platforms
/// pass human app names through unchanged.
const NAME_CHARS: &[char] = &[
    'a', 'b', 'c', 'd', 'e', 'k', 'm', 'o', 'r', 's', 't', 'z', '0', '7', '-', ' ', 'é', 'ü', 'ß',
    'ø', '日', '本', 'д', 'ש', '🚀',
];

/// A proptest runner whose every draw follows from `seed`. `stream` keeps the draws of separate
/// users of one seed apart, so that adding draws to one does not change what the other draws.
pub fn seeded_runner(seed: u64, stream: u8) -> TestRunner {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    bytes[8] = stream;
    TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &bytes),
    )
}

/// The stream of provision inputs.
const INPUT_STREAM: u8 = 0;

/// The text patterns inputs are drawn from, compiled once: compiling is most of what a draw
/// from a pattern costs.
struct Patterns {
    resource_name: RegexGeneratorStrategy<String>,
    option_key: RegexGeneratorStrategy<String>,
    option_value: RegexGeneratorStrategy<String>,
    api_token: RegexGeneratorStrategy<String>,
    log_drain_token: RegexGeneratorStrategy<String>,
    unknown_id: RegexGeneratorStrategy<String>,
    unknown_plan: RegexGeneratorStrategy<String>,
}

impl Patterns {
    fn compile() -> Self {
        let pattern = |regex: &str| {
            string_regex(regex)
                .unwrap_or_else(|error| panic!("`{regex}` is a valid pattern: {error}"))
        };
        Self {
            resource_name: pattern("[a-z]{3,10}-[a-z]{3,10}-[0-9]{2,5}"),
            option_key: pattern("conform_[a-z]{2,8}"),
            option_value: pattern("[ -~]{0,16}"),
            api_token: pattern("[a-zA-Z0-9]{32}"),
            log_drain_token: pattern("d\\.[0-9a-f]{8}-[0-9a-f]{4}"),
            unknown_id: pattern("conform-missing-[0-9a-f]{12}"),
            unknown_plan: pattern("conform-no-such-plan-[a-z]{6}"),
        }
    }
}

/// Draws inputs from a seed. A per-run nonce is mixed into the ids (uuid, app slug), so two runs
/// with the same seed at once never send the same ids; everything else, and the sequence of
/// draws, still follows from the seed alone.
pub struct InputGenerator {
    seed: u64,
    nonce: [u8; 16],
    /// Every uuid handed out, for the callback listener to accept reports about.
    issued: crate::callback::Issued,
    runner: TestRunner,
    patterns: std::sync::Arc<Patterns>,
    options: BTreeMap<String, String>,
    region: String,
}

impl std::fmt::Debug for InputGenerator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InputGenerator").finish_non_exhaustive()
    }
}

impl InputGenerator {
    /// `options` are the user's `--option KEY=VALUE` pairs, sent with every provision.
    pub fn new(seed: u64, options: BTreeMap<String, String>, region: String) -> Self {
        Self {
            seed,
            nonce: run_nonce(),
            issued: crate::callback::Issued::default(),
            runner: seeded_runner(seed, INPUT_STREAM),
            patterns: std::sync::Arc::new(Patterns::compile()),
            options,
            region,
        }
    }

    /// The same generator, registering every uuid it hands out in `issued`.
    pub fn issuing_into(mut self, issued: &crate::callback::Issued) -> Self {
        self.issued = issued.clone();
        self
    }

    /// The same generator with `nonce` mixed into its ids instead of a random one.
    #[cfg(test)]
    pub fn with_nonce(mut self, nonce: [u8; 16]) -> Self {
        self.nonce = nonce;
        self
    }

    /// A generator for one of the units of a run that may run side by side: the same run (its
    /// nonce, the uuids it issued) drawing from its own `stream` of the seed, so that what a
    /// unit draws does not depend on when the others draw.
    pub fn fork(&self, stream: u8) -> Self {
        Self {
            seed: self.seed,
            nonce: self.nonce,
            issued: self.issued.clone(),
            runner: seeded_runner(self.seed, stream),
            patterns: self.patterns.clone(),
            options: self.options.clone(),
            region: self.region.clone(),
        }
    }

    /// The seed every input is drawn from.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// A fresh resource request for `plan`.
    pub fn provision(&mut self, plan: &str) -> ProvisionInput {
        let runner = &mut self.runner;
        let patterns = &self.patterns;
        let nonce = self.nonce;
        let uuid = draw(
            runner,
            any::<[u8; 16]>().prop_map(move |bytes| uuid_v4(mix(bytes, nonce))),
        );
        let app_slug = draw(
            runner,
            any::<[u8; 8]>().prop_map(move |bytes| {
                let slug_nonce: [u8; 8] = std::array::from_fn(|at| nonce[at + 8]);
                hex::encode(mix(bytes, slug_nonce))
            }),
        );
        let app_name = draw(
            runner,
            proptest::collection::vec(proptest::sample::select(NAME_CHARS), 1..24)
                .prop_map(|chars| format!("app {}", chars.into_iter().collect::<String>())),
        );
        self.issued.insert(&uuid);
        let resource_name = draw(runner, &patterns.resource_name);
        let generated_options = draw(
            runner,
            proptest::collection::btree_map(&patterns.option_key, &patterns.option_value, 0..3),
        );
        let api_token = draw(runner, &patterns.api_token);
        let log_drain_token = draw(runner, &patterns.log_drain_token);
        let mut options = generated_options;
        options.extend(self.options.clone());
        ProvisionInput {
            uuid,
            app_slug,
            app_name,
            resource_name,
            plan: plan.to_string(),
            region: self.region.clone(),
            options,
            api_token: Secret::new(api_token),
            log_drain_token,
        }
    }

    /// A resource id no provider has issued.
    pub fn unknown_id(&mut self) -> String {
        draw(&mut self.runner, &self.patterns.unknown_id)
    }

    /// A plan name no provider offers.
    pub fn unknown_plan(&mut self) -> String {
        draw(&mut self.runner, &self.patterns.unknown_plan)
    }
}

/// Random bytes for this run; without a random source, the clock and the process id, which
/// still tell two runs apart.
fn run_nonce() -> [u8; 16] {
    let mut nonce = [0u8; 16];
    if getrandom::fill(&mut nonce).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_nanos());
        nonce = (nanos ^ (u128::from(std::process::id()) << 96)).to_le_bytes();
    }
    nonce
}

fn mix<const N: usize>(bytes: [u8; N], nonce: [u8; N]) -> [u8; N] {
    std::array::from_fn(|at| bytes[at] ^ nonce[at])
}

fn draw<S: Strategy>(runner: &mut TestRunner, strategy: S) -> S::Value {
    strategy
        .new_tree(runner)
        .map(|tree| tree.current())
        .unwrap_or_else(|reason| panic!("input strategies never reject: {reason}"))
}

pub fn uuid_v4(mut bytes: [u8; 16]) -> String {
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = hex::encode(bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_inputs() {
        let draw = |seed| {
            let mut generator =
                InputGenerator::new(seed, BTreeMap::new(), "us".into()).with_nonce([3; 16]);
            (
                generator.provision("test"),
                generator.provision("test"),
                generator.unknown_id(),
            )
        };
        assert_eq!(draw(7), draw(7));
        assert_ne!(draw(7).0.uuid, draw(8).0.uuid);
    }

    #[test]
    fn two_runs_with_the_same_seed_never_share_ids() {
        let mut first = InputGenerator::new(7, BTreeMap::new(), "us".into());
        let mut second = InputGenerator::new(7, BTreeMap::new(), "us".into());
        for _ in 0..20 {
            let (a, b) = (first.provision("test"), second.provision("test"));
            assert_ne!(a.uuid, b.uuid);
            assert_ne!(a.app_slug, b.app_slug);
            // The seed still decides the shape of every input.
            assert_eq!(
                (a.app_name, a.resource_name, a.options),
                (b.app_name, b.resource_name, b.options)
            );
            assert_eq!(&a.uuid[14..15], "4");
        }
    }

    #[test]
    fn inputs_are_well_formed() {
        let mut user = BTreeMap::new();
        user.insert("size".to_string(), "large".to_string());
        let mut generator = InputGenerator::new(1, user, "eu".into());
        for _ in 0..50 {
            let input = generator.provision("test");
            assert_eq!(input.uuid.len(), 36);
            assert_eq!(&input.uuid[14..15], "4");
            assert_eq!(input.app_slug.len(), 16);
            assert_eq!(input.options.get("size").map(String::as_str), Some("large"));
            assert_eq!(input.region, "eu");
            assert!(!input.app_name.is_empty());
        }
    }
}
