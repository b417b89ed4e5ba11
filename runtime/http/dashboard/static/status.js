// The status panel: polls the query API once a second (projections, readiness, metrics), renders
// the projections table (rows, throughput, lag, restore progress per partition), the views panel
// (views.js), the connection badge and the banner. Must not handle the state browser's lookups (browser.js).
import { ApiError, api, describe, token } from './api.js';
import { $, badge, el } from './dom.js';
import { fmtMs, fmtNumber, fmtRate } from './format.js';
import { commitLatencyMs, pollMetrics } from './metrics.js';
import { recordTrends } from './trends.js';
import { renderViews } from './views.js';

const POLL_MS = 1000;

function setConn(state, label) {
  const c = $('conn');
  c.className = `badge ${state}`;
  c.textContent = label;
}

function setBanner(kind, text) {
  const b = $('banner');
  if (!text) {
    b.hidden = true;
    return;
  }
  b.className = `banner ${kind}`;
  b.textContent = text;
  b.hidden = false;
}

/** The previous poll: its time and each projection's partition positions, for throughput. */
let previous = null;
/** Names of the queryable projections, for the state browser's list. */
let queryable = [];

function throughput(now, projections) {
  const rates = new Map();
  if (previous) {
    const seconds = (now - previous.at) / 1000;
    for (const p of projections) {
      const before = previous.positions.get(p.name);
      if (!before || seconds <= 0) continue;
      let delta = 0;
      for (const q of p.partitions) {
        const was = before.get(q.partition);
        // A partition that just arrived (rebalance) or was reset contributes nothing this round.
        if (was !== undefined && q.position >= was) delta += q.position - was;
      }
      rates.set(p.name, delta / seconds);
    }
  }
  previous = {
    at: now,
    positions: new Map(
      projections.map((p) => [p.name, new Map(p.partitions.map((q) => [q.partition, q.position]))]),
    ),
  };
  return rates;
}

function partitionChip(q) {
  const chip = el('span', { class: `chip ${q.status}`, 'data-partition': q.partition });
  chip.append(el('b', { text: `p${q.partition}` }));
  if (q.status === 'restoring') {
    const r = q.restore;
    if (r && r.total > 0) {
      const pct = Math.min(100, Math.floor((100 * r.restored) / r.total));
      chip.append(
        ` restoring ${pct}% `,
        el('progress', { max: r.total, value: Math.min(r.restored, r.total) }),
        el('span', { class: 'muted', text: ` ${fmtNumber(r.restored)} / ${fmtNumber(r.total)}` }),
      );
    } else chip.append(' restoring');
  } else {
    // lag (records) needs the input's end offset, which not every source reports; lagMs is always there.
    const parts = [];
    if (typeof q.lag === 'number' && q.lag > 0) parts.push(`lag ${fmtNumber(q.lag)}`);
    if (typeof q.lagMs === 'number' && q.lagMs > 0) parts.push(`${fmtMs(q.lagMs)} behind`);
    if (parts.length > 0) chip.classList.add('behind');
    chip.append(` ${parts.length > 0 ? parts.join(' · ') : 'caught up'}`);
  }
  return chip;
}

/** A standby copy of another instance's partition kept here (standby replicas). */
function standbyChip(s) {
  const chip = el('span', {
    class: 'chip standby',
    'data-standby': s.partition,
    title: s.warmup ? 'warm-up: the task moves here once caught up' : 'standby copy',
  });
  chip.append(el('b', { text: `p${s.partition}` }), ` ${s.warmup ? 'warm-up' : 'standby'}`);
  if (typeof s.lag === 'number') chip.append(` · lag ${fmtNumber(s.lag)}`);
  if (typeof s.lagMs === 'number') chip.append(` · ${fmtMs(s.lagMs)}`);
  return chip;
}

function renderProjections(projections, rates, counters) {
  const body = $('projections').tBodies[0];
  const rows = projections.map((p) => {
    const lags = p.partitions.map((q) => q.lag).filter((x) => typeof x === 'number');
    const lagMs = Math.max(0, ...p.partitions.map((q) => q.lagMs ?? 0));
    const lag = lags.length ? `${fmtNumber(lags.reduce((a, b) => a + b, 0))} rec` : '–';
    const c = counters?.get(p.name);
    return el(
      'tr',
      { 'data-projection': p.name },
      el(
        'td',
        {},
        el('span', { class: 'name', text: p.name }),
        ' ',
        el('span', { class: 'tag', text: p.kind }),
      ),
      el('td', { class: 'status' }, badge(p.status)),
      el('td', { class: 'num rows', text: p.queryable ? fmtNumber(p.rows) : '–' }),
      el('td', { class: 'num throughput', text: fmtRate(rates.get(p.name)) }),
      el('td', { class: 'num lag', text: lagMs > 0 ? `${lag} · ${fmtMs(lagMs)}` : lag }),
      el('td', { class: 'num io', text: c ? `${fmtNumber(c.in)} / ${fmtNumber(c.out)}` : '–' }),
      el(
        'td',
        { class: 'partitions' },
        ...p.partitions.map(partitionChip),
        ...(p.standbys ?? []).map(standbyChip),
      ),
    );
  });
  body.replaceChildren(...rows);
  $('projections-empty').hidden = projections.length > 0;
}

function updateProjectionChoices(projections) {
  const names = projections.filter((p) => p.queryable).map((p) => p.name);
  if (names.join('\n') === queryable.join('\n')) return;
  queryable = names;
  const select = $('b-projection');
  const chosen = select.value;
  select.replaceChildren(...names.map((n) => el('option', { value: n, text: n })));
  if (names.includes(chosen)) select.value = chosen;
}

/** Polls forever (every POLL_MS, whatever happens). */
export async function poll() {
  const now = performance.now();
  try {
    const [{ projections, views }, counters, ready] = await Promise.all([
      api('projections'),
      pollMetrics(now),
      api('readyz').then(
        () => true,
        (err) => (err instanceof ApiError && err.status === 503 ? false : Promise.reject(err)),
      ),
    ]);
    const rates = throughput(now, projections);
    renderProjections(projections, rates, counters);
    renderViews(views ?? []);
    recordTrends(now, projections, rates, counters ? commitLatencyMs : null);
    updateProjectionChoices(projections);
    setConn(ready ? 'running' : 'restoring', ready ? 'ready' : 'restoring');
    setBanner(
      'warn',
      ready
        ? ''
        : 'This instance is restoring state: lookups on restoring partitions answer 503 until it is done.',
    );
    $('updated').textContent = `updated ${new Date().toLocaleTimeString()}`;
    document.body.classList.remove('stale');
  } catch (err) {
    document.body.classList.add('stale');
    if (err instanceof ApiError && err.status === 401) {
      setConn('error', 'unauthorized');
      setBanner(
        'error',
        token()
          ? 'The server refused the bearer token: enter the right one above.'
          : 'The server requires a bearer token: enter it above.',
      );
    } else if (err instanceof ApiError && err.status === 503) {
      setConn('restoring', 'unavailable');
      setBanner('warn', 'The server is busy (restore or rebalance); retrying every second.');
    } else {
      setConn('error', 'error');
      setBanner(
        'error',
        `Cannot read the status (${describe(err)}); retrying every second. The figures shown may be stale.`,
      );
    }
  } finally {
    setTimeout(poll, POLL_MS);
  }
}
