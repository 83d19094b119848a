//! The OpenID Provider under test: `node provider/provider.js`, on loopback, with its signing
//! keys in a file the tests can read (to forge tokens with the provider's own key).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub const CLIENT_ID: &str = "wicket";
pub const CLIENT_SECRET: &str = "wicket-test-secret";

/// The accounts the provider knows: their groups and any odd claims.
pub const ACCOUNTS: &str = r#"{
  "ann": {"groups": ["sre", "ignored-group"], "email": "ann@example.com"},
  "bob": {"groups": "sre"},
  "bad name": {}
}"#;

pub struct Provider {
    pub issuer: String,
    pub port: u16,
    pub keys_file: PathBuf,
    child: Child,
}

fn dir() -> PathBuf {
    // From the server's tests and the CLI's alike.
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../server/tests/oidc/provider")
}

impl Provider {
    /// Starts the provider on `port` (0: any) with the keys in `keys_file` (made when
    /// missing; a new first key when `rotate`), accepting `redirect_uri`.
    pub fn start(keys_file: &Path, port: u16, redirect_uri: &str, rotate: bool) -> Provider {
        Provider::start_with(keys_file, port, redirect_uri, rotate, true)
    }

    /// As [`Provider::start`], offering the device authorization grant or not. Node starts in
    /// a second on a quiet machine; on a loaded one it is given a minute, three times over: a
    /// start that never says it is ready is killed and started again, and what each attempt
    /// said (and the state the kernel saw it in) goes into the failure.
    pub fn start_with(
        keys_file: &Path,
        port: u16,
        redirect_uri: &str,
        rotate: bool,
        device_flow: bool,
    ) -> Provider {
        let dir = dir();
        assert!(
            dir.join("node_modules/oidc-provider").is_dir(),
            "the OpenID Provider `oidc-provider` is not installed: run `npm ci` in {} (as .ci/run does)",
            dir.display()
        );
        let mut failures = Vec::new();
        let before = signing_kid(keys_file);
        for attempt in 1..=ATTEMPTS {
            // Rotate once: a retry rotates only when the attempt before was stopped before it
            // wrote its new key (on a loaded machine Node can take a minute to load its
            // modules, and the keys are made after that).
            let rotate = rotate && signing_kid(keys_file) == before;
            match launch(
                &dir,
                keys_file,
                port,
                redirect_uri,
                rotate,
                device_flow,
                attempt,
            ) {
                Ok(provider) => return provider,
                Err(e) => failures.push(format!("attempt {attempt}: {e}")),
            }
        }
        panic!(
            "the OpenID Provider did not start in {ATTEMPTS} attempts of {}s:\n{}",
            READY_WITHIN.as_secs(),
            failures.join("\n")
        );
    }

    /// The signing keys as stored: `(kid, private PEM)`, the signing one first.
    pub fn keys(&self) -> Vec<(String, String)> {
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&self.keys_file).unwrap()).unwrap();
        v["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| {
                let kid = k["kid"].as_str().unwrap().to_string();
                let pem = v["pems"][&kid].as_str().unwrap().to_string();
                (kid, pem)
            })
            .collect()
    }

    /// Stops the provider now (and frees its port).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The id of the signing key stored in `keys_file` (its first), if there is one yet.
fn signing_kid(keys_file: &Path) -> Option<String> {
    let text = std::fs::read_to_string(keys_file).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v["keys"][0]["kid"].as_str().map(str::to_string)
}

/// How many times the provider is started before the test fails.
const ATTEMPTS: u32 = 3;

/// How long one start may take to say it is ready.
const READY_WITHIN: Duration = Duration::from_secs(60);

/// One start of `node provider.js`: the provider once it printed its issuer, or what it said.
fn launch(
    dir: &Path,
    keys_file: &Path,
    port: u16,
    redirect_uri: &str,
    rotate: bool,
    device_flow: bool,
    attempt: u32,
) -> Result<Provider, String> {
    let log = keys_file.with_extension(format!("provider-{port}-{attempt}.log"));
    let mut child = Command::new("node")
        .arg("provider.js")
        .current_dir(dir)
        .env("PORT", port.to_string())
        .env("KEYS_FILE", keys_file)
        .env("ROTATE", if rotate { "1" } else { "0" })
        .env("CLIENT_ID", CLIENT_ID)
        .env("CLIENT_SECRET", CLIENT_SECRET)
        .env("REDIRECT_URIS", redirect_uri)
        .env("ACCOUNTS", ACCOUNTS)
        .env("DEVICE_FLOW", if device_flow { "1" } else { "0" })
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(
            std::fs::File::create(&log).expect("a log file for the OpenID Provider"),
        ))
        .spawn()
        .expect("`node` runs (Node.js is needed for the OpenID Provider)");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let line = match rx.recv_timeout(READY_WITHIN) {
        Ok(line) => line,
        Err(e) => {
            // What the kernel says the process was doing, before it is killed.
            let pid = child.id();
            let state = |file: &str| {
                std::fs::read_to_string(format!("/proc/{pid}/{file}"))
                    .unwrap_or_default()
                    .trim()
                    .to_string()
            };
            let seen = format!("stat `{}`, wchan `{}`", state("stat"), state("wchan"));
            let _ = child.kill();
            let _ = child.wait();
            let said = std::fs::read_to_string(&log).unwrap_or_default();
            return Err(match e {
                mpsc::RecvTimeoutError::Timeout => {
                    format!("no ready line within {READY_WITHIN:?} ({seen}); it said: {said}")
                }
                mpsc::RecvTimeoutError::Disconnected => {
                    format!("it exited before it was ready; it said: {said}")
                }
            });
        }
    };
    let v: serde_json::Value = serde_json::from_str(&line)
        .map_err(|e| format!("its first line is not the issuer ({e}): {line}"))?;
    let issuer = v["issuer"].as_str().unwrap().to_string();
    let port = issuer.rsplit(':').next().unwrap().parse().unwrap();
    Ok(Provider {
        issuer,
        port,
        keys_file: keys_file.to_path_buf(),
        child,
    })
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
