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

    /// As [`Provider::start`], offering the device authorization grant or not.
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
        let log = keys_file.with_extension(format!("provider-{port}.log"));
        let mut child = Command::new("node")
            .arg("provider.js")
            .current_dir(&dir)
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
        // Node starts in a second on a quiet machine; a loaded one is given minutes.
        let line = rx
            .recv_timeout(Duration::from_secs(180))
            .unwrap_or_else(|e| {
                let said = std::fs::read_to_string(&log).unwrap_or_default();
                match e {
                    mpsc::RecvTimeoutError::Timeout => {
                        panic!("the OpenID Provider did not start within 180 s; it said: {said}")
                    }
                    mpsc::RecvTimeoutError::Disconnected => {
                        panic!("the OpenID Provider exited before it started; it said: {said}")
                    }
                }
            });
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        let issuer = v["issuer"].as_str().unwrap().to_string();
        let port = issuer.rsplit(':').next().unwrap().parse().unwrap();
        Provider {
            issuer,
            port,
            keys_file: keys_file.to_path_buf(),
            child,
        }
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

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
