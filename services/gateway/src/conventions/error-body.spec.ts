import { AppError } from '@slipway/core';
import { errorBody, normalizeError } from './error-body';

describe('normalizeError', () => {
  it('keeps AppError codes and details', () => {
    const n = normalizeError(AppError.notFound('project', 'p-1'));
    expect(n).toMatchObject({ status: 404, code: 'RESOURCE_NOT_FOUND', details: { resourceType: 'project', resourceId: 'p-1' } });
  });

  it('maps fastify body errors to client errors', () => {
    expect(normalizeError({ code: 'FST_ERR_CTP_INVALID_JSON_BODY', statusCode: 400 })).toMatchObject({ status: 400, code: 'INVALID_INPUT' });
    expect(normalizeError({ code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 })).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
    expect(normalizeError({ code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 })).toMatchObject({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
  });

  it('maps HttpException-like errors by status', () => {
    const notFound = { getStatus: () => 404, getResponse: () => ({ message: 'Cannot GET /nope' }), message: 'x' };
    expect(normalizeError(notFound)).toMatchObject({ status: 404, code: 'RESOURCE_NOT_FOUND', message: 'Cannot GET /nope' });
  });

  it('never leaks the message of an unknown error', () => {
    const n = normalizeError(new Error('password=hunter2 at db.ts:12'));
    expect(n.status).toBe(500);
    expect(n.message).not.toContain('hunter2');
    expect(n.internal).toBe(true);
  });

  it('renders the contract body, with empty details when there is nothing to add', () => {
    const body = errorBody({ code: 'CONFLICT', message: 'dup' }, 'req-1', new Date('2026-01-01T00:00:00Z'));
    expect(body).toEqual({ error: { code: 'CONFLICT', message: 'dup', details: {}, timestamp: '2026-01-01T00:00:00.000Z', requestId: 'req-1' } });
  });
});
