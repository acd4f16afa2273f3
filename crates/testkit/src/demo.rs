//! A simulated Jira site and Clockwork account with sample data, for `clockwork-local serve --demo`
//! and for tests that want a populated world: 6 people (two hiding their email), 3 projects,
//! 15 issues with a few comments, a KAN scrum board with a closed and an active sprint, 5
//! running timers (one person has two) and one finished this morning, and a week of worklogs
//! (the same ones in Jira and in Clockwork, under the same ids). The Jira site hands out report-app credentials both ways (Connect servlet with
//! [`DEMO_JIRA_COOKIE`], Forge with [`DEMO_TENANT_SESSION_TOKEN`]), and the Clockwork server's
//! root is the report app serving every timer.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::clockwork::{FakeAuthor, FakeClockwork, FakeTimer, FakeWorklog};
use crate::jira::{
    API_USER_ACCOUNT_ID, FakeBoard, FakeComment, FakeIssue, FakeJira, FakeJiraWorklog, FakeProject,
    FakeSprint, FakeUser,
};

/// Basic-auth email of the demo Jira site.
pub const DEMO_JIRA_EMAIL: &str = "clockwork-integration@acme.example";
/// Basic-auth API token of the demo Jira site.
pub const DEMO_JIRA_TOKEN: &str = "demo-jira-api-token";
/// The Clockwork token of the demo person ([`DEMO_ACCOUNT_ID`]): start and stop act as them.
pub const DEMO_CLOCKWORK_TOKEN: &str = "demo-clockwork-token";
/// Mai Nguyen, who owns [`DEMO_CLOCKWORK_TOKEN`] and has two running timers.
pub const DEMO_ACCOUNT_ID: &str = "712020:3f1c2b7e-8a4d-4c55-9b1e-2d6f0a9c7e11";
pub const DEMO_USER_EMAIL: &str = "mai.nguyen@acme.example";
/// The browser cookie the demo site's Connect servlet accepts (`JIRA_FULL_COOKIE`).
pub const DEMO_JIRA_COOKIE: &str =
    "cloud.session.token=demo-cloud-session; atlassian.xsrf.token=demo-xsrf-token";
/// The `tenant.session.token` cookie the demo site's Forge endpoints accept.
pub const DEMO_TENANT_SESSION_TOKEN: &str = "demo-tenant-session-token";
pub const DEMO_CLOUD_ID: &str = "5f0c2a9e-3b7d-4e61-9a8c-1d2e3f4a5b6c";
pub const DEMO_WORKSPACE_ID: &str = "8d4e6f1a-2b3c-4d5e-9f60-7a8b9c0d1e2f";
/// Clockwork's Forge extension on the demo site.
pub const DEMO_EXTENSION_ID: &str = "ari:cloud:ecosystem::extension/\
    0b7f6c2e-4d1a-4e8b-9c3f-5a6d7e8f9a0b/\
    1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f/static/clockwork-timers";
pub const DEMO_PROJECT_KEYS: [&str; 3] = ["KAN", "OPS", "MOB"];

struct Person {
    account_id: &'static str,
    name: &'static str,
    email: Option<&'static str>,
    time_zone: &'static str,
}

const fn person(
    account_id: &'static str,
    name: &'static str,
    email: Option<&'static str>,
    time_zone: &'static str,
) -> Person {
    Person { account_id, name, email, time_zone }
}

#[rustfmt::skip]
const PEOPLE: [Person; 6] = [
    person(DEMO_ACCOUNT_ID, "Mai Nguyen", Some(DEMO_USER_EMAIL), "Asia/Ho_Chi_Minh"),
    person("712020:7b2e9d40-1c3a-4f8e-a5d2-6e0b8c4f1a22", "Liam O'Connor", Some("liam.oconnor@acme.example"), "Europe/Dublin"),
    person("712020:c4a81f3d-5e6b-4a7c-8d9e-0f1a2b3c4d33", "Sofia Rossi", None, "Europe/Rome"),
    person("712020:9e0d7c6b-2a1f-4e3d-b4c5-a6b7c8d9e044", "Kenji Tanaka", Some("kenji.tanaka@acme.example"), "Asia/Tokyo"),
    person("712020:1a2b3c4d-6e7f-4a8b-9c0d-e1f2a3b4c555", "Priya Sharma", None, "Asia/Kolkata"),
    person("712020:5f6e7d8c-9b0a-4c1d-8e2f-3a4b5c6d7e66", "Daniel Becker", Some("daniel.becker@acme.example"), "America/New_York"),
];

