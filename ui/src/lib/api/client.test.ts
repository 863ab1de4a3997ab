import { describe, expect, it } from 'vitest';
import { ApiError, errorMessage, formatError, toErrorBody, unwrap } from './client';

describe('formatError', () => {
  it('puts the detail first and each problem with its path on its own line', () => {
    const msg = formatError({
      detail: 'the tool is invalid',
      code: 'invalid',
      problems: [
        { path: 'name', message: 'must not be empty' },
        { path: 'parameters[0].type', message: 'unknown type' },
      ],
    });
    expect(msg).toBe('the tool is invalid\nname: must not be empty\nparameters[0].type: unknown type');
  });

  it('handles a body without problems and a missing body', () => {
    expect(formatError({ detail: 'not found', code: 'not_found' })).toBe('not found');
    expect(formatError({ detail: 'x', code: 'invalid', problems: null })).toBe('x');
    expect(formatError(undefined)).toBe('The request failed.');
  });
});

describe('unwrap', () => {
  const response = (status: number, statusText = '') => new Response(null, { status, statusText });

  it('returns the data of a successful call', async () => {
    await expect(unwrap(Promise.resolve({ data: { ok: true }, response: response(200) }))).resolves.toEqual({ ok: true });
  });

  it('throws an ApiError carrying status, detail and problems', async () => {
    const error = { detail: 'invalid', problems: [{ path: 'port', message: 'too big' }] };
    const err = await unwrap(Promise.resolve({ error, response: response(422) })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(422);
    expect((err as ApiError).problems).toEqual([{ path: 'port', message: 'too big' }]);
    expect(errorMessage(err)).toBe('invalid\nport: too big');
  });

  it('turns a network failure into a readable error', async () => {
    const err = await unwrap(Promise.reject(new TypeError('Failed to fetch'))).catch((e: unknown) => e);
    expect(errorMessage(err)).toBe('Cannot reach the server: Failed to fetch');
  });
});

describe('toErrorBody', () => {
  it('falls back to the status line when the body is not our error shape', () => {
    expect(toErrorBody(undefined, new Response(null, { status: 502, statusText: 'Bad Gateway' }))).toEqual({
      detail: '502 Bad Gateway',
      code: 'http_error',
    });
    expect(toErrorBody('upstream down', new Response(null, { status: 502 }))).toEqual({
      detail: 'upstream down',
      code: 'http_error',
    });
  });
});
