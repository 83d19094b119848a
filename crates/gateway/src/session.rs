//! One client session: handshake and authentication, the upstream connection with the
//! gateway's credentials, the two relay directions, and the session's audit events.

mod check;
mod client;
pub mod events;
mod fastpath;
pub(crate) mod frames;
mod inflight;
mod mask;
mod names;
mod options;
mod relay;
mod rename;
mod reuse;
mod server;
mod startup;
mod syntax;
pub(crate) mod upstream;
mod watch;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use wicket_core::NewEvent;
use wicket_engine::App;
use wicket_engine::app::now;
use wicket_engine::ids::new_id;

use crate::cancel::{UpstreamKey, send_cancel};
use crate::error::SessionError;
use crate::listener::Listener;
use crate::protocol::auth::AuthRequest;
use crate::protocol::backend::{encode_backend_key, encode_ready};
use crate::protocol::error_response::{ErrorFields, code};
use crate::readonly::holds_write;
use crate::sql;
use crate::stream::ClientStream;
use crate::target::Target;

/// How long a client has to start up and log in.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);

/// Who is connected to what, for as long as the session lasts.
pub struct Session {
    pub id: String,
    pub app: App,
    pub user: String,
    pub target: Arc<Target>,
    /// Runs upstream with `default_transaction_read_only = on`.
    pub read_only: bool,
    /// The grant that allowed `db:connect` when the session started.
    pub grant: Option<String>,
    /// Whether the upstream connection served an earlier session (see [`crate::pool`]).
    pub reused: bool,
    /// The upstream server process, as PostgreSQL's logs and `pg_stat_activity` name it.
    pub backend_pid: Option<i32>,
    stop: tokio::sync::watch::Receiver<bool>,
    /// Classifications by statement shape, shared by the listener's sessions.
    cache: Arc<sql::Cache>,
}

impl Session {
    /// Queues an audit event; a failure is logged and makes later statements fail closed.
    pub async fn audit(&self, event: NewEvent) {
        if let Err(e) = self.app.audit.submit(event).await {
            tracing::error!(session = %self.id, error = %e, "queueing a gateway audit event failed");
        }
    }
}

/// What the two relay directions share.
#[derive(Debug)]
pub struct State {
    inflight: inflight::Inflight,
    names: names::Names,
    /// How the server reads `'...'` now, from its `standard_conforming_strings` reports.
    strings: sql::Strings,
    /// Where unqualified table names may lead.
    search_path: sql::SearchPath,
    /// The last `ReadyForQuery`'s transaction status (`I` idle, `T` in one, `E` failed).
    transaction: u8,
    statements: u64,
    denied: u64,
    /// The COPY ... FROM STDIN the client is sending data for, as the client side sees it.
    copy_sending: Option<u64>,
    /// The last COPY the server started copying for.
    copy_started: Option<u64>,
    copies: u64,
    /// How the rows of the result under way are masked.
    plan: Option<crate::mask::rows::RowPlan>,
    /// How the rows of the `COPY ... TO STDOUT` under way are masked.
    /// The client's encoding may hold ASCII bytes inside a multi-byte character (`SJIS`,
    /// `BIG5`, ...): a masked `COPY` is refused.
    ascii_unsafe: bool,
    copy_out: Option<(
        std::sync::Arc<crate::mask::copy::CopyPlan>,
        crate::mask::copy::CopyStream,
    )>,
}

impl State {
    fn new(upstream_user: &str, strings: sql::Strings, ascii_unsafe: bool) -> State {
        State {
            inflight: inflight::Inflight::default(),
            names: names::Names::default(),
            strings,
            search_path: sql::SearchPath::pinned(upstream_user),
            transaction: b'I',
            statements: 0,
            denied: 0,
            copy_sending: None,
            copy_started: None,
            copies: 0,
            plan: None,
            copy_out: None,
            ascii_unsafe,
        }
    }

    /// A new COPY ... FROM STDIN goes upstream: its id.
    fn copy_begins(&mut self) -> u64 {
        self.copies += 1;
        self.copy_sending = Some(self.copies);
        self.copies
    }
}

/// Serves one accepted connection to its end; never panics the listener.
pub async fn serve(tcp: TcpStream, peer: SocketAddr, listener: Arc<Listener>) {
    match run(tcp, peer, &listener).await {
        Ok(()) => {}
        Err(SessionError::Refused(e)) => {
            tracing::info!(%peer, reason = e.message(), "gateway connection refused")
        }
        Err(e) => tracing::info!(%peer, error = %e, "gateway connection ended"),
    }
}

