//! Schema drift, on both databases: how Jira's answers differ from what the sync reads, each
//! drift logged once per project as a WARN entry, counted per run, and never a failure for
//! an extra field.

mod common;

use clockwork_store::{LogLevel, Store, SyncLog};
use clockwork_testkit::on_both_databases;
use common::Site;
use serde_json::json;

async fn warnings(store: &Store) -> Vec<SyncLog> {
    store.sync_logs_at("KAN", 100, Some(LogLevel::Warn)).await.expect("logs")
}

/// The (entity, path, kind) of each WARN entry, sorted.
async fn drifts_logged(store: &Store) -> Vec<(String, String, String)> {
    let mut logged: Vec<(String, String, String)> = warnings(store)
        .await
        .iter()
        .map(|log| {
            let details = log.details.as_ref().expect("details");
            let text = |key: &str| details[key].as_str().expect(key).to_owned();
            (text("entity"), text("path"), text("kind"))
        })
        .collect();
    logged.sort();
    logged
}

fn drift(entity: &str, path: &str, kind: &str) -> (String, String, String) {
    (entity.to_owned(), path.to_owned(), kind.to_owned())
}

on_both_databases! { Site::run, Site;
    async fn an_extra_field_is_logged_once_and_never_fails_the_run(site) {
        site.jira.seed_project("KAN", 30, 2, 1);
        let clean = site.sync(true).await.expect("clean run");
        assert_eq!((clean.drifts, clean.new_drifts), (0, 0), "the fake serves what is read");
        assert!(warnings(&site.store).await.is_empty());

        site.jira.set_search_page_cap(10);
        site.jira.set_issue_json("/fields/customfield_10100", Some(json!({ "value": "Platform" })));
        let first = site.sync(true).await.expect("an extra field never fails a run");
        assert_eq!(first.issues, 30);
        assert_eq!((first.drifts, first.new_drifts), (1, 1), "three pages, one drift");
        assert_eq!(
            drifts_logged(&site.store).await,
            [drift("issue", "fields.customfield_10100", "new")]
        );
        let logged = &warnings(&site.store).await[0];
        assert!(logged.message.contains("fields.customfield_10100"), "{}", logged.message);
        let sample = logged.details.as_ref().expect("details")["sample"].as_str().expect("sample");
        assert_eq!(sample, "an object with value", "keys, not values");

        let again = site.sync(true).await.expect("second run");
        assert_eq!((again.drifts, again.new_drifts), (1, 0), "seen again, reported no more");
        assert_eq!(warnings(&site.store).await.len(), 1);
    }

    async fn a_renamed_field_is_one_warning_each_until_it_changes_again(site) {
        site.jira.seed_project("KAN", 5, 1, 1);
        site.jira.rename_issue_field("summary", "title");
        let first = site.sync(true).await.expect("a rename never fails a run");
        assert_eq!((first.drifts, first.new_drifts), (2, 2));
        let renamed =
            [drift("issue", "fields.summary", "missing"), drift("issue", "fields.title", "new")];
        assert_eq!(drifts_logged(&site.store).await, renamed);

        let second = site.sync(true).await.expect("second run");
        assert_eq!((second.drifts, second.new_drifts), (2, 0));
        assert_eq!(drifts_logged(&site.store).await, renamed);

        site.jira.rename_issue_field("summary", "headline");
        let third = site.sync(true).await.expect("third run");
        assert_eq!((third.drifts, third.new_drifts), (2, 1), "the old field is still missing");
        assert_eq!(
            drifts_logged(&site.store).await,
            [
                drift("issue", "fields.headline", "new"),
                drift("issue", "fields.summary", "missing"),
                drift("issue", "fields.title", "new"),
            ]
        );
    }

    async fn a_value_the_client_cannot_read_fails_the_run_naming_its_path_and_is_logged_once(site) {
        site.jira.seed_project("KAN", 5, 1, 1);
        site.jira.set_issue_json("/fields/summary", Some(json!(42)));
        let error = site.sync(true).await.expect_err("a number is no summary");
        assert_eq!(error.code(), "SCHEMA_MISMATCH");
        assert!(error.to_string().contains("at issues[0].fields.summary: invalid type"), "{error}");
        assert_eq!(drifts_logged(&site.store).await, [drift("issue", "fields.summary", "type")]);
        let logged = &warnings(&site.store).await[0];
        let sample = logged.details.as_ref().expect("details")["sample"].as_str().expect("sample");
        assert_eq!(sample, "a number 42 (expected a string)");

        site.sync(true).await.expect_err("still unreadable");
        let errors = site.store.sync_logs_at("KAN", 100, Some(LogLevel::Error)).await;
        assert_eq!(errors.expect("logs").len(), 2, "each failure is logged");
        assert_eq!(warnings(&site.store).await.len(), 1, "the drift once");
    }

    async fn keys_inside_read_objects_and_embedded_records_drift_by_their_own_paths(site) {
        site.jira.seed_project("KAN", 5, 2, 2);
        site.jira.set_issue_json("/fields/status/statusCategory/key", None);
        site.jira.set_issue_json("/fields/status/untranslatedName", Some(json!("En cours")));
        site.jira.set_issue_json("/fields/comment/comments/0/reactions", Some(json!([])));
        site.jira.set_issue_json("/fields/worklog/worklogs/0/billable", Some(json!(true)));
        let summary = site.sync(true).await.expect("none of these fails a run");
        assert_eq!((summary.issues, summary.drifts, summary.new_drifts), (5, 4, 4));
        assert_eq!(
            drifts_logged(&site.store).await,
            [
                drift("comment", "reactions", "new"),
                drift("issue", "fields.status.statusCategory.key", "missing"),
                drift("issue", "fields.status.untranslatedName", "new"),
                drift("worklog", "billable", "new"),
            ]
        );
    }
}
