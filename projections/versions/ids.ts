// The identity of one version of a projection. Version 1 keeps the bare name, so projections that
// existed before versions did keep their stores and topics (no migration); version n ≥ 2 appends
// `-v<n>`. Every internal name derives from this id (projections/graph/names.ts), so two versions
// never share a store, a changelog, an exchange topic or an output topic. `-` cannot occur in a
// YAML name, so an id never collides with another projection's name.

export function versionId(projection: string, version: number): string {
  return version <= 1 ? projection : `${projection}-v${version}`;
}

/** An output topic for a version: the same `-v<n>` rule applied to an explicit topic. */
export function versionTopic(topic: string, version: number): string {
  return version <= 1 ? topic : `${topic}-v${version}`;
}

/** `balances@2` → { projection: balances, version: 2 }; `balances` → { projection, version: undefined }. */
export function parseVersionRef(text: string): { projection: string; version?: number } {
  const at = text.lastIndexOf('@');
  if (at < 0) return { projection: text };
  const version = Number(text.slice(at + 1));
  if (!Number.isInteger(version) || version < 1) return { projection: text };
  return { projection: text.slice(0, at), version };
}
