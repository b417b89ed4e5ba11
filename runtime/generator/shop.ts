// A seeded simulation of the example shop (projections.yaml): customers, accounts and orders live
// and die, and every step emits the one domain event that changed them. Events only ever refer to
// entities that exist at that moment (no deposit before AccountCreated, no item added to a
// cancelled order, no order placed for a deleted customer), so every projection sees a sane history.
import { FIRST_NAMES, LAST_NAMES, PRODUCTS, TIERS } from './catalog.ts';
import { LiveSet } from './live-set.ts';
import { hashSeed, Random } from './random.ts';

/** One record to produce: JSON value keyed by the entity id. */
export interface GeneratedEvent {
  topic: string;
  key: string;
  timestamp: number;
  value: { eventType: string; eventId: string; timestamp: number; [field: string]: unknown };
}

export interface ShopTopics {
  accounts: string;
  orders: string;
  customers: string;
}

export const DEFAULT_TOPICS: ShopTopics = {
  accounts: 'account-events',
  orders: 'order-events',
  customers: 'customer-events',
};

export interface ShopOptions {
  topics?: Partial<ShopTopics>;
  /** Timestamp of the first event; default 2026-01-01T00:00:00Z (a constant keeps the output seed-only). */
  startTime?: number;
  /** Mean gap between event timestamps in ms (uniform in [1, 2·mean]); default 1000. */
  meanGapMs?: number;
  /** Live entities of each kind the population hovers around; default 200. */
  population?: number;
}

export const DEFAULT_START_TIME = Date.UTC(2026, 0, 1);

interface Customer {
  id: string;
  name: string;
  tier: string;
}
interface Account {
  id: string;
  balance: number;
}
interface Order {
  id: string;
  customerId: string;
  items: Array<{ sku: string; price: number }>;
}

type Step = () => Omit<GeneratedEvent, 'timestamp' | 'value'> & {
  value: Record<string, unknown> & { eventType: string };
};

export class ShopSimulator {
  private readonly random: Random;
  private readonly topics: ShopTopics;
  private readonly meanGapMs: number;
  private readonly population: number;
  /** Part of every id, so that runs with different seeds do not share entity or event ids. */
  private readonly tag: string;
  private time: number;
  private seq = 0;
  private readonly counters = { customer: 0, account: 0, order: 0 };
  private readonly customers = new LiveSet<Customer>();
  private readonly accounts = new LiveSet<Account>();
  private readonly orders = new LiveSet<Order>();

  constructor(seed: string | number, options: ShopOptions = {}) {
    this.random = new Random(seed);
    this.topics = { ...DEFAULT_TOPICS, ...options.topics };
    this.meanGapMs = options.meanGapMs ?? 1000;
    this.population = Math.max(1, options.population ?? 200);
    this.time = options.startTime ?? DEFAULT_START_TIME;
    this.tag = idTag(seed);
  }

  /** Produces the next event. The first is at startTime; later ones are spaced by random gaps. */
  next(): GeneratedEvent {
    if (this.seq > 0) this.time += this.random.int(1, Math.max(1, Math.round(2 * this.meanGapMs) - 1));
    const steps = this.steps();
    const i = this.random.weighted(steps.map(([w]) => w));
    // Customer registration always has weight > 0 while the population is below its cap, and
    // a full population always allows deletions: some step is always possible.
    const [, step] = steps[i] as [number, Step];
    const { topic, key, value } = step();
    this.seq++;
    const { eventType, ...fields } = value;
    // Field order as in the fixtures: eventType, eventId, timestamp, the entity id, the rest.
    const eventId = `${this.tag}-e${this.seq}`;
    return {
      topic,
      key,
      timestamp: this.time,
      value: { eventType, eventId, timestamp: this.time, ...fields },
    };
  }

  /** Every possible step now, weighted: creations slow down and removals speed up near the cap. */
  private steps(): Array<[number, Step]> {
    const c = this.customers.size;
    const a = this.accounts.size;
    const o = this.orders.size;
    const grow = (n: number) => Math.max(0, 1 - n / (2 * this.population));
    const shrink = (n: number) => n / this.population;
    return [
      [8 * grow(c) + (c === 0 ? 1 : 0), () => this.registerCustomer()],
      [c > 0 ? 2 : 0, () => this.renameCustomer()],
      [c > 0 ? 2 : 0, () => this.changeTier()],
      [c > 1 ? shrink(c) : 0, () => this.deleteCustomer()],
      [8 * grow(a), () => this.createAccount()],
      [a > 0 ? 20 : 0, () => this.deposit()],
      [a > 0 && this.hasFunds() ? 12 : 0, () => this.withdraw()],
      [a > 0 ? 2 * shrink(a) : 0, () => this.closeAccount()],
      [c > 0 ? 15 * grow(o) : 0, () => this.placeOrder()],
      [o > 0 ? 8 : 0, () => this.addItem()],
      [o > 0 ? 5 : 0, () => this.removeItem()],
      [o > 0 && c > 1 ? 2 : 0, () => this.reassignOrder()],
      [o > 0 ? 3 * shrink(o) : 0, () => this.cancelOrder()],
    ];
  }

  private name(): string {
    return `${this.random.pick(FIRST_NAMES)} ${this.random.pick(LAST_NAMES)}`;
  }

  private registerCustomer() {
    const customer = {
      id: `c-${this.tag}-${++this.counters.customer}`,
      name: this.name(),
      tier: this.random.pick(TIERS),
    };
    this.customers.add(customer);
    return this.customerEvent(customer.id, {
      eventType: 'CustomerRegistered',
      name: customer.name,
      tier: customer.tier,
    });
  }

