//! A campaign's report downloaded from the reviews page with the web session (no bearer
//! token): CSV with one row per item, or JSON, for holders of `wicket:reviews.manage` or
//! `wicket:audit.read`; a reviewer without either sees no link and is refused.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;

use crate::harness::{CONFIG, Server, spawn_server_with};
use crate::http::{client, page as get, sign_in};
use crate::reviews::REVIEWS;

/// The `/reviews` page as the session `cookie` sees it.
async fn page(server: &Server, cookie: &str) -> String {
    let resp = get(server, cookie, "/reviews").await;
    assert_eq!(resp.status(), StatusCode::OK);
    resp.text().await.unwrap()
}

#[tokio::test]
async fn the_reviews_page_downloads_the_report_as_csv_and_json_with_its_session() {
    let server = spawn_server_with(&format!("{CONFIG}\n{REVIEWS}")).await;
    let (root, bob) = (server.token("root").await, server.token("bob").await);
    let (session, _, _) = sign_in(&server, &root).await;

    // The schedule starts the campaign in the background: load the page until it shows.
    let started = Instant::now();
    let html = loop {
        let html = page(&server, &session).await;
        if html.contains("data-campaign=") {
            break html;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no campaign on the page: {html}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let marker = "data-campaign=\"";
    let at = html.find(marker).unwrap() + marker.len();
    let id = html[at..].split('"').next().unwrap().to_string();
    let csv_link = format!("/reviews/{id}/report?format=csv");
    let report = |format: &str| {
        let (server, session) = (&server, &session);
        let path = format!("/reviews/{id}/report?format={format}");
        async move { get(server, session, &path).await }
    };
    assert!(html.contains(&csv_link), "{html}");
    assert!(html.contains(&format!("/reviews/{id}/report?format=json")));

    // The CSV, with the session cookie alone.
    let resp = get(&server, &session, &csv_link).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        resp.headers()["content-disposition"],
        format!("attachment; filename=\"review-{id}.csv\"").as_str()
    );
    let text = resp.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "campaign,review,started_at,deadline,closed_at,item,kind,subject,role,grant_id,reviewers,decision,decided_by,decided_at,comment"
    );
    let mut rows: Vec<Vec<&str>> = lines[1..].iter().map(|l| l.split(',').collect()).collect();
    rows.sort_by_key(|r| r[7]);
    assert_eq!(rows.len(), 2, "{text}");
    for (row, subject) in rows.iter().zip(["group:sre", "user:erin"]) {
        assert_eq!(row[0], id);
        assert_eq!(row[1], "payments");
        assert_eq!(row[6], "binding");
        assert_eq!(row[7], subject);
        assert_eq!(row[8], "payments-read");
        assert_eq!(row[10], "user:bob");
        assert_eq!(row[11], "pending");
    }

    // The JSON, the same campaign.
    let resp = report("json").await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "application/json");
    assert!(
        resp.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains(&format!("review-{id}.json"))
    );
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["id"], id.as_str());
    assert_eq!(v["review"], "payments");
    assert_eq!(v["items"].as_array().unwrap().len(), 2, "{v}");

    // A bad format names itself; an unknown campaign is a 404.
    let resp = report("xml").await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let text = resp.text().await.unwrap();
    assert!(text.contains("xml"), "{text}");
    let resp = get(&server, &session, "/reviews/rc_nope/report?format=csv").await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);

    // Without a session: no report.
    let resp = client().get(server.url(&csv_link)).send().await.unwrap();
    assert_ne!(resp.status(), StatusCode::OK);
    assert!(!resp.text().await.unwrap().contains("payments-read"));

    // bob reviews the items but holds neither power: no link, and the download is refused.
    let (bob_session, _, _) = sign_in(&server, &bob).await;
    let html = page(&server, &bob_session).await;
    assert!(html.contains(&format!("data-campaign=\"{id}\"")), "{html}");
    assert!(!html.contains("/report?format="), "{html}");
    let resp = get(&server, &bob_session, &csv_link).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(!resp.text().await.unwrap().contains("user:erin"));
}
