//! Starting and stopping the engine: open the store, record `policy.loaded`, load the index,
//! and run the background jobs (expiry, replication, notifications, monitoring, retention,
//! checkpoints) until told to stop. Front doors start on the [`App`] it holds.

use std::path::PathBuf;
use std::sync::Arc;

use crate::error::{Context, EngineResult as Result};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use wicket_core::Config;
use wicket_core::audit::EventBuilder;

use crate::app::{App, now};
use crate::ids::new_id;
use crate::open::open_store;
use crate::{checkpoint, jobs, replicate};
use wicket_core::audit::EventKind;

/// The engine running in this process.
pub struct Engine {
    pub app: App,
    stop: watch::Sender<bool>,
    jobs: JoinHandle<()>,
    replicate: JoinHandle<()>,
    /// The webhook dispatcher and its sink workers.
    notify: JoinHandle<()>,
    /// The audit retention job (`[audit] retain`).
    retention: JoinHandle<()>,
    /// The provisioning reconcilers, one per target.
    provision: Vec<JoinHandle<()>>,
    /// The checkpoint signer, stopped last so that it signs the final head.
    checkpoints: Option<(watch::Sender<bool>, JoinHandle<()>)>,
}

impl Engine {
    /// Opens the store of `database` (else the configuration's), records `policy.loaded`,
    /// loads live grants into the index and starts the background jobs.
    pub async fn start(config: Config, database: Option<&str>) -> Result<Engine> {
        let nofile = crate::limits::raise_nofile();
        tracing::debug!(nofile, "open-file limit");
        let config = Arc::new(config);
        // A checkpoint key that cannot be read stops the start before anything is written.
        let signer = config
            .checkpoints
            .as_ref()
            .map(|c| -> Result<checkpoint::Signer> {
                Ok(checkpoint::Signer {
                    dir: PathBuf::from(&c.dir),
                    key: checkpoint::load_signing_key(std::path::Path::new(&c.key_file))
                        .context("reading the checkpoint key")?,
                    every_events: c.every_events,
                    every: std::time::Duration::from_secs(c.every.as_secs().unsigned_abs()),
                })
            })
            .transpose()?;
        // A client secret that cannot be read stops the start too.
        let oidc = config
            .oidc
            .as_ref()
            .map(crate::oidc::Oidc::new)
            .transpose()?;
        let store = open_store(&config, database).await?;
        // Listening starts before the index is loaded, so no other server's write falls between.
        let feed = store
            .watch()
            .await
            .context("listening for other servers' changes")?;
        let at = now();
        let event = EventBuilder::new(new_id("ev"), at, "wicket", EventKind::PolicyLoaded)
            .detail("file", config.file.clone())
            .detail("hash", config.hash.clone())
            .detail("roles", config.roles.len())
            .detail("policies", config.policies.len())
            .build();
        store
            .append_events(vec![event])
            .await
            .context("recording policy.loaded")?;
        crate::reviews::lift_dropped(&*store, &config)
            .await
            .context("lifting suspensions of bindings the configuration dropped")?;
        let index = replicate::load_index(&*store, config.clone(), at)
            .await
            .context("loading grants")?;
        let app = App::new(config, store, index, oidc);
        crate::identity::refresh(&app)
            .await
            .context("reading the user directory")?;
        // A provisioning secret that cannot be read stops the start.
        app.provision.open(&app.config)?;
        let (stop, stopped) = watch::channel(false);
        // A webhook secret that cannot be read stops the start.
        let notify = crate::notify::start(app.clone(), stopped.clone()).await?;
        let retention = tokio::spawn(crate::retention::run(
            app.clone(),
            crate::retention::archive_dir(&app, &crate::open::database_url(&app.config, database)),
            stopped.clone(),
        ));
        let checkpoints = signer.map(|signer| {
            let (stop, stopped) = watch::channel(false);
            let task = tokio::spawn(checkpoint::run(app.clone(), signer, stopped));
            (stop, task)
        });
        // Stops on its own when `stop` turns true; holds no state that needs a flush.
        tokio::spawn(crate::monitor::run(app.clone(), stopped.clone()));
        // Stops on its own too; Slack messages kept current with their requests' outcomes.
        crate::slack::outcome::start(&app, stopped.clone()).await;
        // Stops on its own too; clears the store's down mark once it answers again.
        tokio::spawn(crate::health::watch(app.clone(), stopped.clone()));
        let jobs = tokio::spawn(jobs::run(app.clone(), stopped.clone()));
        let provision = crate::provision::start(&app, stopped.clone());
        let replicate = tokio::spawn(replicate::run(app.clone(), feed, stopped));
        Ok(Engine {
            app,
            stop,
            jobs,
            replicate,
            notify,
            retention,
            provision,
            checkpoints,
        })
    }

    /// Stops the background jobs, the checkpoint signer last.
    pub async fn shutdown(self) -> Result<()> {
        let _ = self.stop.send(true);
        self.jobs.await.context("joining the background jobs")?;
        self.replicate
            .await
            .context("joining the replica updates")?;
        self.notify.await.context("joining the notifications")?;
        self.retention
            .await
            .context("joining the audit retention")?;
        for task in self.provision {
            task.await.context("joining the provisioning reconcilers")?;
        }
        if let Some((stop, task)) = self.checkpoints {
            let _ = stop.send(true);
            task.await.context("joining the audit checkpoints")?;
        }
        Ok(())
    }
}
