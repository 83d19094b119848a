//! Token lifecycle: an expired token is refused, a revoked one is refused at once (over HTTP
//! by its owner or by a holder of `wicket:tokens.create`, or offline in the database), and
//! revoking needs the right.

use reqwest::{Method, StatusCode};
use serde_json::json;
use wicket_engine::admin::token_changes;
use wicket_engine::ids::RandomIds;

use crate::helpers::{TestApp, assert_error, config_path, spawn_app};

/// A token of `user`, minted an hour and a minute ago for an hour, stored straight in the
/// database: the token and its id.
async fn expired_token(app: &TestApp, user: &str) -> (String, String) {
    let store = app.running.as_ref().unwrap().app.store.clone();
    let an_hour_ago = wicket_engine::app::now() - chrono::Duration::minutes(61);
    let (token, changes) = token_changes(
        user,
        "wicket",
        Some(wicket_core::Duration::HOUR),
        an_hour_ago,
        &mut RandomIds,
    );
    let id = changes.tokens[0].id.clone();
    store.commit(changes).await.unwrap();
    (token, id)
}

#[tokio::test]
async fn expired_and_revoked_tokens_are_refused_at_once() {
    let app = spawn_app().await;
    let [alice, bob, root] = app.tokens(["alice", "bob", "root"]).await;
    let (expired, _) = expired_token(&app, "alice").await;
    assert_error(&app.get("/v1/whoami", &expired).await, 401, "token_expired");

    // Alice mints a token for herself, uses it (so it is cached), and revokes it with DELETE.
    let (s, minted) = app.post("/v1/tokens", &alice, json!({"ttl": "1h"})).await;
    assert_eq!(s, StatusCode::CREATED, "{minted}");
    let (own, own_id) = (
        minted["token"].as_str().unwrap().to_string(),
        minted["id"].as_str().unwrap().to_string(),
    );
    assert_eq!(app.get("/v1/whoami", &own).await.0, StatusCode::OK);
    let (s, v) = app
        .call(
            Method::DELETE,
            &format!("/v1/tokens/{own_id}"),
            Some(&own),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["id"], own_id.as_str());
    assert_error(&app.get("/v1/whoami", &own).await, 401, "token_revoked");
    // Twice is a conflict; an unknown id is 404.
    assert_error(
        &app.post(&format!("/v1/tokens/{own_id}/revoke"), &alice, json!({}))
            .await,
        409,
        "token_revoked",
    );
    assert_error(
        &app.call(Method::DELETE, "/v1/tokens/tok_nope", Some(&alice), None)
            .await,
        404,
        "unknown_token",
    );

    // Bob may not revoke Alice's token; root (who holds `wicket:tokens.create`) may.
    let (_, minted) = app.post("/v1/tokens", &alice, json!({})).await;
    let (other, other_id) = (
        minted["token"].as_str().unwrap().to_string(),
        minted["id"].as_str().unwrap().to_string(),
    );
    assert_eq!(app.get("/v1/whoami", &other).await.0, StatusCode::OK);
    assert_error(
        &app.call(
            Method::DELETE,
            &format!("/v1/tokens/{other_id}"),
            Some(&bob),
            None,
        )
        .await,
        403,
        "missing_power",
    );
    assert_eq!(app.get("/v1/whoami", &other).await.0, StatusCode::OK);
    let (s, v) = app
        .post(&format!("/v1/tokens/{other_id}/revoke"), &root, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_error(&app.get("/v1/whoami", &other).await, 401, "token_revoked");

    // `wicket token revoke --offline`: straight in the database, recorded like the others.
    let (_, minted) = app.post("/v1/tokens", &bob, json!({})).await;
    let (third, third_id) = (
        minted["token"].as_str().unwrap().to_string(),
        minted["id"].as_str().unwrap().to_string(),
    );
    let record =
        wicket_engine::admin::revoke_token(&config_path(&app.dir), Some(&app.db), &third_id)
            .await
            .unwrap();
    assert_eq!(record.user, "bob");
    assert!(record.revoked_at.is_some());
    assert_error(&app.get("/v1/whoami", &third).await, 401, "token_revoked");
    let again =
        wicket_engine::admin::revoke_token(&config_path(&app.dir), Some(&app.db), &third_id)
            .await
            .unwrap_err()
            .to_string();
    assert!(again.contains("already revoked"), "{again}");

    // Each revocation is in the audit log, naming the token and who revoked it.
    let revoked: Vec<(String, String)> = app
        .events(&root)
        .await
        .iter()
        .filter(|e| e["kind"] == "token.revoked")
        .map(|e| {
            (
                e["actor"].as_str().unwrap().to_string(),
                e["details"]["token_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        revoked,
        vec![
            ("alice".to_string(), own_id),
            ("root".to_string(), other_id),
            ("wicket".to_string(), third_id),
        ]
    );
}

/// `GET /v1/tokens`: the caller's own tokens not revoked, expired ones marked; another user's,
/// or everyone's, with `wicket:tokens.create`; never the token itself.
#[tokio::test]
async fn tokens_are_listed_to_their_owner_and_to_holders_of_the_power() {
    let app = spawn_app().await;
    let [alice, bob, root] = app.tokens(["alice", "bob", "root"]).await;
    let (expired, expired_id) = expired_token(&app, "alice").await;
    let (_, minted) = app.post("/v1/tokens", &alice, json!({"ttl": "2h"})).await;
    let minted_id = minted["id"].as_str().unwrap().to_string();
    let (_, gone) = app.post("/v1/tokens", &alice, json!({})).await;
    let gone_id = gone["id"].as_str().unwrap();
    let (s, _) = app
        .post(&format!("/v1/tokens/{gone_id}/revoke"), &alice, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK);

    let ids = |v: &serde_json::Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_str().unwrap().to_string())
            .collect()
    };
    // Alice: her three live tokens, oldest first (the expired one, minted an hour ago, first);
    // the revoked one is not there.
    let (s, mine) = app.get("/v1/tokens", &alice).await;
    assert_eq!(s, StatusCode::OK, "{mine}");
    let listed = ids(&mine);
    assert_eq!(listed.len(), 3, "{mine}");
    assert_eq!(listed[0], expired_id);
    assert_eq!(listed[2], minted_id);
    assert!(!listed.iter().any(|id| id == gone_id), "{mine}");
    let items = mine["items"].as_array().unwrap();
    assert_eq!(items[0]["status"], "expired", "{mine}");
    assert_eq!(items[1]["status"], "active", "{mine}");
    assert_eq!(items[1]["created_by"], "wicket", "{mine}");
    assert!(items[1]["expires_at"].is_string(), "{mine}");
    assert_eq!(items[2]["created_by"], "alice", "{mine}");
    assert!(items[2]["expires_at"].is_string(), "{mine}");
    assert!(
        items
            .iter()
            .all(|t| t["user"] == "alice" && t.get("token").is_none() && t.get("hash").is_none())
    );
    assert!(!mine.to_string().contains(&alice) && !mine.to_string().contains(&expired));

    // Bob sees his own, and may not read Alice's.
    assert_eq!(ids(&app.get("/v1/tokens", &bob).await.1).len(), 1);
    assert_error(
        &app.get("/v1/tokens?user=alice", &bob).await,
        403,
        "missing_power",
    );
    assert_eq!(app.get("/v1/tokens?user=bob", &bob).await.0, StatusCode::OK);
    // Root, who holds `wicket:tokens.create`, sees everyone's, or one user's.
    let everyone = ids(&app.get("/v1/tokens", &root).await.1);
    assert_eq!(everyone.len(), 5, "{everyone:?}");
    assert_eq!(
        ids(&app.get("/v1/tokens?user=user:alice", &root).await.1),
        listed
    );
    assert!(ids(&app.get("/v1/tokens?user=nobody", &root).await.1).is_empty());
    // Bad values name what was wrong.
    assert_error(
        &app.get("/v1/tokens?user=group:sre", &root).await,
        400,
        "invalid_query",
    );
    assert_error(
        &app.get("/v1/tokens?owner=alice", &root).await,
        400,
        "invalid_query",
    );
}
