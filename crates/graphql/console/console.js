// The admin console: every read and every action goes through the GraphQL API at
// /api/graphql. Data is only ever inserted as text (textContent, DOM nodes), never as markup.

const ENDPOINT = '/api/graphql';
const TOKEN_KEY = 'clockwork.adminToken';
const REFRESH_MS = 4000;
const LOG_LIMIT = 20;
const RUN_LIMIT = 20;

const HEALTH = `query Health {
  trackedProjects {
    key id name trackedAccountIds
    counts { issues comments worklogs }
    syncJob { status cronSchedule originalCron backoffRung lastRunAt nextRunAt lastErrorCode lastErrorAdvice }
    recentRuns(limit: ${RUN_LIMIT}) { startedAt durationMs succeeded errorCode issues }
  }
}`;
const DETAIL = `query Detail($projectId: ID!, $level: SyncLogLevel) {
  syncStates(projectId: $projectId) { entity status lastSyncTime lastError lastErrorAt }
  syncLogs(projectId: $projectId, limit: ${LOG_LIMIT}, level: $level) { id level message details createdAt }
}`;
const OPTIONS = `query Options { jiraProjectOptions { id key name tracked } }`;
const PEOPLE = `query People($projectId: ID!) {
  jiraProjectUserOptions(projectId: $projectId) {
    tracked
    user { accountId displayName emailAddress active teamMember { displayName } }
  }
}`;
const TEAM = `query Team {
  teamMembers { id displayName email jiraAccountId }
  unmatchedUsers { users { accountId displayName emailAddress } members { id displayName email } }
}`;
const JOB = 'status cronSchedule originalCron backoffRung lastRunAt nextRunAt lastErrorCode lastErrorAdvice';
const TRIGGER = `projectKey outcome message`;

const $ = (id) => document.getElementById(id);

/** An error as the API words it: a machine code and a message safe to show. */
class ApiError extends Error {
  constructor(code, message, field) {
    super(message);
    this.code = code;
    this.field = field;
  }
  toString() {
    return `${this.code}: ${this.message}`;
  }
}

let token = sessionStorage.getItem(TOKEN_KEY);
let authOff = false;

async function gql(query, variables = {}) {
  const headers = { 'content-type': 'application/json' };
  if (token && !authOff) headers.authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(ENDPOINT, {
      method: 'POST',
      headers,
      body: JSON.stringify({ query, variables }),
    });
  } catch (error) {
    throw new ApiError('NETWORK', `the server did not answer (${error.message})`);
  }
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`HTTP_${response.status}`, 'the server answered without JSON');
  }
  const first = body.errors && body.errors[0];
  if (first) {
    const extensions = first.extensions || {};
    throw new ApiError(extensions.code || 'UNKNOWN', first.message, extensions.field);
  }
  return body.data;
}

// ---- small DOM helpers: text only ----

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'class') node.className = value;
    else node.setAttribute(name, value);
  }
  node.append(...children.filter((child) => child !== null && child !== undefined));
  return node;
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const shortFormat = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });

function relative(date) {
  const seconds = Math.round((date.getTime() - Date.now()) / 1000);
  const magnitude = Math.abs(seconds);
  const [value, unit] =
    magnitude < 60 ? [seconds, 'second'] :
    magnitude < 3600 ? [Math.round(seconds / 60), 'minute'] :
    magnitude < 86400 ? [Math.round(seconds / 3600), 'hour'] :
    [Math.round(seconds / 86400), 'day'];
  return new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' }).format(value, unit);
}

/** A `<time>` with the local date and how long ago (or until) it is. */
function time(iso, fallback) {
  if (!iso) return document.createTextNode(fallback);
  const date = new Date(iso);
  return el('time', { datetime: iso, title: iso }, `${dateFormat.format(date)} (${relative(date)})`);
}

function fill(node, ...children) {
  node.replaceChildren(...children.filter((child) => child !== null && child !== undefined));
}

// ---- the status region ----

function say(message, kind = 'ok') {
  const status = $('status');
  status.className = `status status-${kind}`;
  status.textContent = message;
}

function fail(error, what) {
  const text = error instanceof ApiError ? error.toString() : `UNEXPECTED: ${error.message}`;
  say(`${what} failed. ${text}`, 'error');
}

/** Runs `action` once at a time per control; announces its outcome. */
async function act(button, what, action) {
  if (button.getAttribute('aria-disabled') === 'true') return;
  button.setAttribute('aria-disabled', 'true');
  say(`${what}…`, 'busy');
  try {
    const message = await action();
    say(message);
    await refresh();
  } catch (error) {
    fail(error, what);
  } finally {
    button.removeAttribute('aria-disabled');
  }
}

