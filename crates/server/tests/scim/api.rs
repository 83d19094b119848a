//! The SCIM endpoints as a provider uses them: users and groups created, read, listed with
//! filters and pages, replaced, patched and deleted; errors in SCIM's schema; every change
//! audited; group memberships deciding at once.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::{CONFIG, spawn_scim};

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

fn names(list: &Value) -> Vec<String> {
    list["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["userName"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_are_created_read_listed_replaced_patched_and_deleted() {
    let s = spawn_scim(CONFIG).await;
    let (status, ann) = s
        .scim(Method::POST, "/Users", Some(json!({
            "schemas": [USER], "userName": "ann@example.com", "externalId": "00u1", "active": true,
            "name": {"givenName": "Ann", "familyName": "Lee"},
            "emails": [{"value": "ann@example.com", "type": "work", "primary": true}],
            "password": "never-kept",
        })))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{ann}");
    let id = ann["id"].as_str().unwrap();
    assert_eq!(ann["active"], true);
    assert_eq!(ann["name"]["familyName"], "Lee");
    assert_eq!(ann["meta"]["resourceType"], "User");
    assert!(
        ann["meta"]["location"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/scim/v2/Users/{id}"))
    );
    assert!(ann.get("password").is_none(), "{ann}");
    let (status, got) = s.scim(Method::GET, &format!("/Users/{id}"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got, ann);

    for n in ["bob", "cat", "dan"] {
        s.user(n).await;
    }
    // Filters: userName (any case), externalId, displayName, and more.
    for (filter, expected) in [
        (r#"userName eq "ANN@example.com""#, vec!["ann@example.com"]),
        (r#"externalId eq "00u1""#, vec!["ann@example.com"]),
        (
            r#"userName sw "b" or userName eq "dan""#,
            vec!["bob", "dan"],
        ),
        (r#"emails[type eq "work"]"#, vec!["ann@example.com"]),
        (r#"displayName eq "nobody""#, vec![]),
    ] {
        let q = form_urlencoded::byte_serialize(filter.as_bytes()).collect::<String>();
        let (status, list) = s
            .scim(Method::GET, &format!("/Users?filter={q}"), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{filter}: {list}");
        assert_eq!(names(&list), expected, "{filter}");
        assert_eq!(list["totalResults"], expected.len(), "{filter}");
    }
    // Pages: startIndex from 1, count, the total unchanged.
    let (_, page) = s
        .scim(Method::GET, "/Users?startIndex=2&count=2", None)
        .await;
    assert_eq!(names(&page), ["bob", "cat"]);
    assert_eq!(page["totalResults"], 4);
    assert_eq!(page["startIndex"], 2);
    assert_eq!(page["itemsPerPage"], 2);
    let (_, page) = s
        .scim(
            Method::GET,
            "/Users?startIndex=4&count=10&attributes=userName",
            None,
        )
        .await;
    assert_eq!(names(&page), ["dan"]);
    assert!(page["Resources"][0].get("name").is_none(), "{page}");
    let (_, found) = s
        .scim(
            Method::POST,
            "/Users/.search",
            Some(json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                "filter": "userName eq \"cat\"", "excludedAttributes": ["name"],
            })),
        )
        .await;
    assert_eq!(names(&found), ["cat"]);
    assert!(found["Resources"][0].get("name").is_none());

    // PUT replaces the document; the id, creation and groups stay the server's.
    let (status, put) = s
        .scim(Method::PUT, &format!("/Users/{id}"), Some(json!({
            "schemas": [USER], "userName": "ann@example.com", "displayName": "Ann L.", "active": true,
        })))
        .await;
    assert_eq!(status, StatusCode::OK, "{put}");
    assert_eq!(put["displayName"], "Ann L.");
    assert!(put.get("name").is_none());
    assert_eq!(put["meta"]["created"], ann["meta"]["created"]);
    assert_eq!(put["meta"]["version"], "W/\"2\"");

    // PATCH, as Okta and Entra ID send it (Entra's `"False"` as text).
    let (status, patched) = s
        .scim(
            Method::PATCH,
            &format!("/Users/{id}"),
            Some(json!({
                "schemas": [PATCH],
                "Operations": [
                    {"op": "Add", "path": "name.givenName", "value": "Annie"},
                    {"op": "Replace", "path": "active", "value": "False"},
                ],
            })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["active"], false);
    assert_eq!(patched["name"]["givenName"], "Annie");
    let (_, patched) = s
        .scim(
            Method::PATCH,
            &format!("/Users/{id}"),
            Some(json!({
                "schemas": [PATCH], "Operations": [{"op": "replace", "value": {"active": true}}],
            })),
        )
        .await;
    assert_eq!(patched["active"], true);

    let (status, _) = s.scim(Method::DELETE, &format!("/Users/{id}"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, gone) = s.scim(Method::GET, &format!("/Users/{id}"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(gone["schemas"][0], ERROR);

    // Every change is in the audit log.
    let boss = s.token("boss").await;
    let (status, audit) = s
        .api(
            Method::GET,
            "/v1/audit?kind=identity.*&limit=100",
            &boss,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{audit}");
    let kinds: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "identity.user.created",
            "identity.user.created",
            "identity.user.created",
            "identity.user.created",
            "identity.user.updated",
            "identity.user.deactivated",
            "identity.user.updated",
            "identity.user.deleted",
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_memberships_decide_at_once() {
    let s = spawn_scim(CONFIG).await;
    let ann = s.user("ann").await;
    let bob = s.user("bob").await;
    let boss = s.token("boss").await;
    let check = |who: &'static str| {
        let (s, boss) = (&s, boss.clone());
        async move {
            let (status, d) = s
                .api(Method::POST, "/v1/check", &boss, Some(json!({
                    "subject": format!("user:{who}"), "action": "db:select", "resource": "db/orders",
                })))
                .await;
            assert_eq!(status, StatusCode::OK, "{d}");
            d["allowed"].as_bool().unwrap()
        }
    };
    assert!(!check("ann").await);

    let (status, group) = s
        .scim(
            Method::POST,
            "/Groups",
            Some(json!({
                "schemas": [GROUP], "displayName": "readers", "members": [{"value": ann}],
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{group}");
    let gid = group["id"].as_str().unwrap();
    assert_eq!(group["members"][0]["value"], ann.as_str());
    assert!(check("ann").await);
    assert!(!check("bob").await);
    let (_, user) = s.scim(Method::GET, &format!("/Users/{ann}"), None).await;
    assert_eq!(user["groups"][0]["display"], "readers");

    // Members added and removed by PATCH, as providers send them.
    let (status, g) = s
        .scim(
            Method::PATCH,
            &format!("/Groups/{gid}"),
            Some(json!({
                "schemas": [PATCH], "Operations": [
                    {"op": "add", "path": "members", "value": [{"value": bob}]},
                    {"op": "remove", "path": format!("members[value eq \"{ann}\"]")},
                ],
            })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{g}");
    assert!(check("bob").await);
    assert!(!check("ann").await);
    let (_, _) = s
        .scim(Method::PATCH, &format!("/Groups/{gid}"), Some(json!({
            "schemas": [PATCH], "Operations": [{"op": "Remove", "path": "members", "value": [{"value": bob}]}],
        })))
        .await;
    assert!(!check("bob").await);

    // PUT replaces the members; a member that is no user is refused.
    let (status, g) = s
        .scim(Method::PUT, &format!("/Groups/{gid}"), Some(json!({
            "schemas": [GROUP], "displayName": "readers", "members": [{"value": ann}, {"value": bob}],
        })))
        .await;
    assert_eq!(status, StatusCode::OK, "{g}");
    assert!(check("ann").await && check("bob").await);
    let (status, e) = s
        .scim(
            Method::PUT,
            &format!("/Groups/{gid}"),
            Some(json!({
                "schemas": [GROUP], "displayName": "readers", "members": [{"value": "usr_nobody"}],
            })),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(e["scimType"], "invalidValue");
    assert!(e["detail"].as_str().unwrap().contains("usr_nobody"), "{e}");

    let (_, list) = s
        .scim(
            Method::GET,
            "/Groups?filter=displayName%20eq%20%22readers%22",
            None,
        )
        .await;
    assert_eq!(list["totalResults"], 1);
    let (status, _) = s
        .scim(Method::DELETE, &format!("/Groups/{gid}"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(!check("ann").await);
    let (status, _) = s.scim(Method::GET, &format!("/Users/{ann}"), None).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a group's deletion leaves its members"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_in_the_scim_error_schema() {
    let s = spawn_scim(CONFIG).await;
    s.user("ann").await;
    let error =
        |status: StatusCode, body: &Value, expected: StatusCode, scim_type: Option<&str>| {
            assert_eq!(status, expected, "{body}");
            assert_eq!(body["schemas"][0], ERROR, "{body}");
            assert_eq!(body["status"], expected.as_u16().to_string(), "{body}");
            assert!(!body["detail"].as_str().unwrap().is_empty());
            if let Some(t) = scim_type {
                assert_eq!(body["scimType"], t, "{body}");
            }
        };
    // No token, a wrong one, and a wicket API token, which is not the SCIM token.
    let boss = s.token("boss").await;
    for token in [None, Some("wrong-token-wrong-token"), Some(boss.as_str())] {
        let (st, b) = s.scim_as(token, Method::GET, "/Users", None).await;
        error(st, &b, StatusCode::UNAUTHORIZED, None);
    }

    // Each call with the SCIM token, its status and its `scimType`.
    #[rustfmt::skip]
    let refused = [
        (Method::POST, "/Users", Some(json!({"schemas": [USER], "userName": "ANN"})),
            StatusCode::CONFLICT, Some("uniqueness")),
        (Method::POST, "/Users", Some(json!({"schemas": [USER]})),
            StatusCode::BAD_REQUEST, Some("invalidValue")),
        (Method::POST, "/Users", Some(json!({"schemas": [USER], "userName": "a b"})),
            StatusCode::BAD_REQUEST, Some("invalidValue")),
        (Method::GET, "/Users?filter=userName%20eq", None, StatusCode::BAD_REQUEST, Some("invalidFilter")),
        (Method::GET, "/Users?count=many", None, StatusCode::BAD_REQUEST, Some("invalidValue")),
        (Method::GET, "/Users/usr_nobody", None, StatusCode::NOT_FOUND, None),
        (Method::GET, "/Nothing", None, StatusCode::NOT_FOUND, None),
        (Method::DELETE, "/ServiceProviderConfig", None, StatusCode::METHOD_NOT_ALLOWED, None),
        (Method::PATCH, "/Users/usr_nobody", Some(json!({"schemas": [PATCH], "Operations": []})),
            StatusCode::NOT_FOUND, None),
    ];
    for (method, path, body, expected, scim_type) in refused {
        let (st, b) = s.scim(method, path, body).await;
        error(st, &b, expected, scim_type);
    }
    let resp = s
        .client
        .post(format!("{}/scim/v2/Users", s.addr))
        .bearer_auth(crate::harness::TOKEN)
        .header("content-type", "application/scim+json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let b: Value = resp.json().await.unwrap();
    assert_eq!(b["scimType"], "invalidSyntax");

    let big = json!({"schemas": [USER], "userName": "big", "title": "x".repeat(2 << 20)});
    let (st, b) = s.scim(Method::POST, "/Users", Some(big)).await;
    error(st, &b, StatusCode::PAYLOAD_TOO_LARGE, None);

    // Discovery says what is supported.
    let (st, spc) = s.scim(Method::GET, "/ServiceProviderConfig", None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(spc["patch"]["supported"], true);
    assert_eq!(spc["filter"]["supported"], true);
    assert_eq!(spc["bulk"]["supported"], false);
    let (_, types) = s.scim(Method::GET, "/ResourceTypes", None).await;
    assert_eq!(types["totalResults"], 2);
    let (st, schema) = s.scim(Method::GET, &format!("/Schemas/{USER}"), None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(schema["attributes"][0]["name"], "userName");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn members_added_in_parallel_are_all_kept() {
    let s = spawn_scim(CONFIG).await;
    let (_, group) = s
        .scim(
            Method::POST,
            "/Groups",
            Some(json!({"schemas": [GROUP], "displayName": "readers"})),
        )
        .await;
    let gid = group["id"].as_str().unwrap().to_string();
    let mut ids = Vec::new();
    for i in 0..12 {
        ids.push(s.user(&format!("u{i}")).await);
    }
    // As Entra ID sends memberships: one PATCH per member, several at once.
    let path = format!("/Groups/{gid}");
    let adds = ids.iter().map(|id| {
        s.scim(
            Method::PATCH,
            &path,
            Some(json!({
                "schemas": [PATCH],
                "Operations": [{"op": "Add", "path": "members", "value": [{"value": id}]}],
            })),
        )
    });
    for (status, body) in futures_util::future::join_all(adds).await {
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (_, group) = s.scim(Method::GET, &format!("/Groups/{gid}"), None).await;
    let mut members: Vec<&str> = group["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["value"].as_str().unwrap())
        .collect();
    members.sort();
    let mut expected: Vec<&str> = ids.iter().map(String::as_str).collect();
    expected.sort();
    assert_eq!(members, expected);
}
