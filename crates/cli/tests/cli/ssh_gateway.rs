//! The SSH gateway with real OpenSSH on both sides: `ssh`, `scp` and `sftp` reach a real
//! `sshd` through `wicket serve`'s gateway with a wicket certificate (or a token typed at the
//! prompt); commands are audited with their text; a shell is cut when its grant is revoked,
//! with a message naming the grant; the recording replays the session's exact output; and a
//! changed recording fails `wicket audit verify`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::ssh_certs::config;
use crate::sshd::{NO_USER_CONFIG, Sshd, keygen, login, require, ssh, ssh_at};
use crate::support::{Server, json, lines, sqlite, wicket};

struct Setup {
    dir: tempfile::TempDir,
    server: Server,
    _sshd: Sshd,
    port: u16,
    login: String,
    alice: String,
    key: PathBuf,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let login = login();
    // The real server: it trusts the gateway's own key, not wicket's CA.
    let upstream_key = dir.path().join("upstream_key");
    keygen(&upstream_key);
    let sshd_dir = dir.path().join("sshd");
    std::fs::create_dir_all(&sshd_dir).unwrap();
    let sshd = Sshd::start(&sshd_dir, None, Some(&dir.path().join("upstream_key.pub")));
    let host_key = dir.path().join("gateway_host_key");
    keygen(&host_key);
    wicket(&[
        "ssh",
        "keygen",
        "--out",
        dir.path().join("ca").to_str().unwrap(),
    ])
    .expect_code(0);
    let extra = format!(
        r#"
[[gateway.ssh]]
name = "host-1"
listen = "127.0.0.1:0"
resource = "ssh/test/host-1"
upstream_host = "127.0.0.1"
upstream_port = {port}
upstream_host_key = "{host}"
upstream_key_file = "{up}"
host_key_file = "{hk}"
recordings = "{rec}"
"#,
        port = sshd.port,
        host = sshd.host_key,
        up = upstream_key.display(),
        hk = host_key.display(),
        rec = dir.path().join("recordings").display(),
    );
    let config = config(dir.path(), &login, &extra);
    let database = sqlite(dir.path());
    let server = Server::start(&config, &database);
    let port: u16 = server
        .gateway("host-1")
        .rsplit_once(':')
        .unwrap()
        .1
        .parse()
        .unwrap();
    let alice = server.token("alice");
    let key = dir.path().join("alice_key");
    Setup {
        dir,
        server,
        _sshd: sshd,
        port,
        login,
        alice,
        key,
    }
}

impl Setup {
    fn grant(&self, role: &str) -> String {
        self.server.grant(&self.alice, role, "1h")
    }

    fn cert(&self) {
        self.server
            .wicket(
                &self.alice,
                &["ssh", "cert", "--key", self.key.to_str().unwrap()],
            )
            .expect_code(0);
    }

    /// `ssh` through the gateway with alice's key and certificate.
    fn ssh(&self, args: &[&str]) -> Command {
        let mut all = vec![
            "-o",
            "BatchMode=yes",
            "-o",
            "IdentitiesOnly=yes",
            "-i",
            self.key.to_str().unwrap(),
        ];
        let target = format!("{}@127.0.0.1", self.login);
        all.push(&target);
        all.extend_from_slice(args);
        ssh(self.port, &all)
    }

    fn events(&self, kind: &str) -> Vec<serde_json::Value> {
        let out = self
            .server
            .wicket(
                &self.alice,
                &["audit", "list", "--kind", kind, "--output", "json"],
            )
            .expect_code(0);
        let v = json(&out.stdout);
        v["items"].as_array().cloned().unwrap_or_default()
    }

    /// The `ssh.session.ended` events, waiting (30 s at most) until there are `n`.
    fn ended(&self, n: usize) -> Vec<serde_json::Value> {
        let start = Instant::now();
        loop {
            let events = self.events("ssh.session.ended");
            if events.len() >= n {
                return events;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "{n} sessions never ended: {events:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn verify(&self) -> crate::support::Out {
        self.server.offline(&["audit", "verify"])
    }
}

fn detail<'a>(e: &'a serde_json::Value, key: &str) -> &'a serde_json::Value {
    &e["details"][key]
}

