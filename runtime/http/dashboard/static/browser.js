// The state browser: look a key up, scan rows by prefix page by page, show a row and its value at
// an earlier time (history). A windowed projection's rows are one per (key, window): a key lookup
// lists its windows, and each row names its window. A shown row follows the change feed (live.js).
// Must not poll (status.js).
import { ApiError, api } from './api.js';
import { followKey } from './live.js';
import { $, el } from './dom.js';
import { fmtTime, preview } from './format.js';

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

/** The row's key, with its window for windowed projections. */
const rowLabel = (row) =>
  row.windowStart === undefined ? row.key : `${row.key} @ ${fmtTime(row.windowStart)} – ${fmtTime(row.windowEnd)}`;

/** Stops following the row shown (live.js), when one is followed. */
let unfollow = () => {};

/** Shows changes of the detail's row as they are committed. */
function followDetail(projection, row) {
  unfollow();
  const badgeEl = $('d-live');
  badgeEl.hidden = true;
  if (row.windowStart !== undefined) return; // a window's row: the feed carries (key, window) keys
  unfollow = followKey(
    projection,
    row.key,
    (change) => {
      if ($('b-detail').dataset.key !== row.key || change.key !== row.key) return;
      $('d-value').textContent = change.deleted ? '(deleted)' : JSON.stringify(change.value, null, 2);
      const meta = [
        ['projection', projection],
        ['partition', String(change.partition)],
        ['offset', `${change.offset} (output topic)`],
        ['updated', fmtTime(change.timestamp)],
      ];
      $('d-meta').replaceChildren(...meta.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: v })]));
      $('b-detail').dataset.changes = String(Number($('b-detail').dataset.changes ?? 0) + 1);
    },
    (state) => {
      badgeEl.hidden = state === 'unavailable';
      badgeEl.className = `badge ${state === 'live' ? 'running' : 'restoring'}`;
      badgeEl.textContent = state === 'live' ? 'live' : 'not live';
    },
  );
}

function showDetail(projection, row) {
  $('b-detail').dataset.changes = '0';
  followDetail(projection, row);
  $('b-detail').hidden = false;
  $('b-detail').dataset.projection = projection;
  $('b-detail').dataset.key = row.key;
  $('d-key').textContent = rowLabel(row);
  const meta = [
    ['projection', projection],
    ...(row.windowStart === undefined ? [] : [['window', `${fmtTime(row.windowStart)} – ${fmtTime(row.windowEnd)}`]]),
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
    if (row.windows) {
      // A windowed projection: the key's windows, as one page of rows.
      const rows = row.windows.map((w) => ({ ...w, key: row.key, partition: row.partition }));
      scan = { projection, prefix: null, limit: rows.length, cursors: [null], page: 0 };
      renderRows(projection, rows, null);
      showMessage('b-message', rows.length === 0 ? 'info' : '', rows.length === 0 ? 'No windows for this key.' : '');
      return;
    }
    showMessage('b-message', '', '');
    showDetail(projection, row);
  } catch (err) {
    unfollow();
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
      const link = el('button', { type: 'button', class: 'link', text: rowLabel(row), title: 'show this row' });
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
  unfollow();
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

/** Wires the browser's forms and page buttons. */
export function initBrowser() {
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
}
