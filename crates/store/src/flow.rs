//! What an issue's status moves say about it, as pure arithmetic: the time spent in each
//! status, the cycle time and the lead time ([`Flow`]).

use std::collections::HashMap;

use crate::model::{Flow, StatusDuration};

/// Jira's status category of work under way ("In Progress" and the like).
pub(crate) const IN_PROGRESS: &str = "indeterminate";

/// One change of an issue's status: the names, and the categories (`new`,
/// `indeterminate`, `done`) when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StatusMove {
    pub(crate) at_ms: i64,
    pub(crate) from: Option<String>,
    pub(crate) to: Option<String>,
    pub(crate) from_category: Option<String>,
    pub(crate) to_category: Option<String>,
}

/// The issue as the history reads it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Lifetime<'a> {
    pub(crate) created_ms: i64,
    pub(crate) resolved_ms: Option<i64>,
    /// The status it is in now (its first, when it never moved), and its category.
    pub(crate) status: &'a str,
    pub(crate) status_category: Option<&'a str>,
}

/// The flow of an issue from its status `moves`, oldest first.
pub(crate) fn flow(issue: Lifetime<'_>, moves: &[StatusMove]) -> Flow {
    let (first, first_category) = match moves.first() {
        Some(first) => (first.from.as_deref().unwrap_or_default(), first.from_category.as_deref()),
        None => (issue.status, issue.status_category),
    };
    let mut status = first.to_owned();
    let mut since = issue.created_ms;
    let mut started = (first_category == Some(IN_PROGRESS)).then_some(issue.created_ms);
    let mut slots: HashMap<String, usize> = HashMap::new();
    let mut durations: Vec<StatusDuration> = Vec::new();
    for moved in moves {
        let stay = (moved.at_ms - since).max(0);
        match slots.get(&status) {
            Some(&slot) => durations[slot].ms += stay,
            None => {
                slots.insert(status.clone(), durations.len());
                durations.push(StatusDuration { status: status.clone(), ms: stay });
            }
        }
        status = moved.to.clone().unwrap_or_default();
        since = moved.at_ms;
        if started.is_none() && moved.to_category.as_deref() == Some(IN_PROGRESS) {
            started = Some(moved.at_ms);
        }
    }
    let until_resolved = |from: i64| issue.resolved_ms.map(|resolved| (resolved - from).max(0));
    Flow {
        status_durations: durations,
        cycle_time_ms: started.and_then(until_resolved),
        lead_time_ms: until_resolved(issue.created_ms),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000;

    fn category(status: &str) -> Option<String> {
        let key = match status {
            "To Do" => "new",
            "In Progress" | "In Review" => IN_PROGRESS,
            "Done" => "done",
            _ => return None,
        };
        Some(key.to_owned())
    }

    fn moved(at_hours: i64, from: &str, to: &str) -> StatusMove {
        StatusMove {
            at_ms: at_hours * HOUR,
            from: Some(from.into()),
            to: Some(to.into()),
            from_category: category(from),
            to_category: category(to),
        }
    }

    fn issue(created_hours: i64, resolved_hours: Option<i64>, status: &str) -> Lifetime<'_> {
        Lifetime {
            created_ms: created_hours * HOUR,
            resolved_ms: resolved_hours.map(|hours| hours * HOUR),
            status,
            status_category: None,
        }
    }

    fn durations(flow: &Flow) -> Vec<(&str, i64)> {
        flow.status_durations.iter().map(|d| (d.status.as_str(), d.ms / HOUR)).collect()
    }

    #[test]
    fn a_status_moved_through_twice_sums_its_stays_in_first_entered_order() {
        let moves = [
            moved(2, "To Do", "In Progress"),
            moved(5, "In Progress", "In Review"),
            moved(6, "In Review", "In Progress"),
            moved(10, "In Progress", "Done"),
        ];
        let flow = flow(issue(0, Some(10), "Done"), &moves);
        assert_eq!(durations(&flow), [("To Do", 2), ("In Progress", 7), ("In Review", 1)]);
        assert_eq!(flow.cycle_time_ms, Some(8 * HOUR), "from the first move into In Progress");
        assert_eq!(flow.lead_time_ms, Some(10 * HOUR));
    }

    #[test]
    fn an_unresolved_issue_has_no_cycle_or_lead_time() {
        let moves = [moved(1, "To Do", "In Progress")];
        let flow = flow(issue(0, None, "In Progress"), &moves);
        assert_eq!(durations(&flow), [("To Do", 1)], "the running stay is not counted");
        assert_eq!((flow.cycle_time_ms, flow.lead_time_ms), (None, None));
    }

    #[test]
    fn an_issue_created_in_progress_starts_its_cycle_at_creation() {
        let flow = flow(issue(1, Some(4), "Done"), &[moved(3, "In Progress", "Done")]);
        assert_eq!(flow.cycle_time_ms, Some(3 * HOUR));
        let never_moved =
            Lifetime { status_category: Some(IN_PROGRESS), ..issue(1, Some(2), "In Progress") };
        let flow = super::flow(never_moved, &[]);
        assert!(flow.status_durations.is_empty());
        assert_eq!(flow.cycle_time_ms, Some(HOUR));
    }

    #[test]
    fn an_issue_resolved_without_passing_in_progress_has_a_lead_time_only() {
        let flow = flow(issue(0, Some(2), "Done"), &[moved(2, "To Do", "Done")]);
        assert_eq!((flow.cycle_time_ms, flow.lead_time_ms), (None, Some(2 * HOUR)));
    }
}