  private renameCustomer() {
    const customer = this.customers.pick(this.random) as Customer;
    customer.name = this.name();
    return this.customerEvent(customer.id, { eventType: 'CustomerRenamed', name: customer.name });
  }

  private changeTier() {
    const customer = this.customers.pick(this.random) as Customer;
    customer.tier = this.random.pick(TIERS.filter((t) => t !== customer.tier));
    return this.customerEvent(customer.id, { eventType: 'CustomerTierChanged', tier: customer.tier });
  }

  // Orders of a deleted customer stay: the left join then shows them with a null name.
  private deleteCustomer() {
    const customer = this.customers.pick(this.random) as Customer;
    this.customers.remove(customer.id);
    return this.customerEvent(customer.id, { eventType: 'CustomerDeleted' });
  }

  private createAccount() {
    const account = { id: `a-${this.tag}-${++this.counters.account}`, balance: 0 };
    this.accounts.add(account);
    // The owner is usually an existing customer's name, sometimes someone the shop does not know.
    const owner =
      this.customers.size > 0 && this.random.next() < 0.8
        ? (this.customers.pick(this.random) as Customer).name
        : this.name();
    return this.accountEvent(account.id, { eventType: 'AccountCreated', owner });
  }

  private deposit() {
    const account = this.accounts.pick(this.random) as Account;
    const amount = this.random.amount(5, 500);
    account.balance += amount;
    return this.accountEvent(account.id, { eventType: 'MoneyDeposited', amount });
  }

  private hasFunds(): boolean {
    // A few tries are enough: withdrawal just gets less likely while most accounts are empty.
    for (let i = 0; i < 3; i++) if ((this.accounts.pick(this.random)?.balance ?? 0) > 0) return true;
    return false;
  }

  // Never below zero: a bank that lets balances go negative would confuse the reader of the demo.
  private withdraw() {
    let account = this.accounts.pick(this.random) as Account;
    for (let i = 0; i < 20 && account.balance <= 0; i++) account = this.accounts.pick(this.random) as Account;
    if (account.balance <= 0) return this.deposit();
    const amount = Math.min(account.balance, this.random.amount(1, 300));
    account.balance -= amount;
    return this.accountEvent(account.id, { eventType: 'MoneyWithdrawn', amount });
  }

  private closeAccount() {
    const account = this.accounts.pick(this.random) as Account;
    this.accounts.remove(account.id);
    return this.accountEvent(account.id, { eventType: 'AccountClosed' });
  }

  private placeOrder() {
    const customer = this.customers.pick(this.random) as Customer;
    const items = Array.from({ length: this.random.int(1, 4) }, () => ({ ...this.random.pick(PRODUCTS) }));
    const order = { id: `o-${this.tag}-${++this.counters.order}`, customerId: customer.id, items };
    this.orders.add(order);
    return this.orderEvent(order.id, {
      eventType: 'OrderPlaced',
      customerId: customer.id,
      items: items.map((i) => ({ ...i })),
    });
  }

  private addItem() {
    const order = this.orders.pick(this.random) as Order;
    const item = { ...this.random.pick(PRODUCTS) };
    order.items.push(item);
    return this.orderEvent(order.id, { eventType: 'ItemAdded', ...item });
  }

  // Only an item the order holds, and never its last one.
  private removeItem() {
    const order = this.orders.pick(this.random) as Order;
    if (order.items.length < 2) return this.addItem();
    const [item] = order.items.splice(this.random.int(0, order.items.length - 1), 1);
    return this.orderEvent(order.id, { eventType: 'ItemRemoved', ...(item as Order['items'][number]) });
  }

  private reassignOrder() {
    const order = this.orders.pick(this.random) as Order;
    const to = this.customers.pickOther(this.random, order.customerId) as Customer;
    order.customerId = to.id;
    return this.orderEvent(order.id, { eventType: 'OrderReassigned', customerId: to.id });
  }

  private cancelOrder() {
    const order = this.orders.pick(this.random) as Order;
    this.orders.remove(order.id);
    return this.orderEvent(order.id, { eventType: 'OrderCancelled' });
  }

  private customerEvent(customerId: string, fields: { eventType: string } & Record<string, unknown>) {
    return { topic: this.topics.customers, key: customerId, value: { customerId, ...fields } };
  }

  private accountEvent(accountId: string, fields: { eventType: string } & Record<string, unknown>) {
    return { topic: this.topics.accounts, key: accountId, value: { accountId, ...fields } };
  }

  private orderEvent(orderId: string, fields: { eventType: string } & Record<string, unknown>) {
    return { topic: this.topics.orders, key: orderId, value: { orderId, ...fields } };
  }
}

/** The seed itself when it is short and alphanumeric, else a readable prefix plus its hash. */
function idTag(seed: string | number): string {
  const text = String(seed);
  if (/^[A-Za-z0-9]{1,12}$/.test(text)) return text;
  return `${text.replace(/[^A-Za-z0-9]/g, '').slice(0, 6)}x${hashSeed(text).toString(36)}`;
}

/** The first `count` events of the shop simulation for `seed`: same seed and options, same events. */
export function generateEvents(
  seed: string | number,
  count: number,
  options: ShopOptions = {},
): GeneratedEvent[] {
  const sim = new ShopSimulator(seed, options);
  return Array.from({ length: count }, () => sim.next());
}
