import { describe, expect, it } from 'vitest';
import { problemTarget } from './problemLinks';

describe('problemTarget', () => {
  it('reads entity paths', () => {
    expect(problemTarget('tools.orders_by_customer.sql')).toEqual({ kind: 'tool', name: 'orders_by_customer', field: 'sql' });
    expect(problemTarget('connections.warehouse.password')).toEqual({ kind: 'connection', name: 'warehouse', field: 'password' });
    expect(problemTarget('resources.docs')).toEqual({ kind: 'resource', name: 'docs', field: '' });
  });

  it('reads server settings and nested fields', () => {
    expect(problemTarget('server.auth_mode')).toEqual({ kind: 'server', name: '', field: 'auth_mode' });
    expect(problemTarget('auth.tokens')).toEqual({ kind: 'server', name: '', field: 'auth.tokens' });
    expect(problemTarget('connections.w.extra_params.x')).toEqual({ kind: 'connection', name: 'w', field: 'extra_params.x' });
  });

  it('gives up on paths that name nothing', () => {
    expect(problemTarget('')).toBeNull();
    expect(problemTarget('release')).toBeNull();
    expect(problemTarget('tools.')).toBeNull();
  });
});