async fn run(tcp: TcpStream, peer: SocketAddr, listener: &Listener) -> Result<(), SessionError> {
    tcp.set_nodelay(true)?;
    let opened = tokio::time::timeout(STARTUP_TIMEOUT, async {
        let Some(mut hello) = startup::hello(tcp, listener).await? else {
            return Ok(None);
        };
        let Some(auth) = startup::authenticate(&mut hello, listener).await? else {
            return Ok(None);
        };
        Ok::<_, SessionError>(Some((hello, auth)))
    })
    .await
    .map_err(|_| SessionError::StartupTimeout)??;
    let Some((mut hello, auth)) = opened else {
        return Ok(());
    };
    let app = &listener.app;
    let read_only = !holds_write(
        &app.index(),
        &auth.user,
        &auth.target.config.resource,
        now(),
    );
    // Nothing in `options` is dropped: its settings go upstream, or the client is refused.
    let options = match options::harmless(hello.param("options").unwrap_or("")) {
        Ok(settings) => settings,
        Err(e) => {
            let error = ErrorFields::fatal(e.code(), format!("wicket refused the connection: {e}"));
            return Err(startup::refuse(&mut hello.stream, error).await);
        }
    };
    let application = hello
        .param("application_name")
        .or_else(|| {
            options
                .iter()
                .rev()
                .find(|(n, _)| n.eq_ignore_ascii_case("application_name"))
                .map(|(_, v)| v.as_str())
        })
        .unwrap_or("wicket")
        .to_string();
    let mut params: Vec<(&str, &str)> = vec![
        ("client_encoding", "UTF8"),
        ("standard_conforming_strings", "on"),
        ("search_path", "public"),
        ("application_name", &application),
    ];
    // As the server: a parameter of the startup message wins over the same one in
    // `options`, and a later setting in `options` over an earlier one.
    let from_options = options.iter().rev().map(|(n, v)| (n.as_str(), v.as_str()));
    let given = hello.params.iter().map(|(n, v)| (n.as_str(), v.as_str()));
    for (name, value) in given
        .filter(|(n, _)| sql::is_harmless_setting(n))
        .chain(from_options)
    {
        if !params.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
            params.push((name, value));
        }
    }
    if read_only {
        params.push(("default_transaction_read_only", "on"));
    }
    let key = crate::pool::Key::new(&auth.target.config.name, &params);
    let reused = listener.pool.take(&key);
    let fresh = reused.is_none();
    let upstream = match reused {
        Some(u) => Ok(u),
        None => reuse::connect(&listener.pool, &auth.target, &params).await,
    };
    let upstream = match upstream {
        Ok(u) => u,
        Err(e) => {
            tracing::warn!(target = %auth.target.config.name, error = %e, "the gateway could not open an upstream session");
            let message = format!(
                "wicket could not connect to the database of target `{}`; the gateway's log has the details",
                auth.target.config.name
            );
            return Err(startup::refuse(
                &mut hello.stream,
                ErrorFields::fatal(code::CONNECTION_FAILURE, message),
            )
            .await);
        }
    };
    let session = Session {
        id: new_id("gws"),
        app: app.clone(),
        user: auth.user,
        target: auth.target,
        read_only,
        grant: auth.grant,
        reused: !fresh,
        backend_pid: upstream.key.map(|(pid, _)| pid),
        stop: listener.stop.clone(),
        cache: listener.cache.clone(),
    };
    let began = Instant::now();
    if let Err(e) = app
        .audit
        .append(events::started(
            &session,
            &peer.to_string(),
            &application,
            now(),
        ))
        .await
    {
        tracing::error!(error = %e, "recording a gateway session failed");
        let message = "wicket cannot write its audit log; sessions are refused until it can";
        return Err(startup::refuse(
            &mut hello.stream,
            ErrorFields::fatal(code::SYSTEM_ERROR, message),
        )
        .await);
    }
    let up_key = upstream.key.map(|(pid, key)| UpstreamKey {
        address: session.target.config.upstream.address(),
        pid,
        key,
    });
    let client_key = up_key.clone().map(|k| listener.cancels.register(k));
    let parameters = upstream.greeting_parameters(&session.user);
    let mut greeting = BytesMut::new();
    AuthRequest::Ok.encode(&mut greeting);
    greeting.extend_from_slice(&parameters);
    if let Some((pid, key)) = client_key {
        encode_backend_key(&mut greeting, pid, key);
    }
    encode_ready(&mut greeting, b'I');
    tracing::info!(session = %session.id, user = %session.user, target = %session.target.config.name, read_only, reused = session.reused, "gateway session started");
    // The gateway pins `standard_conforming_strings = on`; the server's report says for sure.
    let strings = server::reported_strings(&parameters).unwrap_or_default();
    let ascii_unsafe = server::reported_ascii_unsafe(&parameters);
    let state = Mutex::new(State::new(
        &session.target.config.upstream.user,
        strings,
        ascii_unsafe,
    ));
    let ended = match hello.stream.write_all(&greeting).await {
        Err(e) => relay::Ended {
            reason: format!("writing to the client failed: {e}"),
            upstream: None,
        },
        Ok(()) => match hello.stream {
            ClientStream::Plain(tcp) => {
                let (r, w) = tcp.into_split();
                relay::relay(&session, &state, r, w, upstream).await
            }
            ClientStream::Tls(tls) => {
                let (r, w) = tokio::io::split(*tls);
                relay::relay(&session, &state, r, w, upstream).await
            }
        },
    };
    let reason = ended.reason;
    // Before the connection can serve anyone else: a cancel of this client's reaches nothing.
    if let Some(k) = client_key {
        listener.cancels.remove(k);
    }
    if let Some(mut up) = ended.upstream {
        match reuse::reset(&mut up).await {
            Ok(()) => listener.pool.put(key, up),
            Err(e) => {
                tracing::info!(session = %session.id, error = %e, "the upstream connection is closed, not kept")
            }
        }
    }
    let (statements, denied, busy) = {
        let st = state.lock().unwrap_or_else(|e| e.into_inner());
        (st.statements, st.denied, !st.inflight.is_idle())
    };
    // A statement still running upstream stops now; closing the connection rolls back.
    if busy && let Some(k) = &up_key {
        send_cancel(k).await;
    }
    tracing::info!(session = %session.id, %reason, statements, denied, "gateway session ended");
    session
        .audit(events::ended(
            &session,
            &reason,
            statements,
            denied,
            began.elapsed().as_secs_f64(),
            now(),
        ))
        .await;
    Ok(())
}
