import { describe, expect, it } from 'vitest';
import { backoff, logsUrl, sortableAt } from './useLogStream';

describe('log stream helpers', () => {
  it('connects to the same origin, wss under https', () => {
    expect(logsUrl({ protocol: 'http:', host: 'localhost:3000' })).toBe('ws://localhost:3000/api/v1/deploy/logs');
    expect(logsUrl({ protocol: 'https:', host: 'q.example' })).toBe('wss://q.example/api/v1/deploy/logs');
  });

  it('backs off by doubling up to 30 seconds', () => {
    expect([1, 2, 3, 6, 20].map(backoff)).toEqual([1000, 2000, 4000, 30_000, 30_000]);
  });

  it('compares times with different fraction lengths in order', () => {
    expect(sortableAt('2026-01-01T00:00:00.123Z') > sortableAt('2026-01-01T00:00:00.123456Z')).toBe(false);
    expect(sortableAt('2026-01-01T00:00:01Z')).toBe('2026-01-01T00:00:01.000000000Z');
  });
});