// ---- sign-in ----

async function probe() {
  await gql('query Probe { syncJobs { id } }');
}

function showConsole() {
  $('sign-in').hidden = true;
  $('console').hidden = false;
  $('sign-out').hidden = authOff;
  $('mode').textContent = authOff
    ? 'Authentication is off on this server (demo mode): no token needed.'
    : 'Signed in with an admin token.';
  say('Loaded. What your actions do is reported here.', 'idle');
  loadOptions();
  loadTeam();
  refresh();
}

function showSignIn(error) {
  $('console').hidden = true;
  $('sign-in').hidden = false;
  $('sign-out').hidden = true;
  $('mode').textContent = 'Not signed in.';
  const field = $('token');
  const message = $('token-error');
  if (error) {
    field.setAttribute('aria-invalid', 'true');
    message.textContent = error.toString();
  } else {
    field.removeAttribute('aria-invalid');
    message.textContent = '';
  }
}

async function start() {
  const saved = token;
  token = null;
  try {
    await probe();
    authOff = true;
    showConsole();
    return;
  } catch {
    token = saved;
  }
  if (!token) {
    showSignIn();
    return;
  }
  try {
    await probe();
    showConsole();
  } catch (error) {
    sessionStorage.removeItem(TOKEN_KEY);
    token = null;
    showSignIn(error);
  }
}

$('sign-in-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const entered = $('token').value.trim();
  if (!entered) {
    showSignIn(new ApiError('INVALID_INPUT', 'enter an admin token'));
    return;
  }
  token = entered;
  try {
    await probe();
    sessionStorage.setItem(TOKEN_KEY, entered);
    $('token').value = '';
    showConsole();
    say('Signed in.');
  } catch (error) {
    token = null;
    showSignIn(error);
  }
});

$('sign-out').addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN_KEY);
  token = null;
  for (const card of cards.values()) card.root.remove();
  cards.clear();
  showSignIn();
  say('Signed out; the token is gone from this tab.');
  $('token').focus();
});

// ---- projects in Jira (tracked toggles) ----

async function loadOptions() {
  let data;
  try {
    data = await gql(OPTIONS);
  } catch (error) {
    fail(error, 'Listing the projects Jira shows');
    return;
  }
  const list = $('project-options');
  const focused = document.activeElement && document.activeElement.dataset.key;
  fill(list, ...data.jiraProjectOptions.map(optionItem));
  $('project-options-empty').hidden = data.jiraProjectOptions.length > 0;
  if (focused) list.querySelector(`input[data-key="${CSS.escape(focused)}"]`)?.focus();
}

function optionItem(option) {
  const id = `track-${option.key}`;
  const box = el('input', { type: 'checkbox', role: 'switch', id });
  box.dataset.key = option.key;
  box.checked = option.tracked;
  box.addEventListener('change', () => toggleTracked(box, option));
  return el('li', { class: 'option' }, box,
    el('label', { for: id }, el('strong', {}, option.key), ` ${option.name}`));
}

async function toggleTracked(box, option) {
  const track = box.checked;
  const what = `${track ? 'Tracking' : 'Untracking'} ${option.key}`;
  say(`${what}…`, 'busy');
  try {
    if (track) {
      await gql(`mutation Track($projectId: ID!) { trackProject(projectId: $projectId) { key } }`, { projectId: option.key });
      say(`${option.key} is tracked on the default schedule. Press “Sync now” to fill it at once.`);
    } else {
      await gql(`mutation Untrack($projectId: ID!) { untrackProject(projectId: $projectId) }`, { projectId: option.key });
      say(`${option.key} is no longer synced; its data, people and schedule are kept.`);
    }
    await refresh();
  } catch (error) {
    box.checked = !track;
    fail(error, what);
  }
}

// ---- tracked projects: health, chart, controls, people, states and logs ----

/** key → { root, fields, project, level } */
const cards = new Map();
let refreshing = false;
let refreshAgain = false;

