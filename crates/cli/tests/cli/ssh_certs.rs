//! SSH certificates against a real `sshd`: `wicket ssh cert` signs a key for the logins the
//! grant allows, `ssh` logs in with it during the grant, and is refused after the grant ends
//! and after the grant is revoked and `wicket ssh krl --out` updated the revocation list.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::sshd::{Sshd, login, ssh};
use crate::support::{Server, sqlite, wicket};

/// A configuration with the CA at `dir/ca`, a self-service role that allows `login` on
/// `ssh/test/host-1`, and a second role with forwarding too.
pub fn config(dir: &Path, login: &str, extra: &str) -> std::path::PathBuf {
    let text = format!(
        r#"
[ssh]
ca_key = "{ca}"
max_cert_ttl = "1h"

[[users]]
name = "alice"
groups = ["sre"]

[[users]]
name = "bob"
groups = ["dev"]

[[roles]]
name = "host-login"
description = "Log in to host-1"
permissions = [{{ actions = ["ssh:login"], resources = ["ssh/test/host-1/{login}"] }}]

[[roles]]
name = "host-forward"
description = "Log in to host-1 and forward ports"
permissions = [{{ actions = ["ssh:login", "ssh:forward"], resources = ["ssh/test/host-1/{login}"] }}]

[[roles]]
name = "auditor"
description = "Read the audit log"
permissions = [{{ actions = ["wicket:audit.read"], resources = ["wicket"] }}]

[[bindings]]
subjects = ["group:sre"]
roles = ["auditor"]

[[policies]]
name = "self-service"
requesters = ["group:sre"]
roles = ["host-login", "host-forward"]
max_duration = "4h"
default_duration = "1h"
require_reason = false
{extra}
"#,
        ca = dir.join("ca").display()
    );
    let path = dir.join("wicket.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// `ssh -i KEY LOGIN@127.0.0.1 echo hello` with the certificate beside KEY: its output.
fn try_login(sshd: &Sshd, key: &Path, login: &str) -> std::process::Output {
    ssh(
        sshd.port,
        &[
            "-o",
            "BatchMode=yes",
            "-o",
            "IdentitiesOnly=yes",
            "-i",
            key.to_str().unwrap(),
            &format!("{login}@127.0.0.1"),
            "echo",
            "hello-from-sshd",
        ],
    )
    .output()
    .unwrap()
}

fn logged_in(sshd: &Sshd, key: &Path, login: &str) -> bool {
    let out = try_login(sshd, key, login);
    let ok =
        out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == "hello-from-sshd";
    if !ok {
        eprintln!(
            "ssh refused: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            sshd.log()
                .lines()
                .rev()
                .take(5)
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    ok
}

#[test]
fn a_certificate_opens_sshd_during_the_grant_and_not_after_it_or_its_revocation() {
    let dir = tempfile::tempdir().unwrap();
    let login = login();
    let principal = format!("ssh/test/host-1/{login}");
    let config = config(dir.path(), &login, "");
    let database = sqlite(dir.path());
    // The CA: `wicket ssh keygen`.
    let out = wicket(&[
        "ssh",
        "keygen",
        "--out",
        dir.path().join("ca").to_str().unwrap(),
    ])
    .expect_code(0);
    assert!(out.stdout.starts_with("ssh-ed25519 "), "{out:?}");
    let server = Server::start(&config, &database);
    let sshd_dir = dir.path().join("sshd");
    std::fs::create_dir_all(&sshd_dir).unwrap();
    let sshd = Sshd::start(&sshd_dir, Some(&dir.path().join("ca.pub")), None);
    sshd.allow(&login, &principal);
    let alice = server.token("alice");
    let krl = sshd_dir.join("revoked.krl");
    server
        .wicket(&alice, &["ssh", "krl", "--out", krl.to_str().unwrap()])
        .expect_code(0);

    // Nothing allows a login yet: refused, naming the action.
    let key = dir.path().join("alice_key");
    let cert_args = ["ssh", "cert", "--key", key.to_str().unwrap()];
    let no_cert = || {
        let out = server.wicket(&alice, &cert_args).expect_code(2);
        out.expect_stderr("ssh:login");
    };
    no_cert();

    // A short grant: the certificate ends with it.
    let short = server.grant(&alice, "host-login", "20s");
    let cert = server.json(&alice, &cert_args);
    assert_eq!(cert["principals"], serde_json::json!([principal]), "{cert}");
    assert_eq!(cert["grants"], serde_json::json!([short]), "{cert}");
    assert_eq!(
        cert["extensions"],
        serde_json::json!(["permit-pty"]),
        "{cert}"
    );
    assert!(
        cert["key_id"].as_str().unwrap().contains("alice")
            && cert["key_id"].as_str().unwrap().contains(&short),
        "{cert}"
    );
    assert!(dir.path().join("alice_key-cert.pub").is_file());
    // OpenSSH reads the certificate as wicket wrote it.
    let shown = std::process::Command::new("ssh-keygen")
        .args(["-L", "-f"])
        .arg(dir.path().join("alice_key-cert.pub"))
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&shown.stdout).to_string();
    assert!(
        shown.contains(&format!("Serial: {}", cert["serial"].as_str().unwrap())),
        "{shown}"
    );
    assert!(
        logged_in(&sshd, &key, &login),
        "the certificate did not open sshd"
    );
    // Another login than the certificate's principal's is refused by sshd itself.
    assert!(!logged_in(&sshd, &key, "nobody"));

    // After the grant's end, the same certificate is refused.
    let ends = chrono::DateTime::parse_from_rfc3339(cert["valid_before"].as_str().unwrap())
        .unwrap()
        .with_timezone(&chrono::Utc);
    let start = Instant::now();
    while chrono::Utc::now() < ends + chrono::Duration::seconds(1) {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the grant never ended"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(
        !logged_in(&sshd, &key, &login),
        "an expired certificate opened sshd"
    );
    no_cert();

    // A new grant, a new certificate with its own serial and forwarding allowed.
    let long = server.grant(&alice, "host-forward", "1h");
    let second = server.json(&alice, &cert_args);
    assert_ne!(second["serial"], cert["serial"]);
    assert_eq!(
        second["extensions"],
        serde_json::json!(["permit-pty", "permit-port-forwarding"]),
        "{second}"
    );
    assert!(logged_in(&sshd, &key, &login));

    // Revoked: sshd still lets it in until the KRL says otherwise.
    server
        .wicket(
            &alice,
            &["grant", "revoke", &long, "--reason", "done early"],
        )
        .expect_code(0);
    server
        .wicket(&alice, &["ssh", "krl", "--out", krl.to_str().unwrap()])
        .expect_code(0);
    let query = std::process::Command::new("ssh-keygen")
        .args(["-Q", "-f"])
        .arg(&krl)
        .arg(dir.path().join("alice_key-cert.pub"))
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&query.stdout).contains("REVOKED"),
        "ssh-keygen -Q does not find the certificate revoked: {query:?}"
    );
    assert!(
        !logged_in(&sshd, &key, &login),
        "a revoked certificate opened sshd"
    );

    // Every certificate is in the audit log, with its serial and grant.
    let issued = server
        .json(&alice, &["audit", "list", "--kind", "ssh.cert.issued"])
        .to_string();
    for serial in [&cert["serial"], &second["serial"]] {
        assert!(issued.contains(serial.as_str().unwrap()), "{issued}");
    }
}
