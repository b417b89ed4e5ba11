// Which version a query reads, decided once per request by rewriting its URL before routing:
//   /projections/balances/...            → the active version's id (balances-v2/...)
//   /projections/balances@1/...          → that version (balances/...)
//   /projections/balances/...?version=1  → that version
// Everything after the rewrite (owner lookup, forwarding to another instance, paging links) sees
// one version id, so no answer mixes versions, even when the switch happens mid-request.
import { parseVersionRef, versionId } from '../../projections/versions/index.ts';

export function versionedUrl(
  url: string,
  target: (projection: string, version?: number) => string | undefined,
): string {
  const m = /^\/projections\/([^/?]+)(.*)$/.exec(url);
  if (!m) return url;
  const [, segment, rest] = m;
  let name: string;
  try {
    name = decodeURIComponent(segment!);
  } catch {
    return url;
  }
  const ref = parseVersionRef(name);
  let version = ref.version;
  let tail = rest!;
  const q = tail.indexOf('?');
  if (version === undefined && q >= 0) {
    const params = new URLSearchParams(tail.slice(q + 1));
    const v = params.get('version');
    if (v !== null && /^[1-9]\d*$/.test(v)) {
      version = Number(v);
      params.delete('version');
      const query = params.toString();
      tail = tail.slice(0, q) + (query ? `?${query}` : '');
    }
  }
  const id = target(ref.projection, version);
  if (id !== undefined) return `/projections/${encodeURIComponent(id)}${tail}`;
  // An unknown version: its id names no projection, so the answer is a plain 404.
  return version === undefined
    ? url
    : `/projections/${encodeURIComponent(versionId(ref.projection, version))}${tail}`;
}
