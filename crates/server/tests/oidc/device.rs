//! The device grant behind `wicket login`: the server starts it at the provider, the person
//! enters the code on the provider's own page and signs in there, the poll turns into a
//! wicket token bounded by `session_lifetime`, and revoking it signs out.

use serde_json::{Value, json};

use crate::browser::Browser;
use crate::harness::{whoami, world};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_device_grant_yields_a_wicket_token_and_revoking_it_signs_out() {
    let w = world().await;
    let http = reqwest::Client::builder()
        .pool_idle_timeout(wicket_testkit::HTTP_IDLE)
        .build()
        .unwrap();
    let started: Value = http
        .post(w.url("/login/oidc/device"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let handle = started["handle"].as_str().unwrap().to_string();
    assert!(
        started["user_code"].as_str().is_some_and(|c| !c.is_empty()),
        "{started}"
    );
    assert!(
        started["verification_uri"]
            .as_str()
            .unwrap()
            .starts_with(&w.provider.issuer)
    );

    let poll = || async {
        http.post(w.url("/login/oidc/device/poll"))
            .json(&json!({ "handle": handle }))
            .send()
            .await
            .unwrap()
    };
    let pending = poll().await;
    assert_eq!(pending.status(), 202);
    let body: Value = pending.json().await.unwrap();
    assert_eq!(body["error"]["code"], "authorization_pending");

    // The person, on the provider's pages: the code, then login and consent.
    let b = Browser::new();
    let page = b.get(started["verification_uri"].as_str().unwrap()).await;
    let (action, mut fields) = crate::browser::form(&page);
    crate::browser::set(
        &mut fields,
        "user_code",
        started["user_code"].as_str().unwrap(),
    );
    let page = b.post(&action, &fields).await;
    let end = crate::browser::through_provider(&b, page, "ann", |_| false)
        .await
        .body;
    assert!(end.to_lowercase().contains("success"), "{end}");

    // The provider asks clients to wait `interval` between polls; wait for the answer.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let signed: Value = loop {
        let r = poll().await;
        if r.status() == 200 {
            break r.json().await.unwrap();
        }
        assert_eq!(r.status(), 202, "{}", r.text().await.unwrap());
        assert!(
            std::time::Instant::now() < deadline,
            "no sign-in within 30 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    };
    assert_eq!(signed["user"], "ann");
    assert_eq!(signed["groups"], json!(["sre"]));
    let token = signed["token"].as_str().unwrap();
    let expires: chrono::DateTime<chrono::Utc> =
        signed["expires_at"].as_str().unwrap().parse().unwrap();
    let left = expires - chrono::Utc::now();
    assert!(
        left <= chrono::Duration::hours(2) && left > chrono::Duration::minutes(110),
        "{left}"
    );

    let (_, me) = whoami(&http, &w.base, token).await;
    assert_eq!(me["user"], "ann", "{me}");

    // The person is in the stored directory: a server that did not see the sign-in (another
    // replica, or this one restarted) knows them, their groups and their token.
    let other = wicket_server::spawn(
        w.wicket.app.config.as_ref().clone(),
        Some(&w.db),
        "127.0.0.1:0",
    )
    .await
    .unwrap();
    let (_, elsewhere) = whoami(&http, &format!("http://{}", other.addr), token).await;
    assert_eq!(elsewhere["user"], "ann", "{elsewhere}");
    assert_eq!(elsewhere["groups"], json!(["sre"]), "{elsewhere}");
    other.shutdown().await.unwrap();
    let created = w.events("identity.user.created").await;
    assert_eq!(created.len(), 1, "{created:?}");

    // The handle is spent.
    let again = poll().await;
    assert_eq!(again.status(), 404);

    // Signing out: the token revokes itself.
    let id = signed["id"].as_str().unwrap();
    let r = http
        .post(w.url(&format!("/v1/tokens/{id}/revoke")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(whoami(&http, &w.base, token).await.0, 401);
    let events = w.events("auth.signed_in").await;
    assert!(events.iter().any(|e| e.details.contains("\"via\":\"cli\"")));
}
