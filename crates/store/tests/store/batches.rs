//! Issue batches, the worklog stream and the deleted-issue sweep.

use clockwork_testkit::on_both_databases;
use std::collections::HashSet;
use std::time::Instant;

use clockwork_store::{FeedCursors, StoreError, SyncEntity, WorklogChanges};

use crate::fixtures::{self, PROJECT, batch, comment, issue_id, record, snapshot, worklog};

on_both_databases! { crate::run, crate::TestDb;
    async fn applying_the_same_batch_twice_changes_nothing(db) {
        let store = db.store().await;
        let batch = batch(0..100, 5, 3);
        store.apply_batch(&batch).await.unwrap();
        let first = snapshot(&store, 0..100).await;
        db.advance_ms(60_000);
        store.apply_batch(&batch).await.unwrap();
        assert_eq!(snapshot(&store, 0..100).await, first);

        let counts = store.counts().await.unwrap();
        assert_eq!((counts.issues, counts.comments, counts.worklogs), (100, 500, 300));
        assert_eq!((counts.issue_sprints, counts.sprints), (100, 3));
        let stored = store.issue(&issue_id(4)).await.unwrap().unwrap();
        assert_eq!(stored.value, fixtures::issue(PROJECT, 4));
        assert!(!stored.is_deleted());
        assert_eq!(fixtures::issues_cursor(&store).await, batch.cursor_ms);
    }

    async fn a_batch_is_all_or_nothing(db) {
        let store = db.store().await;
        let first = batch(0..10, 2, 2);
        store.apply_batch(&first).await.unwrap();
        let before = snapshot(&store, 0..10).await;

        // Issues and comments go in first; the worklog on the last row breaks a CHECK.
        let mut second = batch(5..20, 2, 2);
        second.issues[0].issue.summary = "changed by the failed batch".into();
        let last = second.issues.last_mut().unwrap();
        last.worklogs.last_mut().unwrap().time_spent_seconds = -1;
        let err = store.apply_batch(&second).await.unwrap_err();
        assert!(matches!(err, StoreError::Constraint(_)), "{err}");
        assert!(!err.is_retryable());

        assert_eq!(snapshot(&store, 0..10).await, before);
        assert_eq!(store.issue(&issue_id(10)).await.unwrap(), None);
        assert_eq!(fixtures::issues_cursor(&store).await, first.cursor_ms);
    }

    async fn a_batch_marks_deleted_only_the_named_issues_of_its_own_project(db) {
        let store = db.store().await;
        store.apply_batch(&batch(0..3, 1, 0)).await.unwrap();
        let mut other = batch(10..11, 0, 0);
        other.project_key = "OPS".into();
        other.issues[0].issue.project_key = "OPS".into();
        store.apply_batch(&other).await.unwrap();
        let deletes = clockwork_store::IssueBatch {
            project_key: PROJECT.into(),
            deleted_issue_ids: vec![issue_id(1), issue_id(10)],
            ..clockwork_store::IssueBatch::default()
        };
        store.apply_batch(&deletes).await.unwrap();
        let deleted = async |n| store.issue(&issue_id(n)).await.unwrap().unwrap().is_deleted();
        assert_eq!((deleted(0).await, deleted(1).await, deleted(10).await), (false, true, false));
        assert_eq!(fixtures::issues_cursor(&store).await, batch(0..3, 1, 0).cursor_ms, "kept");
    }

    async fn a_child_under_the_wrong_issue_is_rejected_before_anything_is_written(db) {
        let store = db.store().await;
        let mut bad = batch(0..3, 1, 0);
        bad.issues[1].comments.push(comment(2, 9));
        let err = store.apply_batch(&bad).await.unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{err}");
        assert_eq!(store.counts().await.unwrap().issues, 0);
    }

    async fn comments_gone_from_a_complete_read_are_soft_deleted(db) {
        let store = db.store().await;
        store.apply_batch(&batch(0..2, 3, 0)).await.unwrap();

        db.advance_ms(1000);
        let mut later = batch(0..2, 3, 0);
        later.issues[0].comments.remove(1);
        store.apply_batch(&later).await.unwrap();
        let comments = store.comments_of(&issue_id(0)).await.unwrap();
        let deleted: Vec<_> =
            comments.iter().filter(|c| c.is_deleted()).map(|c| c.value.id.as_str()).collect();
        assert_eq!(deleted, ["c-0-1"]);
        assert_eq!(comments[1].deleted_at_ms, Some(db.now_ms()));
        // The other issue's comments are untouched.
        let others = store.comments_of(&issue_id(1)).await.unwrap();
        assert!(others.iter().all(|c| !c.is_deleted()));

        // It comes back when Jira lists it again.
        store.apply_batch(&batch(0..2, 3, 0)).await.unwrap();
        let comments = store.comments_of(&issue_id(0)).await.unwrap();
        assert!(comments.iter().all(|c| !c.is_deleted()), "{comments:?}");
    }

    async fn an_incomplete_read_deletes_no_comments(db) {
        let store = db.store().await;
        store.apply_batch(&batch(0..1, 4, 2)).await.unwrap();

        let mut truncated = batch(0..1, 4, 2);
        let only = &mut truncated.issues[0];
        only.comments.truncate(1);
        only.comments_complete = false;
        only.worklogs.truncate(1);
        only.worklogs_complete = false;
        store.apply_batch(&truncated).await.unwrap();

        let counts = store.counts().await.unwrap();
        assert_eq!((counts.comments, counts.comments_deleted), (4, 0));
        assert_eq!((counts.worklogs, counts.worklogs_deleted), (2, 0));
    }

    async fn an_issue_s_sprint_links_follow_the_latest_read(db) {
        let store = db.store().await;
        let mut moved = batch(0..1, 0, 0);
        store.apply_batch(&moved).await.unwrap();
        moved.issues[0].issue.sprint_ids = vec![3, 2];
        store.apply_batch(&moved).await.unwrap();
        let issue = store.issue(&issue_id(0)).await.unwrap().unwrap();
        assert_eq!(issue.value.sprint_ids, [2, 3]);
        moved.issues[0].issue.sprint_ids.clear();
        store.apply_batch(&moved).await.unwrap();
        let issue = store.issue(&issue_id(0)).await.unwrap().unwrap();
        assert!(issue.value.sprint_ids.is_empty());
    }

    async fn deleted_worklogs_are_soft_deleted_and_each_feed_cursor_advances(db) {
        let store = db.store().await;
        store.apply_batch(&batch(0..2, 0, 3)).await.unwrap();

        db.advance_ms(5000);
        let mut changed = worklog(0, 0);
        changed.time_spent_seconds = 7200;
        let foreign = worklog(999, 0);
        let deleted = vec![worklog(0, 1).id, "w-not-stored".to_owned()];
        let cursors =
            FeedCursors { updated_ms: fixtures::UPDATED0 + 123_456, deleted_ms: fixtures::UPDATED0 + 99 };
        let outcome = store
            .apply_worklog_changes(PROJECT, &[changed.clone(), foreign], &deleted, cursors)
            .await
            .unwrap();
        assert_eq!(outcome, WorklogChanges { upserted: 1, skipped: 1, deleted: 1 });

        let worklogs = store.worklogs_of(&issue_id(0)).await.unwrap();
        assert_eq!(worklogs[0].value, changed);
        assert_eq!(worklogs[1].deleted_at_ms, Some(db.now_ms()));
        assert!(!worklogs[2].is_deleted());
        let state = store.sync_state(PROJECT, SyncEntity::Worklogs).await.unwrap().unwrap();
        assert_eq!(state.cursor_ms, Some(cursors.updated_ms));
        let state = store.sync_state(PROJECT, SyncEntity::WorklogDeletions).await.unwrap().unwrap();
        assert_eq!(state.cursor_ms, Some(cursors.deleted_ms));
        assert_eq!(store.feed_cursors(PROJECT).await.unwrap(), Some(cursors));
        // The issue cursor is a separate one.
        assert_eq!(
            fixtures::issues_cursor(&store).await,
            Some(fixtures::UPDATED0 + 1000)
        );

        // Replaying the page changes nothing, and the deletion time stays the first one.
        db.advance_ms(5000);
        let again =
            store.apply_worklog_changes(PROJECT, &[changed], &deleted, cursors).await.unwrap();
        assert_eq!(again.deleted, 0);
        let worklogs = store.worklogs_of(&issue_id(0)).await.unwrap();
        assert_eq!(worklogs[1].deleted_at_ms, Some(db.now_ms() - 5000));
    }

    async fn a_sweep_missing_more_than_the_share_marks_them_unobserved_for_the_next_to_confirm(db) {
        let store = db.store().await;
        store.apply_batch(&batch(0..10, 0, 0)).await.unwrap();
        let at = fixtures::UPDATED0 + 10_000_000;
        let listed = |ids: std::ops::Range<u32>| ids.map(issue_id).collect::<HashSet<String>>();
        // Six of ten gone at once: none deleted, six held back.
        let sweep = store.sweep_issues(PROJECT, &listed(0..4), at, 0.5).await.unwrap();
        assert_eq!((sweep.deleted, sweep.unobserved), (0, 6));
        assert_eq!(store.counts().await.unwrap().issues_deleted, 0);
        // They come back: nothing deleted, the marks cleared.
        let sweep = store.sweep_issues(PROJECT, &listed(0..10), at + 1, 0.5).await.unwrap();
        assert_eq!((sweep.deleted, sweep.unobserved, sweep.restored), (0, 0, 6));
        // Gone in two sweeps in a row: the second confirms the deletion.
        store.sweep_issues(PROJECT, &listed(0..4), at + 2, 0.5).await.unwrap();
        let sweep = store.sweep_issues(PROJECT, &listed(0..4), at + 3, 0.5).await.unwrap();
        assert_eq!((sweep.deleted, sweep.unobserved), (6, 0));
        let issue = store.issue(&issue_id(9)).await.unwrap().unwrap();
        assert_eq!(issue.deleted_at_ms, Some(at + 3));
        // Under the share, deletions are immediate.
        let sweep = store.sweep_issues(PROJECT, &listed(0..3), at + 4, 0.5).await.unwrap();
        assert_eq!((sweep.deleted, sweep.unobserved), (1, 0));
    }

    async fn the_sweep_soft_deletes_missing_issues_and_restores_returning_ones(db) {
        let store = db.store().await;
        store.apply_batch(&batch(0..5, 1, 0)).await.unwrap();
        let mut elsewhere = batch(0..0, 0, 0);
        elsewhere.project_key = "OTHER".into();
        elsewhere.issues.push(record("OTHER", 50, 0, 0));
        store.apply_batch(&elsewhere).await.unwrap();

        let live: HashSet<String> = (0..3).map(issue_id).collect();
        let at = fixtures::UPDATED0 + 10_000_000;
        assert_eq!(store.sweep_issues(PROJECT, &live, at, 0.5).await.unwrap().deleted, 2);
        for n in 0..5 {
            let issue = store.issue(&issue_id(n)).await.unwrap().unwrap();
            assert_eq!(issue.deleted_at_ms, (n >= 3).then_some(at), "issue {n}");
        }
        assert!(!store.issue(&issue_id(50)).await.unwrap().unwrap().is_deleted());
        assert_eq!(store.sweep_issues(PROJECT, &live, at + 1, 0.5).await.unwrap().deleted, 0);
        let issue = store.issue(&issue_id(4)).await.unwrap().unwrap();
        assert_eq!(issue.deleted_at_ms, Some(at), "the first deletion time stays");

        let all: HashSet<String> = (0..5).map(issue_id).collect();
        let sweep = store.sweep_issues(PROJECT, &all, at + 2, 0.5).await.unwrap();
        assert_eq!((sweep.deleted, sweep.restored), (0, 2));
        assert_eq!(store.counts().await.unwrap().issues_deleted, 0);

        assert_eq!(store.last_sweep_ms(PROJECT).await.unwrap(), None);
        store.set_last_sweep_ms(PROJECT, at).await.unwrap();
        assert_eq!(store.last_sweep_ms(PROJECT).await.unwrap(), Some(at));
    }

    #[ignore = "a timing, not a rule: cargo test -p clockwork-store -- --ignored --nocapture"]
    async fn timing_of_batches_of_100_issues_500_comments_300_worklogs(db) {
        let store = db.store().await;
        let rounds = 20;
        let mut inserts = Vec::new();
        let mut updates = Vec::new();
        for round in 0..rounds {
            let issues = round * 100..round * 100 + 100;
            let batch = batch(issues, 5, 3);
            let started = Instant::now();
            store.apply_batch(&batch).await.unwrap();
            inserts.push(started.elapsed());
            let started = Instant::now();
            store.apply_batch(&batch).await.unwrap();
            updates.push(started.elapsed());
        }
        inserts.sort();
        updates.sort();
        eprintln!(
            "{:?}: one batch (100 issues, 500 comments, 300 worklogs): \
             new rows median {:?} (min {:?}, max {:?}); same rows again median {:?}",
            db.kind,
            inserts[inserts.len() / 2],
            inserts[0],
            inserts[inserts.len() - 1],
            updates[updates.len() / 2],
        );
    }
}
