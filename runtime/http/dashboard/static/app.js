// The streamfold dashboard: polls the query API once a second and renders with DOM nodes and
// textContent only — keys and values are user data and may hold markup, so nothing goes through
// innerHTML. No framework, no build step, no external assets.

const POLL_MS = 1000;
const TOKEN_KEY = 'streamfold.token';
// The API is served from the parent of the dashboard's folder (works behind a path prefix too).
const API = new URL('..', window.location.href);

const $ = (id) => document.getElementById(id);

/** Creates an element; children are nodes or strings (strings become text nodes). */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') node.className = value;
    else if (name === 'text') node.textContent = value;
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

// ---- API access ----

function token() {
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

class ApiError extends Error {
  constructor(status, code, reason) {
    super(reason || code || `HTTP ${status}`);
    this.status = status;
    this.code = code;
  }
}

/** GET a path relative to the API root; JSON by default, text when asked. */
async function api(path, { text = false } = {}) {
  const headers = {};
  const t = token();
  if (t) headers.authorization = `Bearer ${t}`;
  const res = await fetch(new URL(path, API), { headers, cache: 'no-store' });
  if (!res.ok) {
    let code = '';
    let reason = '';
    try {
      const body = await res.json();
      code = typeof body.error === 'string' ? body.error : '';
      reason = typeof body.reason === 'string' ? body.reason : '';
    } catch {
      // not JSON (a proxy's page, say): the status is enough
    }
    throw new ApiError(res.status, code, reason);
  }
  return text ? res.text() : res.json();
}

// ---- formatting ----

const numberFormat = new Intl.NumberFormat('en-US');
const fmtNumber = (n) => (typeof n === 'number' && Number.isFinite(n) ? numberFormat.format(n) : '–');

function fmtRate(perSecond) {
  if (perSecond === undefined) return '–';
  if (perSecond >= 100) return `${numberFormat.format(Math.round(perSecond))} rec/s`;
  return `${perSecond.toFixed(1)} rec/s`;
}

function fmtMs(ms) {
  if (typeof ms !== 'number') return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms / 60_000)} min`;
}

function fmtTime(ms) {
  return typeof ms === 'number' && Number.isFinite(ms) ? new Date(ms).toISOString() : '–';
}

function preview(value) {
  const s = JSON.stringify(value);
  return s === undefined ? 'undefined' : s.length > 80 ? `${s.slice(0, 79)}…` : s;
}

function badge(status) {
  return el('span', { class: `badge ${status}`, text: status });
}

// ---- connection state and banner ----

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

// ---- projections, throughput, lag, restore ----

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
    positions: new Map(projections.map((p) => [p.name, new Map(p.partitions.map((q) => [q.partition, q.position]))])),
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
      el('td', {}, el('span', { class: 'name', text: p.name }), ' ', el('span', { class: 'tag', text: p.kind })),
      el('td', { class: 'status' }, badge(p.status)),
      el('td', { class: 'num rows', text: p.queryable ? fmtNumber(p.rows) : '–' }),
      el('td', { class: 'num throughput', text: fmtRate(rates.get(p.name)) }),
      el('td', { class: 'num lag', text: lagMs > 0 ? `${lag} · ${fmtMs(lagMs)}` : lag }),
      el('td', { class: 'num io', text: c ? `${fmtNumber(c.in)} / ${fmtNumber(c.out)}` : '–' }),
      el('td', { class: 'partitions' }, ...p.partitions.map(partitionChip)),
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

// ---- /metrics: dead letters and records in/out (optional: not every server serves it) ----

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
let metricsMissingUntil = 0;

async function pollMetrics(now) {
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
  const samples = parseMetrics(text, [DEAD, IN, OUT]);
  renderDeadLetters(samples.filter((s) => s.name === DEAD));
  const counters = new Map();
  for (const s of samples) {
    if (s.name === DEAD) continue;
    const c = counters.get(s.labels.projection) ?? { in: 0, out: 0 };
    c[s.name === IN ? 'in' : 'out'] += s.value;
    counters.set(s.labels.projection, c);
  }
  return counters;
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

// ---- the poll loop ----

function describe(err) {
  if (err instanceof ApiError) return `${err.status}${err.code ? ` ${err.code}` : ''}`;
  return 'unreachable';
}

async function poll() {
  const now = performance.now();
  try {
    const [{ projections }, counters, ready] = await Promise.all([
      api('projections'),
      pollMetrics(now),
      api('readyz').then(
        () => true,
        (err) => (err instanceof ApiError && err.status === 503 ? false : Promise.reject(err)),
      ),
    ]);
    renderProjections(projections, throughput(now, projections), counters);
    updateProjectionChoices(projections);
    setConn(ready ? 'running' : 'restoring', ready ? 'ready' : 'restoring');
    setBanner('warn', ready ? '' : 'This instance is restoring state: lookups on restoring partitions answer 503 until it is done.');
    $('updated').textContent = `updated ${new Date().toLocaleTimeString()}`;
    document.body.classList.remove('stale');
  } catch (err) {
    document.body.classList.add('stale');
    if (err instanceof ApiError && err.status === 401) {
      setConn('error', 'unauthorized');
      setBanner('error', token() ? 'The server refused the bearer token: enter the right one above.' : 'The server requires a bearer token: enter it above.');
    } else if (err instanceof ApiError && err.status === 503) {
      setConn('restoring', 'unavailable');
      setBanner('warn', 'The server is busy (restore or rebalance); retrying every second.');
    } else {
      setConn('error', 'error');
      setBanner('error', `Cannot read the status (${describe(err)}); retrying every second. The figures shown may be stale.`);
    }
  } finally {
    setTimeout(poll, POLL_MS);
  }
}

// ---- state browser ----

/** The current scan: cursors[i] is the cursor that fetches page i (null for the first). */
let scan = null;

function showMessage(id, kind, text) {
  const m = $(id);
  m.className = `message ${kind}`;
  m.textContent = text;
  m.hidden = !text;
}

function lookupError(err, what) {
  if (err instanceof ApiError) {
    if (err.status === 404 && err.code === 'not_found') return ['info', `No ${what}.`];
    if (err.status === 503)
      return ['warn', err.code === 'restoring' ? 'The partition holding this data is restoring; try again in a moment.' : 'The owner is changing (rebalance); try again in a moment.'];
    if (err.status === 401) return ['error', 'The server requires a bearer token: enter it above.'];
    return ['error', `The server answered ${err.status}${err.code ? ` ${err.code}` : ''}${err.message ? `: ${err.message}` : ''}.`];
  }
  return ['error', 'The server could not be reached.'];
}

function rowsPath(projection) {
  return `projections/${encodeURIComponent(projection)}`;
}

function showDetail(projection, row) {
  $('b-detail').hidden = false;
  $('b-detail').dataset.projection = projection;
  $('b-detail').dataset.key = row.key;
  $('d-key').textContent = row.key;
  const meta = [
    ['projection', projection],
    ['partition', String(row.partition)],
    ['offset', row.offset === undefined ? '–' : String(row.offset)],
    ['updated', fmtTime(row.updatedAt)],
  ];
  $('d-meta').replaceChildren(...meta.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: v })]));
  $('d-value').textContent = JSON.stringify(row.value, null, 2);
  if (!$('h-asof').value) $('h-asof').value = new Date().toISOString();
  showMessage('h-message', '', '');
  $('h-value').hidden = true;
}

async function lookupKey(projection, key) {
  $('b-rows').hidden = true;
  scan = null;
  try {
    const row = await api(`${rowsPath(projection)}/keys/${encodeURIComponent(key)}`);
    showMessage('b-message', '', '');
    showDetail(projection, row);
  } catch (err) {
    $('b-detail').hidden = true;
    showMessage('b-message', ...lookupError(err, 'row with this key'));
  }
}

async function loadPage() {
  const { projection, prefix, limit, cursors, page } = scan;
  const params = new URLSearchParams({ limit: String(limit) });
  if (prefix) params.set('prefix', prefix);
  if (cursors[page]) params.set('cursor', cursors[page]);
  try {
    const { rows, next } = await api(`${rowsPath(projection)}/rows?${params}`);
    cursors[page + 1] = next;
    renderRows(projection, rows, next);
    showMessage('b-message', rows.length === 0 && page === 0 ? 'info' : '', rows.length === 0 && page === 0 ? 'No rows with this prefix.' : '');
  } catch (err) {
    $('b-rows').hidden = true;
    showMessage('b-message', ...lookupError(err, 'rows'));
  }
}

function renderRows(projection, rows, next) {
  const body = $('b-table').tBodies[0];
  body.replaceChildren(
    ...rows.map((row) => {
      const link = el('button', { type: 'button', class: 'link', text: row.key, title: 'show this row' });
      link.addEventListener('click', () => showDetail(projection, row));
      return el(
        'tr',
        { 'data-key': row.key },
        el('td', { class: 'key' }, link),
        el('td', { class: 'num', text: String(row.partition) }),
        el('td', { text: fmtTime(row.updatedAt) }),
        el('td', { class: 'preview', text: preview(row.value) }),
      );
    }),
  );
  $('b-rows').hidden = rows.length === 0 && scan.page === 0;
  $('b-prev').disabled = scan.page === 0;
  $('b-next').disabled = next === null;
  $('b-page').textContent = `page ${scan.page + 1}${next === null ? ' (last)' : ''} · ${rows.length} rows`;
}

async function lookupAsOf(event) {
  event.preventDefault();
  const { projection, key } = $('b-detail').dataset;
  const text = $('h-asof').value.trim();
  const at = Date.parse(text);
  $('h-value').hidden = true;
  if (Number.isNaN(at)) {
    showMessage('h-message', 'error', 'Write the time as ISO-8601, e.g. 2026-01-31T12:00:00Z.');
    return;
  }
  const params = new URLSearchParams({ asOf: new Date(at).toISOString() });
  try {
    const row = await api(`${rowsPath(projection)}/keys/${encodeURIComponent(key)}?${params}`);
    showMessage('h-message', 'info', `Value as of ${new Date(at).toISOString()}:`);
    $('h-value').textContent = JSON.stringify(row.value, null, 2);
    $('h-value').hidden = false;
  } catch (err) {
    // no_history: the projection declares no history. bad_request: a server without time travel
    // rejects the parameter it does not know.
    if (err instanceof ApiError && err.status === 400 && err.code === 'no_history')
      showMessage('h-message', 'info', 'History is not available: this projection keeps no history (declare history in its definition).');
    else if (err instanceof ApiError && err.status === 400 && err.code === 'bad_request')
      showMessage('h-message', 'info', 'History is not available: this server does not answer asOf queries.');
    else if (err instanceof ApiError && err.status === 410)
      showMessage('h-message', 'info', 'That time is older than the history this projection keeps.');
    else showMessage('h-message', ...lookupError(err, 'row at that time'));
  }
}

function search(event) {
  event.preventDefault();
  const projection = $('b-projection').value;
  if (!projection) {
    showMessage('b-message', 'info', 'No queryable projection yet.');
    return;
  }
  const query = $('b-query').value;
  $('b-detail').hidden = true;
  if ($('b-mode').value === 'key') {
    if (query === '') {
      showMessage('b-message', 'info', 'Enter a key.');
      return;
    }
    void lookupKey(projection, query);
  } else {
    scan = { projection, prefix: query, limit: Number($('b-limit').value), cursors: [null], page: 0 };
    void loadPage();
  }
}

// ---- wiring ----

function init() {
  $('token').value = token();
  $('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $('token').value.trim());
    metricsMissingUntil = 0;
  });
  $('token-clear').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    $('token').value = '';
  });
  $('browse').addEventListener('submit', search);
  $('h-form').addEventListener('submit', lookupAsOf);
  $('b-next').addEventListener('click', () => {
    if (!scan || scan.cursors[scan.page + 1] == null) return;
    scan.page++;
    void loadPage();
  });
  $('b-prev').addEventListener('click', () => {
    if (!scan || scan.page === 0) return;
    scan.page--;
    void loadPage();
  });
  void poll();
}

init();
