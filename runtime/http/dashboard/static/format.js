// Formatting of figures for the dashboard: numbers, rates, durations, times, value previews.
// Pure functions: no DOM, no API.

const numberFormat = new Intl.NumberFormat('en-US');
export const fmtNumber = (n) => (typeof n === 'number' && Number.isFinite(n) ? numberFormat.format(n) : '–');

export function fmtRate(perSecond) {
  if (perSecond === undefined) return '–';
  if (perSecond >= 100) return `${numberFormat.format(Math.round(perSecond))} rec/s`;
  return `${perSecond.toFixed(1)} rec/s`;
}

export function fmtMs(ms) {
  if (typeof ms !== 'number') return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms / 60_000)} min`;
}

export function fmtTime(ms) {
  return typeof ms === 'number' && Number.isFinite(ms) ? new Date(ms).toISOString() : '–';
}

export function preview(value) {
  const s = JSON.stringify(value);
  return s === undefined ? 'undefined' : s.length > 80 ? `${s.slice(0, 79)}…` : s;
}
