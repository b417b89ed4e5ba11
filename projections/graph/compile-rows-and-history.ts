// Compiles the stores that keep a table projection's rows for queries: its final rows (unless
// derived from its aggregate store) and, with `history`, every row version by event time. Both
// live in the sub-topology that emits the projection, which keeps them as it emits.
import type { ProjectionDef } from '../definition/schema.ts';
import { parseDuration } from '../history/duration.ts';
import { historyRecorder } from '../history/recorder.ts';
import { TopologyError } from '../operators/types.ts';
import { rowsRecorder, storedRowsView } from '../rows/index.ts';
import { names } from './names.ts';
import type { TopologyBuilder } from './topology-builder.ts';

/**
 * A table projection's final rows, unless derived from its aggregate or window store
 * (compileAggregate): the emitting sub-topology also keeps them in a rows store. Windowed, that is
 * only sessions with emit final (projections/rows/window-rows.ts says why).
 */
export function compileRows(b: TopologyBuilder, name: string): void {
  const info = b.projectionInfos.find((i) => i.name === name)!;
  if (b.kinds.get(name) !== 'table' || info.rows) return;
  const sub = b.subs.find((s) => s.projection === name && s.emits)!;
  const windowed = info.window !== undefined;
  const store = sub.store(
    names.rowsStore(b.app, name),
    windowed
      ? `final rows by key and session (queries read them); each leaves with its session (retention ${info.window!.retentionMs} ms)`
      : 'final rows by key (queries read them)',
  );
  sub.wrap(rowsRecorder({ projection: name, store, windowed }));
  sub.op(`keep each final row → store ${store}`);
  info.rows = storedRowsView(store);
}

/** `history`: the sub-topology that emits the projection also folds each row version into a store. */
export function compileHistory(b: TopologyBuilder, name: string, p: ProjectionDef): void {
  if (!p.history) return;
  const at = `projections.${name}.history`;
  if (b.kinds.get(name) !== 'table')
    throw new TopologyError(`${at}: history keeps versions of a table's rows; ${name} is a stream`);
  const retentionMs = parseDuration(p.history.retention);
  if (retentionMs === undefined || retentionMs <= 0)
    throw new TopologyError(`${at}: retention must be a duration of more than 0`);
  const sub = b.subs.find((s) => s.projection === name && s.emits)!;
  const store = sub.store(names.historyStore(b.app, name), 'row versions by event time (asOf reads)');
  const spec = { projection: name, store, retentionMs, maxVersions: p.history.maxVersions };
  sub.wrap(historyRecorder(spec));
  sub.op(
    `record each row version by event time → store ${store} (retention ${retentionMs} ms${
      spec.maxVersions ? `, at most ${spec.maxVersions} versions` : ''
    })`,
  );
  b.projectionInfos.find((i) => i.name === name)!.history = {
    store,
    retentionMs,
    ...(spec.maxVersions ? { maxVersions: spec.maxVersions } : {}),
  };
}
