// Expression micro-benchmark: compiled once, evaluated many times against one row.
// Run: node --import tsx bench/expressions.ts   (prints evals/s; not a test, nothing asserted)
import { compileExpression } from '../projections/expressions/index.ts';

const row = {
  amount: 150.5,
  status: 'PAID',
  qty: 3,
  customer: { tier: 'gold' },
  items: [
    { price: 2.5, qty: 2 },
    { price: 1, qty: 3 },
    { price: 7.25, qty: 1 },
  ],
};

const cases: [string, string][] = [
  ['filter', 'amount > 100 && status == "PAID" && customer.tier == "gold"'],
  ['value', 'amount * qty'],
  ['value (literal)', 'amount * 2'],
  ['field path', 'customer.tier'],
  ['list sum', 'items.map(i, i.price * i.qty).sum()'],
];

const N = Number(process.env.N ?? 300_000);
for (const [name, src] of cases) {
  const e = compileExpression(src);
  let sink: unknown;
  for (let i = 0; i < 20_000; i++) sink = e.evaluate(row); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < N; i++) sink = e.evaluate(row);
  const ms = performance.now() - t0;
  const rate = Math.round((N / ms) * 1000);
  console.log(
    `${name.padEnd(16)} ${rate.toLocaleString('en-US').padStart(12)} evals/s   ${src}  → ${JSON.stringify(sink)}`,
  );
}
