import { ApiError, type Prediction, PredictionFailedError } from '@replicant/client';
import { describe, expect, it } from 'vitest';
import { CliError, expectedError, NetworkError } from './errors.js';

const apiError = (status: number, body: object) =>
  new ApiError({ method: 'GET', url: 'http://h/v1/x', response: new Response(null, { status }), body: JSON.stringify(body) });

describe('expectedError', () => {
  it('says an API error in one line with its status; 422 is a usage error', () => {
    expect(expectedError(apiError(404, { title: 'Not found', detail: 'Not found.' }))).toMatchObject({
      message: 'Not found [HTTP 404]',
      code: 1,
    });
    const invalid = apiError(422, {
      title: 'Input validation failed',
      detail: 'text is required\nand more',
      invalid_fields: [{ type: 'required', field: 'text', description: 'text is required' }],
    });
    expect(expectedError(invalid)).toMatchObject({
      message: 'Input validation failed: text is required and more (text: text is required) [HTTP 422]',
      code: 2,
    });
    expect(expectedError(apiError(401, { title: 'Unauthenticated' }))?.message).toContain('replicant login');
  });

  it('says a failed prediction with its error; network errors as they are; bugs are not expected', () => {
    const prediction = { id: 'p1', status: 'failed', error: 'boom\nline two' } as Prediction;
    expect(expectedError(new PredictionFailedError(prediction))?.message).toBe('the prediction p1 failed: boom line two');
    expect(expectedError(new NetworkError('cannot reach the server at http://h: ECONNREFUSED'))?.message).toBe(
      'cannot reach the server at http://h: ECONNREFUSED',
    );
    const usage = new CliError('bad', 2);
    expect(expectedError(usage)).toBe(usage);
    expect(expectedError(new TypeError('x is undefined'))).toBeUndefined();
  });
});
