// Which topics the generator writes: the definition's sources for accounts, orders and customers,
// found by the key field the shop's events carry, so a renamed source or topic still works.
import type { Definition } from '../../projections/definition/schema.ts';
import { DEFAULT_TOPICS, type ShopTopics } from './shop.ts';

const KEY_FIELDS: Record<keyof ShopTopics, string> = {
  accounts: 'accountId',
  orders: 'orderId',
  customers: 'customerId',
};

/**
 * The topic per shop entity: the stream source keyed by that entity's id field (`key: accountId`),
 * else the default topic. Throws when such a source expects a format the generator does not write.
 */
export function resolveShopTopics(definition: Pick<Definition, 'sources'> | undefined): ShopTopics {
  const topics = { ...DEFAULT_TOPICS };
  if (!definition) return topics;
  for (const entity of Object.keys(KEY_FIELDS) as Array<keyof ShopTopics>) {
    const match = Object.entries(definition.sources).find(
      ([, s]) => s.kind === 'stream' && s.key?.trim() === KEY_FIELDS[entity],
    );
    if (!match) continue;
    const [name, source] = match;
    if (source.format !== 'json')
      throw new Error(
        `source ${name}: the generator writes JSON events, but the source expects ${source.format}`,
      );
    topics[entity] = source.topic;
  }
  return topics;
}
