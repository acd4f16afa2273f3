//! No cache between a sync and a query: what a batch commits is what the next query reads.

use std::time::{Duration, Instant};

use clockwork_jira_sync::{NoProgress, SyncEngine, SyncOptions};
use clockwork_testkit::on_both_databases;
use serde_json::json;

use crate::World;

/// Live issues of KAN by the grouped count of `trackedProjects`.
async fn issues_seen(world: &World) -> i64 {
    let data = world.user("{ trackedProjects { key counts { issues } } }", json!({})).await;
    data["trackedProjects"][0]["counts"]["issues"].as_i64().unwrap_or(0)
}

on_both_databases! { World::run, World;
    async fn data_committed_by_a_sync_batch_is_visible_to_the_next_query(world) {
        world.jira.seed_project("KAN", 250, 1, 1);
        world.admin("mutation { trackProject(projectId: \"KAN\") { key } }", json!({})).await;
        let engine = SyncEngine::new(world.client.clone(), world.store.clone(), SyncOptions::default());
        let started = Instant::now();
        let sync = tokio::spawn(async move { engine.sync_project("KAN", true, &NoProgress).await });
        let mut seen = Vec::new();
        while !sync.is_finished() {
            let count = issues_seen(&world).await;
            if seen.last() != Some(&count) {
                seen.push(count);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let summary = sync.await.expect("the sync task").expect("the sync");
        assert_eq!(issues_seen(&world).await, 250, "the query right after the last commit sees it all");
        assert!(started.elapsed() < Duration::from_secs(5), "synced and visible in {:?}", started.elapsed());
        assert!(seen.iter().all(|count| count % 100 == 0 || *count == 250), "whole batches only: {seen:?}");
        let data = world.user("{ issues(projectId: \"KAN\", first: 100) { edges { node { key comments { body } worklogs { timeSpent } } } } }", json!({})).await;
        let edges = data["issues"]["edges"].as_array().unwrap();
        assert_eq!(edges.len(), 100);
        assert!(edges.iter().all(|e| e["node"]["comments"].as_array().unwrap().len() == 1), "{summary:?}");
    }
}
