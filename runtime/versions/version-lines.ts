// One line per deployed projection version, as `streamfold versions` and `streamfold status` print
// it: projection, version, state, id, consumer group, and for running versions the catch-up.
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
  return rows.map((r) => {
    const lag = r.lag === undefined ? '' : r.caughtUp ? 'caught up' : `${r.lag} records behind`;
    return `${r.projection}  v${r.version}  ${r.state.padEnd(8)}  ${r.id}  group ${r.group}  ${lag}`.trimEnd();
  });
}
