use serde_json::{Value, json};

use super::*;
use crate::jira_data::SYNC_FIELDS;

const CUSTOM: CustomFields<'static> =
    CustomFields { sprint: "customfield_10020", story_points: "customfield_10016" };

fn user(account_id: &str) -> Value {
    json!({
        "self": "https://acme.atlassian.net/rest/api/3/user?accountId=x",
        "accountId": account_id, "accountType": "atlassian", "displayName": "Ann",
        "emailAddress": "ann@acme.example", "active": true, "timeZone": "Europe/Paris",
        "avatarUrls": { "48x48": "https://avatars.example/48.png" },
    })
}

/// An issue as Jira answers a search for every field the sync names.
fn issue() -> Value {
    json!({
        "expand": "renderedFields", "id": "10001", "self": "https://x/10001", "key": "KAN-1",
        "fields": {
            "summary": "Fix it",
            "status": {
                "self": "s", "description": "", "iconUrl": "i", "name": "In Progress",
                "id": "3",
                "statusCategory": {
                    "self": "c", "id": 4, "key": "indeterminate", "colorName": "yellow",
                    "name": "In Progress",
                },
            },
            "priority": null,
            "issuetype": { "id": "10004", "name": "Bug", "subtask": false },
            "project": { "id": "10000", "key": "KAN", "name": "Kanban", "style": "classic" },
            "assignee": user("acc-1"),
            "reporter": null,
            "created": "2026-02-10T09:00:00.000+0700",
            "updated": "2026-02-10T09:00:00.000+0700",
            "resolutiondate": null,
            "customfield_10020": null,
            "customfield_10016": "3",
            "comment": {
                "self": "c", "total": 1, "startAt": 0, "maxResults": 1,
                "comments": [{
                    "self": "c/1", "id": "1", "author": user("acc-1"),
                    "updateAuthor": user("acc-1"), "jsdPublic": true,
                    "body": { "type": "doc", "version": 1, "content": [] },
                    "created": "2026-02-10T09:00:00.000+0700",
                    "updated": "2026-02-10T09:00:00.000+0700",
                }],
            },
            "worklog": {
                "total": 1, "startAt": 0, "maxResults": 1,
                "worklogs": [{
                    "self": "w/1", "id": "7", "issueId": "10001", "author": user("acc-1"),
                    "started": "2026-02-10T09:00:00.000+0700", "timeSpent": "1h",
                    "timeSpentSeconds": 3600, "created": "2026-02-10T09:00:00.000+0700",
                    "updated": "2026-02-10T09:00:00.000+0700",
                }],
            },
        }
    })
}

fn requested() -> Vec<&'static str> {
    let mut fields = SYNC_FIELDS.to_vec();
    fields.extend([CUSTOM.sprint, CUSTOM.story_points]);
    fields
}

fn drifts(issue: &Value) -> Vec<(DriftEntity, String, DriftKind)> {
    let raw = RawValue::from_string(issue.to_string()).unwrap();
    let found = issue_drifts(&raw, &requested(), CUSTOM);
    for drift in &found {
        assert!(drift.sample.chars().count() <= SAMPLE_CHARS, "{drift}");
    }
    found.into_iter().map(|d| (d.entity, d.path, d.kind)).collect()
}

fn issue_drift(path: &str, kind: DriftKind) -> (DriftEntity, String, DriftKind) {
    (DriftEntity::Issue, path.to_owned(), kind)
}

#[test]
fn an_issue_as_the_client_reads_it_shows_no_drift_and_null_is_a_value() {
    assert_eq!(drifts(&issue()), []);
    let mut nulls = issue();
    for field in requested() {
        nulls["fields"][field] = Value::Null;
    }
    assert_eq!(drifts(&nulls), []);
}

#[test]
fn a_renamed_field_is_the_old_one_missing_and_the_new_one_new() {
    let mut renamed = issue();
    let fields = renamed["fields"].as_object_mut().unwrap();
    let summary = fields.remove("summary").unwrap();
    fields.insert("title".into(), summary);
    assert_eq!(
        drifts(&renamed),
        [
            issue_drift("fields.summary", DriftKind::Missing),
            issue_drift("fields.title", DriftKind::New)
        ]
    );
}

#[test]
fn a_value_of_another_type_is_a_drift_of_its_path() {
    let mut retyped = issue();
    retyped["fields"]["summary"] = json!(42);
    retyped["fields"]["status"] = json!("Done");
    retyped["fields"]["customfield_10016"] = json!(true);
    assert_eq!(
        drifts(&retyped),
        [
            issue_drift("fields.summary", DriftKind::Retyped),
            issue_drift("fields.status", DriftKind::Retyped),
            issue_drift("fields.customfield_10016", DriftKind::Retyped),
        ]
    );
    let raw = RawValue::from_string(retyped.to_string()).unwrap();
    let found = issue_drifts(&raw, &requested(), CUSTOM);
    assert_eq!(found[0].sample, "a number 42 (expected a string)");
    assert_eq!(
        found[0].to_string(),
        "issue fields.summary has another type: a number 42 (expected a string)"
    );
}

#[test]
fn keys_inside_known_objects_are_missing_or_new_and_records_have_their_own_paths() {
    let mut changed = issue();
    let category = changed["fields"]["status"]["statusCategory"].as_object_mut().unwrap();
    category.remove("key");
    changed["fields"]["status"]["untranslatedName"] = json!("En cours");
    changed["fields"]["assignee"]["accountId"] = Value::Null;
    changed["fields"]["comment"]["comments"][0]["reactions"] = json!([]);
    changed["fields"]["worklog"]["worklogs"][0]["timeSpentSeconds"] = json!("3600");
    changed["fields"]["issuetype"]["avatarId"] = json!(1);
    changed["fields"]["customfield_99999"] = json!({ "value": "unrequested" });
    assert_eq!(
        drifts(&changed),
        [
            issue_drift("fields.status.statusCategory.key", DriftKind::Missing),
            issue_drift("fields.status.untranslatedName", DriftKind::New),
            issue_drift("fields.assignee.accountId", DriftKind::Retyped),
            (DriftEntity::Comment, "reactions".into(), DriftKind::New),
            (DriftEntity::Worklog, "timeSpentSeconds".into(), DriftKind::Retyped),
            issue_drift("fields.customfield_99999", DriftKind::New),
        ]
    );
}

#[test]
fn only_requested_fields_the_client_reads_are_expected() {
    let raw = RawValue::from_string(json!({ "id": "10001" }).to_string()).unwrap();
    assert_eq!(issue_drifts(&raw, &["id"], CUSTOM), []);
    let found = issue_drifts(&raw, &["summary"], CUSTOM);
    assert_eq!(found.len(), 1);
    assert_eq!((found[0].path.as_str(), found[0].kind), ("fields", DriftKind::Missing));
}

#[test]
fn samples_are_short_and_show_an_object_s_keys_not_its_values() {
    let mut long = issue();
    long["fields"]["summary"] = json!(vec!["x"; 500]);
    long["fields"]["customfield_1"] = json!("é".repeat(500));
    long["fields"]["customfield_2"] = json!({ "token": "not shown" });
    let raw = RawValue::from_string(long.to_string()).unwrap();
    let found = issue_drifts(&raw, &requested(), CUSTOM);
    let samples: Vec<&str> = found.iter().map(|d| d.sample.as_str()).collect();
    assert_eq!(samples[0], "an array (expected a string)");
    assert_eq!(samples[1].chars().count(), "a string ".len() + EXCERPT_CHARS);
    assert!(samples[1].ends_with('…'));
    assert_eq!(samples[2], "an object with token");
}
