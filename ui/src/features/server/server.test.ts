import { describe, expect, it } from 'vitest';
import { fillToken, vscodeInstallUrl } from './connect';
import { fromRows, newRow, toRows } from './variables';
import type { ConnectInfo } from './api';

describe('global variable rows', () => {
  it('round-trip typed scalars, sorted by name', () => {
    const rows = toRows({ rate: 0.2, currency: 'EUR', max: 5, beta: true });
    expect(rows.map((r) => [r.name, r.type, r.value])).toEqual([
      ['beta', 'boolean', 'true'], ['currency', 'string', 'EUR'], ['max', 'integer', '5'], ['rate', 'number', '0.2'],
    ]);
    expect(fromRows(rows)).toEqual({ vars: { beta: true, currency: 'EUR', max: 5, rate: 0.2 }, problems: new Map() });
  });

  it('keep the chosen type: "42" as a string stays a string', () => {
    expect(fromRows([newRow('code', 'string', '42')]).vars).toEqual({ code: '42' });
  });

  it('report bad values, missing names and duplicates per row; skip empty rows', () => {
    const rows = [newRow('n', 'integer', '1.5'), newRow('', 'string', 'x'), newRow('a', 'number', 'abc'),
      newRow('n', 'string', 'y'), newRow('', 'string', '')] as const;
    const { vars, problems } = fromRows(rows);
    expect(vars).toEqual({});
    expect([...problems.entries()]).toEqual([
      [rows[0].key, 'must be a whole number'], [rows[1].key, 'give the variable a name'],
      [rows[2].key, 'must be a number such as 0.2'], [rows[3].key, 'n is already defined above'],
    ]);
  });
});

const info = (auth_mode: 'none' | 'bearer'): ConnectInfo => ({
  url: 'https://mcp.example.com/mcp', name: 'sales-db', auth_mode, clients: [],
  token_placeholder: auth_mode === 'bearer' ? '<YOUR_TOKEN>' : null,
});

describe('client configs', () => {
  it('fill a fresh token into every placeholder', () => {
    expect(fillToken('a <YOUR_TOKEN> b <YOUR_TOKEN>', '<YOUR_TOKEN>', 'qry_1')).toBe('a qry_1 b qry_1');
    expect(fillToken('a <YOUR_TOKEN>', '<YOUR_TOKEN>', null)).toBe('a <YOUR_TOKEN>');
  });

  it('build the VS Code install link as a vscode: URL with the encoded server JSON', () => {
    const open = vscodeInstallUrl(info('none'), null);
    expect(open.startsWith('vscode:mcp/install?')).toBe(true);
    expect(JSON.parse(decodeURIComponent(open.slice('vscode:mcp/install?'.length))))
      .toEqual({ name: 'sales-db', type: 'http', url: 'https://mcp.example.com/mcp' });
    const prompt = JSON.parse(decodeURIComponent(vscodeInstallUrl(info('bearer'), null).split('?')[1] ?? ''));
    expect(prompt.headers).toEqual({ Authorization: 'Bearer ${input:quarry-token}' });
    expect(prompt.inputs[0].id).toBe('quarry-token');
    const filled = JSON.parse(decodeURIComponent(vscodeInstallUrl(info('bearer'), 'qry_1').split('?')[1] ?? ''));
    expect(filled).toEqual({ name: 'sales-db', type: 'http', url: 'https://mcp.example.com/mcp',
      headers: { Authorization: 'Bearer qry_1' } });
  });
});
