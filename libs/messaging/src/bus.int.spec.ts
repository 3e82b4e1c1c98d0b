import { AppError } from '@slipway/core';
import { MessageBus, type Served } from './bus';
import { defineRequest, type RequestContextHeaders } from './contract';
import { NATS_URL, sleep, uniqueId } from './test-support/env';

interface Echo {
  text: string;
}

describe('MessageBus (NATS request/reply)', () => {
  const id = uniqueId();
  const service = `svc${id}`;
  const subject = (name: string) => `t${id}.${service}.${name}`;
  const errors: { err: unknown; subject: string }[] = [];
  let server: MessageBus;
  let client: MessageBus;
  const served: Served[] = [];

  beforeAll(async () => {
    server = await MessageBus.connect({ servers: NATS_URL, name: `server-${id}`, onError: (err, s) => errors.push({ err, subject: s }) });
    client = await MessageBus.connect({ servers: NATS_URL, name: `client-${id}` });
  });

  afterAll(async () => {
    await Promise.all(served.map((s) => s.stop()));
    await client.close();
    await server.drain();
  });

  it('round-trips a request with context headers', async () => {
    const echo = defineRequest<Echo, { text: string; headers: RequestContextHeaders; subject: string }>(service, subject('echo'));
    served.push(server.serve(echo, async (payload, ctx) => ({ text: payload.text.toUpperCase(), headers: ctx.headers, subject: ctx.subject })));
    await server.connection.flush();

    const headers = { requestId: 'req-1', actorId: 'user-7', commandId: 'cmd-3', requestHash: 'abc' };
    const res = await client.request(echo, { text: 'hello' }, { headers });
    expect(res).toEqual({ text: 'HELLO', headers, subject: subject('echo') });
  });

  it('omits absent headers', async () => {
    const echo = defineRequest<null, RequestContextHeaders>(service, subject('headers'));
    served.push(server.serve(echo, async (_p, ctx) => ctx.headers));
    await server.connection.flush();
    await expect(client.request(echo, null, { headers: { requestId: 'only-this' } })).resolves.toEqual({ requestId: 'only-this' });
    await expect(client.request(echo, null)).resolves.toEqual({});
  });

  it('rethrows an error reply as AppError with the same code, message and details', async () => {
    const get = defineRequest<{ id: string }, never>(service, subject('get'));
    served.push(server.serve(get, async (p) => { throw AppError.notFound('project', p.id); }));
    await server.connection.flush();

    const err = await client.request(get, { id: 'p-1' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({
      code: 'RESOURCE_NOT_FOUND',
      message: "Project with ID 'p-1' not found",
      details: { resourceType: 'project', resourceId: 'p-1' },
      status: 404,
    });
  });

  it('turns an unexpected error into INTERNAL_SERVER_ERROR without leaking its message', async () => {
    const boom = defineRequest<null, never>(service, subject('boom'));
    served.push(server.serve(boom, async () => { throw new Error('password=hunter2 at db.internal:5432'); }));
    await server.connection.flush();

    const err = (await client.request(boom, null, { headers: { requestId: 'req-boom' } }).catch((e: unknown) => e)) as AppError;
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe('INTERNAL_SERVER_ERROR');
    expect(err.message).not.toMatch(/hunter2|db\.internal/);
    expect(JSON.stringify(err.toJSON())).not.toMatch(/hunter2|db\.internal|at /);
    expect(err.details).toEqual({ requestId: 'req-boom' });
    expect(errors.some((e) => e.subject === subject('boom') && (e.err as Error).message.includes('hunter2'))).toBe(true);
  });

  it('answers INVALID_INPUT to a payload that is not JSON', async () => {
    const c = defineRequest<unknown, unknown>(service, subject('json'));
    const handler = jest.fn(async () => 'never');
    served.push(server.serve(c, handler));
    await server.connection.flush();

    const reply = await client.connection.request(client.subjectOf(c), '{not json', { timeout: 2000 });
    expect(reply.json()).toEqual({ ok: false, error: { code: 'INVALID_INPUT', message: expect.any(String) } });
    expect(handler).not.toHaveBeenCalled();
  });

  it('maps "no responders" to SERVICE_UNAVAILABLE without waiting for the timeout', async () => {
    const nobody = defineRequest<null, never>(`ghost${id}`, subject('nobody'));
    const started = Date.now();
    const err = (await client.request(nobody, null, { timeoutMs: 10_000 }).catch((e: unknown) => e)) as AppError;
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe('SERVICE_UNAVAILABLE');
    expect(err.message).toBe(`The ghost${id} service is not answering. It may be stopped or restarting; retry in a few seconds.`);
    expect(err.details).toEqual({ service: `ghost${id}`, retryAfterSeconds: 1 });
    // Generous bound: only proves we did not sit out the 10 s timeout.
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('maps a slow service to GATEWAY_TIMEOUT', async () => {
    const slow = defineRequest<null, string>(service, subject('slow'));
    served.push(server.serve(slow, async () => { await sleep(1000); return 'late'; }));
    await server.connection.flush();

    const err = (await client.request(slow, null, { timeoutMs: 150 }).catch((e: unknown) => e)) as AppError;
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe('GATEWAY_TIMEOUT');
    expect(err.status).toBe(504);
    expect(err.details).toEqual({ service, timeoutMs: 150 });
  });

  it('handles requests concurrently', async () => {
    const wait = defineRequest<{ ms: number }, number>(service, subject('wait'));
    served.push(server.serve(wait, async (p) => { await sleep(p.ms); return p.ms; }));
    await server.connection.flush();
    // Sequential handling would need 10 × 300 ms, more than the 2 s timeout.
    const results = await Promise.all(Array.from({ length: 10 }, () => client.request(wait, { ms: 300 }, { timeoutMs: 2000 })));
    expect(results).toEqual(Array(10).fill(300));
  });

  it('load-balances replicas in the service queue group and answers every request once', async () => {
    const replicaA = await MessageBus.connect({ servers: NATS_URL, name: `a-${id}` });
    const replicaB = await MessageBus.connect({ servers: NATS_URL, name: `b-${id}` });
    try {
      const who = defineRequest<{ n: number }, { n: number; by: string }>(service, subject('who'));
      const seen: Record<string, number[]> = { a: [], b: [] };
      replicaA.serve(who, async (p) => { seen.a.push(p.n); return { n: p.n, by: 'a' }; });
      replicaB.serve(who, async (p) => { seen.b.push(p.n); return { n: p.n, by: 'b' }; });
      await Promise.all([replicaA.connection.flush(), replicaB.connection.flush()]);

      const replies = await Promise.all(Array.from({ length: 20 }, (_, n) => client.request(who, { n })));
      expect(replies.map((r) => r.n)).toEqual(Array.from({ length: 20 }, (_, n) => n));
      expect(seen.a.length).toBeGreaterThan(0);
      expect(seen.b.length).toBeGreaterThan(0);
      expect([...seen.a, ...seen.b].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, n) => n));
    } finally {
      await Promise.all([replicaA.drain(), replicaB.drain()]);
    }
  });

  it('lets in-flight handlers reply when a server drains', async () => {
    const temp = await MessageBus.connect({ servers: NATS_URL, name: `temp-${id}` });
    const c = defineRequest<null, string>(service, subject('draining'));
    temp.serve(c, async () => { await sleep(300); return 'finished'; });
    await temp.connection.flush();

    const pending = client.request(c, null, { timeoutMs: 3000 });
    await sleep(100);
    await temp.drain();
    await expect(pending).resolves.toBe('finished');
    expect(temp.connection.isClosed()).toBe(true);
  });
});
