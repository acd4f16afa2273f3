//! The shapes Jira answers with, as far as the routes read them.

use std::collections::HashMap;

use serde::Deserialize;

use super::JiraUser;

#[derive(Deserialize)]
pub(super) struct WireIssue {
    pub(super) id: String,
    pub(super) key: String,
    #[serde(default)]
    pub(super) fields: WireFields,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct WireFields {
    pub(super) summary: Option<String>,
    pub(super) status: Option<Named>,
    pub(super) project: Option<WireProject>,
    pub(super) assignee: Option<JiraUser>,
    pub(super) priority: Option<Named>,
}

#[derive(Deserialize)]
pub(super) struct Named {
    #[serde(default)]
    pub(super) name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct WireProject {
    pub(super) id: String,
    pub(super) key: String,
    #[serde(default)]
    pub(super) name: String,
    #[serde(default)]
    pub(super) avatar_urls: HashMap<String, String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SearchPage {
    #[serde(default)]
    pub(super) issues: Vec<WireIssue>,
    #[serde(default)]
    pub(super) next_page_token: Option<String>,
    #[serde(default)]
    pub(super) is_last: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct UserPage {
    #[serde(default)]
    pub(super) values: Vec<JiraUser>,
    #[serde(default)]
    pub(super) is_last: Option<bool>,
}
