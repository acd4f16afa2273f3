//! The fake Jira's webhook deliveries, received by a local receiver: which webhooks hear an
//! event, the payloads, the headers, signatures and retries.

use chrono::Utc;
use clockwork_testkit::jira::{FakeComment, FakeJiraWorklog};
use clockwork_testkit::{FakeIssue, FakeJira, ReceivedRequest, WebhookReceiver, http_client};
use ring::hmac;
use serde_json::{Value, json};

const EMAIL: &str = "admin@acme.example";
const TOKEN: &str = "admin-token";
const SECRET: &str = "webhook-signing-secret";
const ANN: &str = "712020:ann";

async fn site() -> (FakeJira, WebhookReceiver) {
    let jira = FakeJira::start(EMAIL, TOKEN).await;
    let mut issue = FakeIssue::new("10001", "KAN-1", "Fix the timer drift");
    issue.assignee = Some(ANN.to_owned());
    issue.reporter = Some(ANN.to_owned());
    jira.add_issue(issue);
    jira.add_issue(FakeIssue::new("20001", "OPS-1", "Rotate the keys"));
    (jira, WebhookReceiver::start().await.expect("a receiver"))
}

/// Registers an admin webhook through the admin API, as a site admin does.
async fn register(jira: &FakeJira, url: &str, events: &[&str], jql: &str, secret: Option<&str>) {
    let mut body = json!({
        "name": "test",
        "url": url,
        "events": events,
        "filters": { "issue-related-events-section": jql },
    });
    if let Some(secret) = secret {
        body["secret"] = json!(secret);
    }
    let answer = http_client()
        .post(format!("{}/rest/webhooks/1.0/webhook", jira.base_url()))
        .basic_auth(EMAIL, Some(TOKEN))
        .json(&body)
        .send()
        .await
        .expect("POST webhook");
    assert_eq!(answer.status().as_u16(), 201);
}

fn header<'a>(request: &'a ReceivedRequest, name: &str) -> Option<&'a str> {
    request.headers.get(name).and_then(|value| value.to_str().ok())
}

fn signed_by(request: &ReceivedRequest, secret: &str) -> bool {
    let Some(hex) = header(request, "x-hub-signature").and_then(|v| v.strip_prefix("sha256="))
    else {
        return false;
    };
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    let tag: String = hmac::sign(&key, request.raw.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    tag == hex
}

#[tokio::test]
async fn an_update_goes_signed_to_the_webhooks_whose_events_and_jql_include_it() {
    let (jira, receiver) = site().await;
    let updated = ["jira:issue_updated"];
    register(&jira, &receiver.url("/kan"), &updated, "project in (KAN, WEB)", Some(SECRET)).await;
    register(&jira, &receiver.url("/ops"), &updated, "project = OPS", None).await;
    register(&jira, &receiver.url("/comments"), &["comment_created"], "", None).await;
    register(&jira, &receiver.url("/all"), &updated, "", None).await;

    assert!(jira.update_issue("KAN-1", |issue| issue.summary = "Fix the drift for good".into()));
    let event = jira.webhook_event("jira:issue_updated", "KAN-1").expect("an issue");
    assert_eq!(jira.deliver(&event).await, [200, 200]);

    let received = receiver.received();
    let paths: Vec<&str> = received.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths, ["/kan", "/all"]);
    let (kan, all) = (&received[0], &received[1]);
    assert!(signed_by(kan, SECRET), "{:?}", kan.headers);
    assert_eq!(header(all, "x-hub-signature"), None, "no secret, no signature");
    assert_eq!(header(kan, "content-type"), Some("application/json; charset=UTF-8"));
    let ids = [kan, all].map(|r| header(r, "x-atlassian-webhook-identifier").expect("an id"));
    assert_ne!(ids[0], ids[1], "one identifier per webhook");
    assert_eq!(event.identifiers(), ids);

    let body = &kan.json;
    assert_eq!(body, event.payload());
    assert_eq!(body["webhookEvent"], "jira:issue_updated");
    assert!(body["timestamp"].as_i64() > Some(0));
    assert_eq!(body["user"]["accountId"], clockwork_testkit::jira::API_USER_ACCOUNT_ID);
    let issue = &body["issue"];
    assert_eq!((&issue["id"], &issue["key"]), (&json!("10001"), &json!("KAN-1")));
    assert!(issue["self"].as_str().is_some_and(|s| s.ends_with("/rest/api/2/issue/10001")));
    assert_eq!(issue["fields"]["project"]["key"], "KAN");
    assert_eq!(issue["fields"]["assignee"]["accountId"], ANN);
    assert_eq!(issue["fields"]["reporter"]["accountId"], ANN);
    assert_eq!(issue["fields"]["summary"], "Fix the drift for good");
    assert!(issue["fields"].get("comment").is_none(), "no comments in issue events");
    let items = &body["changelog"]["items"];
    assert_eq!(
        items,
        &json!([{
            "field": "summary", "fieldtype": "jira", "fieldId": "summary",
            "from": null, "fromString": "Fix the timer drift",
            "to": null, "toString": "Fix the drift for good",
        }])
    );
}

