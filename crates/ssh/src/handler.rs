//! One client connection: authentication (a wicket certificate, or a token typed at the
//! keyboard-interactive prompt), `ssh:login` on `RESOURCE/LOGIN`, then every channel relayed
//! to the upstream server: shell, exec and `sftp` with `ssh:login`, port forwarding only with
//! `ssh:forward`, anything else refused with a message.

use std::borrow::Cow;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use russh::keys::Certificate;
use russh::keys::ssh_key::certificate::CertType;
use russh::server::ChannelOpenHandle;
use russh::server::{Auth, Msg, Response, Session};
use russh::{Channel, ChannelId, ChannelOpenFailure, ChannelWriteHalf, Pty, Sig};
use wicket_engine::App;
use wicket_engine::app::now;

use crate::recording::Recording;
use crate::target::Target;
use crate::upstream::{self, Upstream};
use crate::{events, relay};

/// Who logged in, as whom, how.
#[derive(Clone, Debug)]
pub struct Who {
    pub user: String,
    pub login: String,
    pub grant: Option<String>,
    pub method: &'static str,
}

/// What the connection's handler, relays, watcher and end share.
pub struct Shared {
    pub id: String,
    pub app: App,
    pub target: Arc<Target>,
    pub peer: SocketAddr,
    who: Mutex<Option<Who>>,
    recording: Mutex<Option<Recording>>,
    /// Open channels that carry a session (shell, exec, sftp).
    channels: Mutex<Vec<ChannelId>>,
    /// Why the gateway ended the session, when it did.
    pub cut: Mutex<Option<String>>,
    /// Session channels whose bytes are file transfers (`sftp`), not terminal output.
    transfers: Mutex<Vec<ChannelId>>,
    /// Set when the connection has ended.
    pub done: std::sync::atomic::AtomicBool,
    /// Becomes true when wicket shuts down.
    pub stop: tokio::sync::watch::Receiver<bool>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    pub fn new(
        id: String,
        app: App,
        target: Arc<Target>,
        peer: SocketAddr,
        stop: tokio::sync::watch::Receiver<bool>,
    ) -> Shared {
        Shared {
            id,
            app,
            target,
            peer,
            who: Mutex::new(None),
            recording: Mutex::new(None),
            channels: Mutex::new(Vec::new()),
            cut: Mutex::new(None),
            transfers: Mutex::new(Vec::new()),
            done: std::sync::atomic::AtomicBool::new(false),
            stop,
        }
    }

    pub fn who(&self) -> Option<Who> {
        lock(&self.who).clone()
    }

    /// `RESOURCE/LOGIN`.
    pub fn resource(&self, login: &str) -> String {
        format!(
            "{}/{}",
            self.target.config.resource,
            wicket_core::resource::segment(login)
        )
    }

    pub fn recording_path(&self) -> String {
        lock(&self.recording)
            .as_ref()
            .map(|r| r.path.display().to_string())
            .unwrap_or_default()
    }

    /// Whether `id`'s output is recorded (an `sftp` channel's is not: the `ssh.exec` event
    /// says it ran, and its bytes are files, not what a terminal showed).
    pub fn records(&self, id: ChannelId) -> bool {
        !lock(&self.transfers).contains(&id)
    }

    pub fn record(&self, input: bool, bytes: &[u8]) {
        if let Some(r) = lock(&self.recording).as_mut() {
            r.event(input, bytes);
        }
    }

    /// Seals the recording: its SHA-256, or why there is none.
    pub fn seal(&self) -> Result<String, String> {
        match lock(&self.recording).as_mut() {
            Some(r) => r.seal(),
            None => Err("the session was not recorded".into()),
        }
    }

    pub fn session_channels(&self) -> Vec<ChannelId> {
        lock(&self.channels).clone()
    }

    pub fn forget(&self, id: ChannelId) {
        lock(&self.channels).retain(|c| *c != id);
        lock(&self.transfers).retain(|c| *c != id);
    }

    async fn audit(&self, event: Option<wicket_core::NewEvent>) {
        if let Some(e) = event
            && let Err(e) = self.app.audit.append(e).await
        {
            tracing::error!(session = %self.id, error = %e, "recording an ssh gateway event failed");
        }
    }
}

