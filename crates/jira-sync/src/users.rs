//! Matching Jira users to team members: by email (case-insensitive), then by exact display
//! name; the unmatched are reported for an admin to resolve.

use std::collections::HashMap;

use clockwork_store::model::{JiraUser, TeamMember};
use serde::Serialize;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MatchReport {
    /// (team member id, account id, how).
    pub matched: Vec<(String, String, &'static str)>,
    pub unmatched_members: Vec<String>,
    pub unmatched_users: Vec<String>,
}

/// Pure matching; the caller stores the result.
pub fn match_members(members: &[TeamMember], users: &[JiraUser]) -> MatchReport {
    let by_email: HashMap<String, &JiraUser> =
        users.iter().filter_map(|u| u.email.as_deref().map(|e| (e.to_lowercase(), u))).collect();
    let mut by_name: HashMap<&str, Vec<&JiraUser>> = HashMap::new();
    for user in users {
        by_name.entry(user.display_name.as_str()).or_default().push(user);
    }
    let mut report = MatchReport::default();
    let mut taken = std::collections::HashSet::new();
    for member in members {
        let email = member.email.as_deref().map(str::to_lowercase);
        let found = email.and_then(|e| by_email.get(&e).map(|u| (*u, "email"))).or_else(|| {
            match by_name.get(member.display_name.as_str()).map(Vec::as_slice) {
                // A name shared by two accounts is ambiguous: left for an admin.
                Some([only]) => Some((*only, "displayName")),
                _ => None,
            }
        });
        match found {
            Some((user, how)) if taken.insert(user.account_id.clone()) => {
                report.matched.push((member.id.clone(), user.account_id.clone(), how));
            }
            _ => report.unmatched_members.push(member.id.clone()),
        }
    }
    report.unmatched_users = users
        .iter()
        .filter(|u| !taken.contains(&u.account_id))
        .map(|u| u.account_id.clone())
        .collect();
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(id: &str, name: &str, email: Option<&str>) -> TeamMember {
        TeamMember {
            id: id.into(),
            display_name: name.into(),
            email: email.map(Into::into),
            jira_account_id: None,
        }
    }

    fn user(id: &str, name: &str, email: Option<&str>) -> JiraUser {
        JiraUser {
            account_id: id.into(),
            display_name: name.into(),
            email: email.map(Into::into),
            avatar_url: None,
            active: true,
        }
    }

    #[test]
    fn members_match_by_email_then_exact_name() {
        let members = [
            member("m1", "Ann Lee", Some("ANN@acme.example")),
            member("m2", "Bob Stone", None),
            member("m3", "Cy Twin", None),
            member("m4", "Nobody", Some("nobody@acme.example")),
        ];
        let users = [
            user("a1", "Ann L.", Some("ann@acme.example")),
            user("b1", "Bob Stone", None),
            user("c1", "Cy Twin", None),
            user("c2", "Cy Twin", None),
        ];
        let report = match_members(&members, &users);
        assert_eq!(
            report.matched,
            [
                ("m1".to_owned(), "a1".to_owned(), "email"),
                ("m2".to_owned(), "b1".to_owned(), "displayName")
            ]
        );
        assert_eq!(report.unmatched_members, ["m3", "m4"]);
        assert_eq!(report.unmatched_users, ["c1", "c2"]);
    }
}