const PROJECTS: [(&str, &str, &str); 3] = [
    ("10000", "KAN", "Kanban Web App"),
    ("10001", "OPS", "Platform Operations"),
    ("10002", "MOB", "Mobile App"),
];

/// id, key, summary, status, type, priority, assignee (index into `PEOPLE`).
type IssueRow = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<usize>,
);

#[rustfmt::skip]
const ISSUES: [IssueRow; 15] = [
    ("10001", "KAN-1", "Set up CI pipeline for the web app", "Done", "Task", Some("Medium"), Some(1)),
    ("10002", "KAN-2", "Login page rejects emails with a plus sign", "In Review", "Bug", Some("High"), Some(0)),
    ("10003", "KAN-3", "Timer widget shows stale duration after sleep", "In Progress", "Bug", Some("Highest"), Some(0)),
    ("10004", "KAN-4", "Add dark mode to the settings screen", "To Do", "Story", Some("Low"), Some(2)),
    ("10005", "KAN-5", "Export weekly timesheet as CSV", "In Progress", "Story", Some("Medium"), Some(1)),
    ("10006", "KAN-6", "Keyboard shortcut to start the last timer", "Backlog", "Story", None, None),
    ("10007", "OPS-1", "Rotate the Jira API token before it expires", "To Do", "Task", Some("High"), Some(5)),
    ("10008", "OPS-2", "Move the timer sync worker to the new queue", "In Progress", "Task", Some("Medium"), Some(0)),
    ("10009", "OPS-3", "Alert when Redis memory passes 80%", "Done", "Task", Some("Medium"), Some(5)),
    ("10010", "OPS-4", "Postgres backup restore drill", "In Progress", "Task", Some("High"), Some(2)),
    ("10011", "OPS-5", "Investigate 429s from Jira during the morning sync", "To Do", "Bug", Some("High"), Some(4)),
    ("10012", "MOB-1", "Push notification when a timer runs past 8 hours", "To Do", "Story", Some("Medium"), Some(3)),
    ("10013", "MOB-2", "Crash when rotating the worklog list on Android", "In Progress", "Bug", Some("Highest"), Some(3)),
    ("10014", "MOB-3", "Offline queue for start and stop actions", "Backlog", "Epic", Some("Low"), None),
    ("10015", "MOB-4", "Translate the app into Vietnamese", "In Review", "Task", Some("Lowest"), Some(4)),
];

/// Worklog comments, in turn.
const WORKLOG_COMMENTS: [Option<&str>; 5] =
    [Some("Pairing session"), None, Some("Code review"), Some("Investigation"), None];

/// Issue comments: issue (index into `ISSUES`), author (index into `PEOPLE`), body; each
/// issue's comments are made in this order, the last one when the issue was last updated.
#[rustfmt::skip]
const ISSUE_COMMENTS: [(usize, usize, &str); 8] = [
    (1, 1, "Reproduced with jane+test@acme.example: the validator drops the plus."),
    (1, 0, "Fix is up for review."),
    (2, 0, "The widget keeps the old start time after the laptop wakes."),
    (2, 3, "Same on macOS 14."),
    (4, 2, "Which columns besides issue, date and hours?"),
    (7, 5, "The new queue is live in staging."),
    (10, 4, "Most 429s come from the 09:00 schedule overlapping a backfill."),
    (12, 3, "Only on Android 14 tablets so far."),
];

/// The KAN scrum board and its sprints: (id, name, state, weeks ago it started).
const KAN_BOARD: u64 = 1;
const KAN_SPRINTS: [(u64, &str, &str, i64); 2] =
    [(1, "KAN Sprint 1", "closed", 4), (2, "KAN Sprint 2", "active", 2)];

