//! What a manifest says, whatever platform wrote it. Dialects fill this model from their own
//! formats; the engine only ever reads this model.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use url::Url;

use crate::secret::Secret;
use crate::spanned::JsonDocument;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    Heroku,
    Scalingo,
    Bitrise,
}

impl Platform {
    pub const ALL: [Platform; 3] = [Platform::Heroku, Platform::Scalingo, Platform::Bitrise];

    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Heroku => "heroku",
            Platform::Scalingo => "scalingo",
            Platform::Bitrise => "bitrise",
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Platform {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Platform::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown platform `{s}` (expected heroku, scalingo or bitrise)"))
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
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::Basic { username, .. } => write!(f, "Basic({username}:[REDACTED])"),
            Credentials::Header { name, .. } => write!(f, "Header({name}: [REDACTED])"),
        }
    }
}

/// A wrong set of credentials that a correct provider must refuse, with what makes it wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forgery {
    pub label: &'static str,
    /// `None`: no credentials at all.
    pub credentials: Option<Credentials>,
}

impl Credentials {
    /// Every near miss a provider must refuse: none at all, a wrong user, a wrong secret, and the
    /// right secret with a suffix (catches providers that compare only a prefix).
    pub fn forgeries(&self) -> Vec<Forgery> {
        let mut forgeries = vec![Forgery {
            label: "no credentials",
            credentials: None,
        }];
        match self {
            Credentials::Basic { username, password } => {
                forgeries.push(Forgery {
                    label: "wrong username",
                    credentials: Some(Credentials::Basic {
                        username: format!("{username}-not-the-user"),
                        password: password.clone(),
                    }),
                });
                forgeries.push(Forgery {
                    label: "wrong password",
                    credentials: Some(Credentials::Basic {
                        username: username.clone(),
                        password: Secret::new("conform-wrong-password"),
                    }),
                });
                forgeries.push(Forgery {
                    label: "right password with a suffix",
                    credentials: Some(Credentials::Basic {
                        username: username.clone(),
                        password: Secret::new(format!("{}x", password.expose())),
                    }),
                });
            }
            Credentials::Header { name, token } => {
                forgeries.push(Forgery {
                    label: "wrong token",
                    credentials: Some(Credentials::Header {
                        name: name.clone(),
                        token: Secret::new("conform-wrong-token"),
                    }),
                });
                forgeries.push(Forgery {
                    label: "right token with a suffix",
                    credentials: Some(Credentials::Header {
                        name: name.clone(),
                        token: Secret::new(format!("{}x", token.expose())),
                    }),
                });
            }
        }
        forgeries
    }

    /// The secret part, for redaction.
    pub fn secret(&self) -> &Secret {
        match self {
            Credentials::Basic { password, .. } => password,
            Credentials::Header { token, .. } => token,
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
                "no credentials",
                "wrong username",
                "wrong password",
                "right password with a suffix"
            ]
        );
        assert!(
            basic
                .forgeries()
                .iter()
                .all(|f| f.credentials.as_ref() != Some(&basic))
        );
        let header = Credentials::Header {
            name: "Authentication".into(),
            token: Secret::new("t"),
        };
        assert_eq!(header.forgeries().len(), 3);
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
    fn platform_round_trips() {
        for platform in Platform::ALL {
            assert_eq!(platform.as_str().parse::<Platform>().unwrap(), platform);
        }
        assert!("clever".parse::<Platform>().is_err());
    }
}
