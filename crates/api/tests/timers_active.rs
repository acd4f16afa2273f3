//! `GET /api/timers/active`: the cached running timers, read as the caller may.

mod common;

use clockwork_core::contract::keys;
use common::{ANN, ANN_EMAIL, BOB, Harness, assert_error, timer};
use http::StatusCode;
use serde_json::json;

#[tokio::test]
async fn own_cached_timers_come_back_in_the_contract_shape() {
    let h = Harness::start().await;
    h.seed_timers(ANN, vec![timer(1, ANN, "KAN-1")]).await;
    let (status, body) = h.get("/api/timers/active", Some(&h.ann())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({
            "timers": [{
                "id": 1, "startedAt": "2026-11-23T08:00:00.000Z", "finishedAt": null,
                "comment": "pairing", "runningFor": ANN, "tillNow": 754, "worklogCount": 2,
                "issue": { "key": "KAN-1", "id": 10001 }, "withinWorkingHours": true,
                "startedWithinWorkingHours": true
            }],
            "cachedAt": "2026-11-23T09:00:00Z",
            "accountId": ANN
        })
    );
}

#[tokio::test]
async fn nothing_cached_is_an_empty_list_with_null_cached_at() {
    let h = Harness::start().await;
    let (status, body) =
        h.get(&format!("/api/timers/active?accountId={ANN}"), Some(&h.ann())).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({ "timers": [], "cachedAt": null, "accountId": ANN }));
}

#[tokio::test]
async fn a_user_may_ask_by_the_email_in_their_token() {
    let h = Harness::start().await;
    h.seed_timers(ANN_EMAIL, vec![timer(3, ANN, "KAN-3")]).await;
    let (status, body) =
        h.get("/api/timers/active?userEmail=Ann%40Acme.example", Some(&h.ann())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["userEmail"], ANN_EMAIL);
    assert_eq!(body["timers"][0]["id"], 3);
}

#[tokio::test]
async fn reading_someone_elses_timers_is_forbidden() {
    let h = Harness::start().await;
    for query in
        [format!("accountId={BOB}"), "accountId=all".into(), "userEmail=bob%40acme.example".into()]
    {
        let answer = h.get(&format!("/api/timers/active?{query}"), Some(&h.ann())).await;
        assert_error(&answer, StatusCode::FORBIDDEN, "FORBIDDEN");
    }
}

#[tokio::test]
async fn admins_read_anyone_and_all() {
    let h = Harness::start().await;
    h.seed_timers("all", vec![timer(1, ANN, "KAN-1"), timer(2, BOB, "KAN-2")]).await;
    h.seed_timers(BOB, vec![timer(2, BOB, "KAN-2")]).await;
    let (_, all) = h.get("/api/timers/active?accountId=all", Some(&h.admin())).await;
    assert_eq!(all["timers"].as_array().unwrap().len(), 2);
    let (_, bob) = h.get(&format!("/api/timers/active?accountId={BOB}"), Some(&h.admin())).await;
    assert_eq!(bob["timers"][0]["runningFor"], BOB);
}

#[tokio::test]
async fn malformed_user_parameters_are_400_naming_the_field() {
    let h = Harness::start().await;
    let answer = h.get("/api/timers/active?accountId=..%2Fx", Some(&h.admin())).await;
    assert_error(&answer, StatusCode::BAD_REQUEST, "INVALID_INPUT");
    assert!(answer.1["message"].as_str().unwrap().contains("accountId"));
    let answer = h.get("/api/timers/active?userEmail=not-an-email", Some(&h.admin())).await;
    assert!(answer.1["message"].as_str().unwrap().contains("userEmail"));
}

#[tokio::test]
async fn an_unreadable_cached_value_reads_as_nothing_cached() {
    let h = Harness::start().await;
    h.app.cache.set(&keys::timers(ANN), "{not json", None).await.unwrap();
    let (status, body) = h.get("/api/timers/active", Some(&h.ann())).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["timers"], json!([]));
}
