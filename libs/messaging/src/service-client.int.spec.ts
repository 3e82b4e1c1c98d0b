import { AppError } from '@slipway/core';
import { MessageBus } from './bus';
import { defineRequest } from './contract';
import { Breakers, ServiceClient, healthContract, type BreakerState } from './service-client';
import { TcpProxy } from './test-support/tcp-proxy';
import { NATS_URL, sleep, uniqueId, waitFor } from './test-support/env';

describe('ServiceClient (circuit breaker per service)', () => {
  const id = uniqueId();
  let gateway: MessageBus;
  let backend: MessageBus;
  const clients: { close(): void }[] = [];

  beforeAll(async () => {
    gateway = await MessageBus.connect({ servers: NATS_URL, name: `gw-${id}` });
    backend = await MessageBus.connect({ servers: NATS_URL, name: `be-${id}`, onError: () => undefined });
  });

  afterAll(async () => {
    clients.forEach((c) => c.close());
    await gateway.close();
    await backend.drain();
  });

  it('opens after transport failures, fails fast while open, and recovers by itself', async () => {
    const service = `flaky${id}`;
    const ping = defineRequest<null, string>(service, `t${id}.${service}.ping`);
    const transitions: BreakerState[] = [];
    const client = new ServiceClient(gateway, {
      service,
      resetTimeoutMs: 400,
      volumeThreshold: 3,
      errorThresholdPercentage: 50,
      onStateChange: (_s, state) => transitions.push(state),
    });
    clients.push(client);
    expect(client.state).toBe('closed');

    // Nobody serves the subject yet: "no responders" counts as a failure.
    for (let i = 0; i < 3; i++) {
      await expect(client.request(ping, null)).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    }
    expect(client.state).toBe('open');
    expect(client.healthy()).toBe(false);

    const served = backend.serve(ping, async () => 'pong');
    await backend.connection.flush();

    // Even though the service is back, the open circuit answers without asking it.
    const err = (await client.request(ping, null).catch((e: unknown) => e)) as AppError;
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe('SERVICE_UNAVAILABLE');
    expect(err.message).toBe(`The ${service} service is unavailable (circuit open); retry in a few seconds`);
    expect(err.details).toEqual({ service, retryAfterSeconds: 1 });

    // After resetTimeout it goes half-open; the probe succeeds and closes it.
    await waitFor(() => client.state === 'half-open', 'half-open', 5000);
    await expect(client.request(ping, null)).resolves.toBe('pong');
    expect(client.state).toBe('closed');
    await expect(client.request(ping, null)).resolves.toBe('pong');
    expect(transitions).toEqual(['open', 'half-open', 'closed']);
    await served.stop();
  });

  it('reopens when the half-open probe fails', async () => {
    const service = `down${id}`;
    const ping = defineRequest<null, string>(service, `t${id}.${service}.ping`);
    const client = new ServiceClient(gateway, { service, resetTimeoutMs: 200, volumeThreshold: 1 });
    clients.push(client);
    await expect(client.request(ping, null)).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    expect(client.state).toBe('open');
    await waitFor(() => client.state === 'half-open', 'half-open', 5000);
    await expect(client.request(ping, null)).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    expect(client.state).toBe('open');
  });

  it('counts timeouts as failures', async () => {
    const service = `slow${id}`;
    const c = defineRequest<null, string>(service, `t${id}.${service}.slow`);
    const served = backend.serve(c, async () => { await sleep(500); return 'late'; });
    await backend.connection.flush();
    const client = new ServiceClient(gateway, { service, timeoutMs: 50, volumeThreshold: 2, resetTimeoutMs: 5000 });
    clients.push(client);
    await expect(client.request(c, null)).rejects.toMatchObject({ code: 'GATEWAY_TIMEOUT' });
    await expect(client.request(c, null)).rejects.toMatchObject({ code: 'GATEWAY_TIMEOUT' });
    expect(client.state).toBe('open');
    await served.stop();
  });

  it('passes domain errors through without tripping the circuit', async () => {
    const service = `strict${id}`;
    const create = defineRequest<{ name: string }, never>(service, `t${id}.${service}.create`);
    const served = backend.serve(create, async (p) => {
      throw AppError.validation([{ field: 'name', message: 'too short', constraint: 'minLength', received: p.name }]);
    });
    const missing = defineRequest<{ id: string }, never>(service, `t${id}.${service}.get`);
    const served2 = backend.serve(missing, async (p) => { throw AppError.notFound('app', p.id); });
    await backend.connection.flush();

    const client = new ServiceClient(gateway, { service, volumeThreshold: 2, errorThresholdPercentage: 10 });
    clients.push(client);
    for (let i = 0; i < 10; i++) {
      await expect(client.request(create, { name: 'x' })).rejects.toMatchObject({ code: 'VALIDATION_ERROR', status: 400 });
      await expect(client.request(missing, { id: 'a1' })).rejects.toMatchObject({ code: 'RESOURCE_NOT_FOUND' });
    }
    expect(client.state).toBe('closed');
    expect(client.stats.failures).toBe(0);
    await Promise.all([served.stop(), served2.stop()]);
  });

  it('refuses a contract that belongs to another service', async () => {
    const client = new ServiceClient(gateway, { service: `one${id}` });
    clients.push(client);
    await expect(client.request(defineRequest<null, null>(`two${id}`, `t${id}.two.x`), null)).rejects.toThrow(/belongs to/);
  });

  it('Breakers keeps one client per service and routes by contract', async () => {
    const breakers = new Breakers(gateway, { volumeThreshold: 1, resetTimeoutMs: 60_000 });
    clients.push(breakers);
    const up = defineRequest<null, string>(`up${id}`, `t${id}.up.ping`);
    const gone = defineRequest<null, string>(`gone${id}`, `t${id}.gone.ping`);
    const served = backend.serve(up, async () => 'ok');
    await backend.connection.flush();

    expect(breakers.get(`up${id}`)).toBe(breakers.get(`up${id}`));
    await expect(breakers.request(up, null)).resolves.toBe('ok');
    await expect(breakers.request(gone, null)).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    // One service being down does not affect the other's circuit.
    expect(breakers.states()).toEqual({ [`up${id}`]: 'closed', [`gone${id}`]: 'open' });
    await expect(breakers.request(up, null)).resolves.toBe('ok');
    await served.stop();
  });

  it('closes as soon as the service answers its health probe, without waiting for a client request', async () => {
    const service = `probed${id}`;
    const ping = defineRequest<null, string>(service, `t${id}.${service}.ping`);
    // A reset timeout that never comes within the test: only the probe can close it.
    const client = new ServiceClient(gateway, { service, volumeThreshold: 1, resetTimeoutMs: 60_000, probeIntervalMs: 50 });
    clients.push(client);
    await expect(client.request(ping, null)).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    expect(client.state).toBe('open');
    const health = backend.serve(healthContract(service), async () => ({ status: 'ok' }));
    const served = backend.serve(ping, async () => 'pong');
    await backend.connection.flush();
    await waitFor(() => client.state === 'closed', 'the probe to close the circuit', 5000);
    await expect(client.request(ping, null)).resolves.toBe('pong');
    await Promise.all([health.stop(), served.stop()]);
  });

  it('is not reopened by late timeouts of requests sent before it closed', async () => {
    const service = `late${id}`;
    const slow = defineRequest<null, string>(service, `t${id}.${service}.slow`);
    const missing = defineRequest<null, string>(service, `t${id}.${service}.missing`);
    const served = backend.serve(slow, async () => { await sleep(3000); return 'late'; });
    const health = backend.serve(healthContract(service), async () => ({ status: 'ok' }));
    await backend.connection.flush();
    const client = new ServiceClient(gateway, { service, timeoutMs: 1000, volumeThreshold: 1, resetTimeoutMs: 60_000, probeIntervalMs: 50 });
    clients.push(client);
    const inFlight = [1, 2, 3].map(() => client.request(slow, null).catch((e: unknown) => e));
    // Something else fails meanwhile and opens it; the probe closes it again.
    for (let i = 0; i < 10 && client.state !== 'open'; i++) {
      await expect(client.request(missing, null)).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    }
    expect(client.state).toBe('open');
    await waitFor(() => client.state === 'closed', 'the probe to close the circuit', 5000);
    const late = await Promise.all(inFlight);
    expect(late.map((e) => (e as AppError).code)).toEqual(['GATEWAY_TIMEOUT', 'GATEWAY_TIMEOUT', 'GATEWAY_TIMEOUT']);
    expect(client.state).toBe('closed');
    await Promise.all([served.stop(), health.stop()]);
  });

  it('answers 503 at once while NATS is unreachable, without opening the circuit, and serves again when it is back', async () => {
    const proxy = new TcpProxy(Number(new URL(NATS_URL).port || 4222), new URL(NATS_URL).hostname);
    await proxy.start();
    const cutOff = await MessageBus.connect({ servers: `nats://127.0.0.1:${proxy.port}`, name: `cut-${id}` });
    const service = `behind${id}`;
    const ping = defineRequest<null, string>(service, `t${id}.${service}.ping`);
    const served = backend.serve(ping, async () => 'pong');
    await backend.connection.flush();
    const client = new ServiceClient(cutOff, { service, volumeThreshold: 1, timeoutMs: 10_000 });
    clients.push(client);
    try {
      await expect(client.request(ping, null)).resolves.toBe('pong');
      await proxy.cut();
      await waitFor(() => !cutOff.connected, 'the disconnect', 5000);
      const started = Date.now();
      const err = (await client.request(ping, null).catch((e: unknown) => e)) as AppError;
      // Only proves the 10 s request timeout was not sat out.
      expect(Date.now() - started).toBeLessThan(5000);
      expect(err).toMatchObject({ code: 'SERVICE_UNAVAILABLE', details: { service, dependency: 'nats', retryAfterSeconds: 1 } });
      expect(client.state).toBe('closed');
      await proxy.start();
      await waitFor(() => cutOff.connected, 'the reconnect', 10_000);
      await expect(client.request(ping, null)).resolves.toBe('pong');
    } finally {
      await served.stop();
      await cutOff.close();
      await proxy.stop();
    }
  });
});