pub struct Handler {
    pub shared: Arc<Shared>,
    upstream: Option<Upstream>,
    /// Upstream halves of open channels, and whether each is a session (recorded).
    open: HashMap<ChannelId, (ChannelWriteHalf<russh::client::Msg>, bool)>,
}

impl Handler {
    pub fn new(shared: Arc<Shared>) -> Handler {
        Handler {
            shared,
            upstream: None,
            open: HashMap::new(),
        }
    }

    /// `ssh:login` for `user` as `login` now: the grant that allows it, or why not.
    fn may_login(&self, user: &str, login: &str) -> Result<Option<String>, String> {
        self.decide(user, login, wicket_engine::ssh::LOGIN)
    }

    fn decide(&self, user: &str, login: &str, action: &str) -> Result<Option<String>, String> {
        let action = wicket_engine::ssh::action(action).map_err(|e| e.to_string())?;
        let resource = wicket_core::Resource::parse(&self.shared.resource(login))
            .map_err(|e| e.to_string())?;
        let d = self.shared.app.decide(user, &action, &resource, now());
        if d.allowed {
            Ok(d.via.and_then(|v| v.grant_id))
        } else {
            let hint = d
                .requestable
                .first()
                .map(|r| format!("; request role `{}` (policy `{}`)", r.role, r.policy))
                .unwrap_or_default();
            Err(format!(
                "wicket denied `{action}` on `{resource}` for `{user}`: {}{hint}",
                d.reason
            ))
        }
    }

    fn accept(&self, user: String, login: &str, method: &'static str) -> Auth {
        match self.may_login(&user, login) {
            Ok(grant) => {
                *lock(&self.shared.who) = Some(Who {
                    user,
                    login: login.to_string(),
                    grant,
                    method,
                });
                Auth::Accept
            }
            Err(why) => {
                tracing::info!(session = %self.shared.id, %why, "ssh gateway login refused");
                Auth::reject()
            }
        }
    }

    fn who(&self) -> Option<Who> {
        self.shared.who()
    }

    /// Tells the client on `channel`'s stderr why a request was refused.
    fn refuse(&self, channel: ChannelId, session: &mut Session, why: &str) {
        let _ = session.extended_data(channel, 1, format!("wicket: {why}\r\n").into_bytes());
        let _ = session.channel_failure(channel);
    }

    fn upstream_of(&self, channel: ChannelId) -> Option<&ChannelWriteHalf<russh::client::Msg>> {
        self.open.get(&channel).map(|(w, _)| w)
    }

    async fn open_relay(
        &mut self,
        up: Channel<russh::client::Msg>,
        reply: ChannelOpenHandle,
        id: ChannelId,
        session: &mut Session,
        record: bool,
    ) {
        let (read, write) = up.split();
        self.open.insert(id, (write, record));
        if record {
            lock(&self.shared.channels).push(id);
        }
        tokio::spawn(relay::relay(
            self.shared.clone(),
            session.handle(),
            id,
            read,
            record,
        ));
        reply.accept().await;
    }
}

/// The wicket user a certificate names in its key id (`wicket user=NAME ...`).
fn cert_user(cert: &Certificate) -> Option<String> {
    let id = cert.key_id();
    let rest = id.strip_prefix("wicket ")?;
    rest.split_whitespace()
        .find_map(|w| w.strip_prefix("user="))
        .map(str::to_string)
}

impl russh::server::Handler for Handler {
    type Error = russh::Error;

    async fn auth_openssh_certificate(
        &mut self,
        login: &str,
        cert: &Certificate,
    ) -> Result<Auth, Self::Error> {
        let Some(ca) = &self.shared.target.ca else {
            return Ok(Auth::reject());
        };
        let at = u64::try_from(now().timestamp()).unwrap_or(0);
        let principal = self.shared.resource(login);
        let valid = cert.validate_at(at, [ca]).is_ok()
            && cert.cert_type() == CertType::User
            && cert.critical_options().is_empty()
            && cert.valid_principals().contains(&principal);
        match (valid, cert_user(cert)) {
            (true, Some(user)) => Ok(self.accept(user, login, "certificate")),
            _ => {
                tracing::info!(session = %self.shared.id, %login, key_id = %cert.key_id(), "ssh gateway certificate refused");
                Ok(Auth::reject())
            }
        }
    }

