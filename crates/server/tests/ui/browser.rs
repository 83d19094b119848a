//! Headless Chromium through chromedriver: one driver process per test, one fresh profile per
//! browser session, and the waits and screenshots the tests use.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Map, json};
use tempfile::TempDir;

const MISSING: &str = "the browser tests need the Debian packages `chromium` and `chromium-driver` \
                       (apt-get install -y chromium chromium-driver), or CHROMIUM and CHROMEDRIVER set to the binaries";

/// `name` from the environment variable `var`, else the first of `candidates` on PATH.
fn locate(var: &str, candidates: &[&str]) -> PathBuf {
    if let Some(p) = std::env::var_os(var) {
        return PathBuf::from(p);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        for c in candidates {
            let p = dir.join(c);
            if p.is_file() {
                return p;
            }
        }
    }
    panic!("{} not found: {MISSING}", candidates[0]);
}

/// A chromedriver process, ended when dropped.
pub struct Driver {
    child: Child,
    url: String,
    chromium: PathBuf,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    pub async fn start() -> Driver {
        let chromium = locate("CHROMIUM", &["chromium", "chromium-browser"]);
        let chromedriver = locate("CHROMEDRIVER", &["chromedriver"]);
        // Port 0: chromedriver binds a free port itself and says which, so no other process
        // can take a number picked here in between. A chromedriver that exits before saying
        // so (once seen on a loaded machine) is started again, twice at most; its own words
        // are kept for the failure.
        let mut failures = Vec::new();
        let (child, port) = loop {
            let log = tempfile::NamedTempFile::new().unwrap();
            let mut child = Command::new(&chromedriver)
                .arg("--port=0")
                .stdout(Stdio::piped())
                .stderr(Stdio::from(log.reopen().unwrap()))
                .spawn()
                .unwrap_or_else(|e| panic!("starting {}: {e}; {MISSING}", chromedriver.display()));
            let stdout = child.stdout.take().unwrap();
            let said = tokio::task::spawn_blocking(move || {
                let mut lines = BufReader::new(stdout).lines();
                let mut seen = Vec::new();
                let port = lines.by_ref().map_while(Result::ok).find_map(|line| {
                    let port = line
                        .split("started successfully on port ")
                        .nth(1)
                        .and_then(|p| p.trim_end_matches('.').trim().parse::<u16>().ok());
                    seen.push(line);
                    port
                });
                // Keep reading so chromedriver never blocks on a full pipe.
                std::thread::spawn(move || lines.for_each(drop));
                port.ok_or(seen)
            })
            .await
            .unwrap();
            match said {
                Ok(port) => break (child, port),
                Err(stdout) => {
                    let status = child.wait().ok();
                    let stderr = std::fs::read_to_string(log.path()).unwrap_or_default();
                    failures.push(format!(
                        "exit {status:?}; stdout {stdout:?}; stderr {stderr:?}"
                    ));
                    assert!(
                        failures.len() < 3,
                        "chromedriver exited without saying which port it listens on, three times: {failures:#?}"
                    );
                }
            }
        };
        let driver = Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
            chromium,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        let http = reqwest::Client::new();
        loop {
            if let Ok(r) = http.get(format!("{}/status", driver.url)).send().await
                && r.status().is_success()
            {
                return driver;
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver did not answer on port {port} within 30s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A new browser session signed in at `base` with `token`.
    pub async fn signed_in(&self, base: &str, token: &str) -> Browser {
        let b = self.browser().await;
        b.sign_in(base, token).await;
        b
    }

    /// A new browser session with its own empty profile.
    pub async fn browser(&self) -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let args = vec![
            "--headless".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-background-networking".into(),
            "--no-first-run".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--window-size=1280,900".into(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let mut caps = Map::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert(
            "goog:chromeOptions".into(),
            json!({"binary": self.chromium.display().to_string(), "args": args}),
        );
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&self.url)
            .await
            .unwrap_or_else(|e| panic!("starting chromium through chromedriver: {e}"));
        Browser {
            client,
            _profile: profile,
        }
    }
}

/// One browser session.
pub struct Browser {
    pub client: Client,
    _profile: TempDir,
}

/// How long a wait lasts before the test fails.
pub const WAIT: Duration = Duration::from_secs(10);

impl Browser {
    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap();
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
    }

    /// Signs in through the form with `token`.
    pub async fn sign_in(&self, base: &str, token: &str) {
        self.goto(&format!("{base}/login")).await;
        self.fill("#login-token", token).await;
        self.click("form[action='/login'] button[type=submit]")
            .await;
        self.wait_for("header.top nav").await;
    }

    /// Runs `js` in the page; what it returns.
    pub async fn script(&self, js: &str) -> serde_json::Value {
        self.client.execute(js, vec![]).await.unwrap()
    }

    /// The first `css` element, which must be there.
    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no `{css}`: {e}"))
    }

    /// Attribute `name` of the first `css` element, which must have it.
    pub async fn attr(&self, css: &str, name: &str) -> String {
        let e = self.find(css).await;
        e.attr(name)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("`{css}` has no {name}"))
    }

    pub async fn fill(&self, css: &str, text: &str) {
        let e = self.find(css).await;
        e.clear().await.unwrap();
        e.send_keys(text).await.unwrap();
    }

    pub async fn click(&self, css: &str) {
        let e = self.find(css).await;
        e.click().await.unwrap();
    }

    pub async fn wait_for(&self, css: &str) {
        self.client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("`{css}` did not appear within {WAIT:?}: {e}"));
    }

    /// The text of the first `css` element, or "" when there is none.
    pub async fn text(&self, css: &str) -> String {
        match self.client.find(Locator::Css(css)).await {
            Ok(e) => e.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    pub async fn count(&self, css: &str) -> usize {
        self.client
            .find_all(Locator::Css(css))
            .await
            .map(|v| v.len())
            .unwrap_or(0)
    }

    /// Waits until the first `css` element's text satisfies `ok`; returns that text.
    pub async fn wait_text(&self, css: &str, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let t = self.text(css).await;
            if ok(&t) {
                return t;
            }
            assert!(
                Instant::now() < deadline,
                "`{css}` never showed {what}; last text: {t:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Saves a screenshot to docs/screenshots/NAME.png when WICKET_SCREENSHOTS is set: the
    /// whole page at desktop widths, the first screenful on a phone-sized one.
    pub async fn screenshot(&self, name: &str, width: u32) {
        if std::env::var_os("WICKET_SCREENSHOTS").is_none() {
            return;
        }
        self.client.set_window_size(width, 900).await.unwrap();
        let sizes = self
            .client
            .execute("return [document.documentElement.scrollHeight, window.outerHeight - window.innerHeight]", vec![])
            .await
            .unwrap();
        let (page, frame) = (
            sizes[0].as_u64().unwrap_or(900),
            sizes[1].as_u64().unwrap_or(0),
        );
        let page = if width < 600 {
            740
        } else {
            page.clamp(600, 4000)
        };
        self.client
            .set_window_size(width, (page + frame) as u32)
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(150)).await;
        let png = self.client.screenshot().await.unwrap();
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
        self.client.set_window_size(1280, 900).await.unwrap();
    }
}
