//! Bulk generation of whole projects, fast enough for 100,000 issues: people (every other one
//! hiding their email), a scrum board with a closed, an active and a future sprint, and issues
//! with comments and worklogs spread over the two months before the last day, and the
//! status moves that brought each to its status in their changelogs. Authors and
//! texts are shared between rows and no JSON is rendered ahead of time.

use std::ops::Range;
use std::sync::Arc;

use chrono::{Duration, Utc};

use super::changelog::status_item;
use super::store::{StoredComment, StoredWorklog};
use super::{FakeBoard, FakeIssue, FakeJira, FakeSprint, FakeUser};

const PEOPLE: usize = 8;
const STATUSES: [&str; 5] = ["To Do", "In Progress", "In Review", "Done", "Backlog"];
/// The moves an issue made to reach its status: none for "To Do" (and "Backlog", not on
/// it), up to three for "Done", the last of them at the issue's `updated`.
const WORKFLOW: [&str; 4] = ["To Do", "In Progress", "In Review", "Done"];
const TYPES: [&str; 4] = ["Task", "Bug", "Story", "Task"];
const PRIORITIES: [Option<&str>; 5] =
    [Some("Medium"), Some("High"), Some("Low"), None, Some("Highest")];
const POINTS: [Option<f64>; 6] = [Some(1.0), Some(2.0), Some(3.0), Some(5.0), None, Some(8.0)];
const ZONES: [&str; 4] = ["UTC", "Europe/Berlin", "America/Los_Angeles", "Asia/Ho_Chi_Minh"];
const SUMMARIES: [&str; 4] =
    ["Fix the timer drift", "Export the weekly report", "Tidy the settings page", "Speed up sync"];
const TEXTS: [&str; 4] = [
    "Looked into it.\nThe cause is in the cache layer.",
    "Pairing session with the mobile team.",
    "Code review and follow-ups.",
    "Waiting for the customer to confirm.",
];

/// What [`FakeJira::seed_project`] made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeededProject {
    pub key: String,
    /// The issues' numeric ids, in key order.
    pub issue_ids: Range<u64>,
    pub board_id: u64,
    /// The closed, the active and the future sprint.
    pub sprint_ids: Vec<u64>,
    /// Assignees, reporters and authors.
    pub account_ids: Vec<String>,
}

