// One line per deployed projection version, as `streamfold versions` and `streamfold status` print
// it: projection, version, state, id, consumer group, and for running versions the catch-up, as
// aligned columns.
import { alignColumns } from '../text/columns.ts';

export interface VersionLine {
  projection: string;
  version: number;
  id: string;
  state: string;
  group: string;
  /** Records behind, for building and active versions. */
  lag?: number;
  caughtUp?: boolean;
}

export function versionLines(rows: readonly VersionLine[]): string[] {
  return alignColumns(
    rows.map((r) => {
      const lag = r.lag === undefined ? '' : r.caughtUp ? 'caught up' : `${r.lag} records behind`;
      return [r.projection, `v${r.version}`, r.state, r.id, `group ${r.group}`, lag];
    }),
  );
}
