//! `Comment`, `Worklog`, and the Agile API's boards and sprints.

use serde_json::{Value, json};

use super::{Renderer, adf};
use crate::jira::store::{StoredComment, StoredWorklog};
use crate::jira::{FakeBoard, FakeSprint};

impl Renderer<'_> {
    pub(in crate::jira) fn comment(
        &self,
        issue_id: &str,
        id: u64,
        comment: &StoredComment,
    ) -> Value {
        let author = self.user_by_id(&comment.author);
        let mut value = json!({
            "self": format!("{}/rest/api/3/issue/{issue_id}/comment/{id}", self.base),
            "id": id.to_string(),
            "body": adf(&comment.body),
            "created": self.time(comment.created),
            "updated": self.time(comment.updated),
            "jsdPublic": true,
        });
        // Moved in, not copied through `json!`'s serializer.
        value["updateAuthor"] = author.clone();
        value["author"] = author;
        value
    }

    pub(in crate::jira) fn worklog(
        &self,
        issue_id: &str,
        id: u64,
        worklog: &StoredWorklog,
    ) -> Value {
        let author = self.user_by_id(&worklog.author);
        let mut value = json!({
            "self": format!("{}/rest/api/3/issue/{issue_id}/worklog/{id}", self.base),
            "created": self.time(worklog.created),
            "updated": self.time(worklog.updated),
            "started": self.time(worklog.started),
            "timeSpent": time_spent(worklog.seconds),
            "timeSpentSeconds": worklog.seconds,
            "id": id.to_string(),
            "issueId": issue_id,
        });
        value["updateAuthor"] = author.clone();
        value["author"] = author;
        if let Some(comment) = &worklog.comment {
            value["comment"] = adf(comment);
        }
        value
    }

    /// A board with its project `location` (`avatarURI` relative, as real sites write it).
    pub(in crate::jira) fn board(&self, board: &FakeBoard) -> Value {
        let mut value = json!({
            "id": board.id,
            "self": format!("{}/rest/agile/1.0/board/{}", self.base, board.id),
            "name": board.name,
            "type": board.kind,
        });
        if let Some(project) = self.data.project(&board.project_key) {
            let display = format!("{} ({})", project.name, project.key);
            value["location"] = json!({
                "projectId": project.id.parse::<u64>().ok(),
                "displayName": display,
                "projectName": project.name,
                "projectKey": project.key,
                "projectTypeKey": "software",
                "avatarURI": format!(
                    "/rest/api/2/universal_avatar/view/type/project/avatar/{}?size=small",
                    project.id
                ),
                "name": display,
            });
        }
        value
    }

    /// A sprint as the Agile API lists it; dates only when set.
    pub(in crate::jira) fn sprint(&self, sprint: &FakeSprint) -> Value {
        let mut value = json!({
            "id": sprint.id,
            "self": format!("{}/rest/agile/1.0/sprint/{}", self.base, sprint.id),
            "state": sprint.state,
            "name": sprint.name,
            "originBoardId": sprint.board_id,
        });
        let dates = [
            ("startDate", sprint.start_date),
            ("endDate", sprint.end_date),
            ("completeDate", sprint.complete_date),
        ];
        for (name, date) in dates {
            if let Some(date) = date {
                value[name] = json!(Self::agile_time(date));
            }
        }
        if let Some(goal) = &sprint.goal {
            value["goal"] = json!(goal);
        }
        value
    }
}

/// Jira's duration text with its default 8-hour days and 5-day weeks: `1w 2d 3h 20m`.
fn time_spent(seconds: u64) -> String {
    let minutes = seconds / 60;
    let parts = [
        (minutes / (5 * 8 * 60), "w"),
        (minutes / (8 * 60) % 5, "d"),
        (minutes / 60 % 8, "h"),
        (minutes % 60, "m"),
    ];
    let text: Vec<String> =
        parts.iter().filter(|(n, _)| *n > 0).map(|(n, unit)| format!("{n}{unit}")).collect();
    if text.is_empty() { "0m".to_owned() } else { text.join(" ") }
}