    async fn auth_keyboard_interactive<'a>(
        &'a mut self,
        login: &str,
        _submethods: &str,
        response: Option<Response<'a>>,
    ) -> Result<Auth, Self::Error> {
        let Some(mut response) = response else {
            return Ok(Auth::Partial {
                name: Cow::Borrowed("wicket"),
                instructions: Cow::Borrowed("Log in with a wicket token (`wicket token create`)."),
                prompts: Cow::Owned(vec![(Cow::Borrowed("wicket token: "), false)]),
            });
        };
        let Some(answer) = response.next() else {
            return Ok(Auth::reject());
        };
        let token = String::from_utf8_lossy(&answer).trim().to_string();
        match wicket_engine::tokens::verify_token(&self.shared.app, &token).await {
            Ok(record) => Ok(self.accept(record.user, login, "token")),
            Err(e) => {
                tracing::info!(session = %self.shared.id, error = %e.public_message(), "ssh gateway token refused");
                Ok(Auth::reject())
            }
        }
    }

    async fn auth_succeeded(&mut self, session: &mut Session) -> Result<(), Self::Error> {
        let Some(who) = self.who() else {
            return Err(russh::Error::NotAuthenticated);
        };
        let title = format!(
            "{} as {} on {}",
            who.user, who.login, self.shared.target.config.resource
        );
        match Recording::create(
            std::path::Path::new(&self.shared.target.config.recordings),
            &self.shared.id,
            title,
        ) {
            Ok(r) => *lock(&self.shared.recording) = Some(r),
            Err(e) => {
                tracing::error!(session = %self.shared.id, error = %e, "ssh gateway cannot record");
                let _ = session.disconnect(
                    russh::Disconnect::ByApplication,
                    "wicket cannot record this session; sessions are refused until it can",
                    "en",
                );
                return Ok(());
            }
        }
        match upstream::connect(&self.shared.target, &who.login).await {
            Ok(u) => self.upstream = Some(u),
            Err(e) => {
                tracing::warn!(session = %self.shared.id, target = %self.shared.target.config.name, error = %e, "ssh gateway upstream failed");
                let _ = session.disconnect(
                    russh::Disconnect::ByApplication,
                    &format!(
                        "wicket could not reach the server of target `{}`; the gateway's log has the details",
                        self.shared.target.config.name
                    ),
                    "en",
                );
                return Ok(());
            }
        }
        self.shared.audit(events::started(&self.shared)).await;
        tokio::spawn(crate::gateway::watch(self.shared.clone(), session.handle()));
        Ok(())
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: ChannelOpenHandle,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        let id = channel.id();
        drop(channel);
        let Some(up) = &self.upstream else {
            reply.reject(ChannelOpenFailure::ConnectFailed).await;
            return Ok(());
        };
        match up.channel_open_session().await {
            Ok(c) => self.open_relay(c, reply, id, session, true).await,
            Err(_) => reply.reject(ChannelOpenFailure::ConnectFailed).await,
        }
        Ok(())
    }

    async fn channel_open_direct_tcpip(
        &mut self,
        channel: Channel<Msg>,
        host: &str,
        port: u32,
        origin: &str,
        origin_port: u32,
        reply: ChannelOpenHandle,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        let id = channel.id();
        drop(channel);
        let Some(who) = self.who() else {
            reply
                .reject(ChannelOpenFailure::AdministrativelyProhibited)
                .await;
            return Ok(());
        };
        if let Err(why) = self.decide(&who.user, &who.login, wicket_engine::ssh::FORWARD) {
            reply
                .reject(ChannelOpenFailure::Other {
                    code: 1,
                    reason: format!("port forwarding needs `ssh:forward`: {why}"),
                })
                .await;
            return Ok(());
        }
        let Some(up) = &self.upstream else {
            reply.reject(ChannelOpenFailure::ConnectFailed).await;
            return Ok(());
        };
        match up
            .channel_open_direct_tcpip(host, port, origin, origin_port)
            .await
        {
            Ok(c) => {
                self.shared
                    .audit(events::exec(
                        &self.shared,
                        "direct-tcpip",
                        &format!("{host}:{port}"),
                    ))
                    .await;
                self.open_relay(c, reply, id, session, false).await
            }
            Err(_) => reply.reject(ChannelOpenFailure::ConnectFailed).await,
        }
        Ok(())
    }

    async fn data(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        if let Some((up, record)) = self.open.get(&channel) {
            if *record && self.shared.target.config.record_input && self.shared.records(channel) {
                self.shared.record(true, data);
            }
            let _ = up.data_bytes(data.to_vec()).await;
        }
        Ok(())
    }

    async fn channel_eof(
        &mut self,
        channel: ChannelId,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        if let Some(up) = self.upstream_of(channel) {
            let _ = up.eof().await;
        }
        Ok(())
    }

    async fn channel_close(
        &mut self,
        channel: ChannelId,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        if let Some((up, _)) = self.open.remove(&channel) {
            let _ = up.close().await;
        }
        Ok(())
    }

    async fn pty_request(
        &mut self,
        channel: ChannelId,
        term: &str,
        cols: u32,
        rows: u32,
        pix_width: u32,
        pix_height: u32,
        modes: &[(Pty, u32)],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        if let Some(r) = lock(&self.shared.recording).as_mut() {
            r.terminal(term, cols, rows);
        }
        match self.upstream_of(channel) {
            Some(up) => {
                let _ = up
                    .request_pty(true, term, cols, rows, pix_width, pix_height, modes)
                    .await;
            }
            None => self.refuse(channel, session, "no such channel"),
        }
        Ok(())
    }

    async fn env_request(
        &mut self,
        channel: ChannelId,
        name: &str,
        value: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        match self.upstream_of(channel) {
            Some(up) => {
                let _ = up.set_env(true, name, value).await;
            }
            None => {
                let _ = session.channel_failure(channel);
            }
        }
        Ok(())
    }

    async fn shell_request(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        match self.upstream_of(channel) {
            Some(up) => {
                let _ = up.request_shell(true).await;
            }
            None => self.refuse(channel, session, "no such channel"),
        }
        Ok(())
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        let command = String::from_utf8_lossy(data).into_owned();
        self.shared
            .audit(events::exec(&self.shared, "exec", &command))
            .await;
        match self.upstream_of(channel) {
            Some(up) => {
                let _ = up.exec(true, data.to_vec()).await;
            }
            None => self.refuse(channel, session, "no such channel"),
        }
        Ok(())
    }

    async fn subsystem_request(
        &mut self,
        channel: ChannelId,
        name: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        if name != "sftp" {
            self.refuse(
                channel,
                session,
                &format!("subsystem `{name}` is not allowed through the gateway; only `sftp` is"),
            );
            return Ok(());
        }
        lock(&self.shared.transfers).push(channel);
        self.shared
            .audit(events::exec(&self.shared, "subsystem", name))
            .await;
        match self.upstream_of(channel) {
            Some(up) => {
                let _ = up.request_subsystem(true, name).await;
            }
            None => self.refuse(channel, session, "no such channel"),
        }
        Ok(())
    }

    async fn window_change_request(
        &mut self,
        channel: ChannelId,
        cols: u32,
        rows: u32,
        pix_width: u32,
        pix_height: u32,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        if let Some(up) = self.upstream_of(channel) {
            let _ = up.window_change(cols, rows, pix_width, pix_height).await;
        }
        Ok(())
    }

    async fn signal(
        &mut self,
        channel: ChannelId,
        signal: Sig,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        if let Some(up) = self.upstream_of(channel) {
            let _ = up.signal(signal).await;
        }
        Ok(())
    }

    async fn x11_request(
        &mut self,
        channel: ChannelId,
        _single: bool,
        _protocol: &str,
        _cookie: &str,
        _screen: u32,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.refuse(
            channel,
            session,
            "X11 forwarding is not allowed through the gateway",
        );
        Ok(())
    }

    async fn agent_request(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<bool, Self::Error> {
        let _ = session.extended_data(
            channel,
            1,
            b"wicket: agent forwarding is not allowed through the gateway\r\n".to_vec(),
        );
        Ok(false)
    }

    async fn tcpip_forward(
        &mut self,
        _address: &str,
        _port: &mut u32,
        _session: &mut Session,
    ) -> Result<bool, Self::Error> {
        // Remote forwarding (`ssh -R`) would open the user's side to the server: refused.
        Ok(false)
    }
}
