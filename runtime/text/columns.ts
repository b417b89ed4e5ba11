// Plain-text tables for the terminal: every column padded to its widest cell, numbers right-aligned,
// no trailing spaces. `streamfold status` and `streamfold versions` print through it.

/** Lines of `rows` (the header first, if any) with aligned columns two spaces apart. */
export function alignColumns(
  rows: readonly (readonly string[])[],
  rightAligned: ReadonlySet<number> = new Set(),
): string[] {
  const columns = Math.max(0, ...rows.map((r) => r.length));
  const widths = Array.from({ length: columns }, (_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) =>
    widths
      .map((w, i) => {
        const cell = r[i] ?? '';
        if (i === columns - 1) return cell;
        return rightAligned.has(i) ? cell.padStart(w) : cell.padEnd(w);
      })
      .join('  ')
      .trimEnd(),
  );
}
