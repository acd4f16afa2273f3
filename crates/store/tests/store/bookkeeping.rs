//! Schema, connection, projects, users, sync bookkeeping and the lease.

use clockwork_testkit::on_both_databases;
use std::path::Path;
use std::time::Duration;

use clockwork_store::{
    Backend, Drift, FeedCursors, JiraUser, LogLevel, Store, StoreConfig, StoreError, SyncEntity,
    SyncStatus, TableCounts, TeamMember,
};
use serde_json::json;

use crate::Kind;
use crate::fixtures::{self, PROJECT};

const TABLES: [&str; 17] = [
    "comments",
    "issue_changes",
    "issue_sprints",
    "issues",
    "jira_users",
    "project_tracked_users",
    "schema_drifts",
    "sprints",
    "sync_jobs",
    "sync_leases",
    "sync_logs",
    "sync_runs",
    "sync_states",
    "team_members",
    "tracked_projects",
    "webhook_deliveries",
    "worklogs",
];

on_both_databases! { crate::run, crate::TestDb;
    async fn migrations_create_every_table_and_are_idempotent(db) {
        let store = db.store().await;
        assert_eq!(db.table_names().await, TABLES);
        store.migrate().await.unwrap();
        // A second process starting on the same database migrates too.
        db.store().await;
        assert_eq!(db.table_names().await, TABLES);
        assert_eq!(store.counts().await.unwrap(), TableCounts::default());
        let expected = match db.kind {
            Kind::Sqlite => Backend::Sqlite,
            Kind::Postgres => Backend::Postgres,
        };
        assert_eq!(store.backend(), expected);
    }

    async fn a_drift_is_new_once_per_project_whatever_its_sample(db) {
        let store = db.store().await;
        let drift = Drift {
            entity: "issue".into(),
            path: "fields.summary".into(),
            kind: "missing".into(),
            sample: "absent".into(),
        };
        assert!(store.record_drift(PROJECT, &drift).await.unwrap());
        let resampled = Drift { sample: "absent; there: title".into(), ..drift.clone() };
        assert!(!store.record_drift(PROJECT, &resampled).await.unwrap());
        assert!(store.record_drift("OPS", &drift).await.unwrap(), "another project's own");
        let retyped = Drift { kind: "type".into(), ..drift };
        assert!(store.record_drift(PROJECT, &retyped).await.unwrap(), "another kind, another drift");
    }

    async fn missing_sqlite_folder_and_file_are_created(db) {
        let (url, file) = db.unborn();
        if let Some(file) = &file {
            assert!(!file.parent().unwrap().exists());
        }
        let store = Store::connect(&StoreConfig::new(&url).unwrap()).await.unwrap();
        store.migrate().await.unwrap();
        if let Some(file) = &file {
            assert!(file.is_file(), "{file:?}");
        }
        assert_eq!(store.counts().await.unwrap(), TableCounts::default());
    }

    async fn only_one_lease_per_project_until_it_expires(db) {
        let store = db.store().await;
        let ttl = Duration::from_secs(60);
        assert!(store.try_lease(PROJECT, "worker-a", ttl).await.unwrap());
        assert!(!store.try_lease(PROJECT, "worker-b", ttl).await.unwrap());
        assert!(store.try_lease("OTHER", "worker-b", ttl).await.unwrap(), "per project");
        assert!(store.try_lease(PROJECT, "worker-a", ttl).await.unwrap(), "the holder renews");

        db.advance_ms(59_999);
        assert!(!store.try_lease(PROJECT, "worker-b", ttl).await.unwrap());
        db.advance_ms(1);
        assert!(store.try_lease(PROJECT, "worker-b", ttl).await.unwrap(), "expired: taken over");
        assert!(!store.release_lease(PROJECT, "worker-a").await.unwrap(), "no longer a's");
        assert!(!store.try_lease(PROJECT, "worker-a", ttl).await.unwrap());

        assert!(store.release_lease(PROJECT, "worker-b").await.unwrap());
        assert!(store.try_lease(PROJECT, "worker-a", ttl).await.unwrap(), "released: free");

        // Many contenders at once: exactly one wins.
        let contenders = (0..8).map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store.try_lease("RACE", &format!("racer-{i}"), ttl).await.unwrap()
            })
        });
        let mut winners = 0;
        for contender in contenders.collect::<Vec<_>>() {
            winners += usize::from(contender.await.unwrap());
        }
        assert_eq!(winners, 1);
    }

    async fn a_new_tracked_user_is_reported_as_added(db) {
        let store = db.store().await;
        let err = store.add_tracked_user(PROJECT, "acc-1").await.unwrap_err();
        assert_eq!(err, StoreError::UnknownProject(PROJECT.into()));

        assert!(store.track_project(PROJECT, "10001", "Acme").await.unwrap());
        assert!(!store.track_project(PROJECT, "10001", "Acme Corp").await.unwrap());
        assert!(store.add_tracked_user(PROJECT, "acc-1").await.unwrap());
        assert!(!store.add_tracked_user(PROJECT, "acc-1").await.unwrap());
        assert!(store.add_tracked_user(PROJECT, "acc-2").await.unwrap());
        assert_eq!(store.tracked_users(PROJECT).await.unwrap(), ["acc-1", "acc-2"]);

        assert!(store.remove_tracked_user(PROJECT, "acc-1").await.unwrap());
        assert!(!store.remove_tracked_user(PROJECT, "acc-1").await.unwrap());
        assert!(store.add_tracked_user(PROJECT, "acc-1").await.unwrap(), "added again");

        let projects = store.tracked_projects().await.unwrap();
        assert_eq!(projects.len(), 1);
        assert_eq!((projects[0].key.as_str(), projects[0].name.as_str()), (PROJECT, "Acme Corp"));
        assert!(store.untrack_project(PROJECT).await.unwrap());
        assert!(!store.untrack_project(PROJECT).await.unwrap());
        assert!(store.tracked_projects().await.unwrap().is_empty());
        assert_eq!(store.tracked_users(PROJECT).await.unwrap().len(), 2, "kept for a re-track");
        assert!(store.track_project(PROJECT, "10001", "Acme").await.unwrap(), "tracked again");
    }

    async fn adding_a_tracked_user_triggers_a_full_resync_of_that_project(db) {
        let store = db.store().await;
        store.track_project(PROJECT, "10001", "Acme").await.unwrap();
        let batch = fixtures::batch(0..3, 1, 1);
        store.apply_batch(&batch).await.unwrap();
        let worklog_cursor = fixtures::UPDATED0 + 5;
        store
            .apply_worklog_changes(PROJECT, &[], &[], FeedCursors::both(worklog_cursor))
            .await
            .unwrap();
        let mut other = fixtures::batch(10..11, 0, 0);
        other.project_key = "OTHER".into();
        other.issues[0].issue.project_key = "OTHER".into();
        store.apply_batch(&other).await.unwrap();

        assert!(store.add_tracked_user(PROJECT, "acc-1").await.unwrap());
        assert_eq!(fixtures::issues_cursor(&store).await, None, "the next sync is a full one");
        let worklogs = store.sync_state(PROJECT, SyncEntity::Worklogs).await.unwrap().unwrap();
        assert_eq!(worklogs.cursor_ms, Some(worklog_cursor), "only the issue cursor goes");
        let elsewhere = store.sync_state("OTHER", SyncEntity::Issues).await.unwrap().unwrap();
        assert_eq!(elsewhere.cursor_ms, other.cursor_ms, "other projects keep theirs");
        assert_eq!(store.counts().await.unwrap().issues, 4, "the data stays");

        // A user already watched brings nothing new: no backfill.
        store.apply_batch(&batch).await.unwrap();
        assert!(!store.add_tracked_user(PROJECT, "acc-1").await.unwrap());
        assert_eq!(fixtures::issues_cursor(&store).await, batch.cursor_ms);
        // Nor does a user of a project not tracked: it is refused before anything changes.
        let err = store.add_tracked_user("OTHER", "acc-1").await.unwrap_err();
        assert_eq!(err, StoreError::UnknownProject("OTHER".into()));
        let elsewhere = store.sync_state("OTHER", SyncEntity::Issues).await.unwrap().unwrap();
        assert_eq!(elsewhere.cursor_ms, other.cursor_ms);
    }

    async fn sync_logs_keep_the_error_code(db) {
        let store = db.store().await;
        let details =
            json!({ "code": "SUSPENDED_PAYMENT", "status": 503, "advice": "contact billing" });
        store.append_log(PROJECT, LogLevel::Info, "sync started", None).await.unwrap();
        db.advance_ms(10);
        store.append_log(PROJECT, LogLevel::Error, "sync failed", Some(&details)).await.unwrap();
        store.append_log("OTHER", LogLevel::Warn, "elsewhere", None).await.unwrap();

        let logs = store.sync_logs(PROJECT, 10).await.unwrap();
        assert_eq!(logs.len(), 2);
        assert_eq!((logs[0].level, logs[0].message.as_str()), (LogLevel::Error, "sync failed"));
        assert_eq!(logs[0].details.as_ref().unwrap()["code"], "SUSPENDED_PAYMENT");
        assert_eq!(logs[0].created_ms, db.now_ms());
        assert_eq!(logs[1].details, None);
        assert_eq!(store.sync_logs(PROJECT, 1).await.unwrap().len(), 1);

        let issues = SyncEntity::Issues;
        store.set_sync_status(PROJECT, issues, SyncStatus::Running, None).await.unwrap();
        let code = Some("SUSPENDED_PAYMENT");
        store.set_sync_status(PROJECT, issues, SyncStatus::Failed, code).await.unwrap();
        let failed_at = db.now_ms();
        db.advance_ms(1000);
        store.set_sync_status(PROJECT, issues, SyncStatus::Success, None).await.unwrap();
        let state = store.sync_state(PROJECT, SyncEntity::Issues).await.unwrap().unwrap();
        assert_eq!(state.status, SyncStatus::Success);
        assert_eq!(state.last_success_ms, Some(db.now_ms()));
        assert_eq!(state.last_error.as_deref(), Some("SUSPENDED_PAYMENT"));
        assert_eq!(state.last_error_ms, Some(failed_at));
        assert_eq!(state.cursor_ms, None);
        assert_eq!(store.sync_states(PROJECT).await.unwrap(), [state]);

    }

    async fn a_hidden_email_never_erases_a_known_one_and_members_keep_their_match(db) {
        let store = db.store().await;
        let mut user = JiraUser {
            account_id: "acc-1".into(),
            display_name: "Ada".into(),
            email: Some("ada@acme.test".into()),
            avatar_url: Some("https://avatars/ada.png".into()),
            active: true,
        };
        store.upsert_users(&[user.clone()]).await.unwrap();
        user.email = None;
        user.display_name = "Ada L.".into();
        store.upsert_users(&[user.clone(), user.clone()]).await.unwrap();
        let users = store.jira_users().await.unwrap();
        assert_eq!(users.len(), 1);
        assert_eq!(users[0].display_name, "Ada L.");
        assert_eq!(users[0].email.as_deref(), Some("ada@acme.test"));

        let mut member = TeamMember {
            id: "m-1".into(),
            display_name: "Ada".into(),
            email: Some("ada@acme.test".into()),
            jira_account_id: None,
        };
        store.upsert_team_member(&member).await.unwrap();
        assert!(store.set_team_member_account("m-1", Some("acc-1")).await.unwrap());
        assert!(!store.set_team_member_account("nobody", Some("acc-1")).await.unwrap());
        member.display_name = "Ada Lovelace".into();
        store.upsert_team_member(&member).await.unwrap();
        let members = store.team_members().await.unwrap();
        assert_eq!(members[0].jira_account_id.as_deref(), Some("acc-1"));
        assert_eq!(members[0].display_name, "Ada Lovelace");
    }

    async fn the_database_password_never_shows_in_errors_or_debug(db) {
        const PASSWORD: &str = "hunter2-secret";
        let failing: Vec<String> = match db.kind {
            // A sqlite: URL with credentials is a pasted mistake; it must not become a file name.
            Kind::Sqlite => {
                let path = db.url().trim_start_matches("sqlite://");
                vec![format!("sqlite://admin:{PASSWORD}@localhost{path}")]
            }
            Kind::Postgres => {
                let missing = uuid::Uuid::new_v4().simple();
                vec![
                    format!("postgres://postgres:{PASSWORD}@127.0.0.1:5432/missing_{missing}"),
                    format!("postgres://postgres:{PASSWORD}@127.0.0.1:notaport/test"),
                ]
            }
        };
        for url in failing {
            let config = StoreConfig::new(&url).unwrap();
            let err = Store::connect(&config).await.unwrap_err();
            let shown = format!("{err} {err:?} {config:?} {}", config.redacted_url());
            assert!(!shown.contains(PASSWORD), "{shown}");
            assert!(matches!(err, StoreError::Config(_)), "{err}");
        }
        if db.kind == Kind::Postgres {
            // Trust auth ignores the password, so this connects: the store itself must hide it.
            let url = db.url().replacen("postgres@", &format!("postgres:{PASSWORD}@"), 1);
            let store = Store::connect(&StoreConfig::new(&url).unwrap()).await.unwrap();
            let shown = format!("{store:?}");
            assert!(shown.contains("postgres:***@"), "{shown}");
            assert!(!shown.contains(PASSWORD), "{shown}");
        }
    }
}

/// The two folders must describe one schema: they may differ only in how an identity column
/// is spelled, and in comments.
#[test]
fn the_two_migration_folders_hold_the_same_schema() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let files = |backend: &str| {
        let mut names: Vec<String> = std::fs::read_dir(root.join(backend))
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let names = files("sqlite");
    assert_eq!(names, files("postgres"));
    let statements = |backend: &str, name: &str| -> Vec<String> {
        std::fs::read_to_string(root.join(backend).join(name))
            .unwrap()
            .lines()
            .filter(|line| !line.trim_start().starts_with("--"))
            .map(|line| {
                line.replace(
                    "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
                    "INTEGER PRIMARY KEY",
                )
            })
            .collect()
    };
    for name in &names {
        assert_eq!(statements("sqlite", name), statements("postgres", name), "{name}");
    }
}
