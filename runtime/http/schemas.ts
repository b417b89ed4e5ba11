// JSON schemas of every parameter and response. Fastify validates requests with them (Ajv) and
// serialises responses with them; openapi.ts turns them into the OpenAPI document.

export const MAX_KEY_LENGTH = 4096;
export const MAX_PAGE = 1000;
export const MAX_WAIT_MS = 60_000;

const name = {
  type: 'string',
  // `-v<n>`: a specific version (docs/versions.md); `name@n` and `?version=n` are rewritten to it.
  pattern: '^[A-Za-z_][A-Za-z0-9_]*(-v[1-9][0-9]*)?$',
  maxLength: 128,
  description: 'Projection name, as declared in the YAML definition; `name@n` or `name-v<n>` for version n.',
} as const;

export const encodedKey = {
  type: 'string',
  maxLength: MAX_KEY_LENGTH,
  description:
    'The encoded key, URL-encoded: a string key as it is; any other key (number, boolean, composite object) as canonical JSON (fields sorted, no spaces), e.g. %7B%22customerId%22%3A%22c1%22%2C%22day%22%3A3%7D for {"customerId":"c1","day":3}.',
} as const;

const freshness = {
  minOffset: {
    type: 'array',
    maxItems: 64,
    items: { type: 'string', maxLength: 1200 },
    description:
      'Repeatable `<partition>:<offset>` (or a comma-separated list): answer only once that input partition has processed the record at that offset.',
  },
  maxLagMs: {
    type: 'integer',
    minimum: 0,
    maximum: 86_400_000,
    description: 'Answer only once the partitions read are at most this many ms behind their input.',
  },
  timeoutMs: {
    type: 'integer',
    minimum: 0,
    maximum: MAX_WAIT_MS,
    description: 'How long to wait for minOffset/maxLagMs before answering 503 (default 5000).',
  },
} as const;

export const error = {
  type: 'object',
  required: ['error', 'reason'],
  properties: { error: { type: 'string' }, reason: { type: 'string' } },
} as const;

const partitionStatus = {
  type: 'object',
  required: ['partition', 'position', 'status'],
  properties: {
    partition: { type: 'integer' },
    position: { type: 'integer', description: 'Next input offset to process.' },
    endOffset: { type: 'integer' },
    lag: { type: 'integer', description: 'Records behind the end of the input partition.' },
    lagMs: { type: 'integer', description: 'Milliseconds since the partition was last caught up.' },
    status: { type: 'string', enum: ['restoring', 'running'] },
    restore: {
      type: 'object',
      properties: { restored: { type: 'integer' }, total: { type: 'integer' } },
    },
  },
} as const;

const projectionStatus = {
  type: 'object',
  required: ['name', 'kind', 'queryable', 'status', 'partitions', 'rows'],
  properties: {
    name: { type: 'string' },
    kind: { type: 'string', enum: ['stream', 'table'] },
    queryable: { type: 'boolean' },
    status: { type: 'string', enum: ['restoring', 'running'] },
    partitions: { type: 'array', items: partitionStatus, description: 'Partitions owned by this instance.' },
    rows: { type: 'integer', description: 'Rows held by this instance (windowed: one per key and window).' },
    window: {
      type: 'object',
      description: 'Windowed aggregates: the window, in ms (retention: how long windows stay in the store).',
      properties: {
        type: { type: 'string', enum: ['tumbling', 'hopping', 'session'] },
        emit: { type: 'string', enum: ['changes', 'final'] },
        ...Object.fromEntries(
          ['sizeMs', 'advanceMs', 'gapMs', 'graceMs', 'retentionMs'].map((k) => [k, { type: 'integer' }]),
        ),
      },
    },
    standbys: {
      type: 'array',
      description: 'Standby copies of other instances’ partitions kept here (standby replicas).',
      items: {
        type: 'object',
        required: ['partition', 'warmup'],
        properties: {
          partition: { type: 'integer' },
          lag: { type: 'integer', description: 'Changelog records behind at its latest catch-up round.' },
          lagMs: { type: 'integer', description: 'Milliseconds since it was last caught up.' },
          warmup: { type: 'boolean', description: 'Its task moves here once it is caught up.' },
        },
      },
    },
  },
} as const;

const row = {
  type: 'object',
  required: ['key', 'value', 'partition'],
  properties: {
    key: { type: 'string', description: 'The encoded key.' },
    value: { description: 'The row, as the projection emits it.' },
    partition: { type: 'integer' },
    offset: { type: 'integer', description: 'Input offset of the record that last changed the row.' },
    updatedAt: { type: 'integer', description: 'Event time (ms since the epoch) of that record.' },
    windowStart: { type: 'integer', description: "Windowed projections: start of the row's window (ms)." },
    windowEnd: {
      type: 'integer',
      description:
        'Windowed projections: end of the window (ms; exclusive for time windows, the last record time for sessions).',
    },
    standby: { type: 'boolean', description: 'Read from a standby copy (allowStandby).' },
    stalenessMs: { type: 'integer', description: 'How long ago that standby copy was last caught up.' },
  },
} as const;

const windowRow = {
  type: 'object',
  required: ['windowStart', 'windowEnd', 'value'],
  properties: {
    windowStart: row.properties.windowStart,
    windowEnd: row.properties.windowEnd,
    value: row.properties.value,
    offset: row.properties.offset,
    updatedAt: row.properties.updatedAt,
  },
} as const;

