//! What the run has created on the provider, so that all of it can be removed at the end, also
//! after an interrupt. A provision is recorded as pending before it is sent: if the run is
//! interrupted before its answer is read, cleanup replays it (provisioning is idempotent by
//! design) to learn the id, then deprovisions that.

use std::sync::{Arc, Mutex, MutexGuard};

use manifest_core::{ProvisionInput, Resource};

#[derive(Debug, Default)]
struct Entries {
    pending: Vec<ProvisionInput>,
    live: Vec<Resource>,
}

/// Shared between the scenarios and the cleanup that outlives them.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    entries: Arc<Mutex<Entries>>,
}

/// What recording a resource found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// A resource not seen before, or the same request's resource again.
    Fresh,
    /// The id already belongs to a resource created by a different request.
    Collision { existing_uuid: String },
}

impl Ledger {
    fn lock(&self) -> MutexGuard<'_, Entries> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A provision with the real credentials is about to be sent.
    pub fn intend(&self, input: &ProvisionInput) {
        let mut entries = self.lock();
        if !entries.pending.iter().any(|p| p.uuid == input.uuid) {
            entries.pending.push(input.clone());
        }
    }

    /// The answer to a provision was read: it is live (recorded) or was never created.
    pub fn settle(&self, uuid: &str) {
        self.lock().pending.retain(|p| p.uuid != uuid);
    }

    pub fn record(&self, resource: Resource) -> Recorded {
        let mut entries = self.lock();
        if let Some(existing) = entries.live.iter().find(|r| r.id == resource.id) {
            if existing.input.uuid != resource.input.uuid {
                return Recorded::Collision {
                    existing_uuid: existing.input.uuid.clone(),
                };
            }
            return Recorded::Fresh;
        }
        entries.live.push(resource);
        Recorded::Fresh
    }

    pub fn remove(&self, id: &str) {
        self.lock().live.retain(|r| r.id != id);
    }

    pub fn find(&self, id: &str) -> Option<Resource> {
        self.lock().live.iter().find(|r| r.id == id).cloned()
    }

    /// Everything left: provisions whose answer was never read, and live resources.
    pub fn drain(&self) -> (Vec<ProvisionInput>, Vec<Resource>) {
        let mut entries = self.lock();
        (
            std::mem::take(&mut entries.pending),
            std::mem::take(&mut entries.live),
        )
    }
}
