import { describe, expect, it } from 'vitest';
import { tablesInUse } from './completion';

const known = [
  { name: 'customers', schema: 'main', kind: 'table' as const },
  { name: 'orders', schema: 'main', kind: 'table' as const },
];

describe('tablesInUse', () => {
  it('maps tables and their aliases after FROM and JOIN, ignoring case and unknown tables', () => {
    const used = tablesInUse('SELECT * FROM Customers c JOIN orders AS o ON o.customer_id = c.id JOIN nope n', known);
    expect(Object.fromEntries(used)).toEqual({ customers: 'customers', c: 'customers', orders: 'orders', o: 'orders' });
  });

  it('does not take a following keyword for an alias', () => {
    expect(Object.fromEntries(tablesInUse('SELECT * FROM orders WHERE id = :id', known))).toEqual({ orders: 'orders' });
  });
});