#[tokio::test]
async fn a_retry_carries_the_same_identifier_and_counts_itself() {
    let (jira, receiver) = site().await;
    register(&jira, &receiver.url("/hook"), &["jira:issue_created"], "", Some(SECRET)).await;
    let event = jira.webhook_event("jira:issue_created", "10001").expect("an issue");
    receiver.fail_next(1, 503, "busy");
    assert_eq!(jira.deliver(&event).await, [503]);
    assert_eq!(jira.deliver(&event).await, [200]);
    let received = receiver.received();
    let [first, retry] = &received[..] else { panic!("two deliveries: {received:?}") };
    let id = |r: &ReceivedRequest| header(r, "x-atlassian-webhook-identifier").map(str::to_owned);
    assert_eq!(id(first), id(retry));
    assert_eq!(header(first, "x-atlassian-webhook-retry"), None);
    assert_eq!(header(retry, "x-atlassian-webhook-retry"), Some("1"));
    assert!(signed_by(retry, SECRET));
    assert_eq!(retry.json["issue_event_type_name"], "issue_created");
}

#[tokio::test]
async fn comment_and_worklog_events_carry_their_object_as_plain_text() {
    let (jira, receiver) = site().await;
    let events = ["comment_created", "worklog_created"];
    register(&jira, &receiver.url("/hook"), &events, "project = KAN", None).await;
    let comment = jira.add_comment("KAN-1", FakeComment::new(ANN, "Looked into it.")).expect("id");
    let mut worklog = FakeJiraWorklog::new(ANN, Utc::now(), 1800);
    worklog.comment = Some("Pairing".into());
    let worklog = jira.add_worklog("KAN-1", worklog).expect("id");

    let commented = jira.webhook_event("comment_created", &comment).expect("a comment");
    let logged = jira.webhook_event("worklog_created", &worklog).expect("a worklog");
    assert_eq!(jira.deliver(&commented).await, [200]);
    assert_eq!(jira.deliver(&logged).await, [200]);

    let received = receiver.received();
    let comment_body = &received[0].json;
    assert_eq!(comment_body["comment"]["id"], json!(comment));
    assert_eq!(comment_body["comment"]["body"], "Looked into it.");
    assert_eq!(comment_body["comment"]["author"]["accountId"], ANN);
    let fields = comment_body["issue"]["fields"].as_object().expect("fields");
    let mut names: Vec<&str> = fields.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(names, ["assignee", "issuetype", "priority", "project", "status", "summary"]);
    let worklog_body = &received[1].json;
    assert_eq!(worklog_body["worklog"]["issueId"], "10001");
    assert_eq!(worklog_body["worklog"]["comment"], "Pairing");
    assert_eq!(worklog_body["worklog"]["timeSpentSeconds"], 1800);
    assert_eq!(worklog_body.get("issue"), None, "worklog events name the issue by id only");
}

#[tokio::test]
async fn a_deletion_is_announced_with_the_issue_as_it_was() {
    let (jira, receiver) = site().await;
    register(&jira, &receiver.url("/hook"), &["jira:issue_deleted"], "project = KAN", None).await;
    let event = jira.webhook_event("jira:issue_deleted", "KAN-1").expect("an issue");
    assert!(jira.remove_issue("KAN-1"));
    assert_eq!(jira.deliver(&event).await, [200]);
    let body: &Value = &receiver.received()[0].json;
    assert_eq!(
        (&body["issue"]["key"], &body["issue_event_type_name"]),
        (&json!("KAN-1"), &json!("issue_deleted"))
    );

    assert!(jira.webhook_event("jira:issue_deleted", "KAN-1").is_none(), "gone");
    assert!(jira.webhook_event("sprint_started", "OPS-1").is_none(), "not about an issue");
    let unheard = jira.webhook_event("jira:issue_updated", "OPS-1").expect("an issue");
    assert!(jira.deliver(&unheard).await.is_empty(), "no webhook listens");
}
