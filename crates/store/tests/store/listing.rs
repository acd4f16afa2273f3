//! Listings read each issue's live children in the issue's own row: every character of a
//! body survives the database's JSON, in order, with the author's account when it is stored.

use clockwork_store::{Children, IssueFilter, ListedIssue, Store};
use clockwork_testkit::on_both_databases;

use crate::fixtures::{PROJECT, batch, comment};

const BOTH: Children = Children { comments: true, worklogs: true };

async fn page(store: &Store, children: Children) -> Vec<ListedIssue> {
    let filter = IssueFilter { project_key: Some(PROJECT.into()), ..IssueFilter::default() };
    store.issue_page(&filter, None, 100, children).await.unwrap()
}

on_both_databases! { crate::run, crate::TestDb;
    async fn a_page_carries_each_issue_s_live_children_in_order_with_their_authors(db) {
        let store = db.store().await;
        let mut stored = batch(0..3, 3, 2);
        // Stored newest first; listed oldest first.
        stored.issues[0].comments.reverse();
        let odd = &mut stored.issues[0].comments[0];
        odd.body = "Line one\n\"quoted\" \\ back\tslash, naïve ✓ 😀 </script> ' --".into();
        // An author the store has no account for.
        stored.issues[1].comments[0].author_account_id = Some("acc-unknown".into());
        // A deactivated account (SQLite writes its flag as 0, Postgres as false).
        stored.users[1].active = false;
        stored.issues[2].comments.clear();
        stored.issues[2].worklogs.clear();
        store.apply_batch(&stored).await.unwrap();

        let listed = page(&store, BOTH).await;
        assert_eq!(listed.len(), 3);
        let comments = listed[0].comments.as_ref().expect("comments read");
        let bodies: Vec<_> = comments.iter().map(|c| c.value.clone()).collect();
        let mut expected: Vec<_> = stored.issues[0].comments.clone();
        expected.sort_by_key(|c| c.created_ms);
        assert_eq!(bodies, expected, "every field, every character, oldest first");
        assert_eq!(comments[0].author.as_ref().map(|u| u.display_name.as_str()), Some("User 0"));
        let active: Vec<_> = comments.iter().map(|c| c.author.as_ref().map(|u| u.active)).collect();
        assert_eq!(active, [Some(true), Some(false), Some(true)], "acc-1 is deactivated");
        let worklogs = listed[0].worklogs.as_ref().expect("worklogs read");
        assert_eq!(
            worklogs.iter().map(|w| w.value.clone()).collect::<Vec<_>>(),
            stored.issues[0].worklogs,
            "worklogs by start time, a missing comment kept missing"
        );

        let unknown = &listed[1].comments.as_ref().unwrap()[0];
        assert_eq!(unknown.value.author_account_id.as_deref(), Some("acc-unknown"));
        assert_eq!(unknown.author, None, "an account not stored has no author row");

        assert_eq!(listed[2].comments, Some(Vec::new()), "none is an empty list");
        assert_eq!(listed[2].worklogs, Some(Vec::new()));
    }

    async fn a_listing_leaves_out_deleted_children_and_children_not_asked_for(db) {
        let store = db.store().await;
        let mut stored = batch(0..1, 3, 1);
        store.apply_batch(&stored).await.unwrap();
        stored.issues[0].comments.remove(1);
        store.apply_batch(&stored).await.unwrap();

        let only_comments = Children { comments: true, worklogs: false };
        let listed = page(&store, only_comments).await;
        let ids: Vec<_> =
            listed[0].comments.as_ref().unwrap().iter().map(|c| c.value.id.clone()).collect();
        assert_eq!(ids, [comment(0, 0).id, comment(0, 2).id], "the deleted comment is gone");
        assert_eq!(listed[0].worklogs, None, "worklogs were not asked for");

        let by_key = store.issue_by_key(&format!("{PROJECT}-0"), BOTH).await.unwrap().unwrap();
        assert_eq!(by_key.comments, listed[0].comments);
        assert_eq!(by_key.worklogs.map(|w| w.len()), Some(1));
        let bare = page(&store, Children::default()).await;
        assert_eq!((bare[0].comments.as_ref(), bare[0].worklogs.as_ref()), (None, None));
    }
}
