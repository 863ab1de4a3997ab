import { describe, expect, it } from 'vitest';
import { ApiError } from './api/client';
import { isVersionConflict } from './crud';

describe('isVersionConflict', () => {
  it('is true only for a 409 version_conflict', () => {
    expect(isVersionConflict(new ApiError(409, { detail: 'version conflict', code: 'version_conflict' }))).toBe(true);
    expect(isVersionConflict(new ApiError(409, { detail: 'name taken', code: 'conflict' }))).toBe(false);
    expect(isVersionConflict(new Error('x'))).toBe(false);
  });
});