#[test]
fn exec_sftp_and_scp_go_through_the_gateway_recorded_and_audited() {
    require("scp");
    require("sftp");
    let s = setup();
    // No grant yet: no certificate, and a token alone does not open the gateway.
    let out = s.ssh(&["true"]).output().unwrap();
    assert!(
        !out.status.success(),
        "the gateway let a user without a grant in"
    );

    let grant = s.grant("host-login");
    s.cert();
    let out = s
        .ssh(&["echo hello-through-the-gateway; echo to-stderr >&2"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "hello-through-the-gateway\n"
    );
    assert_eq!(String::from_utf8_lossy(&out.stderr), "to-stderr\n");

    // The command is audited with its text, and the session ends sealed.
    let execs = s.events("ssh.exec");
    assert!(
        execs
            .iter()
            .any(|e| detail(e, "command") == "echo hello-through-the-gateway; echo to-stderr >&2"),
        "{execs:?}"
    );
    let ended = s.ended(1);
    let sha = detail(&ended[0], "recording_sha256")
        .as_str()
        .unwrap()
        .to_string();
    let recording = detail(&ended[0], "recording").as_str().unwrap().to_string();
    assert_eq!(sha.len(), 64, "{ended:?}");

    // The recording replays the exact output (stdout and stderr, as a terminal shows both).
    let replay = wicket(&["ssh", "replay", &recording, "--speed", "0"]).expect_code(0);
    assert_eq!(
        replay.stdout, "hello-through-the-gateway\nto-stderr\n",
        "{replay:?}"
    );
    // By session id, looked up in the configured recordings directory.
    let session = detail(&ended[0], "session").as_str().unwrap().to_string();
    let config = s.dir.path().join("wicket.toml");
    let by_id = wicket(&[
        "ssh",
        "replay",
        &session,
        "--speed",
        "0",
        "--config",
        config.to_str().unwrap(),
    ])
    .expect_code(0);
    assert_eq!(by_id.stdout, replay.stdout);
    let bad = wicket(&["ssh", "replay", &recording, "--speed=-1"]).expect_code(2);
    assert!(bad.stderr.contains("--speed"), "{bad:?}");

    // sftp both ways, and scp (the sftp protocol, then the old one, which runs `scp -t`).
    let local = s.dir.path().join("payload.bin");
    let payload: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&local, &payload).unwrap();
    let remote = s.dir.path().join("remote.bin");
    let back = s.dir.path().join("back.bin");
    let batch = s.dir.path().join("batch");
    std::fs::write(
        &batch,
        format!(
            "put {} {}\nget {} {}\n",
            local.display(),
            remote.display(),
            remote.display(),
            back.display()
        ),
    )
    .unwrap();
    let out = sftp(&s, &batch);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(std::fs::read(&back).unwrap(), payload);
    for (flag, name) in [(None, "scp.bin"), (Some("-O"), "scp-legacy.bin")] {
        let dest = s.dir.path().join(name);
        let out = scp(&s, flag, &local, &dest);
        assert!(out.status.success(), "{flag:?}: {out:?}");
        assert_eq!(std::fs::read(&dest).unwrap(), payload, "{flag:?}");
    }
    let execs = s.events("ssh.exec");
    assert!(
        execs.iter().any(|e| detail(e, "command") == "sftp"),
        "{execs:?}"
    );
    assert!(
        execs.iter().any(|e| detail(e, "command")
            .as_str()
            .is_some_and(|c| c.starts_with("scp -t"))),
        "{execs:?}"
    );

    // Port forwarding needs `ssh:forward`, which `host-login` does not hold.
    let target = format!("{}@127.0.0.1", s.login);
    let forward = format!("127.0.0.1:{}", s.port);
    let out = ssh_at(
        "INFO",
        s.port,
        &[
            "-o",
            "BatchMode=yes",
            "-o",
            "IdentitiesOnly=yes",
            "-i",
            s.key.to_str().unwrap(),
            "-W",
            &forward,
            &target,
        ],
    )
    .output()
    .unwrap();
    assert!(!out.status.success(), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("ssh:forward"),
        "{out:?}"
    );

    // The web UI plays the recording, reached from the request's timeline.
    let request = s
        .server
        .wicket(&s.alice, &["grant", "list", "--output", "json"])
        .expect_code(0);
    let request_id = json(&request.stdout)["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == grant.as_str())
        .map(|g| g["request_id"].as_str().unwrap().to_string())
        .unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let driver = runtime.block_on(crate::chromium::Driver::start());
    // `expected` is what the terminal shows of the recording as it is on disk now.
    let player = |expect_intact: bool, expected: &str| {
        runtime.block_on(async {
            let b = driver.browser().await;
            b.sign_in(&s.server.url, &s.alice).await;
            b.goto(&format!("{}/requests/{request_id}", s.server.url))
                .await;
            b.click(&format!("a.replay[href='/ssh/sessions/{session}']"))
                .await;
            b.wait_for("#recording-status").await;
            let status = b.text("#recording-status").await;
            assert_eq!(
                status.contains("has changed since the session ended"),
                !expect_intact,
                "{status}"
            );
            // All at once, then at the recorded pace: the same screen both times.
            for speed in ["0", "8"] {
                b.client
                    .execute(
                        &format!("document.getElementById('player-speed').value = '{speed}'"),
                        vec![],
                    )
                    .await
                    .unwrap();
                b.click("#player-play").await;
                b.wait_for("#player-screen[data-state='done']").await;
                let screen = b
                    .client
                    .execute(
                        "return document.getElementById('player-screen').textContent",
                        vec![],
                    )
                    .await
                    .unwrap();
                assert_eq!(screen, expected, "speed {speed}");
            }
            b.close().await;
        });
    };
    player(true, &replay.stdout);

    // Every recording is as sealed; change one and `wicket audit verify` says so.
    let out = s.verify().expect_code(0);
    out.expect_stdout("audit chain ok");
    let mut text = std::fs::read_to_string(&recording).unwrap();
    text = text.replace("hello-through-the-gateway", "hello-through-the-gatewaX");
    std::fs::write(&recording, text).unwrap();
    let out = s.verify().expect_code(1);
    assert!(
        out.stdout.contains("changed") && out.stdout.contains(&recording),
        "{out:?}"
    );
    // And the player says what it plays is not what the session showed.
    let changed = wicket(&["ssh", "replay", &recording, "--speed", "0"]).expect_code(0);
    assert!(changed.stdout.contains("gatewaX"), "{changed:?}");
    player(false, &changed.stdout);
}

/// `program` (`sftp` or `scp`, with `flag` first) as alice through the gateway: her key only,
/// no prompts, no user configuration.
fn openssh(s: &Setup, program: &str, flag: Option<&str>) -> Command {
    let mut cmd = Command::new(program);
    cmd.args(NO_USER_CONFIG)
        .args(["-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes"])
        .args(flag)
        .arg("-i")
        .arg(&s.key)
        .arg("-P")
        .arg(s.port.to_string())
        .stdin(Stdio::null());
    cmd
}

fn sftp(s: &Setup, batch: &Path) -> std::process::Output {
    openssh(s, "sftp", None)
        .arg("-b")
        .arg(batch)
        .arg(format!("{}@127.0.0.1", s.login))
        .output()
        .unwrap()
}

fn scp(s: &Setup, flag: Option<&str>, from: &Path, to: &Path) -> std::process::Output {
    openssh(s, "scp", flag)
        .arg(from)
        .arg(format!("{}@127.0.0.1:{}", s.login, to.display()))
        .output()
        .unwrap()
}

#[test]
fn a_shell_is_cut_when_its_grant_is_revoked_naming_the_grant() {
    let s = setup();
    let grant = s.grant("host-login");
    s.cert();
    let mut child = s
        .ssh(&["-tt"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let rx = lines(child.stdout.take().unwrap());
    writeln!(stdin, "echo marker-$((40+2))").unwrap();
    let start = Instant::now();
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the shell never answered");
        if line.contains("marker-42") {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(30));
    }
    s.server
        .wicket(
            &s.alice,
            &["grant", "revoke", &grant, "--reason", "incident over"],
        )
        .expect_code(0);
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the shell outlived its grant's revocation"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    eprintln!("the shell ended {:?} after the revocation", start.elapsed());
    assert!(!status.success());
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    let rest: Vec<String> = rx.try_iter().collect();
    let shown = format!("{stderr}\n{}", rest.join("\n"));
    assert!(
        shown.contains(&format!("grant `{grant}`")) && shown.contains("revoked"),
        "no message naming the grant: {shown}"
    );
    let ended = s.ended(1);
    let reason = detail(&ended[0], "reason").as_str().unwrap();
    assert!(reason.contains(&grant), "{ended:?}");
    // The recording holds what the shell showed.
    let recording = detail(&ended[0], "recording").as_str().unwrap();
    let replay = wicket(&["ssh", "replay", recording, "--speed", "0"]).expect_code(0);
    assert!(replay.stdout.contains("marker-42"), "{replay:?}");
}

#[test]
fn a_token_at_the_prompt_opens_the_gateway() {
    let s = setup();
    s.grant("host-login");
    let askpass = s.dir.path().join("askpass.sh");
    std::fs::write(&askpass, format!("#!/bin/sh\necho '{}'\n", s.alice)).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&askpass, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let target = format!("{}@127.0.0.1", s.login);
    let out = ssh(
        s.port,
        &[
            "-o",
            "PreferredAuthentications=keyboard-interactive",
            "-o",
            "PubkeyAuthentication=no",
            &target,
            "echo token-works",
        ],
    )
    .env("SSH_ASKPASS", &askpass)
    .env("SSH_ASKPASS_REQUIRE", "force")
    .env("DISPLAY", ":0")
    .output()
    .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "token-works\n");
    let started = s.events("ssh.session.started");
    assert_eq!(detail(&started[0], "method"), "token", "{started:?}");
}

#[test]
fn a_command_is_cut_when_its_grant_expires() {
    let s = setup();
    let out = s
        .server
        .wicket(
            &s.alice,
            &[
                "request",
                "create",
                "host-login",
                "--duration",
                "20s",
                "--output",
                "json",
            ],
        )
        .expect_code(0);
    let grant = json(&out.stdout)["grants"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    s.cert();
    let out = s.ssh(&["echo started; sleep 300"]).output().unwrap();
    assert!(!out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "started\n");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("grant `{grant}`")) && stderr.contains("expired"),
        "{stderr}"
    );
    let ended = s.ended(1);
    assert!(
        detail(&ended[0], "reason")
            .as_str()
            .unwrap()
            .contains("expired"),
        "{ended:?}"
    );
}
