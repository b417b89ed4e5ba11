// The dashboard's /metrics panels: dead letters per source topic, stage and kind, commands by
// outcome (shown once a command was answered), and the records in/out per projection for the
// projections table. /metrics is optional (not every server serves
// it): a 404 hides the panel for a while. Must not read other API paths.
import { ApiError, api, describe } from './api.js';
import { $, el } from './dom.js';
import { fmtNumber } from './format.js';

/** Prometheus text → samples of the named families. Labels are unescaped; malformed lines are ignored. */
function parseMetrics(text, families) {
  const out = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m || !families.includes(m[1])) continue;
    const labels = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1]] = l[2].replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

const DEAD = 'streamfold_dead_letter_records_total';
const IN = 'streamfold_records_in_total';
const OUT = 'streamfold_records_out_total';
const COMMANDS = 'streamfold_commands_total';
const COMMIT_SUM = 'streamfold_commit_duration_seconds_sum';
const COMMIT_COUNT = 'streamfold_commit_duration_seconds_count';
/** The commit histogram's sum and count at the previous scrape, for the mean since then. */
let commitsBefore = null;
/** Mean commit time (ms) between the last two scrapes, or null (no commit in between, or not served). */
export let commitLatencyMs = null;

function trackCommits(samples) {
  const sum = samples.filter((s) => s.name === COMMIT_SUM).reduce((a, s) => a + s.value, 0);
  const count = samples.filter((s) => s.name === COMMIT_COUNT).reduce((a, s) => a + s.value, 0);
  commitLatencyMs =
    commitsBefore && count > commitsBefore.count ? ((sum - commitsBefore.sum) / (count - commitsBefore.count)) * 1000 : null;
  commitsBefore = { sum, count };
}
let metricsMissingUntil = 0;

/** A new token may be allowed to read /metrics: ask again at the next poll. */
export function retryMetrics() {
  metricsMissingUntil = 0;
}

export async function pollMetrics(now) {
  if (now < metricsMissingUntil) return undefined;
  let text;
  try {
    text = await api('metrics', { text: true });
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      // Not served here: ask again in a while rather than every second.
      metricsMissingUntil = now + 30_000;
      $('dlq').className = 'muted';
      $('dlq').replaceChildren(
        el('span', {}, 'Not available: this server does not serve ', el('code', { text: '/metrics' }), '.'),
      );
    } else
      $('dlq').replaceChildren(el('span', { class: 'muted', text: `Could not read /metrics (${describe(err)}).` }));
    return undefined;
  }
  const samples = parseMetrics(text, [DEAD, IN, OUT, COMMANDS, COMMIT_SUM, COMMIT_COUNT]);
  trackCommits(samples);
  renderDeadLetters(samples.filter((s) => s.name === DEAD));
  renderCommands(samples.filter((s) => s.name === COMMANDS));
  const counters = new Map();
  for (const s of samples) {
    if (s.name !== IN && s.name !== OUT) continue;
    const c = counters.get(s.labels.projection) ?? { in: 0, out: 0 };
    c[s.name === IN ? 'in' : 'out'] += s.value;
    counters.set(s.labels.projection, c);
  }
  return counters;
}

/** A source topic with misrouted records is not partitioned by its entity key: say so, and what to do. */
function misroutedWarnings(rows) {
  return rows
    .filter((s) => s.labels.kind === 'misrouted')
    .map((s) =>
      el(
        'div',
        { class: 'message warn dlq-misrouted' },
        `${s.labels.topic || 'A source topic'} is not partitioned by its entity key: ${fmtNumber(s.value)} records were on another partition than their key's (dead-lettered as misrouted, no state changed). Key the producer by the entity key, or set `,
        el('code', { text: 'partitioning: repartition' }),
        ' on the source.',
      ),
    );
}

function renderDeadLetters(samples) {
  $('dlq').className = '';
  const rows = samples.filter((s) => s.value > 0);
  if (rows.length === 0) {
    $('dlq').replaceChildren(el('span', { class: 'ok-text', text: 'No dead letters.' }));
    return;
  }
  rows.sort((a, b) => (a.labels.topic ?? '').localeCompare(b.labels.topic ?? '') || b.value - a.value);
  const total = rows.reduce((a, s) => a + s.value, 0);
  $('dlq').replaceChildren(
    ...misroutedWarnings(rows),
    el(
      'table',
      { id: 'dlq-table' },
      el(
        'thead',
        {},
        el('tr', {}, el('th', { text: 'Source topic' }), el('th', { text: 'Stage' }), el('th', { text: 'Kind' }), el('th', { class: 'num', text: 'Records' })),
      ),
      el(
        'tbody',
        {},
        ...rows.map((s) =>
          el(
            'tr',
            {},
            el('td', { text: s.labels.topic || '–' }),
            el('td', { text: s.labels.stage || '–' }),
            el('td', { text: s.labels.kind || '–' }),
            el('td', { class: 'num', text: fmtNumber(s.value) }),
          ),
        ),
      ),
      el('tfoot', {}, el('tr', {}, el('td', { colspan: 3, text: 'Total' }), el('td', { class: 'num dlq-total', text: fmtNumber(total) }))),
    ),
  );
}

const OUTCOMES = ['accepted', 'rejected', 'conflict', 'reused'];

/**
 * One row per command: how many were accepted, rejected by a rule, refused by a version conflict,
 * refused because their Idempotency-Key was sent before with another request (a client's bug).
 */
function renderCommands(samples) {
  $('commands-section').hidden = samples.length === 0;
  if (samples.length === 0) return;
  const byCommand = new Map();
  for (const s of samples) {
    const row = byCommand.get(s.labels.command) ?? { accepted: 0, rejected: 0, conflict: 0, reused: 0 };
    if (OUTCOMES.includes(s.labels.outcome)) row[s.labels.outcome] += s.value;
    byCommand.set(s.labels.command, row);
  }
  const head = el('tr', {}, el('th', { text: 'Command' }), ...OUTCOMES.map((o) => el('th', { class: 'num', text: o })));
  const rows = [...byCommand]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([command, row]) =>
      el('tr', {}, el('td', { text: command }), ...OUTCOMES.map((o) => el('td', { class: 'num', text: fmtNumber(row[o]) }))),
    );
  $('commands').replaceChildren(el('table', { id: 'commands-table' }, el('thead', {}, head), el('tbody', {}, ...rows)));
}
