//! What a manifest says, whatever platform wrote it. Dialects fill this model from their own
//! formats; the engine only ever reads this model.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;
use std::sync::{Mutex, PoisonError};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::secret::Secret;
use crate::spanned::JsonDocument;

/// A platform's identity: its name as reports, ledgers and `--platform` spell it (`heroku`).
/// Each dialect declares its own ([`crate::Dialect::platform`]); which platforms exist is
/// whatever the registry of dialects holds, so nothing here lists them.
/// Ordered by name; lists of platforms are in registry order, not this one.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Platform(&'static str);

impl Platform {
    /// The identity named `name`: lowercase letters, digits and dashes, as in `--platform`.
    pub const fn new(name: &'static str) -> Self {
        Self(name)
    }

    pub fn as_str(self) -> &'static str {
        self.0
    }
}

impl fmt::Debug for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// Reads a name from a file (a ledger row, a saved sequence). Any well-formed name is an
/// identity; whether a dialect answers to it is the registry's question.
impl FromStr for Platform {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        let well_formed = !name.is_empty()
            && name.len() <= 40
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !well_formed {
            return Err(format!(
                "`{name}` is not a platform name (lowercase letters, digits and dashes)"
            ));
        }
        Ok(Self(intern(name)))
    }
}

/// The `'static` copy of a platform name read at run time, so identities stay `Copy`. Each
/// distinct name is kept once for the life of the process; files name a handful.
fn intern(name: &str) -> &'static str {
    static NAMES: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());
    let mut names = NAMES.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(known) = names.get(name) {
        return known;
    }
    let kept: &'static str = Box::leak(name.to_owned().into_boxed_str());
    names.insert(kept);
    kept
}

impl Serialize for Platform {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0)
    }
}

impl<'de> Deserialize<'de> for Platform {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

/// Which of the manifest's two sets of URLs a run targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    #[default]
    Test,
    Production,
}

impl Environment {
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Test => "test",
            Environment::Production => "production",
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the platform hands a user to the provider's dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SsoTransport {
    /// A browser `GET` with the login in the query string.
    Get,
    /// A browser form `POST`.
    Post,
}

/// Where one environment of the provider lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// The provisioning API root, e.g. `https://db.example/heroku/resources`.
    pub base_url: Url,
    /// Where single sign-on logins are sent; `None` when the platform derives it per resource.
    pub sso_url: Option<Url>,
    pub sso_transport: SsoTransport,
}

/// How the platform authenticates itself to the provider on provisioning calls.
#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    /// HTTP Basic (`Authorization: Basic base64(username:password)`).
    Basic { username: String, password: Secret },
    /// A shared token in a header of the platform's choosing (Bitrise: `Authentication`).
    Header { name: String, token: Secret },
    /// A credential probe: `value` is sent as is in `header`, and evidence prints `shown`
    /// instead, which is the value itself unless it is derived from the real secret.
    Forged {
        header: String,
        value: Secret,
        shown: String,
    },
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::Basic { username, .. } => write!(f, "Basic({username}:[REDACTED])"),
            Credentials::Header { name, .. } => write!(f, "Header({name}: [REDACTED])"),
            Credentials::Forged { header, shown, .. } => write!(f, "Forged({header}: {shown})"),
        }
    }
}

/// A wrong set of credentials that a correct provider must refuse, with what makes it wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forgery {
    /// What was sent, as the subject of a sentence ("a truncated password").
    pub label: &'static str,
    /// `None`: no credentials at all.
    pub credentials: Option<Credentials>,
}

const WRONG_PASSWORD: &str = "a wrong password";
const WRONG_TOKEN: &str = "a wrong token";

/// How a probe value derived from the real secret is printed. Replacing the secret textually
/// would miss these (a truncated or case-changed secret is not the secret), and printing them
/// would give away all but a character of it, so only what was done and the length are shown.
fn masked(what: &str, value: &str) -> String {
    format!("[{what}, {} characters]", value.chars().count())
}

/// The secret with the case of every letter swapped; `None` when it has no letter to swap.
fn case_changed(secret: &str) -> Option<String> {
    let changed: String = secret
        .chars()
        .map(|c| {
            if c.is_lowercase() {
                c.to_uppercase().collect::<String>()
            } else {
                c.to_lowercase().collect::<String>()
            }
        })
        .collect();
    (changed != secret).then_some(changed)
}

/// The secret without its last character; `None` when that would leave nothing (the empty
/// secret is a probe of its own).
fn truncated(secret: &str) -> Option<String> {
    let mut chars = secret.chars();
    chars.next_back();
    let rest = chars.as_str();
    (!rest.is_empty()).then(|| rest.to_string())
}

