// The fixture format for commands (`streamfold test`): events already in the log (given), the
// commands sent (when), and each command's expected outcome (then): its events, or a rejection,
// a version conflict, or input errors. Optionally projection tables expected at the end.
import { z } from 'zod';
import type { Definition } from '../../definition/schema.ts';
import {
  describeZodError,
  ExpectedProjection,
  FixtureError,
  FixtureInput,
  readFixtureYaml,
  resolveDefinition,
} from '../../testing/fixture.ts';
import { ExpectedVersion } from '../schema.ts';

const Then = z
  .strictObject({
    /** The appended events' values; the runtime-filled event id and time are compared only when listed. */
    events: z.array(z.record(z.string(), z.unknown())).optional(),
    /** The entity's version after the command. */
    version: z.number().int().min(0).optional(),
    rejected: z.strictObject({ rule: z.string().min(1), message: z.string().optional() }).optional(),
    conflict: z
      .strictObject({ current: z.number().int().min(0), expected: ExpectedVersion.optional() })
      .optional(),
    /** Input field → a fragment of its error message. */
    invalid: z.record(z.string(), z.string()).optional(),
  })
  .refine((t) => [t.events, t.rejected, t.conflict, t.invalid].filter((x) => x !== undefined).length === 1, {
    message: 'then names exactly one of events, rejected, conflict, invalid',
  });

const Step = z.strictObject({
  command: z.string().min(1),
  input: z.unknown(),
  expectedVersion: ExpectedVersion.optional(),
  /** The command's time (epoch ms); default: the latest timestamp seen so far. */
  now: z.number().optional(),
  /** The command id; event ids are `<id>-1`, `<id>-2`, … Default `command-<n>`. */
  id: z.string().min(1).optional(),
  then: Then.optional(),
});

const CommandFixtureFile = z
  .strictObject({
    name: z.string().min(1),
    description: z.string().optional(),
    definition: z.union([z.string().min(1), z.record(z.string(), z.unknown())]),
    given: z.array(FixtureInput).default([]),
    /** One command (with `then` beside it) or a list of commands, each with its own `then`. */
    when: z.union([Step, z.array(Step).min(1)]),
    then: Then.optional(),
    /** Indices of given events that first-writer-wins must reject. */
    rejectedGiven: z.array(z.number().int().min(0)).optional(),
    /** Projection tables after every step (as in projection fixtures). */
    expected: z.record(z.string(), ExpectedProjection).optional(),
  })
  .superRefine((f, ctx) => {
    const steps = Array.isArray(f.when) ? f.when : [{ ...f.when, then: f.when.then ?? f.then }];
    const ids = new Map<string, number>();
    steps.forEach((s, i) => {
      if (!s.then) ctx.addIssue({ code: 'custom', path: ['when', i], message: 'every command needs a then' });
      // The runtime answers an id sent again with the first outcome, or refuses it for another
      // request: a fixture that decided both would test what never happens.
      const id = s.id ?? `command-${i + 1}`;
      const first = ids.get(id);
      if (first !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['when', i, 'id'],
          message: `id ${JSON.stringify(id)} is also the id of command ${first + 1}: give each command its own id`,
        });
      else ids.set(id, i);
    });
    if (Array.isArray(f.when) && f.then) {
      ctx.addIssue({ code: 'custom', path: ['then'], message: 'with a list of commands, put then on each' });
    }
  });

export type Then = z.output<typeof Then>;
export type CommandStep = z.output<typeof Step> & { then: Then };

export interface CommandFixture {
  name: string;
  description?: string | undefined;
  file?: string | undefined;
  definition: Definition;
  given: FixtureInput[];
  steps: CommandStep[];
  rejectedGiven?: number[] | undefined;
  expected?: Record<string, ExpectedProjection> | undefined;
}

/** Whether parsed fixture YAML is a command fixture (it has `when:`). */
export const isCommandFixture = (raw: unknown): boolean =>
  raw !== null && typeof raw === 'object' && 'when' in raw;

export async function commandFixtureFromObject(raw: unknown, file?: string): Promise<CommandFixture> {
  const r = CommandFixtureFile.safeParse(raw);
  if (!r.success)
    throw new FixtureError(describeZodError(`${file ?? 'fixture'}: invalid command fixture`, r.error));
  const f = r.data;
  const steps = (
    Array.isArray(f.when) ? f.when : [{ ...f.when, then: f.when.then ?? f.then }]
  ) as CommandStep[];
  return {
    name: f.name,
    description: f.description,
    file,
    definition: await resolveDefinition(f.definition, file),
    given: f.given,
    steps,
    rejectedGiven: f.rejectedGiven,
    expected: f.expected,
  };
}

export async function loadCommandFixture(file: string): Promise<CommandFixture> {
  return commandFixtureFromObject(await readFixtureYaml(file), file);
}
