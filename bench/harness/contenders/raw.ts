// The raw ceiling: bench/raw/consume.ts, a kafkajs consumer that only reads and JSON-decodes the input.
import { join } from 'node:path';
import { benchNode } from '../node.ts';
import { spawnMeasured } from '../process.ts';
import { type Contender, eventLine, firstLine, type Launched, type RunRequest } from './contender.ts';

const script = new URL('../../raw/consume.ts', import.meta.url).pathname;
const root = new URL('../../../', import.meta.url).pathname;

export function rawCeiling(): Contender {
  return {
    name: 'raw kafkajs',
    supports: () => true,
    prepare: async () => undefined,
    launch(req: RunRequest): Launched {
      const proc = spawnMeasured(
        benchNode(),
        ['--import', 'tsx', script, req.brokers.join(','), req.appId, ...req.inputs],
        // cwd: the project, where `--import tsx` resolves
        { cwd: root, logFile: join(req.runDir, 'raw.log') },
      );
      const ready = firstLine(proc, (line) => (eventLine(line)?.event === 'running' ? {} : undefined));
      return { proc, groupId: req.appId, outputs: [], ready };
    },
    settings: () => ({
      what: 'kafkajs consumer, eachBatch, JSON.parse of every value, nothing else',
      commits: 'every 100 ms (commitOffsets), like streamfold',
      'consumer options':
        'kafkajs defaults (maxBytesPerPartition 1 MiB, maxBytes 10 MiB, minBytes 1, maxWaitTimeInMs 5000)',
    }),
  };
}
