// The trends panel: throughput and lag per projection, and commit latency, over the last 15
// minutes, drawn as small SVG plots from the samples the status poll already takes (nothing
// else is fetched). A projection falling behind shows as a rising lag line. Must not poll.
import { $, el } from './dom.js';
import { fmtNumber, fmtRate } from './format.js';

const WINDOW_MS = 15 * 60_000;
const W = 320;
const H = 64;
const SVG = 'http://www.w3.org/2000/svg';

/** Per projection: [{ at, rate, lag }]; and the commit latency samples [{ at, ms }]. */
const series = new Map();
const commits = [];

const trim = (list, now) => {
  while (list.length > 0 && list[0].at < now - WINDOW_MS) list.shift();
};

/** One status poll: `rates` (records/s) and each projection's summed lag (records), `commitMs` the mean commit time since the last poll. */
export function recordTrends(now, projections, rates, commitMs) {
  for (const p of projections) {
    const list = series.get(p.name) ?? [];
    const lags = p.partitions.map((q) => q.lag).filter((x) => typeof x === 'number');
    list.push({ at: now, rate: rates.get(p.name) ?? null, lag: lags.length ? lags.reduce((a, b) => a + b, 0) : null });
    trim(list, now);
    series.set(p.name, list);
  }
  for (const name of [...series.keys()]) if (!projections.some((p) => p.name === name)) series.delete(name);
  if (typeof commitMs === 'number') commits.push({ at: now, ms: commitMs });
  trim(commits, now);
  render(now);
}

function svg(tag, attrs) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

/** A plot of one or more lines over the last 15 minutes, each scaled to its own maximum. */
function plot(now, lines, label) {
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-label': label });
  root.append(svg('rect', { x: 0, y: 0, width: W, height: H, class: 'plot-bg' }));
  for (const { points, cls } of lines) {
    const values = points.filter((p) => p.v !== null);
    if (values.length === 0) continue;
    const max = Math.max(1, ...values.map((p) => p.v));
    const d = values
      .map((p, i) => {
        const x = W - ((now - p.at) / WINDOW_MS) * W;
        const y = H - 4 - (p.v / max) * (H - 8);
        return `${i === 0 ? 'M' : 'L'}${x.toFixed(1)},${y.toFixed(1)}`;
      })
      .join(' ');
    root.append(svg('path', { d, class: `plot-line ${cls}`, 'data-points': values.length }));
  }
  return root;
}

function latest(list, field) {
  for (let i = list.length - 1; i >= 0; i--) if (list[i][field] !== null) return list[i][field];
  return null;
}

function render(now) {
  const cards = [...series].map(([name, list]) => {
    const rate = latest(list, 'rate');
    const lag = latest(list, 'lag');
    const lines = [
      { points: list.map((s) => ({ at: s.at, v: s.rate })), cls: 'throughput' },
      { points: list.map((s) => ({ at: s.at, v: s.lag })), cls: 'lag' },
    ];
    const behind = lag !== null && lag > 0 && list.length > 2 && lag >= (list[list.length - 3].lag ?? 0);
    return el(
      'figure',
      { class: `trend${behind ? ' behind' : ''}`, 'data-projection': name },
      plot(now, lines, `${name}: throughput and lag, last 15 minutes`),
      el(
        'figcaption',
        {},
        el('b', { text: name }),
        el('span', { class: 'throughput-key', text: ` ${fmtRate(rate ?? undefined)}` }),
        el('span', { class: 'lag-key', text: ` lag ${lag === null ? '–' : fmtNumber(lag)}` }),
      ),
    );
  });
  const last = commits.length ? commits[commits.length - 1].ms : null;
  cards.push(
    el(
      'figure',
      { class: 'trend', 'data-commits': '' },
      plot(now, [{ points: commits.map((c) => ({ at: c.at, v: c.ms })), cls: 'commit' }], 'commit latency, last 15 minutes'),
      el(
        'figcaption',
        {},
        el('b', { text: 'commit latency' }),
        el('span', { class: 'commit-key', text: ` ${last === null ? '–' : `${last.toFixed(1)} ms`}` }),
        el('span', { class: 'muted', text: ' (all tasks: a commit carries every projection of its task)' }),
      ),
    ),
  );
  $('trends').replaceChildren(...cards);
}
