// What a writer that appends to a first-writer-wins source directly (not through streamfold) can
// ask (docs/commands.md, "First-writer-wins in `streamfold run`"); both answered by the owner of the
// partition, any other instance forwards:
//   GET /sources/{source}/versions/{key}              an entity's current version (0: no event yet);
//                                                     minOffset=<p>:<o> waits until that append was read;
//   GET /sources/{source}/appends/{partition}/{offset} the fate of one append: applied or rejected
//                                                     (with the reason) or dead_lettered (never
//                                                     checked), 202 while not read yet,
//                                                     410 when older than the remembered rejections.
import type { FastifyInstance } from 'fastify';
import { DEFAULT_REJECTED_APPENDS_HORIZON } from '../../../projections/first-writer-wins/rejected-appends.ts';
import { errors, HttpError } from '../errors.ts';
import { parseMinOffsets } from '../freshness.ts';
import { partitionOfKey } from '../partitioner.ts';
import { encodedKey, error, MAX_WAIT_MS } from '../schemas.ts';
import { NOT_FIRST_WRITER_WINS, RESTORING, type WriterSource } from '../state-source.ts';
import type { RouteContext } from './context.ts';
import { answerFromOwner } from './guards.ts';

const source = {
  type: 'string',
  pattern: '^[A-Za-z_][A-Za-z0-9_]*$',
  maxLength: 128,
  description: 'Source name, as declared in the YAML definition (with `conflicts: first-writer-wins`).',
} as const;

const timeoutMs = (what: string) => ({
  type: 'integer',
  minimum: 0,
  maximum: MAX_WAIT_MS,
  description: `How long to wait ${what} (default 5000).`,
});

const errorCodes = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, error]));

const versionSchema = {
  summary:
    "An entity's current version in a first-writer-wins source (0 when it has no accepted event), answered by (or forwarded to) the owner of its partition.",
  params: { type: 'object', required: ['source', 'key'], properties: { source, key: encodedKey } },
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      minOffset: {
        type: 'array',
        maxItems: 64,
        items: { type: 'string', maxLength: 1200 },
        description:
          "Read your write: `<partition>:<offset>` of an append to this entity (the key's partition); answer only once the owner has read it.",
      },
      timeoutMs: timeoutMs('for minOffset before answering 503 not_fresh'),
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['source', 'key', 'version', 'partition', 'position'],
      properties: {
        source: { type: 'string' },
        key: { type: 'string', description: 'The encoded key.' },
        version: {
          type: 'integer',
          description: 'Accepted events of the entity: the next append must carry version + 1.',
        },
        partition: { type: 'integer' },
        position: { type: 'integer', description: 'Next offset of the partition the owner will read.' },
      },
    },
    ...errorCodes(400, 401, 404, 503),
  },
} as const;

const fateSchema = {
  summary:
    'The fate of the append at (partition, offset) of a first-writer-wins source: applied, rejected (with the reason and versions), dead_lettered (never checked), or pending (202) while its owner has not read it.',
  params: {
    type: 'object',
    required: ['source', 'partition', 'offset'],
    properties: {
      source,
      partition: { type: 'integer', minimum: 0, maximum: 1_000_000 },
      offset: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
    },
  },
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: { timeoutMs: timeoutMs('for the owner to read the append before answering 202 pending') },
  },
  response: {
    200: {
      type: 'object',
      required: ['source', 'partition', 'offset', 'status'],
      properties: {
        source: { type: 'string' },
        partition: { type: 'integer' },
        offset: { type: 'integer' },
        status: { type: 'string', enum: ['applied', 'rejected', 'dead_lettered'] },
        key: { description: 'Rejected: the entity key (as in the rejections topic).' },
        reason: { type: 'string', description: 'Rejected, dead_lettered: why.' },
        kind: {
          type: 'string',
          description: 'Dead_lettered: the dead letter kind (the event never reached the version check).',
        },
        expected: { type: 'integer', description: 'Rejected: the version the event had to carry.' },
        actual: { description: 'Rejected: the version it carried (null when none).' },
        t: { type: 'integer', description: 'Rejected: the event time (ms).' },
      },
    },
    202: {
      type: 'object',
      required: ['source', 'partition', 'offset', 'status', 'position'],
      properties: {
        source: { type: 'string' },
        partition: { type: 'integer' },
        offset: { type: 'integer' },
        status: { type: 'string', enum: ['pending'] },
        position: { type: 'integer', description: 'Next offset the owner will read.' },
      },
    },
    ...errorCodes(400, 401, 404, 410, 503),
  },
} as const;