/// Both fakes, seeded, with what a person needs to try them.
#[derive(Debug)]
pub struct Demo {
    pub jira: FakeJira,
    pub clockwork: FakeClockwork,
    /// The person the Clockwork token acts as ([`DEMO_ACCOUNT_ID`]).
    pub account_id: String,
    pub email: String,
    pub project_keys: Vec<String>,
}

/// Starts both fakes (on the given addresses, or free loopback ports) and seeds them,
/// with times relative to now.
pub async fn start_demo(
    jira_addr: Option<SocketAddr>,
    clockwork_addr: Option<SocketAddr>,
) -> io::Result<Demo> {
    let any_port = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    let jira =
        FakeJira::start_on(jira_addr.unwrap_or(any_port), DEMO_JIRA_EMAIL, DEMO_JIRA_TOKEN).await?;
    let clockwork = FakeClockwork::start_on(clockwork_addr.unwrap_or(any_port)).await?;
    let now = Utc::now();
    seed_jira(&jira, now);
    seed_clockwork(&clockwork, now);
    seed_worklogs(&jira, &clockwork, now);
    jira.set_session_cookie(DEMO_JIRA_COOKIE);
    jira.set_tenant_session_token(DEMO_TENANT_SESSION_TOKEN);
    jira.set_forge_app(DEMO_CLOUD_ID, DEMO_WORKSPACE_ID, DEMO_EXTENSION_ID);
    jira.link_report(&clockwork);
    Ok(Demo {
        jira,
        clockwork,
        account_id: DEMO_ACCOUNT_ID.to_owned(),
        email: DEMO_USER_EMAIL.to_owned(),
        project_keys: DEMO_PROJECT_KEYS.iter().map(|key| (*key).to_owned()).collect(),
    })
}

fn seed_jira(jira: &FakeJira, now: DateTime<Utc>) {
    jira.update_user(API_USER_ACCOUNT_ID, |user| {
        user.display_name = "Clockwork Integration".into()
    });
    for person in &PEOPLE {
        let user = FakeUser {
            email: person.email.map(Into::into),
            ..FakeUser::new(person.account_id, person.name)
        };
        jira.add_user(user.with_time_zone(person.time_zone));
    }
    for (id, key, name) in PROJECTS {
        jira.add_project(FakeProject::new(id, key, name));
    }
    jira.add_board(FakeBoard::scrum(KAN_BOARD, "KAN board", "KAN"));
    for (id, name, state, weeks_ago) in KAN_SPRINTS {
        let start = now - Duration::weeks(weeks_ago);
        let end = start + Duration::weeks(2);
        jira.add_sprint(FakeSprint {
            start_date: Some(start),
            end_date: Some(end),
            complete_date: (state == "closed").then_some(end),
            ..FakeSprint::new(id, KAN_BOARD, name, state)
        });
    }
    for (n, (id, key, summary, status, issue_type, priority, assignee)) in
        ISSUES.into_iter().enumerate()
    {
        let hours = i64::try_from(n).unwrap_or(0) * 7 + 1;
        let updated = now - Duration::hours(hours);
        // KAN's finished work is in the closed sprint, the rest (but the backlog) in the active one.
        let sprint = match status {
            _ if !key.starts_with("KAN-") => None,
            "Done" => Some(KAN_SPRINTS[0].0),
            "Backlog" => None,
            _ => Some(KAN_SPRINTS[1].0),
        };
        jira.add_issue(FakeIssue {
            status: status.into(),
            issue_type: issue_type.into(),
            priority: priority.map(Into::into),
            assignee: assignee.map(|index| PEOPLE[index].account_id.to_owned()),
            created: now - Duration::days(30) + Duration::hours(hours),
            updated,
            sprints: sprint.into_iter().collect(),
            ..FakeIssue::new(id, key, summary)
        });
        let comments: Vec<_> = ISSUE_COMMENTS.iter().filter(|(issue, ..)| *issue == n).collect();
        for (k, (_, author, body)) in comments.iter().rev().enumerate() {
            let at = updated - Duration::minutes(45 * i64::try_from(k).unwrap_or(0));
            let comment = FakeComment {
                created: at,
                updated: at,
                ..FakeComment::new(PEOPLE[*author].account_id, body)
            };
            jira.add_comment(id, comment);
        }
    }
}