/** Reads every tracked project's health; a call during a read runs one more read after it. */
async function refresh() {
  if ($('console').hidden) return;
  if (refreshing) {
    refreshAgain = true;
    return;
  }
  refreshing = true;
  refreshAgain = false;
  try {
    const data = await gql(HEALTH);
    const projects = data.trackedProjects;
    const keys = new Set(projects.map((project) => project.key));
    for (const [key, card] of cards) {
      if (!keys.has(key)) {
        card.root.remove();
        cards.delete(key);
      }
    }
    const container = $('projects');
    for (const project of projects) {
      let card = cards.get(project.key);
      if (!card) {
        card = makeCard(project);
        cards.set(project.key, card);
      }
      container.append(card.root); // keeps the API's order (by key); moves nothing else
      updateCard(card, project);
    }
    $('projects-empty').hidden = projects.length > 0;
    syncOptionSwitches(keys);
    await Promise.all([...cards.values()].map(loadDetail));
  } catch (error) {
    fail(error, 'Reading the projects’ health');
  } finally {
    refreshing = false;
  }
  if (refreshAgain) await refresh();
}

function syncOptionSwitches(trackedKeys) {
  for (const box of $('project-options').querySelectorAll('input[data-key]')) {
    box.checked = trackedKeys.has(box.dataset.key);
  }
}

function makeCard(project) {
  const root = document.getElementById('project-template').content.firstElementChild.cloneNode(true);
  const key = project.key;
  const titleId = `project-${key}`;
  root.setAttribute('aria-labelledby', titleId);
  root.querySelector('.project-title').id = titleId;
  // Unique ids for the labelled controls of this card.
  for (const node of root.querySelectorAll('[data-id]')) node.id = `${node.dataset.id}-${key}`;
  for (const label of root.querySelectorAll('label[data-for]')) label.htmlFor = `${label.dataset.for}-${key}`;
  const field = (name) => root.querySelector(`[data-field="${name}"]`);
  const card = {
    root,
    key,
    level: '',
    cronDirty: false,
    fields: {
      title: root.querySelector('.project-title'),
      status: field('status'),
      cron: field('cron'),
      rung: field('rung'),
      lastRun: field('last-run'),
      nextRun: field('next-run'),
      issues: field('issues'),
      comments: field('comments'),
      worklogs: field('worklogs'),
      error: field('error'),
      chart: root.querySelector('svg.runs'),
      caption: field('runs-caption'),
      people: field('people'),
      peopleEmpty: field('people-empty'),
      states: field('states'),
      logs: field('logs'),
      logsEmpty: field('logs-empty'),
    },
  };
  const cronInput = root.querySelector(`#cron-${CSS.escape(key)}`);
  const cronError = root.querySelector(`#cron-error-${CSS.escape(key)}`);
  cronInput.setAttribute('aria-describedby', `cron-hint-${key} cron-error-${key}`);
  cronInput.addEventListener('input', () => { card.cronDirty = true; });
  card.cronInput = cronInput;

  const button = (action) => root.querySelector(`[data-action="${action}"]`);
  const variables = { projectId: key };
  button('sync').addEventListener('click', (event) => act(event.currentTarget, `Syncing ${key}`, async () => {
    const data = await gql(`mutation Sync($projectId: ID!) { triggerProjectSync(projectId: $projectId, full: false) { ${TRIGGER} } }`, variables);
    return data.triggerProjectSync.message;
  }));
  button('full').addEventListener('click', (event) => act(event.currentTarget, `Full resync of ${key}`, async () => {
    const data = await gql(`mutation Full($projectId: ID!) { triggerProjectSync(projectId: $projectId, full: true) { ${TRIGGER} } }`, variables);
    return `Full resync (every issue again): ${data.triggerProjectSync.message}`;
  }));
  button('pause').addEventListener('click', (event) => act(event.currentTarget, `Pausing ${key}`, async () => {
    const data = await gql(`mutation Pause($projectId: ID!) { pauseProjectSync(projectId: $projectId) { ${JOB} } }`, variables);
    updateJob(card, data.pauseProjectSync);
    return `${key} is paused: no scheduled syncs until you resume (Sync now still runs one).`;
  }));
  button('resume').addEventListener('click', (event) => act(event.currentTarget, `Resuming ${key}`, async () => {
    const data = await gql(`mutation Resume($projectId: ID!) { resumeProjectSync(projectId: $projectId) { ${JOB} } }`, variables);
    updateJob(card, data.resumeProjectSync);
    return `${key} is scheduled again on ${data.resumeProjectSync.cronSchedule}.`;
  }));
  root.querySelector('form.reschedule').addEventListener('submit', (event) => {
    event.preventDefault();
    const submit = event.currentTarget.querySelector('button[type="submit"]');
    act(submit, `Rescheduling ${key}`, async () => {
      try {
        const data = await gql(`mutation Reschedule($projectId: ID!, $cron: String!) { rescheduleProjectSync(projectId: $projectId, cron: $cron) { ${JOB} } }`,
          { projectId: key, cron: cronInput.value });
        cronInput.removeAttribute('aria-invalid');
        cronError.textContent = '';
        card.cronDirty = false;
        const job = data.rescheduleProjectSync;
        updateJob(card, job);
        return job.backoffRung > 0
          ? `${key} will run on ${job.originalCron} after its next success; it is backed off to ${job.cronSchedule} now.`
          : `${key} now runs on ${job.cronSchedule} (UTC).`;
      } catch (error) {
        if (error instanceof ApiError && (error.code === 'INVALID_CRON' || error.code === 'INVALID_INPUT')) {
          cronInput.setAttribute('aria-invalid', 'true');
          const where = error.field ? ` (the ${error.field} field)` : '';
          cronError.textContent = `${error.code}${where}: ${error.message}`;
          cronInput.focus();
        }
        throw error;
      }
    });
  });
  root.querySelector('details.people').addEventListener('toggle', (event) => {
    if (event.currentTarget.open) loadPeople(card);
  });
  root.querySelector(`#level-${CSS.escape(key)}`).addEventListener('change', (event) => {
    card.level = event.currentTarget.value;
    loadDetail(card);
  });
  return card;
}

