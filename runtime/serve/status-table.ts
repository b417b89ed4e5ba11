// `streamfold status`: a running instance's view of its projections (GET /projections, and
// GET /versions when the instance runs projection versions) as a table for a terminal.
import type { ProjectionStatus } from '../http/state-source.ts';
import { alignColumns } from '../text/columns.ts';
import { type VersionLine, versionLines } from '../versions/version-lines.ts';

/** One entry of GET /versions (runtime/versions): a deployed version with its catch-up. */
export type VersionEntry = VersionLine;

export interface StatusRow {
  projection: string;
  version: string;
  status: string;
  rows: string;
  lag: string;
  catchUp: string;
}

const HEADERS: StatusRow = {
  projection: 'PROJECTION',
  version: 'VERSION',
  status: 'STATUS',
  rows: 'ROWS',
  lag: 'LAG',
  catchUp: 'RESTORE / CATCH-UP',
};

export function statusRows(projections: ProjectionStatus[], versions: VersionEntry[] = []): StatusRow[] {
  return projections.map((p) => {
    const lags = p.partitions.map((q) => q.lag).filter((x): x is number => x !== undefined);
    const restores = p.partitions.map((q) => q.restore).filter((r) => r !== undefined);
    const version =
      versions.find((v) => v.id === p.name) ??
      versions.find((v) => v.projection === p.name && v.state === 'active');
    const catchUp: string[] = [];
    if (restores.length > 0) {
      const restored = restores.reduce((n, r) => n + r.restored, 0);
      const total = restores.reduce((n, r) => n + r.total, 0);
      catchUp.push(
        `restoring ${restored}/${total}${total > 0 ? ` (${Math.floor((100 * restored) / total)}%)` : ''}`,
      );
    }
    if (version) {
      catchUp.push(
        `${version.state}${version.caughtUp === undefined ? '' : version.caughtUp ? ', caught up' : `, ${version.lag ?? '?'} behind`}`,
      );
    }
    return {
      projection: p.name,
      version: version ? String(version.version) : '-',
      status: p.queryable ? p.status : `${p.status} (stream)`,
      rows: p.queryable ? String(p.rows) : '-',
      lag: lags.length > 0 ? String(lags.reduce((a, b) => a + b, 0)) : '?',
      catchUp: catchUp.length > 0 ? catchUp.join('; ') : p.status === 'running' ? 'done' : '-',
    };
  });
}

/** Columns padded to their widest cell; numbers right-aligned. */
export function formatStatusTable(rows: StatusRow[]): string {
  const keys = Object.keys(HEADERS) as Array<keyof StatusRow>;
  const right = new Set([keys.indexOf('rows'), keys.indexOf('lag')]);
  return (
    alignColumns(
      [HEADERS, ...rows].map((r) => keys.map((k) => r[k])),
      right,
    ).join('\n') + '\n'
  );
}

/** The projection table, then every deployed version with its group and catch-up. */
export function formatStatus(projections: ProjectionStatus[], versions: VersionEntry[]): string {
  const table = formatStatusTable(statusRows(projections, versions));
  if (versions.length === 0) return table;
  return `${table}\nVERSIONS\n${versionLines(versions).join('\n')}\n`;
}
