//! Provisioning into PostgreSQL: grants become real login roles in the target database,
//! bounded by `VALID UNTIL`, taken back at expiry or revocation (sessions ended), with
//! short-lived credentials and drift repaired by a reconciler. Decisions never wait on it: a
//! grant's end is compared with the clock at every check; this only records the outcome in
//! the database, and `VALID UNTIL` keeps the login closed even while wicket is down.

pub mod apply;
pub mod creds;
pub mod inspect;
pub mod mapping;
pub mod privilege;
pub mod reconciler;
pub mod report;
pub mod target;

use std::sync::{Arc, OnceLock};

use tokio::sync::watch;
use tokio::task::JoinHandle;
use wicket_core::Config;

use crate::app::App;
use crate::error::EngineResult;

pub use creds::{Credentials, issue};
pub use target::Target;

/// The targets of this server; set once when the engine starts.
#[derive(Clone, Default)]
pub struct Provisioning {
    targets: Arc<OnceLock<Vec<Arc<Target>>>>,
}

impl Provisioning {
    /// Reads every target's admin secret; a secret that cannot be read stops the start.
    pub fn open(&self, config: &Config) -> EngineResult<()> {
        let targets = config
            .provision
            .postgres
            .iter()
            .map(|t| Target::open(t.clone()).map(Arc::new))
            .collect::<EngineResult<Vec<_>>>()?;
        let _ = self.targets.set(targets);
        Ok(())
    }

    pub fn targets(&self) -> &[Arc<Target>] {
        self.targets.get().map_or(&[], Vec::as_slice)
    }

    pub fn target(&self, name: &str) -> Option<Arc<Target>> {
        self.targets()
            .iter()
            .find(|t| t.config.name == name)
            .cloned()
    }
}

/// Starts one reconciler per target; they stop when `stop` turns true.
pub fn start(app: &App, stop: watch::Receiver<bool>) -> Vec<JoinHandle<()>> {
    app.provision
        .targets()
        .iter()
        .map(|t| tokio::spawn(reconciler::run(app.clone(), t.clone(), stop.clone())))
        .collect()
}