function updateCard(card, project) {
  card.project = project;
  const { fields } = card;
  fields.title.textContent = `${project.name} (${project.key})`;
  fields.issues.textContent = String(project.counts.issues);
  fields.comments.textContent = String(project.counts.comments);
  fields.worklogs.textContent = String(project.counts.worklogs);
  updateJob(card, project.syncJob);
  drawRuns(card, project.recentRuns);
}

function updateJob(card, job) {
  const { fields } = card;
  if (!job) {
    fields.status.textContent = 'NO SCHEDULE';
    fields.status.className = 'badge badge-error';
    for (const name of ['cron', 'rung', 'lastRun', 'nextRun', 'error']) fields[name].textContent = '—';
    return;
  }
  fields.status.textContent = job.status;
  fields.status.className = `badge badge-${job.status.toLowerCase()}`;
  fields.cron.textContent = job.cronSchedule === job.originalCron
    ? job.cronSchedule
    : `${job.cronSchedule} (backed off from ${job.originalCron})`;
  fields.rung.textContent = job.backoffRung === 0
    ? '0 (original cadence)'
    : `${job.backoffRung} (slowed down after failures)`;
  fill(fields.lastRun, time(job.lastRunAt, 'never'));
  fill(fields.nextRun, job.status === 'PAUSED'
    ? document.createTextNode('none while paused')
    : time(job.nextRunAt, 'at the next schedule tick'));
  if (job.lastErrorCode) {
    fill(fields.error, el('strong', { class: 'code' }, job.lastErrorCode), ` ${job.lastErrorAdvice || ''}`);
  } else {
    fields.error.textContent = 'none';
  }
  if (!card.cronDirty && document.activeElement !== card.cronInput) card.cronInput.value = job.originalCron;
}

