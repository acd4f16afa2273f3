//! JSON shapes after Atlassian's OpenAPI documents: `User`, `Project` (here), `IssueBean` and its
//! fields ([`issue`]), `Comment`, `Worklog`, and the Agile API's boards and sprints
//! ([`activity`]), and the REST v2 shapes of webhook deliveries ([`webhook`]). Times are
//! written in the searching account's zone, as Jira does (`2026-02-10T09:00:00.000+0700`).

mod activity;
mod changelog;
mod issue;
mod webhook;

use std::cell::RefCell;
use std::collections::HashMap;

use chrono::{DateTime, SecondsFormat, Utc};
use chrono_tz::Tz;
use serde_json::{Value, json};

use super::{FakeProject, FakeUser, JiraData};
pub(super) use issue::{FieldSelection, ShapeChanges, status_id};

/// Renders values with links relative to the fake's base URL.
#[derive(Debug)]
pub(super) struct Renderer<'a> {
    base: &'a str,
    data: &'a JiraData,
    zone: Tz,
    /// People by account id, as rendered once: a page of issues names the same few people
    /// hundreds of times.
    people: RefCell<HashMap<String, Value>>,
}

impl<'a> Renderer<'a> {
    pub(super) fn new(base: &'a str, data: &'a JiraData) -> Self {
        Self { base, data, zone: data.searcher_zone(), people: RefCell::default() }
    }

    /// A `User`, as the user endpoints answer it.
    pub(super) fn user(&self, user: &FakeUser) -> Value {
        let mut value = self.user_details(user);
        value["locale"] = json!("en_US");
        value
    }

    /// `UserDetails`, as issues, comments and worklogs name people (no `locale`).
    fn user_details(&self, user: &FakeUser) -> Value {
        let mut value = json!({
            "self": format!("{}/rest/api/3/user?accountId={}", self.base, user.account_id),
            "accountId": user.account_id,
            "accountType": "atlassian",
            "avatarUrls": self.avatar_urls(&format!("/avatars/user/{}.png", user.account_id)),
            "displayName": user.display_name,
            "active": user.active,
            "timeZone": user.time_zone,
        });
        if let Some(email) = &user.email {
            value["emailAddress"] = json!(email);
        }
        value
    }

    /// A person by account id, or what Jira shows for an account it no longer knows.
    fn user_by_id(&self, account_id: &str) -> Value {
        if let Some(person) = self.people.borrow().get(account_id) {
            return person.clone();
        }
        let person = self.render_person(account_id);
        self.people.borrow_mut().insert(account_id.to_owned(), person.clone());
        person
    }

    fn render_person(&self, account_id: &str) -> Value {
        match self.data.user(account_id) {
            Some(user) => self.user_details(user),
            None => json!({
                "self": format!("{}/rest/api/3/user?accountId={account_id}", self.base),
                "accountId": account_id,
                "accountType": "unknown",
                "avatarUrls": self.avatar_urls("/avatars/user/unknown.png"),
                "displayName": "Former user",
                "active": false,
            }),
        }
    }

    fn avatar_urls(&self, path: &str) -> Value {
        let url = |size: u32| format!("{}{path}?s={size}", self.base);
        json!({ "16x16": url(16), "24x24": url(24), "32x32": url(32), "48x48": url(48) })
    }

    pub(super) fn project(&self, project: &FakeProject) -> Value {
        let mut value = json!({
            "self": format!("{}/rest/api/3/project/{}", self.base, project.id),
            "id": project.id,
            "key": project.key,
            "name": project.name,
            "projectTypeKey": "software",
            "simplified": false,
            "style": "classic",
            "isPrivate": false,
        });
        value["avatarUrls"] = self.avatar_urls(&format!("/avatars/project/{}.png", project.id));
        value
    }

    /// Jira's timestamp format, in the searching account's zone.
    fn time(&self, time: DateTime<Utc>) -> String {
        time.with_timezone(&self.zone).format("%Y-%m-%dT%H:%M:%S%.3f%z").to_string()
    }

    /// The Agile API's format (ISO 8601 in UTC).
    fn agile_time(time: DateTime<Utc>) -> String {
        time.to_rfc3339_opts(SecondsFormat::Millis, true)
    }
}

/// Atlassian Document Format: one paragraph per line of `text`.
fn adf(text: &str) -> Value {
    let paragraphs: Vec<Value> = text
        .lines()
        .map(|line| {
            if line.is_empty() {
                json!({ "type": "paragraph", "content": [] })
            } else {
                json!({ "type": "paragraph", "content": [{ "type": "text", "text": line }] })
            }
        })
        .collect();
    json!({ "type": "doc", "version": 1, "content": paragraphs })
}
