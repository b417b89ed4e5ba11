// The PostgreSQL views panel (docs/views.md): per projection version with a view, its table, whether
// the stable SQL view reads it, its lag and, per partition this instance writes, the writer's state
// (backfill progress, waiting for the database, failed) and position. Reads what GET /projections
// lists under `views`; the section stays hidden when the server writes no views.
import { $, el } from './dom.js';
import { fmtNumber } from './format.js';

const STATE_CLASS = {
  following: '',
  starting: 'behind',
  backfilling: 'restoring',
  'waiting-for-database': 'behind',
  failed: 'failed',
};

function writerChip(w) {
  const chip = el('span', {
    class: `chip view ${STATE_CLASS[w.state] ?? ''}`,
    'data-partition': w.partition,
    'data-state': w.state,
    title: w.error ?? `next offset ${w.position} of ${w.end}`,
  });
  chip.append(el('b', { text: `p${w.partition}` }));
  const behind = Math.max(0, w.end - Math.max(0, w.position));
  if (w.state === 'backfilling' && w.backfill && w.backfill.to > w.backfill.from) {
    const span = w.backfill.to - w.backfill.from;
    const done = Math.min(span, Math.max(0, w.position - w.backfill.from));
    chip.append(
      ` backfilling ${Math.floor((100 * done) / span)}% `,
      el('progress', { max: span, value: done }),
      el('span', { class: 'muted', text: ` ${fmtNumber(done)} / ${fmtNumber(span)}` }),
    );
  } else if (w.state === 'following') {
    chip.append(behind > 0 ? ` lag ${fmtNumber(behind)}` : ' caught up');
  } else {
    chip.append(` ${w.state.replaceAll('-', ' ')}`);
    if (behind > 0) chip.append(` · lag ${fmtNumber(behind)}`);
  }
  return chip;
}

export function renderViews(views) {
  $('views-section').hidden = views.length === 0;
  const rows = views.map((v) =>
    el(
      'tr',
      { 'data-view': `${v.projection}@${v.version}` },
      el(
        'td',
        {},
        el('span', { class: 'name', text: v.projection }),
        ' ',
        el('span', { class: 'tag', text: `v${v.version}` }),
      ),
      el('td', { class: 'table' }, el('code', { text: v.table })),
      el(
        'td',
        { class: 'stable' },
        v.current
          ? el('span', { class: 'badge running', text: `read by ${v.stable}` })
          : el('span', { class: 'muted', text: 'not read by the SQL view' }),
      ),
      el('td', { class: 'num lag', text: `${fmtNumber(v.lag)} rec` }),
      el(
        'td',
        { class: 'partitions' },
        ...(v.partitions.length > 0
          ? v.partitions.map(writerChip)
          : [el('span', { class: 'muted', text: 'no partition written here' })]),
      ),
    ),
  );
  $('views').tBodies[0].replaceChildren(...rows);
}