const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attributes = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Bars of issues stored per run, oldest left; a failed run is a red stub. */
function drawRuns(card, recentRuns) {
  const { chart, caption } = card.fields;
  const runs = [...recentRuns].reverse();
  const [width, height, left, bottom, top] = [320, 120, 30, 18, 8];
  const plotHeight = height - bottom - top;
  const most = Math.max(1, ...runs.map((run) => run.issues));
  const slots = Math.max(runs.length, 10);
  const slot = (width - left) / slots;
  const nodes = [
    svg('line', { x1: left, y1: height - bottom, x2: width, y2: height - bottom, class: 'axis' }),
    svg('text', { x: left - 4, y: top + 8, class: 'tick', 'text-anchor': 'end' }, String(most)),
    svg('text', { x: left - 4, y: height - bottom, class: 'tick', 'text-anchor': 'end' }, '0'),
  ];
  runs.forEach((run, index) => {
    const barHeight = run.succeeded ? Math.max(1, (run.issues / most) * plotHeight) : 4;
    const x = left + index * slot + slot * 0.15;
    const bar = svg('rect', {
      x: x.toFixed(1),
      y: (height - bottom - barHeight).toFixed(1),
      width: (slot * 0.7).toFixed(1),
      height: barHeight.toFixed(1),
      class: run.succeeded ? 'bar' : 'bar bar-failed',
    });
    const outcome = run.succeeded ? 'succeeded' : `failed (${run.errorCode || 'unknown'})`;
    bar.append(svg('title', {}, `${dateFormat.format(new Date(run.startedAt))}: ${run.issues} issues, ${run.durationMs} ms, ${outcome}`));
    nodes.push(bar);
  });
  if (runs.length === 0) {
    nodes.push(svg('text', { x: (left + width) / 2, y: height / 2, class: 'tick', 'text-anchor': 'middle' }, 'No runs yet'));
  } else {
    nodes.push(svg('text', { x: left, y: height - 4, class: 'tick' }, shortFormat.format(new Date(runs[0].startedAt))));
    if (runs.length > 1) {
      nodes.push(svg('text', { x: width, y: height - 4, class: 'tick', 'text-anchor': 'end' },
        shortFormat.format(new Date(runs[runs.length - 1].startedAt))));
    }
  }
  chart.replaceChildren(...nodes);
  const latest = recentRuns[0];
  const summary = latest
    ? `Last ${runs.length} run${runs.length === 1 ? '' : 's'}, oldest left. Latest: ${latest.issues} issues in ${latest.durationMs} ms, ${latest.succeeded ? 'succeeded' : `failed (${latest.errorCode || 'unknown'})`}; most in one run: ${most}.`
    : 'No runs yet: press “Sync now”.';
  chart.setAttribute('aria-label', `Issues synced per run. ${summary}`);
  caption.textContent = summary;
}

async function loadDetail(card) {
  let data;
  try {
    data = await gql(DETAIL, { projectId: card.key, level: card.level || null });
  } catch (error) {
    fail(error, `Reading ${card.key}’s states and logs`);
    return;
  }
  const { states, logs, logsEmpty } = card.fields;
  fill(states, ...data.syncStates.map((state) => el('li', { class: 'state' },
    el('span', { class: 'entity' }, state.entity),
    el('span', { class: `badge badge-${state.status.toLowerCase()}` }, state.status),
    el('span', {}, 'up to ', time(state.lastSyncTime, '—')),
    state.lastError ? el('span', { class: 'error-text' }, `Last error: ${state.lastError}`) : null)));
  if (data.syncStates.length === 0) states.append(el('li', { class: 'empty' }, 'No sync has run yet.'));
  fill(logs, ...data.syncLogs.map(logItem));
  logsEmpty.hidden = data.syncLogs.length > 0;
}

function logItem(log) {
  const code = log.details && typeof log.details === 'object' && log.details.code;
  return el('li', { class: `log log-${log.level.toLowerCase()}` },
    el('span', { class: `badge badge-${log.level.toLowerCase()}` }, log.level),
    time(log.createdAt, ''),
    el('span', { class: 'message' }, log.message),
    code ? el('strong', { class: 'code' }, String(code)) : null);
}

async function loadPeople(card) {
  let data;
  try {
    data = await gql(PEOPLE, { projectId: card.key });
  } catch (error) {
    fail(error, `Listing who may be assigned ${card.key}’s issues`);
    return;
  }
  const options = data.jiraProjectUserOptions;
  const { people, peopleEmpty } = card.fields;
  fill(people, ...options.map((option) => personItem(card, option)));
  peopleEmpty.hidden = options.length > 0;
}

function personItem(card, option) {
  const { user } = option;
  const id = `person-${card.key}-${user.accountId}`.replace(/[^A-Za-z0-9_-]/g, '_');
  const box = el('input', { type: 'checkbox', id });
  box.dataset.accountId = user.accountId;
  box.checked = option.tracked;
  box.addEventListener('change', () => saveWatchlist(card, box));
  const details = [user.emailAddress || 'email hidden'];
  if (user.teamMember) details.push(`member ${user.teamMember.displayName}`);
  if (!user.active) details.push('inactive');
  return el('li', { class: 'option' }, box,
    el('label', { for: id }, el('strong', {}, user.displayName), ` ${details.join(' · ')}`));
}