export function writerRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get<{
    Params: { source: string; key: string };
    Querystring: { minOffset?: string[]; timeoutMs?: number };
  }>('/sources/:source/versions/:key', { schema: versionSchema }, async (request, reply) => {
    const { key } = request.params;
    const writer = writerSourceOf(ctx, request.params.source);
    const q = request.query;
    const waitMs = q.timeoutMs ?? ctx.defaultWaitMs;
    const mins = parseMinOffsets(q.minOffset);
    if (mins.length > 0 && writer.reKeyed)
      throw errors.badRequest(
        'minOffset does not apply to a re-keyed source (partitioning: repartition): its events are checked after the repartition topic',
      );
    const owner = writer.owner(partitionOfKey(key, writer.partitions));
    for (const m of mins)
      if (m.partition !== owner.partition)
        throw errors.badRequest(`invalid minOffset: this key lives in partition ${owner.partition}`);
    if (!owner.local) return answerFromOwner(ctx, request, reply, owner, waitMs);
    // A restoring partition answers at once, not after the freshness wait.
    if (writer.version(key) === RESTORING) throw errors.restoring();
    const offset = Math.max(-1, ...mins.map((m) => m.offset));
    if (offset >= 0 && !(await writer.waitFor(owner.partition, offset, waitMs))) throw errors.notFresh();
    const version = writer.version(key);
    if (version === RESTORING) throw errors.restoring();
    const position = writer.position(owner.partition);
    if (version === undefined || position === undefined)
      throw errors.unavailable('the owner of this key is changing (rebalance); retry');
    return { source: writer.source, key, version, partition: owner.partition, position };
  });

  app.get<{
    Params: { source: string; partition: number; offset: number };
    Querystring: { timeoutMs?: number };
  }>('/sources/:source/appends/:partition/:offset', { schema: fateSchema }, async (request, reply) => {
    const { partition, offset } = request.params;
    const writer = writerSourceOf(ctx, request.params.source);
    if (writer.reKeyed)
      throw errors.badRequest(
        'this source is re-keyed (partitioning: repartition): its appends are checked by their position in the repartition topic, read its rejections topic instead',
      );
    if (partition >= writer.partitions)
      throw errors.badRequest(`no such partition: the source has ${writer.partitions}`);
    const owner = writer.owner(partition);
    const waitMs = request.query.timeoutMs ?? ctx.defaultWaitMs;
    if (!owner.local) return answerFromOwner(ctx, request, reply, owner, waitMs, 'partition');
    let fate = writer.fate(partition, offset);
    if (fate !== RESTORING && fate?.status === 'pending' && waitMs > 0) {
      await writer.waitFor(partition, offset, waitMs);
      fate = writer.fate(partition, offset);
    }
    if (fate === RESTORING) throw errors.restoring();
    const position = writer.position(partition);
    if (fate === undefined || position === undefined)
      throw errors.unavailable('the owner of this partition is changing (rebalance); retry');
    const at = { source: writer.source, partition, offset };
    switch (fate.status) {
      case 'pending':
        return reply
          .code(202)
          .header('retry-after', '1')
          .send({ ...at, status: 'pending', position });
      case 'applied':
        return { ...at, status: 'applied' };
      case 'rejected':
        return { ...at, status: 'rejected', ...fate.rejection };
      case 'dead_lettered':
        return {
          ...at,
          status: 'dead_lettered',
          kind: fate.kind,
          reason: 'the event could not be read or checked: it is in the dead-letter topic, not applied',
        };
      case 'forgotten':
        throw new HttpError(
          410,
          'older_than_horizon',
          `this append is older than the rejections the owner remembers (the last ${DEFAULT_REJECTED_APPENDS_HORIZON} per partition; appends up to offset ${fate.forgottenUpTo} may have been rejected): read the rejections topic`,
        );
    }
  });
}

/** The writer source named in the path: 404 for no source, 400 for one without first-writer-wins. */
function writerSourceOf(ctx: RouteContext, name: string): WriterSource {
  const writer = ctx.source.writerSource?.(name);
  if (writer === undefined) throw new HttpError(404, 'unknown_source', 'no source with this name');
  if (writer === NOT_FIRST_WRITER_WINS)
    throw errors.badRequest(
      'this source does not declare conflicts: first-writer-wins (and entityVersion): it keeps no versions to answer with',
    );
  return writer;
}
