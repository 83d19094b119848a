//! A webhook receiver for the notification tests: a real HTTP server on 127.0.0.1:0 that
//! records every request and answers as each path is told to.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::Value;

/// Serves `app` on a free port of 127.0.0.1 for the rest of the test; its `http://` base.
pub async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

/// One request the receiver got.
#[derive(Clone, Debug)]
pub struct Received {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    }
}

#[derive(Clone, Default)]
struct Shared {
    got: Arc<Mutex<Vec<Received>>>,
    /// Path → statuses to answer first, in order; 200 after them.
    script: Arc<Mutex<HashMap<String, Vec<u16>>>>,
}

pub struct Receiver {
    pub base: String,
    shared: Shared,
}

impl Receiver {
    /// Starts a receiver; `script` maps a path to the statuses it answers first.
    pub async fn start(script: &[(&str, &[u16])]) -> Receiver {
        let shared = Shared::default();
        {
            let mut s = shared.script.lock().unwrap();
            for (path, statuses) in script {
                s.insert((*path).to_string(), statuses.to_vec());
            }
        }
        let app = Router::new()
            .route("/{path}", post(hook))
            .with_state(shared.clone());
        Receiver {
            base: serve(app).await,
            shared,
        }
    }

    /// Everything received on `path` so far.
    pub fn got(&self, path: &str) -> Vec<Received> {
        let all = self.shared.got.lock().unwrap();
        all.iter().filter(|r| r.path == path).cloned().collect()
    }

    /// Waits (up to 30 s) until `path` got a request whose JSON satisfies `f`.
    pub async fn wait_for(&self, path: &str, f: impl Fn(&Received) -> bool) -> Received {
        for _ in 0..600 {
            if let Some(r) = self.got(path).into_iter().find(|r| f(r)) {
                return r;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("`{path}` got no matching request; got {:?}", self.got(path));
    }
}

async fn hook(
    State(shared): State<Shared>,
    Path(path): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let path = format!("/{path}");
    shared.got.lock().unwrap().push(Received {
        path: path.clone(),
        headers,
        body,
    });
    let next = {
        let mut script = shared.script.lock().unwrap();
        script
            .get_mut(&path)
            .and_then(|s| (!s.is_empty()).then(|| s.remove(0)))
    };
    StatusCode::from_u16(next.unwrap_or(200)).unwrap()
}

/// A sink that accepts connections and never answers.
pub async fn black_hole() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock);
        }
    });
    format!("http://{addr}")
}
