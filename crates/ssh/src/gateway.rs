//! Starting the SSH gateway on a running engine: one listener per `[[gateway.ssh]]` target;
//! each connection is served by a [`Handler`], watched while it lasts, and its end recorded
//! with the recording's hash.

use std::sync::Arc;
use std::time::{Duration, Instant};

use russh::server::Config;
use tokio::net::TcpListener;
use tokio::sync::watch;
use wicket_engine::App;
use wicket_engine::ids::new_id;

use crate::StartError;
use crate::events;
use crate::handler::{Handler, Shared};
use crate::target::Target;

/// How often a session's `ssh:login` is decided again.
const WATCH_EVERY: Duration = Duration::from_millis(200);

/// The running gateway: where each target listens, and how to stop it.
pub type Gateway = wicket_engine::door::Listeners;

/// Starts a listener for every `[[gateway.ssh]]` target of `app`'s configuration.
pub async fn start(app: App) -> Result<Gateway, StartError> {
    let (stop, stopped) = watch::channel(false);
    let mut addrs = Vec::new();
    let mut tasks = Vec::new();
    for config in &app.config.gateway.ssh {
        let target = Target::load(&app, config.clone()).map_err(|reason| StartError::Target {
            target: config.name.clone(),
            reason,
        })?;
        let socket = TcpListener::bind(config.listen)
            .await
            .map_err(|source| StartError::Bind {
                target: config.name.clone(),
                addr: config.listen,
                source,
            })?;
        let addr = socket.local_addr().map_err(|source| StartError::Bind {
            target: config.name.clone(),
            addr: config.listen,
            source,
        })?;
        tracing::info!(target = %config.name, %addr, resource = %config.resource, "ssh gateway target listening");
        addrs.push((config.name.clone(), addr));
        let mut methods = russh::MethodSet::empty();
        methods.push(russh::MethodKind::PublicKey);
        methods.push(russh::MethodKind::KeyboardInteractive);
        let server = Arc::new(Config {
            methods,
            keys: vec![target.host_key.clone()],
            auth_rejection_time: Duration::from_millis(200),
            auth_rejection_time_initial: Some(Duration::from_millis(0)),
            inactivity_timeout: None,
            nodelay: true,
            ..Config::default()
        });
        tasks.push(tokio::spawn(accept(
            app.clone(),
            Arc::new(target),
            server,
            socket,
            stopped.clone(),
        )));
    }
    Ok(Gateway::new(addrs, stop, tasks))
}

async fn accept(
    app: App,
    target: Arc<Target>,
    config: Arc<Config>,
    socket: TcpListener,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            accepted = socket.accept() => match accepted {
                Ok((tcp, peer)) => {
                    let _ = tcp.set_nodelay(true);
                    let shared = Arc::new(Shared::new(
                        new_id("sshs"),
                        app.clone(),
                        target.clone(),
                        peer,
                        stop.clone(),
                    ));
                    tokio::spawn(serve(shared, config.clone(), tcp));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "ssh gateway accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            _ = stop.changed() => return,
        }
    }
}

/// Serves one connection to its end, then records the end.
async fn serve(shared: Arc<Shared>, config: Arc<Config>, tcp: tokio::net::TcpStream) {
    let began = Instant::now();
    let handler = Handler::new(shared.clone());
    let ended = match russh::server::run_stream(config, tcp, handler).await {
        Ok(session) => session.await.err().map(|e| e.to_string()),
        Err(e) => Some(e.to_string()),
    };
    shared
        .done
        .store(true, std::sync::atomic::Ordering::Relaxed);
    if shared.who().is_none() {
        return;
    }
    let reason = shared
        .cut
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
        .or(ended.map(|e| format!("the connection failed: {e}")))
        .unwrap_or_else(|| "the client disconnected".into());
    let sha = shared.seal();
    tracing::info!(session = %shared.id, %reason, "ssh gateway session ended");
    if let Some(e) = events::ended(&shared, &reason, sha, began.elapsed().as_secs_f64())
        && let Err(e) = shared.app.audit.append(e).await
    {
        tracing::error!(session = %shared.id, error = %e, "recording an ssh session's end failed");
    }
}

/// Cuts the session when `ssh:login` no longer holds: a message on every session channel's
/// stderr, then a disconnect that names the grant.
pub async fn watch(shared: Arc<Shared>, handle: russh::server::Handle) {
    let mut grant = shared.who().and_then(|w| w.grant);
    let mut tick = tokio::time::interval(WATCH_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if shared.done.load(std::sync::atomic::Ordering::Relaxed) {
            return;
        }
        let Some(reason) = crate::watch::check(&shared, &mut grant).await else {
            continue;
        };
        *shared.cut.lock().unwrap_or_else(|e| e.into_inner()) = Some(reason.clone());
        let message = format!("wicket closed the session: {reason}");
        for id in shared.session_channels() {
            let _ = handle
                .extended_data(id, 1, format!("\r\n{message}\r\n").into_bytes())
                .await;
            let _ = handle.close(id).await;
        }
        let _ = handle
            .disconnect(russh::Disconnect::ByApplication, message, "en".into())
            .await;
        return;
    }
}