impl Credentials {
    /// Every near miss a provider must refuse, derived from where the credentials go: none at
    /// all, then for a Basic user and password a wrong, empty or malformed user or password
    /// (appended to, truncated, case-changed, an extra `:` field, no colon at all), and for a
    /// token the same near misses of the token alone.
    pub fn forgeries(&self) -> Vec<Forgery> {
        let mut forgeries = vec![Forgery {
            label: "a request without credentials",
            credentials: None,
        }];
        match self {
            Credentials::Basic { username, password } => {
                let password = password.expose();
                let basic = |label: &'static str, decoded: String, shown: String| Forgery {
                    label,
                    credentials: Some(Credentials::Forged {
                        header: "Authorization".into(),
                        value: Secret::new(format!("Basic {}", STANDARD.encode(&decoded))),
                        shown: if decoded.contains(password) || shown != decoded {
                            format!("Basic base64({shown})")
                        } else {
                            format!("Basic {}", STANDARD.encode(&decoded))
                        },
                    }),
                };
                let hidden = "[the password]";
                forgeries.push(basic(
                    "a wrong user",
                    format!("{username}-not-the-user:{password}"),
                    format!("{username}-not-the-user:{hidden}"),
                ));
                forgeries.push(basic(
                    "an empty user",
                    format!(":{password}"),
                    format!(":{hidden}"),
                ));
                let wrong = format!("{username}:conform-wrong-password");
                forgeries.push(basic(WRONG_PASSWORD, wrong.clone(), wrong));
                if !password.is_empty() {
                    let empty = format!("{username}:");
                    forgeries.push(basic("an empty password", empty.clone(), empty));
                }
                forgeries.push(basic(
                    "the password with a character appended",
                    format!("{username}:{password}x"),
                    format!("{username}:{hidden}x"),
                ));
                forgeries.push(basic(
                    "the password with an extra `:` field",
                    format!("{username}:{password}:extra"),
                    format!("{username}:{hidden}:extra"),
                ));
                forgeries.push(basic(
                    "a Basic value without a colon (the password alone)",
                    password.to_string(),
                    hidden.to_string(),
                ));
                if let Some(changed) = case_changed(password) {
                    let shown = format!(
                        "{username}:{}",
                        masked("the password with its case changed", &changed)
                    );
                    forgeries.push(basic(
                        "the password with its case changed",
                        format!("{username}:{changed}"),
                        shown,
                    ));
                }
                if let Some(cut) = truncated(password) {
                    let shown = format!("{username}:{}", masked("the password truncated", &cut));
                    forgeries.push(basic(
                        "a truncated password",
                        format!("{username}:{cut}"),
                        shown,
                    ));
                }
            }
            Credentials::Header { name, token } => {
                let token = token.expose();
                let header = |label: &'static str, value: String, shown: String| Forgery {
                    label,
                    credentials: Some(Credentials::Forged {
                        header: name.clone(),
                        value: Secret::new(value),
                        shown,
                    }),
                };
                let wrong = "conform-wrong-token".to_string();
                forgeries.push(header(WRONG_TOKEN, wrong.clone(), wrong));
                if !token.is_empty() {
                    forgeries.push(header("an empty token", String::new(), String::new()));
                }
                forgeries.push(header(
                    "the token with extra characters",
                    format!("{token}x"),
                    "[the token]x".into(),
                ));
                if let Some(changed) = case_changed(token) {
                    let shown = masked("the token with its case changed", &changed);
                    forgeries.push(header("the token with its case changed", changed, shown));
                }
                if let Some(cut) = truncated(token) {
                    let shown = masked("the token truncated", &cut);
                    forgeries.push(header("a truncated token", cut, shown));
                }
            }
            // A probe is never the source of further probes.
            Credentials::Forged { .. } => {}
        }
        forgeries
    }

    /// The plainest of [`Credentials::forgeries`]: the right user with a wrong password, or a
    /// wrong token; `None` for a probe.
    pub fn wrong_secret(&self) -> Option<Forgery> {
        self.forgeries()
            .into_iter()
            .find(|forgery| matches!(forgery.label, WRONG_PASSWORD | WRONG_TOKEN))
    }

    /// The secret part, for redaction (of a probe: the value sent).
    pub fn secret(&self) -> &Secret {
        match self {
            Credentials::Basic { password, .. } => password,
            Credentials::Header { token, .. } => token,
            Credentials::Forged { value, .. } => value,
        }
    }
}

/// A plan a provider offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub name: String,
    /// Options the platform sends with this plan (Scalingo's `plans[].options`).
    pub options: serde_json::Map<String, serde_json::Value>,
}

