// The sample event generator for the example shop: a pure seeded simulation (tests, benchmarks)
// and a producer that writes it to Kafka (`streamfold generate`).
export {
  DEFAULT_START_TIME,
  DEFAULT_TOPICS,
  type GeneratedEvent,
  generateEvents,
  ShopSimulator,
  type ShopOptions,
  type ShopTopics,
} from './shop.ts';
export {
  ensureSourceTopics,
  type ProduceShopOptions,
  type ProduceShopResult,
  produceShopEvents,
} from './produce.ts';
export { resolveShopTopics } from './topics.ts';
