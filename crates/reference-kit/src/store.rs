//! The add-on's resources, in memory. Platform-neutral: each platform's router decides what the
//! idempotency key is (Heroku's `uuid`, Scalingo's `uuid`, Bitrise's `app_slug`).

use std::collections::{HashMap, HashSet};
use std::io;

use crate::random::{random_hex, random_u32};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    pub id: String,
    /// The platform's key for this resource: a replay carrying it gets this resource back.
    pub key: String,
    pub plan: String,
    /// The per-resource secret handed to the app in its config.
    pub token: String,
}

/// What is known about an id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Live(Resource),
    /// Issued once, deprovisioned since.
    Gone,
    /// Never issued.
    Unknown,
}

#[derive(Debug, Default)]
pub struct Store {
    live: HashMap<String, Resource>,
    /// Several keys may name one id when the add-on is made to share resources.
    id_by_key: HashMap<String, String>,
    /// Every id ever handed out, so that none is reused and a deprovisioned one is known as gone.
    issued: HashSet<String>,
    /// The resource every provision hands out while the add-on is made to share one.
    pub shared: Option<String>,
    /// Every resource in the order it was inserted, and each id's place there, for the add-on
    /// made to accept a login with the tokens of a resource provisioned before.
    inserted: Vec<Resource>,
    position: HashMap<String, usize>,
}

/// Random bytes in an ordinary id (twice as many hex characters).
const ID_BYTES: usize = 8;

impl Store {
    pub fn fresh_id(&self) -> io::Result<String> {
        self.fresh_id_of(ID_BYTES)
    }

    /// An id never issued before, of `bytes` random bytes in hex.
    pub fn fresh_id_of(&self, bytes: usize) -> io::Result<String> {
        loop {
            let id = random_hex(bytes)?;
            if !self.issued.contains(&id) {
                return Ok(id);
            }
        }
    }

    /// An id never issued before, of decimal digits only (what a provider numbering its
    /// resources hands out).
    pub fn fresh_numeric_id(&self) -> io::Result<String> {
        loop {
            let id = random_u32()?.to_string();
            if !self.issued.contains(&id) {
                return Ok(id);
            }
        }
    }

    pub fn by_key(&self, key: &str) -> Option<&Resource> {
        self.live.get(self.id_by_key.get(key)?)
    }

    pub fn live(&self, id: &str) -> Option<&Resource> {
        self.live.get(id)
    }

    pub fn live_mut(&mut self, id: &str) -> Option<&mut Resource> {
        self.live.get_mut(id)
    }

    pub fn by_key_mut(&mut self, key: &str) -> Option<&mut Resource> {
        self.live.get_mut(self.id_by_key.get(key)?)
    }

    /// The resources inserted before `id`, live or not. Which they are depends only on what
    /// was provisioned before `id` was, never on requests that came in since.
    pub fn earlier(&self, id: &str) -> &[Resource] {
        let end = self.position.get(id).copied().unwrap_or(0);
        &self.inserted[..end]
    }

    pub fn lookup(&self, id: &str) -> Lookup {
        match self.live.get(id) {
            Some(resource) => Lookup::Live(resource.clone()),
            None if self.issued.contains(id) => Lookup::Gone,
            None => Lookup::Unknown,
        }
    }

    /// Records a resource; its key now names it, whatever the key named before.
    pub fn insert(&mut self, resource: Resource) {
        self.position
            .entry(resource.id.clone())
            .or_insert(self.inserted.len());
        self.inserted.push(resource.clone());
        self.issued.insert(resource.id.clone());
        self.id_by_key
            .insert(resource.key.clone(), resource.id.clone());
        self.live.insert(resource.id.clone(), resource);
    }

    /// Makes `key` name the live resource `id` too.
    pub fn alias(&mut self, key: &str, id: &str) {
        self.id_by_key.insert(key.to_owned(), id.to_owned());
    }

    pub fn remove(&mut self, id: &str) -> Option<Resource> {
        let removed = self.live.remove(id)?;
        self.id_by_key.retain(|_, named| named != id);
        Some(removed)
    }

    pub fn resources(&self) -> impl Iterator<Item = &Resource> {
        self.live.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource(store: &Store, key: &str) -> Resource {
        Resource {
            id: store.fresh_id().unwrap(),
            key: key.into(),
            plan: "test".into(),
            token: "t".into(),
        }
    }

    #[test]
    fn removed_ids_are_gone_and_free_their_keys() {
        let mut store = Store::default();
        let first = resource(&store, "k1");
        store.insert(first.clone());
        store.alias("k2", &first.id);
        assert_eq!(store.by_key("k2"), Some(&first));
        assert_eq!(store.lookup(&first.id), Lookup::Live(first.clone()));
        assert_eq!(store.remove(&first.id), Some(first.clone()));
        assert_eq!(store.lookup(&first.id), Lookup::Gone);
        assert_eq!(store.by_key("k1"), None);
        assert_eq!(store.by_key("k2"), None);
        assert_eq!(store.remove(&first.id), None);
        assert_eq!(store.lookup("never-issued"), Lookup::Unknown);
    }
}
