// Throughput over time as a hand-written SVG: one panel per processing scenario, one line per contender
// (its median repetition), events/s computed from committed source offsets over windows of >= 500 ms.
import type { RunResult } from '../run.ts';
import { SCENARIOS } from '../scenarios.ts';

const COLORS: Record<string, string> = {
  streamfold: '#1f77b4',
  'Kafka Streams': '#d62728',
  'Kafka Streams, its defaults': '#ff9896',
  'raw kafkajs': '#7f7f7f',
};
const WINDOW_MS = 500;
const W = 720;
const H = 220;
const M = { left: 70, right: 150, top: 28, bottom: 36 };

/** (seconds since processing start, events/s) points of one run. */
export function rateSeries(r: RunResult): Array<[number, number]> {
  const s = r.samples ?? [];
  const start = r.startedAtOffsetMs ?? 0;
  const end = start + (r.elapsedMs ?? 0);
  const pts: Array<[number, number]> = [[0, 0]];
  let prev = s.find((x) => x.t >= start) ?? s[0];
  if (!prev) return pts;
  for (const x of s) {
    if (x.t > end + WINDOW_MS) break;
    if (x.t - prev.t >= WINDOW_MS) {
      pts.push([(x.t - start) / 1000, ((x.committed - prev.committed) / (x.t - prev.t)) * 1000]);
      prev = x;
    }
  }
  return pts;
}

function medianRun(runs: RunResult[]): RunResult | undefined {
  const ok = runs.filter((r) => r.status === 'ok' && r.samples).sort((a, b) => (a.rate ?? 0) - (b.rate ?? 0));
  return ok[Math.floor((ok.length - 1) / 2)];
}

const niceMax = (v: number) => {
  const p = 10 ** Math.floor(Math.log10(Math.max(v, 1)));
  return Math.ceil(v / p) * p;
};

export function throughputSvg(results: RunResult[], subtitle: string): string {
  const panels = SCENARIOS.filter(
    (s) => s.kind === 'process' && results.some((r) => r.scenario === s.id && r.samples),
  );
  const height = Math.max(1, panels.length) * H + 30;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${M.left}" y="16" font-size="13" font-weight="bold">Throughput over time (events/s, committed input offsets, ${WINDOW_MS} ms windows)</text>`,
    `<text x="${M.left}" y="${height - 8}" fill="#555">${esc(subtitle)}</text>`,
  ];
  panels.forEach((s, i) => {
    const y0 = 24 + i * H;
    const lines = Object.keys(COLORS)
      .map((c) => ({ c, run: medianRun(results.filter((r) => r.scenario === s.id && r.contender === c)) }))
      .filter((l): l is { c: string; run: RunResult } => l.run !== undefined)
      .map((l) => ({ ...l, pts: rateSeries(l.run) }));
    const maxX = Math.max(1, ...lines.flatMap((l) => l.pts.map((p) => p[0])));
    const maxY = niceMax(Math.max(1, ...lines.flatMap((l) => l.pts.map((p) => p[1]))));
    const pw = W - M.left - M.right;
    const ph = H - M.top - M.bottom;
    const px = (x: number) => M.left + (x / maxX) * pw;
    const py = (y: number) => y0 + M.top + ph - (y / maxY) * ph;
    out.push(`<text x="${M.left}" y="${y0 + 18}" font-weight="bold">${esc(s.title)}</text>`);
    out.push(
      `<rect x="${M.left}" y="${y0 + M.top}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`,
    );
    for (let k = 0; k <= 4; k++) {
      const v = (maxY * k) / 4;
      out.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${py(v)}" y2="${py(v)}" stroke="#eee"/>`);
      out.push(
        `<text x="${M.left - 6}" y="${py(v) + 4}" text-anchor="end">${Math.round(v).toLocaleString('en')}</text>`,
      );
      const t = (maxX * k) / 4;
      out.push(
        `<text x="${px(t)}" y="${y0 + M.top + ph + 14}" text-anchor="middle">${t.toFixed(1)} s</text>`,
      );
    }
    lines.forEach((l, j) => {
      const d = l.pts
        .map((p, k) => `${k === 0 ? 'M' : 'L'}${px(p[0]).toFixed(1)},${py(p[1]).toFixed(1)}`)
        .join(' ');
      out.push(`<path d="${d}" fill="none" stroke="${COLORS[l.c]}" stroke-width="1.8"/>`);
      const ly = y0 + M.top + 12 + j * 16;
      out.push(
        `<line x1="${M.left + pw + 12}" x2="${M.left + pw + 32}" y1="${ly - 4}" y2="${ly - 4}" stroke="${COLORS[l.c]}" stroke-width="2"/>`,
      );
      out.push(`<text x="${M.left + pw + 36}" y="${ly}">${esc(l.c)}</text>`);
    });
    if (lines.length === 0)
      out.push(`<text x="${M.left + 10}" y="${y0 + M.top + 20}">no completed run</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

const esc = (s: string) => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
