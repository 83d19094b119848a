//! `wicket login` against a real OpenID Provider (the server's test provider, oidc-provider):
//! the command prints the provider's page and code, the person signs in there, the session is
//! kept in the config directory (0600) and used by the next command; a second `wicket login`
//! revokes the first one's token; `wicket logout` revokes it. Against a provider without the
//! device grant, the command opens `BROWSER` on the provider's page and takes the answer on a
//! loopback listener (or only prints the page with `--no-browser`).

use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use crate::browser::{Browser, form, set, through_provider};
use crate::harness::{World, world};
use crate::support::{Out, command, lines, run};

/// `wicket login ARGS` with its config directory in `home` (and `BROWSER` set to `browser`)
/// and its output piped: the child, and the lines of its stderr as they come.
fn start_login(
    w: &World,
    home: &Path,
    args: &[&str],
    browser: Option<&Path>,
) -> (Child, Receiver<String>) {
    let mut child = command()
        .args(["login", "--server", &w.base])
        .args(args)
        .env("XDG_CONFIG_HOME", home)
        .envs(browser.map(|b| ("BROWSER", b)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = lines(child.stderr.take().unwrap());
    (child, stderr)
}

/// The rest of the first line of `stderr` that starts with `says`, waiting up to 60 s for it.
fn line_after(stderr: &Receiver<String>, says: &str) -> String {
    loop {
        let line = stderr
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("`wicket login` did not print `{says}` within 60 s"));
        if let Some(rest) = line.strip_prefix(says) {
            return rest.to_string();
        }
    }
}

/// Waits up to 60 s for `wicket login` to succeed: what it printed on stdout.
async fn finished(mut child: Child) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "`wicket login` did not finish within 60 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let mut stdout = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut stdout).unwrap();
    assert!(status.success(), "{stdout}");
    stdout
}

/// The session `wicket login` kept in `home`, whose file only its owner may read.
fn stored(home: &Path) -> serde_json::Value {
    let file = home.join("wicket/session.json");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the session file is readable by others");
    }
    serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap()
}

/// The HTTP status of `GET /v1/whoami` with `token`.
async fn whoami_status(w: &World, token: &serde_json::Value) -> u16 {
    reqwest::Client::new()
        .get(format!("{}/v1/whoami", w.base))
        .bearer_auth(token.as_str().unwrap())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// `wicket CMD --server ...` with the session kept in `home`.
fn with_session(w: &World, home: &Path, cmd: &str) -> Out {
    tokio::task::block_in_place(|| {
        run(command()
            .args([cmd, "--server", &w.base])
            .env("XDG_CONFIG_HOME", home))
    })
}

/// Runs `wicket login` with its config directory in `home`, signing in as `ann` on the
/// provider's pages; what it printed.
async fn login(w: &World, home: &Path) -> String {
    let (child, stderr) = start_login(w, home, &[], None);
    let rest = line_after(&stderr, "To sign in, open ");
    let (url, code) = rest.split_once(" and enter the code ").unwrap();

    // The person, on the provider's own pages.
    let b = Browser::new();
    let page = b.get(url).await;
    let (action, mut fields) = form(&page);
    set(&mut fields, "user_code", code);
    let page = b.post(&action, &fields).await;
    let end = through_provider(&b, page, "ann", |_| false).await;
    assert!(end.body.to_lowercase().contains("success"), "{}", end.body);
    finished(child).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_keeps_a_session_that_later_commands_use_and_logout_revokes() {
    let w = world().await;
    let home = tempfile::tempdir().unwrap();
    let stdout = login(&w, home.path()).await;
    assert!(
        stdout.contains("signed in as ann (groups: sre)"),
        "{stdout}"
    );

    let file = home.path().join("wicket/session.json");
    let stored_first = stored(home.path());
    assert_eq!(stored_first["user"], "ann");
    assert!(stored_first["token"].as_str().unwrap().starts_with("wkt_"));

    // Signing in again replaces the session: the first one's token is revoked.
    login(&w, home.path()).await;
    let stored = stored(home.path());
    assert_ne!(stored["token"], stored_first["token"]);
    assert_eq!(
        whoami_status(&w, &stored_first["token"]).await,
        401,
        "the first login's token is still live"
    );

    // The next command signs in with it, with no --token or WICKET_TOKEN.
    let out = with_session(&w, home.path(), "whoami").expect_code(0);
    out.expect_stdout("ann");
    out.expect_stdout("sre");

    let out = with_session(&w, home.path(), "logout").expect_code(0);
    out.expect_stdout("signed out ann");
    assert!(!file.exists());
    // The token itself is revoked, not just forgotten.
    assert_eq!(whoami_status(&w, &stored["token"]).await, 401);
    let out = with_session(&w, home.path(), "whoami");
    assert_ne!(out.code, 0);
    out.expect_stderr("wicket login");
}

/// Runs `wicket login` (with `extra` arguments) against a provider without the device grant,
/// with `BROWSER` set to `browser`; reads the sign-in page from stderr, follows it as `ann`
/// through the provider, wicket's callback and the command's own listener. What the command
/// printed on stdout, the page, and the listener's last page.
async fn loopback_login(
    w: &World,
    home: &Path,
    extra: &[&str],
    browser: &Path,
) -> (String, String, String) {
    let (child, stderr) = start_login(w, home, extra, Some(browser));
    let url = line_after(&stderr, "To sign in, open this page in a browser: ");
    assert!(url.starts_with(&w.provider.issuer), "{url}");

    // The person's browser: the provider's pages, then wicket, then the command's listener.
    let b = Browser::new();
    let page = b.get(&url).await;
    let end = through_provider(&b, page, "ann", |_| false).await;
    assert!(
        end.url.as_str().starts_with("http://127.0.0.1:") && end.url.path() == "/callback",
        "the browser ended at {}",
        end.url
    );

    let stdout = finished(child).await;
    (stdout, url, end.body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_device_grant_login_opens_the_browser_on_a_loopback_redirect() {
    let w = crate::harness::world_without_device_grant().await;
    let home = tempfile::tempdir().unwrap();
    // The "browser": a script that notes the page it was asked to open.
    let opened = home.path().join("opened");
    let browser = home.path().join("browser.sh");
    std::fs::write(
        &browser,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$1\" > '{}'\n",
            opened.display()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&browser, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    let (stdout, url, page) = loopback_login(&w, home.path(), &[], &browser).await;
    assert!(
        stdout.contains("signed in as ann (groups: sre)"),
        "{stdout}"
    );
    assert!(page.contains("You may close this window"), "{page}");
    // `BROWSER` was asked to open the very page the command printed (it has run by now: the
    // sign-in it began is over).
    let deadline = Instant::now() + Duration::from_secs(30);
    while !std::fs::read_to_string(&opened).is_ok_and(|s| s.ends_with('\n')) {
        assert!(Instant::now() < deadline, "`BROWSER` was never run");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(std::fs::read_to_string(&opened).unwrap().trim(), url);

    let stored = stored(home.path());
    assert_eq!(stored["user"], "ann");
    let out = with_session(&w, home.path(), "whoami").expect_code(0);
    out.expect_stdout("ann");

    // `--no-browser` only prints the page; the new session replaces the first.
    std::fs::remove_file(&opened).unwrap();
    let (stdout, _, _) = loopback_login(&w, home.path(), &["--no-browser"], &browser).await;
    assert!(stdout.contains("signed in as ann"), "{stdout}");
    assert!(!opened.exists(), "`--no-browser` opened a browser");
    assert_eq!(
        whoami_status(&w, &stored["token"]).await,
        401,
        "the first login's token is still live"
    );
}
