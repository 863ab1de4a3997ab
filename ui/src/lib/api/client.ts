// The one API client: typed by the schema generated from the server's OpenAPI
// document (`npm run gen:api`), talking to the same origin with the session cookie.
import createClient from 'openapi-fetch';
import type { components, paths } from './schema';

/**
 * Sent on every call: the server refuses state-changing requests that carry
 * neither a JSON body nor this header (a cross-site form can send neither).
 */
export const INTENT_HEADER = { 'X-Quarry-Request': '1' } as const;

export const api = createClient<paths>({ baseUrl: '/', credentials: 'same-origin', headers: INTENT_HEADER });

/** Component schemas by name, e.g. `Schema<'Tool'>`. */
export type Schema<Name extends keyof components['schemas']> = components['schemas'][Name];

export type ErrorBody = Schema<'ErrorBody'>;
export type Problem = Schema<'ProblemBody'>;

/** A failed API call: the HTTP status and the server's error body. */
export class ApiError extends Error {
  readonly status: number;
  readonly body: ErrorBody;

  constructor(status: number, body: ErrorBody) {
    super(formatError(body));
    this.name = 'ApiError';
    this.status = status;
    this.body = body;
  }

  /** Validation problems, one per field (422). */
  get problems(): Problem[] {
    return this.body.problems ?? [];
  }
}

/** Turns an error body into one readable message: the detail, then each problem on its own line. */
export function formatError(body: ErrorBody | null | undefined): string {
  if (!body) return 'The request failed.';
  const lines = [body.detail];
  for (const p of body.problems ?? []) lines.push(p.path ? `${p.path}: ${p.message}` : p.message);
  return lines.join('\n');
}

/** Coerces whatever came back as an error (JSON body, text, nothing) into an ErrorBody. */
export function toErrorBody(error: unknown, response: Response): ErrorBody {
  if (error && typeof error === 'object' && 'detail' in error && typeof error.detail === 'string') {
    return error as ErrorBody;
  }
  if (typeof error === 'string' && error.trim()) return { detail: error.trim(), code: 'http_error' };
  return { detail: `${response.status} ${response.statusText || 'error'}`.trim(), code: 'http_error' };
}

/**
 * Unwraps an openapi-fetch result: the data on success, else throws an ApiError.
 * Use it inside queries and mutations so TanStack Query sees failures as errors.
 */
export async function unwrap<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await call;
  } catch (e) {
    throw new ApiError(0, {
      detail: `Cannot reach the server: ${e instanceof Error ? e.message : String(e)}`,
      code: 'unreachable',
    });
  }
  const { data, error, response } = result;
  if (!response.ok) throw new ApiError(response.status, toErrorBody(error, response));
  return data as T;
}

/** A readable message for any error thrown by a query or mutation. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}
