// Rules hadolint applies that matter for this image, for machines without hadolint (it is not in
// Debian and its npm wrappers download a binary). Each finding carries the hadolint rule id.
// dockerfile-utils (the VS Code Docker linter) checks syntax and instruction arguments separately.

export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

export interface Stage {
  name: string | undefined;
  image: string;
  instructions: Instruction[];
}

export interface Finding {
  rule: string;
  line: number;
  message: string;
}

/** Instructions with continuation lines joined; comments and blank lines dropped. */
export function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending: { text: string; line: number } | undefined;
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    const trimmed = line.trim();
    // Docker drops comment lines, also inside a continued instruction.
    if (trimmed.startsWith('#') || (trimmed === '' && !pending)) return;
    const continued = /\\\s*$/.test(line);
    const part = continued ? line.replace(/\\\s*$/, '') : line;
    pending = pending
      ? { text: `${pending.text} ${part.trim()}`, line: pending.line }
      : { text: part.trim(), line: i + 1 };
    if (!continued) {
      const m = /^(\S+)\s*(.*)$/.exec(pending.text);
      if (m) out.push({ keyword: (m[1] ?? '').toUpperCase(), args: (m[2] ?? '').trim(), line: pending.line });
      pending = undefined;
    }
  });
  return out;
}

/** Instructions grouped by FROM; ARGs before the first FROM are resolved into image names. */
export function stages(instructions: Instruction[]): Stage[] {
  const globalArgs = new Map<string, string>();
  const result: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const m = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      const image = (m?.[1] ?? '').replace(/\$\{?(\w+)\}?/g, (_, n: string) => globalArgs.get(n) ?? '');
      result.push({ name: m?.[2], image, instructions: [ins] });
    } else if (result.length === 0) {
      if (ins.keyword === 'ARG') {
        const [name, value = ''] = ins.args.split('=');
        globalArgs.set((name ?? '').trim(), value.trim());
      }
    } else result.at(-1)?.instructions.push(ins);
  }
  return result;
}

const isJsonForm = (args: string): boolean => {
  try {
    const v: unknown = JSON.parse(args);
    return Array.isArray(v) && v.every((x) => typeof x === 'string');
  } catch {
    return false;
  }
};

export function lintDockerfile(text: string): Finding[] {
  const findings: Finding[] = [];
  const add = (rule: string, line: number, message: string) => findings.push({ rule, line, message });
  const all = stages(parseDockerfile(text));
  if (all.length === 0) add('DL3061', 1, 'no FROM');
  const names = new Set<string>();
  for (const stage of all) {
    const from = stage.instructions[0] as Instruction;
    const known = names.has(stage.image);
    if (!known && stage.image !== 'scratch') {
      const tag = /^[^@]+:([^/@]+)$/.exec(stage.image)?.[1];
      if (!tag && !stage.image.includes('@')) add('DL3006', from.line, `image ${stage.image} has no tag`);
      if (tag === 'latest') add('DL3007', from.line, `image ${stage.image} uses latest`);
    }
    if (stage.name) names.add(stage.name);
    let workdir = false;
    for (const ins of stage.instructions) {
      if (ins.keyword === 'WORKDIR') workdir = true;
      if (ins.keyword === 'ADD' && !/https?:\/\/|\.tar/.test(ins.args))
        add('DL3020', ins.line, 'use COPY for files');
      if (ins.keyword === 'COPY') {
        const from = /--from=(\S+)/.exec(ins.args)?.[1];
        if (from && !names.has(from) && !/^\d+$/.test(from) && !from.includes(':'))
          add('DL3022', ins.line, `COPY --from=${from} names no previous stage`);
        const dest = ins.args.split(/\s+/).at(-1) ?? '';
        if (!dest.startsWith('/') && !dest.startsWith('$') && !workdir)
          add('DL3045', ins.line, 'COPY to a relative path without WORKDIR');
      }
      if (ins.keyword === 'RUN') {
        if (/(^|[;&|]\s*)cd\s/.test(ins.args)) add('DL3003', ins.line, 'use WORKDIR instead of cd');
        if (/(^|\s)sudo\s/.test(ins.args)) add('DL3004', ins.line, 'do not use sudo');
        if (/\|/.test(ins.args.replace(/\|\|/g, '')) && !/pipefail/.test(ins.args))
          add('DL4006', ins.line, 'set -o pipefail before a pipe');
        if (/\bnpm (install|i)\b/.test(ins.args)) add('DL3016', ins.line, 'use npm ci with the lock file');
      }
      if ((ins.keyword === 'CMD' || ins.keyword === 'ENTRYPOINT') && !isJsonForm(ins.args))
        add('DL3025', ins.line, `${ins.keyword} in JSON form (signals reach the process)`);
    }
  }
  const last = all.at(-1);
  if (last) {
    const users = last.instructions.filter((i) => i.keyword === 'USER');
    const user = users.at(-1)?.args.split(':')[0];
    if (user === undefined || user === 'root' || user === '0')
      add('DL3002', users.at(-1)?.line ?? 1, 'the final stage must not run as root');
    const count = (k: string) => last.instructions.filter((i) => i.keyword === k).length;
    for (const k of ['CMD', 'ENTRYPOINT', 'HEALTHCHECK'])
      if (count(k) > 1) add(k === 'HEALTHCHECK' ? 'DL3012' : 'DL4003', 1, `more than one ${k}`);
    if (count('HEALTHCHECK') === 0) add('DL3057', 1, 'no HEALTHCHECK');
  }
  return findings;
}
