// What one scenario's runs share: the broker clients, the input, and how a run's request, topics and names
// are made (fresh application id, output topic and state directory per run).
import type { Kafka } from 'kafkajs';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Contender, RunRequest } from './contenders/contender.ts';
import type { Dataset } from './datasets.ts';
import type { BenchOptions } from './run.ts';
import { PARTITIONS, type Scenario } from './scenarios.ts';

export interface ScenarioContext {
  o: BenchOptions;
  kafka: Kafka;
  admin: ReturnType<Kafka['admin']>;
  dataset: Dataset;
  scenario: Scenario;
  inputs: string[];
  tag: string;
}

export const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-');

export function request(ctx: ScenarioContext, _c: Contender, name: string): RunRequest {
  const runDir = join(ctx.o.workDir, name);
  mkdirSync(runDir, { recursive: true });
  return {
    workload: ctx.scenario.workload,
    exactlyOnce: ctx.scenario.exactlyOnce,
    appId: `bench-${ctx.tag}-${name}`,
    brokers: ctx.o.brokers,
    inputs: ctx.inputs,
    output: `bench-${ctx.tag}-${name}-out`,
    stateDir: join(runDir, 'state'),
    runDir,
    partitions: PARTITIONS,
    expectRestore: false,
    ...(ctx.scenario.stateMemory ? { stateMemory: ctx.scenario.stateMemory } : {}),
  };
}

export async function createOutput(ctx: ScenarioContext, c: Contender, req: RunRequest): Promise<void> {
  if (c.name === 'raw kafkajs') return;
  await ctx.admin.createTopics({
    waitForLeaders: true,
    topics: [
      {
        topic: req.output,
        numPartitions: PARTITIONS,
        replicationFactor: 1,
        configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
      },
    ],
  });
}
