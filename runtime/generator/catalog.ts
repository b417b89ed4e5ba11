// Names, tiers and products for the sample shop. Prices are multiples of 0.25 so that totals and
// balances add up exactly in binary doubles and tests can compare them with ===.

export const FIRST_NAMES = [
  'Ann',
  'Bob',
  'Cy',
  'Dana',
  'Eli',
  'Fay',
  'Gus',
  'Hana',
  'Ivo',
  'Jun',
  'Kai',
  'Lea',
  'Max',
  'Nia',
  'Oto',
  'Pia',
  'Quin',
  'Rae',
  'Sam',
  'Tove',
] as const;

export const LAST_NAMES = [
  'Lee',
  'Berg',
  'Costa',
  'Diaz',
  'Egan',
  'Ford',
  'Gray',
  'Holm',
  'Ito',
  'Jones',
  'Kim',
  'Lund',
  'Moss',
  'Nagy',
  'Ortiz',
  'Park',
  'Reyes',
  'Stone',
  'Tan',
  'Vega',
] as const;

export const TIERS = ['bronze', 'silver', 'gold', 'platinum'] as const;

export const PRODUCTS: ReadonlyArray<{ sku: string; price: number }> = [
  { sku: 'tea', price: 4.5 },
  { sku: 'coffee', price: 9.75 },
  { sku: 'cup', price: 3.25 },
  { sku: 'pot', price: 24 },
  { sku: 'jam', price: 5.5 },
  { sku: 'bun', price: 1.25 },
  { sku: 'honey', price: 7.75 },
  { sku: 'kettle', price: 39.5 },
  { sku: 'spoon', price: 2 },
  { sku: 'tray', price: 12.25 },
  { sku: 'napkins', price: 2.75 },
  { sku: 'biscuits', price: 3.5 },
];