impl FakeJira {
    /// Generates a project (created when unknown) with `issues` issues, each with
    /// `comments_per_issue` comments and `worklogs_per_issue` worklogs, all older than a day.
    /// Numbers continue after the project's existing keys and the site's largest issue id.
    pub fn seed_project(
        &self,
        key: &str,
        issues: usize,
        comments_per_issue: usize,
        worklogs_per_issue: usize,
    ) -> SeededProject {
        let now = Utc::now();
        let key = key.to_ascii_uppercase();
        let lower = key.to_ascii_lowercase();
        let mut guard = self.shared.edit();
        let data = &mut *guard;
        data.ensure_project(&key);

        let account_ids: Vec<String> =
            (1..=PEOPLE).map(|n| format!("712020:seed-{lower}-{n}")).collect();
        for (n, id) in account_ids.iter().enumerate() {
            let mut user = FakeUser::new(id, &format!("{key} Person {}", n + 1))
                .with_time_zone(ZONES[n % ZONES.len()]);
            if n % 2 == 0 {
                user = user.with_email(&format!("person{}.{lower}@example.test", n + 1));
            }
            data.users.retain(|u| u.account_id != *id);
            data.users.push(user);
        }
        let authors: Vec<Arc<str>> = account_ids.iter().map(|id| Arc::from(id.as_str())).collect();
        let texts: Vec<Arc<str>> = TEXTS.iter().map(|text| Arc::from(*text)).collect();

        let board_id = data.boards.iter().map(|b| b.id).max().unwrap_or(0) + 1;
        data.boards.push(FakeBoard::scrum(board_id, &format!("{key} board"), &key));
        let first_sprint = data.sprints.iter().map(|s| s.id).max().unwrap_or(0) + 1;
        let sprint_ids: Vec<u64> = (first_sprint..first_sprint + 3).collect();
        for (n, (id, state)) in sprint_ids.iter().zip(["closed", "active", "future"]).enumerate() {
            let weeks_ago = |weeks: i64| Some(now - Duration::weeks(weeks));
            let (start, end) = match n {
                0 => (weeks_ago(4), weeks_ago(2)),
                1 => (weeks_ago(2), Some(now)),
                _ => (None, None),
            };
            data.sprints.push(FakeSprint {
                goal: Some(format!("Ship {key} increment {}", n + 1)),
                start_date: start,
                end_date: end,
                complete_date: (n == 0).then_some(end).flatten(),
                ..FakeSprint::new(*id, board_id, &format!("{key} Sprint {}", n + 1), state)
            });
        }
        let sprint_sets = [vec![sprint_ids[0]], sprint_ids[..2].to_vec(), vec![sprint_ids[2]]];

        let first_id = data.issues.max_numeric_id().max(9_999) + 1;
        let prefix = format!("{key}-");
        let first_number = data
            .issues
            .iter()
            .filter_map(|(_, e)| e.issue.key.strip_prefix(&prefix)?.parse::<u64>().ok())
            .max()
            .unwrap_or(0)
            + 1;
        let base = now - Duration::days(61);
        let step = Duration::days(60) / i32::try_from(issues.max(1)).unwrap_or(i32::MAX);
        let activity = comments_per_issue.max(worklogs_per_issue) as i64;
        for i in 0..issues {
            let offset = i32::try_from(i).unwrap_or(i32::MAX);
            let created = base + step * offset;
            let updated = created + Duration::minutes(10 * activity + 10);
            let status = STATUSES[i % STATUSES.len()];
            let slot = data.issues.insert(FakeIssue {
                id: (first_id + i as u64).to_string(),
                key: format!("{key}-{}", first_number + i as u64),
                summary: format!("{} #{}", SUMMARIES[i % SUMMARIES.len()], first_number + i as u64),
                status: status.to_owned(),
                issue_type: TYPES[i % TYPES.len()].to_owned(),
                project_key: key.clone(),
                assignee: (i % 9 != 8).then(|| account_ids[i % PEOPLE].clone()),
                reporter: Some(account_ids[(i + 3) % PEOPLE].clone()),
                priority: PRIORITIES[i % PRIORITIES.len()].map(str::to_owned),
                created,
                updated,
                resolution_date: (status == "Done").then_some(updated),
                sprints: sprint_sets.get(i % 4).cloned().unwrap_or_default(),
                story_points: POINTS[i % POINTS.len()],
            });
            let comments: Vec<u64> = (0..comments_per_issue)
                .map(|j| {
                    let at = created + Duration::minutes(10 * j as i64 + 1);
                    data.comments.insert(StoredComment {
                        issue: slot,
                        author: authors[(i + j) % PEOPLE].clone(),
                        body: texts[(i + j) % texts.len()].clone(),
                        created: at,
                        updated: at,
                    })
                })
                .collect();
            let worklogs: Vec<u64> = (0..worklogs_per_issue)
                .map(|j| {
                    let started = created + Duration::minutes(10 * j as i64);
                    let logged = started + Duration::minutes(5);
                    data.worklogs.insert(StoredWorklog {
                        issue: slot,
                        author: authors[(i + 2 * j) % PEOPLE].clone(),
                        started,
                        seconds: 900 * (1 + ((i + j) % 8) as u64),
                        comment: (j % 2 == 0).then(|| texts[(i + j) % texts.len()].clone()),
                        created: logged,
                        updated: logged,
                    })
                })
                .collect();
            if let Some(entry) = data.issues.get_mut(slot) {
                entry.comments = comments;
                entry.worklogs = worklogs;
            }
            let moves = WORKFLOW.iter().position(|s| *s == status).unwrap_or(0);
            for step in 1..=moves {
                let at = created + (updated - created) * step as i32 / moves as i32;
                let moved = status_item(WORKFLOW[step - 1], WORKFLOW[step]);
                data.record_history(slot, authors[(i + step) % PEOPLE].clone(), at, vec![moved]);
            }
        }
        SeededProject {
            key,
            issue_ids: first_id..first_id + issues as u64,
            board_id,
            sprint_ids,
            account_ids,
        }
    }
}
