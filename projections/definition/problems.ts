// What a check reports (a path into the YAML document + a message) and what the user sees
// (the same, located as file:line:col).

export type PathSegment = string | number;

/** An unlocated finding, addressed by its path in the document (zod's path convention). */
export interface Problem {
  readonly path: readonly PathSegment[];
  readonly message: string;
  /** Point at the key of the last path segment instead of its value (unknown keys, bad names). */
  readonly target?: 'key' | 'value';
  /** Offset inside an expression scalar's value (parse and field errors inside an expression). */
  readonly inner?: number;
}

/** A located error; `format()` gives the one line the CLI prints. */
export interface LocatedError {
  readonly file: string;
  /** 1-based line and column. */
  readonly line: number;
  readonly col: number;
  /** Offset in the file, for sorting. */
  readonly offset: number;
  /** Dotted path into the document (`projections.balances.from`); empty for document-level errors. */
  readonly path: string;
  readonly message: string;
}

export function formatPath(path: readonly PathSegment[]): string {
  return path.map(String).join('.');
}

/** `projections.yaml:12:7: projections.balances.from: unknown source …` */
export function formatLocatedError(e: LocatedError): string {
  return `${e.file}:${e.line}:${e.col}: ${e.path ? `${e.path}: ` : ''}${e.message}`;
}