async function saveWatchlist(card, changed) {
  const boxes = [...card.fields.people.querySelectorAll('input[data-account-id]')];
  const accountIds = boxes.filter((box) => box.checked).map((box) => box.dataset.accountId);
  say(`Saving ${card.key}’s tracked people…`, 'busy');
  try {
    const data = await gql(`mutation Watch($projectId: ID!, $accountIds: [String!]!) {
      setTrackedUsers(projectId: $projectId, accountIds: $accountIds) {
        trackedAccountIds added removed backfill { ${TRIGGER} }
      } }`, { projectId: card.key, accountIds });
    const change = data.setTrackedUsers;
    const who = change.trackedAccountIds.length === 0
      ? 'everyone’s work is synced'
      : `${change.trackedAccountIds.length} ${change.trackedAccountIds.length === 1 ? 'person is' : 'people are'} tracked`;
    const backfill = change.backfill ? ` Backfill: ${change.backfill.message}` : '';
    say(`${card.key}: ${who}.${backfill}`);
    await refresh();
  } catch (error) {
    changed.checked = !changed.checked;
    fail(error, `Saving ${card.key}’s tracked people`);
  }
}

// ---- team members and matching ----

async function loadTeam() {
  let data;
  try {
    data = await gql(TEAM);
  } catch (error) {
    fail(error, 'Reading the team');
    return;
  }
  const members = data.teamMembers;
  const { users, members: loose } = data.unmatchedUsers;
  fill($('members'), ...members.map((member) => el('li', {},
    el('strong', {}, member.displayName),
    ` ${member.email || 'no email'} · `,
    member.jiraAccountId
      ? el('span', { class: 'badge badge-success' }, 'matched')
      : el('span', { class: 'badge badge-paused' }, 'unmatched'),
    member.jiraAccountId ? el('span', { class: 'account' }, ` ${member.jiraAccountId}`) : null)));
  $('members-empty').hidden = members.length > 0;
  fill($('unmatched-users'), ...users.map((user) => el('li', {},
    el('strong', {}, user.displayName), ` ${user.emailAddress || 'email hidden'}`)));
  $('unmatched-users-empty').hidden = users.length > 0;
  fill($('match-member'), el('option', { value: '' }, loose.length ? 'Choose a member' : 'No unmatched members'),
    ...loose.map((member) => el('option', { value: member.id }, `${member.displayName}${member.email ? ` (${member.email})` : ''}`)));
  fill($('match-user'), el('option', { value: '' }, users.length ? 'Choose a Jira user' : 'No unmatched Jira users'),
    ...users.map((user) => el('option', { value: user.accountId }, `${user.displayName}${user.emailAddress ? ` (${user.emailAddress})` : ''}`)));
}

$('add-member').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const displayName = $('member-name').value.trim();
  const email = $('member-email').value.trim() || null;
  act(form.querySelector('button'), 'Adding a member', async () => {
    if (!displayName) throw new ApiError('INVALID_INPUT', '`displayName` is empty: enter a name');
    const data = await gql(`mutation Add($displayName: String!, $email: String) {
      addTeamMember(displayName: $displayName, email: $email) { displayName } }`, { displayName, email });
    form.reset();
    await loadTeam();
    return `${data.addTeamMember.displayName} is on the team.`;
  });
});

$('match').addEventListener('submit', (event) => {
  event.preventDefault();
  const memberId = $('match-member').value;
  const accountId = $('match-user').value;
  act(event.currentTarget.querySelector('button'), 'Matching', async () => {
    if (!memberId || !accountId) throw new ApiError('INVALID_INPUT', 'choose both a member and a Jira user');
    const data = await gql(`mutation Match($memberId: ID!, $accountId: String!) {
      matchTeamMember(memberId: $memberId, accountId: $accountId) { displayName jiraAccountId } }`, { memberId, accountId });
    await loadTeam();
    return `${data.matchTeamMember.displayName} is matched to ${data.matchTeamMember.jiraAccountId}.`;
  });
});

$('match-users').addEventListener('click', (event) => act(event.currentTarget, 'Matching by email', async () => {
  const data = await gql(`mutation MatchAll { matchUsers {
    matched { matchedBy member { displayName } user { displayName } }
    unmatchedMembers { id } unmatchedUsers { accountId } } }`);
  const report = data.matchUsers;
  const pairs = report.matched.map((match) => `${match.member.displayName} ↔ ${match.user.displayName} (by ${match.matchedBy})`);
  const text = `${report.matched.length} matched${pairs.length ? `: ${pairs.join('; ')}` : ''}. Left: ${report.unmatchedMembers.length} member(s), ${report.unmatchedUsers.length} Jira user(s).`;
  $('match-report').textContent = text;
  await loadTeam();
  return text;
}));

$('refresh').addEventListener('click', (event) => act(event.currentTarget, 'Refreshing', async () => {
  await Promise.all([loadOptions(), loadTeam()]);
  return 'Up to date.';
}));

setInterval(() => {
  if (document.visibilityState === 'visible') refresh();
}, REFRESH_MS);

start();
