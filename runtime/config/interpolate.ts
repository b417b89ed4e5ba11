// `${VAR}` and `${VAR:-default}` in YAML string values, resolved after parsing so every error keeps
// its file position. `$${` writes a literal `${`.

export type Env = Readonly<Record<string, string | undefined>>;

const REFERENCE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;
const WHOLE_REFERENCE = /^\$\{[A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\}$/;

export function interpolate(value: string, env: Env): string {
  return value.replace(REFERENCE, (match, name: string | undefined, fallback: string | undefined) => {
    if (name === undefined) return '${'; // the $${ escape
    const v = env[name];
    if (fallback !== undefined) return v === undefined || v === '' ? fallback : v; // shell `:-`: unset or empty
    if (v === undefined)
      throw new Error(
        `environment variable ${name} is not set (write \${${name}:-default} to give a default)`,
      );
    return v;
  });
}

/**
 * Interpolates one YAML scalar. An unquoted value that is exactly one reference takes the type the
 * text would have had in YAML (`port: ${PORT:-8080}` is a number); quote it to keep a string.
 */
export function interpolateScalar(value: string, plain: boolean, env: Env): unknown {
  if (!value.includes('${')) return value;
  const text = interpolate(value, env);
  if (!plain || !WHOLE_REFERENCE.test(value)) return text;
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  if (text === 'true' || text === 'false') return text === 'true';
  return text;
}
