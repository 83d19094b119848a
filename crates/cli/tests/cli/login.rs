//! `wicket login` against a real OpenID Provider (the server's test provider, oidc-provider):
//! the command prints the provider's page and code, the person signs in there, the session is
//! kept in the config directory (0600) and used by the next command; a second `wicket login`
//! revokes the first one's token; `wicket logout` revokes it. Against a provider without the
//! device grant, the command opens `BROWSER` on the provider's page and takes the answer on a
//! loopback listener (or only prints the page with `--no-browser`).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::browser::{Browser, form, set, through_provider};
use crate::harness::{World, world};
use crate::support::{command, run};

/// Runs `wicket login` with its config directory in `home`, signing in as `ann` on the
/// provider's pages; what it printed.
async fn login(w: &World, home: &Path) -> String {
    let mut child = command()
        .args(["login", "--server", &w.base])
        .env("XDG_CONFIG_HOME", home)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let line = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("`wicket login` printed no sign-in instructions within 60 s");
        if line.starts_with("To sign in, open ") {
            break line;
        }
    };
    let rest = line.trim_start_matches("To sign in, open ");
    let (url, code) = rest.split_once(" and enter the code ").unwrap();

    // The person, on the provider's own pages.
    let b = Browser::new();
    let page = b.get(url).await;
    let (action, mut fields) = form(&page);
    set(&mut fields, "user_code", code);
    let page = b.post(&action, &fields).await;
    let end = through_provider(&b, page, "ann", |_| false).await;
    assert!(end.body.to_lowercase().contains("success"), "{}", end.body);

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
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the session file is readable by others");
    }
    let stored: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(stored["user"], "ann");
    assert!(stored["token"].as_str().unwrap().starts_with("wkt_"));

    // Signing in again replaces the session: the first one's token is revoked.
    login(&w, home.path()).await;
    let first = stored["token"].as_str().unwrap().to_string();
    let stored: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_ne!(stored["token"].as_str().unwrap(), first);
    let r = reqwest::Client::new()
        .get(format!("{}/v1/whoami", w.base))
        .bearer_auth(&first)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "the first login's token is still live");

    // The next command signs in with it, with no --token or WICKET_TOKEN.
    let whoami = |home: &std::path::Path| {
        run(command()
            .args(["whoami", "--server", &w.base])
            .env("XDG_CONFIG_HOME", home))
    };
    let out = tokio::task::block_in_place(|| whoami(home.path())).expect_code(0);
    assert!(out.stdout.contains("ann"), "{out:?}");
    assert!(out.stdout.contains("sre"), "{out:?}");

    let out = tokio::task::block_in_place(|| {
        run(command()
            .args(["logout", "--server", &w.base])
            .env("XDG_CONFIG_HOME", home.path()))
    })
    .expect_code(0);
    assert!(out.stdout.contains("signed out ann"), "{out:?}");
    assert!(!file.exists());
    // The token itself is revoked, not just forgotten.
    let r = reqwest::Client::new()
        .get(format!("{}/v1/whoami", w.base))
        .bearer_auth(stored["token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let out = tokio::task::block_in_place(|| whoami(home.path()));
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("wicket login"), "{out:?}");
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
    let mut child = command()
        .args(["login", "--server", &w.base])
        .args(extra)
        .env("XDG_CONFIG_HOME", home)
        .env("BROWSER", browser)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    const SAYS: &str = "To sign in, open this page in a browser: ";
    let url = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("`wicket login` printed no sign-in page within 60 s");
        if let Some(url) = line.strip_prefix(SAYS) {
            break url.to_string();
        }
    };
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

    let file = home.path().join("wicket/session.json");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the session file is readable by others");
    }
    let stored: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(stored["user"], "ann");
    let out = tokio::task::block_in_place(|| {
        run(command()
            .args(["whoami", "--server", &w.base])
            .env("XDG_CONFIG_HOME", home.path()))
    })
    .expect_code(0);
    assert!(out.stdout.contains("ann"), "{out:?}");

    // `--no-browser` only prints the page; the new session replaces the first.
    std::fs::remove_file(&opened).unwrap();
    let (stdout, _, _) = loopback_login(&w, home.path(), &["--no-browser"], &browser).await;
    assert!(stdout.contains("signed in as ann"), "{stdout}");
    assert!(!opened.exists(), "`--no-browser` opened a browser");
    let r = reqwest::Client::new()
        .get(format!("{}/v1/whoami", w.base))
        .bearer_auth(stored["token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "the first login's token is still live");
}