/** A key's row, or for a windowed projection its windows. */
const keyAnswer = {
  type: 'object',
  required: ['key', 'partition'],
  properties: {
    key: row.properties.key,
    value: row.properties.value,
    partition: row.properties.partition,
    offset: row.properties.offset,
    updatedAt: row.properties.updatedAt,
    standby: row.properties.standby,
    stalenessMs: row.properties.stalenessMs,
    windows: {
      type: 'array',
      items: windowRow,
      description: "Windowed projections: the key's windows in the range, by window start.",
    },
    next: {
      type: ['integer', 'null'],
      description:
        'Windowed projections: the start of the first window left out (pass it as `from`), or null.',
    },
  },
} as const;

const windowBound = (which: string) => ({
  type: 'string',
  maxLength: 64,
  description: `Windowed projections only: windows whose start is ${which} (ms since the epoch, or ISO-8601 with a zone).`,
});

/** /healthz and /readyz: `{status, reason?, restoring?}` from the runtime, or the error shape. */
const healthBody = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['ok', 'ready', 'failed', 'not_ready'] },
    reason: { type: 'string' },
    restoring: { type: 'array', items: { type: ['integer', 'string'] }, description: 'Tasks restoring.' },
    error: { type: 'string' },
  },
} as const;

const errors = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, error]));

const query = (properties: Record<string, unknown>) => ({
  type: 'object',
  additionalProperties: false,
  properties,
});

export const routeSchemas = {
  health: {
    summary: 'Liveness: the process works (503 after a fatal error: restart it).',
    response: { 200: healthBody, ...errors(401), 503: healthBody },
  },
  ready: {
    summary:
      'Readiness: started, tasks assigned by the group, and every assigned task has restored its state.',
    response: { 200: healthBody, ...errors(401), 503: healthBody },
  },
  projections: {
    summary: 'Every projection with its status on this instance.',
    response: {
      200: {
        type: 'object',
        properties: {
          projections: { type: 'array', items: projectionStatus },
          /** Materialized views in PostgreSQL (docs/views.md): table, lag, per-partition position and state. */
          views: { type: 'array', items: { type: 'object', additionalProperties: true } },
        },
      },
      ...errors(401),
    },
  },
  projection: {
    summary: 'One projection with its status on this instance.',
    params: { type: 'object', required: ['name'], properties: { name } },
    response: { 200: projectionStatus, ...errors(400, 401, 404) },
  },
  partition: {
    summary: "One partition's position and lag, answered by its owner; waits for minOffset/maxLagMs.",
    params: {
      type: 'object',
      required: ['name', 'partition'],
      properties: { name, partition: { type: 'integer', minimum: 0, maximum: 1_000_000 } },
    },
    querystring: query({ ...freshness }),
    response: { 200: partitionStatus, ...errors(400, 401, 404, 503) },
  },
  key: {
    summary:
      'The row of one key (now, or as of an event time), or the windows of a key of a windowed projection, answered by (or forwarded to) the owner of its partition.',
    params: { type: 'object', required: ['name', 'key'], properties: { name, key: encodedKey } },
    querystring: query({
      ...freshness,
      from: windowBound('≥ from'),
      to: windowBound('< to'),
      limit: {
        type: 'integer',
        minimum: 1,
        maximum: MAX_PAGE,
        description: 'Windowed projections only: at most this many windows (default 100).',
      },
      allowStandby: {
        type: 'boolean',
        description:
          'Answer from a standby copy of the partition kept on the instance asked, when it has one that was caught up at most maxLagMs ago (any age without maxLagMs); the answer then carries `standby: true` and `stalenessMs`. Without such a copy the owner answers as usual.',
      },
      asOf: {
        type: 'string',
        maxLength: 64,
        description:
          'Time travel: the row as of this event time, inclusive (ISO-8601 date, or date-time with a zone, e.g. 2026-01-31T12:00:00Z). `updatedAt` is then the event time of the version returned. Only for projections that declare `history`: others answer 400 no_history; a time before the retained history answers 410 history_trimmed; no row at that time answers 404.',
      },
    }),
    response: { 200: keyAnswer, ...errors(400, 401, 404, 410, 503) },
  },
  rows: {
    summary:
      'Rows in encoded-key order (UTF-8 bytes; windowed projections: by key, then window start), from every owner, one page at a time.',
    params: { type: 'object', required: ['name'], properties: { name } },
    querystring: query({
      prefix: { type: 'string', maxLength: MAX_KEY_LENGTH, description: 'Encoded keys starting with this.' },
      from: { type: 'string', maxLength: MAX_KEY_LENGTH, description: 'Encoded keys ≥ from.' },
      to: { type: 'string', maxLength: MAX_KEY_LENGTH, description: 'Encoded keys < to.' },
      limit: { type: 'integer', minimum: 1, maximum: MAX_PAGE, default: 100 },
      cursor: {
        type: 'string',
        maxLength: 3 * MAX_KEY_LENGTH * 2,
        description: 'The `next` value of the previous page.',
      },
      partitions: {
        type: 'string',
        pattern: '^[0-9]{1,7}(,[0-9]{1,7}){0,4095}$',
        description: 'Internal (fan-out): the partitions a forwarded scan covers.',
      },
      ...freshness,
    }),
    response: {
      200: {
        type: 'object',
        required: ['rows', 'next'],
        properties: {
          rows: { type: 'array', items: row },
          next: { type: ['string', 'null'], description: 'Cursor of the next page; null on the last page.' },
        },
      },
      ...errors(400, 401, 404, 503),
    },
  },
  admin: {
    summary: 'Reserved for admin commands; always needs the bearer token.',
    response: { ...errors(401, 403, 404) },
  },
} as const;