/// What a manifest says, in the platform-neutral shape the engine reads.
///
/// Values the rules found broken are still filled as well as they can be (an empty string, an
/// empty list): whether the run may go on is the rules' decision, reported as findings.
#[derive(Debug, Clone)]
pub struct Manifest {
    pub platform: Platform,
    /// The parsed file, kept so rules can point at any value in it.
    pub document: JsonDocument,
    /// The add-on's slug (Heroku `id`, Scalingo `name`).
    pub id: String,
    pub credentials: Credentials,
    /// Shared secret for single sign-on tokens.
    pub sso_salt: Option<Secret>,
    pub test: Option<Endpoints>,
    pub production: Option<Endpoints>,
    /// The config var names the provider declares it returns.
    pub config_vars: Vec<String>,
    /// The prefix every config var must carry, with its trailing `_`.
    pub config_prefix: Option<String>,
    pub plans: Vec<Plan>,
    pub regions: Vec<String>,
    /// Platform features the add-on asks for (Heroku `requires`, e.g. `syslog_drain`).
    pub requires: Vec<String>,
    /// The provider promises a log drain URL on provision (Scalingo `log_drain`, Heroku
    /// `requires: ["syslog_drain"]`).
    pub log_drain: bool,
}

impl Manifest {
    pub fn endpoints(&self, environment: Environment) -> Option<&Endpoints> {
        match environment {
            Environment::Test => self.test.as_ref(),
            Environment::Production => self.production.as_ref(),
        }
    }

    /// Every secret the manifest holds, for redaction.
    pub fn secrets(&self) -> Vec<&Secret> {
        let mut secrets = vec![self.credentials.secret()];
        secrets.extend(self.sso_salt.iter());
        secrets
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forgeries_cover_every_near_miss() {
        let basic = Credentials::Basic {
            username: "myaddon".into(),
            password: Secret::new("s3cret"),
        };
        let labels: Vec<_> = basic.forgeries().iter().map(|f| f.label).collect();
        assert_eq!(
            labels,
            [
                "a request without credentials",
                "a wrong user",
                "an empty user",
                "a wrong password",
                "an empty password",
                "the password with a character appended",
                "the password with an extra `:` field",
                "a Basic value without a colon (the password alone)",
                "the password with its case changed",
                "a truncated password",
            ]
        );
        let header = Credentials::Header {
            name: "Authentication".into(),
            token: Secret::new("t0ken"),
        };
        assert_eq!(header.forgeries().len(), 6);
    }

    #[test]
    fn probes_show_forged_values_but_never_the_secret() {
        let basic = Credentials::Basic {
            username: "myaddon".into(),
            password: Secret::new("s3cret"),
        };
        let shown: Vec<String> = basic
            .forgeries()
            .into_iter()
            .filter_map(|f| match f.credentials {
                Some(Credentials::Forged { shown, .. }) => Some(shown),
                _ => None,
            })
            .collect();
        let sent_as_is = format!("Basic {}", STANDARD.encode("myaddon:"));
        assert!(shown.contains(&sent_as_is), "{shown:?}");
        for shown in &shown {
            for leak in ["s3cret", "S3CRET", "s3cre"] {
                assert!(!shown.contains(leak), "{shown}");
                assert!(!shown.contains(&STANDARD.encode(format!("myaddon:{leak}"))));
            }
        }
        assert!(
            shown.contains(
                &"Basic base64(myaddon:[the password truncated, 5 characters])".to_string()
            )
        );
    }

    #[test]
    fn probes_that_would_equal_the_secret_are_left_out() {
        let header = Credentials::Header {
            name: "Authentication".into(),
            token: Secret::new("12"),
        };
        let labels: Vec<_> = header.forgeries().iter().map(|f| f.label).collect();
        assert!(!labels.contains(&"the token with its case changed"));
        assert!(header.forgeries().iter().all(|f| match &f.credentials {
            Some(Credentials::Forged { value, .. }) => value.expose() != "12",
            _ => true,
        }));
    }

    #[test]
    fn debug_hides_secrets() {
        let basic = Credentials::Basic {
            username: "myaddon".into(),
            password: Secret::new("s3cret"),
        };
        assert!(!format!("{basic:?}").contains("s3cret"));
    }

    #[test]
    fn platform_names_round_trip() {
        let heroku = Platform::new("heroku");
        assert_eq!("heroku".parse::<Platform>().unwrap(), heroku);
        assert_eq!(heroku.to_string(), "heroku");
        assert_eq!(serde_json::to_value(heroku).unwrap(), "heroku");
        let read: Platform = serde_json::from_value(serde_json::json!("clevercloud")).unwrap();
        assert_eq!(read, Platform::new("clevercloud"));
        for malformed in ["", "Heroku", "he roku", "héroku"] {
            assert!(malformed.parse::<Platform>().is_err(), "{malformed:?}");
        }
    }
}