fn seed_clockwork(clockwork: &FakeClockwork, now: DateTime<Utc>) {
    clockwork.add_token(DEMO_CLOCKWORK_TOKEN, DEMO_ACCOUNT_ID);
    for (id, key, summary, ..) in ISSUES {
        clockwork.add_issue(id, key, summary);
    }
    for person in &PEOPLE {
        clockwork.add_author(person.account_id, person.name, person.email);
    }
    // (person, issue, minutes ago, comment, author shown on the timer)
    let timers = [
        (0, 2, 45, None, false),
        (0, 7, 130, Some("Migrating queue consumers"), false),
        (1, 4, 20, None, true),
        (3, 12, 90, None, true),
        (2, 9, 200, Some("Restore drill"), true),
    ];
    for (person, issue, minutes, comment, with_author) in timers {
        let (issue_id, issue_key, ..) = ISSUES[issue];
        let person: &Person = &PEOPLE[person];
        let started = now - Duration::minutes(minutes);
        let mut timer = FakeTimer::running(issue_key, issue_id, person.account_id, started);
        timer.comment = comment.map(Into::into);
        timer.worklog_count = 1;
        timer.author = with_author.then(|| FakeAuthor {
            account_id: person.account_id.into(),
            display_name: person.name.into(),
            email: person.email.map(Into::into),
            avatar_url: None,
        });
        clockwork.add_timer(timer);
    }
    // A timer stopped this morning: the report lists it, but it is not running.
    let (issue_id, issue_key, ..) = ISSUES[4];
    let mut finished =
        FakeTimer::running(issue_key, issue_id, PEOPLE[1].account_id, now - Duration::hours(5));
    finished.finished_at = Some(now - Duration::hours(4));
    finished.worklog_count = 1;
    clockwork.add_timer(finished);
}

/// One or two worklogs a day over the last 7 days for five people, in each person's zone:
/// logged in Jira when the work ended, and listed by Clockwork under Jira's id.
fn seed_worklogs(jira: &FakeJira, clockwork: &FakeClockwork, now: DateTime<Utc>) {
    for (p, person) in PEOPLE.iter().enumerate().take(5) {
        let zone: Tz = person.time_zone.parse().unwrap_or(Tz::UTC);
        let today = now.with_timezone(&zone).date_naive();
        for (days_ago, date) in today.iter_days().rev().take(7).enumerate() {
            for slot in 0..1 + (p + days_ago) % 2 {
                // 09:00 and 13:00 local, staggered by a quarter hour per person.
                let local = date.and_time(NaiveTime::MIN)
                    + Duration::minutes(i64::try_from(540 + 240 * slot + 15 * p).unwrap_or(0));
                let Some(started) = zone.from_local_datetime(&local).earliest() else { continue };
                let minutes = 30 * (1 + (p + days_ago + slot) % 5);
                let started_utc = started.with_timezone(&Utc);
                // Work is logged when it ends: none still going on.
                let logged = started_utc + Duration::minutes(i64::try_from(minutes).unwrap_or(0));
                if logged > now {
                    continue;
                }
                let (issue_id, ..) = ISSUES[(p * 3 + days_ago + slot) % ISSUES.len()];
                let seconds = u64::try_from(minutes * 60).unwrap_or(0);
                let comment = WORKLOG_COMMENTS[(p + days_ago) % WORKLOG_COMMENTS.len()];
                let in_jira = FakeJiraWorklog {
                    comment: comment.map(Into::into),
                    created: logged,
                    updated: logged,
                    ..FakeJiraWorklog::new(person.account_id, started_utc, seconds)
                };
                let Some(id) = jira.add_worklog(issue_id, in_jira) else { continue };
                let mut worklog = FakeWorklog::new(
                    &id,
                    issue_id,
                    person.account_id,
                    started.fixed_offset(),
                    seconds,
                );
                worklog.comment = comment.map(Into::into);
                clockwork.add_worklog(worklog);
            }
        }
    }
}
