import { randomInt } from 'node:crypto';
import { startTestPlatform, type TestPlatform } from './harness';
import { CaseGenerator, operationsOf, type FuzzCase, type FuzzFixtures } from './fuzz/cases';
import { problemWith } from './fuzz/check';
import { Random } from './fuzz/random';
import { send } from './fuzz/send';

/**
 * Generated input against every operation of the live OpenAPI document: no
 * answer may be a 5xx, and every 4xx must be in the contract's error format.
 * Reproduce a run with FUZZ_SEED=<the seed printed>; FUZZ_REQUESTS sets the
 * requests per operation (at least 50).
 */
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : randomInt(2 ** 31);
const PER_OPERATION = Math.max(50, Number(process.env.FUZZ_REQUESTS ?? 50));
const CONCURRENCY = 8;
const REQUEST_TIMEOUT_MS = 20_000;
/** The whole run stops (and fails) past this: a fuzzer that slows down hides its findings. */
const BUDGET_MS = Number(process.env.FUZZ_BUDGET_MS ?? 480_000);
/** Operations whose success changes the caller's own account: they get a disposable user. */
const ACCOUNT_CHANGING = /\/(users\/me|auth\/logout)$/;
/** Operations that hash or verify a password. */
const HASHING = /^POST \/api(\/v1)?\/auth\/(login|register)$|^PATCH \/api(\/v1)?\/users\/me$/;

let p: TestPlatform;
const logs: string[] = [];

beforeAll(async () => {
  p = await startTestPlatform(logs);
});

afterAll(async () => {
  await p?.stop();
});

test(`every operation of /api/openapi.json answers generated input without a 5xx, 4xx in the error format (seed ${SEED})`, async () => {
  console.log(`fuzz seed ${SEED} (reproduce with FUZZ_SEED=${SEED}), ${PER_OPERATION} requests per operation`);
  const owner = await p.user();
  const me = await p.api('GET', '/api/users/me', { token: owner.token });
  const project = await p.api('POST', '/api/projects', { token: owner.token, body: { name: 'fuzz-fixture' } });
  const app = await p.api('POST', '/api/applications', { token: owner.token, body: { name: 'fuzz-app', projectId: project.body.id, image: 'nginx:1.27' } });
  expect([me.status, project.status, app.status]).toEqual([200, 201, 201]);
  const fixtures: FuzzFixtures = { projectId: project.body.id, applicationId: app.body.id, teamId: me.body.teams[0].id, userId: owner.userId };

  const doc = (await p.api('GET', '/api/openapi.json')).body;
  const ops = operationsOf(doc);
  expect(ops.length).toBeGreaterThan(40);
  const generator = new CaseGenerator(doc, fixtures);
  const root = new Random(SEED);
  // Interleaved, so that each lane sees every kind of request throughout the run.
  const cases: FuzzCase[] = root.shuffle(ops.flatMap((op) => generator.casesFor(op, root.fork(`${op.method} ${op.path}`), PER_OPERATION)));

  let ownerToken = owner.token;
  // Routes that change the caller's own account run as a disposable user, logged in again after each success.
  const password = 'correct-horse-battery';
  let disposable: { username: string; token?: string } | undefined;
  const disposableToken = async (): Promise<string> => {
    if (!disposable) disposable = { username: (await p.user()).username };
    if (!disposable.token) {
      const login = await p.api('POST', '/api/auth/login', { body: { username: disposable.username, password } });
      if (login.status !== 200) {
        disposable = undefined;
        return disposableToken();
      }
      disposable.token = login.body.token as string;
    }
    return disposable.token!;
  };

  const failures: string[] = [];
  const statuses = new Map<number, number>();
  const busy = new Map<string, number>();
  const run = async (c: FuzzCase) => {
    const headers = { ...c.headers };
    const line = `${c.method} ${c.url.slice(0, 160)}${c.url.length > 160 ? '…' : ''} [${c.strategy}] ${describeBody(c)}`;
    const own = ACCOUNT_CHANGING.test(c.url.split('?')[0]!);
    try {
      if (!c.anonymous) headers.authorization = `Bearer ${own ? await disposableToken() : ownerToken}`;
      const sentAt = Date.now();
      const res = await send(p.baseUrl, c.method, c.url, headers, c.body, REQUEST_TIMEOUT_MS);
      busy.set(c.operation, (busy.get(c.operation) ?? 0) + Date.now() - sentAt);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const problem = problemWith(res.status, res.headers, res.text);
      if (problem) failures.push(`${line} → ${problem}`);
      // A success may have ended that session (logout) or changed the account.
      if (own && res.status < 300 && !c.anonymous && disposable) disposable.token = undefined;
    } catch (e) {
      // A body past the limit may be answered (413) and the socket closed before it is all written.
      if ((e as { closed?: boolean }).closed && (c.body?.length ?? 0) > 1024 * 1024) return;
      failures.push(`${line} → ${(e as Error).message}`);
    }
  };
  // Password hashing is deliberately slow: those operations (and the account
  // routes, whose disposable user logs in again) take one lane, so that hashes
  // never queue past the gateway's downstream timeout.
  const inHeavyLane = (c: FuzzCase) => HASHING.test(c.operation) || ACCOUNT_CHANGING.test(c.operation);
  const heavy = cases.filter(inHeavyLane);
  const light = cases.filter((c) => !inHeavyLane(c));
  const started = Date.now();
  let sent = 0;
  const lane = (queue: FuzzCase[]) => async () => {
    for (let c = queue.shift(); c && Date.now() - started < BUDGET_MS; c = queue.shift()) {
      sent++;
      await run(c);
    }
  };
  await Promise.all([lane(heavy)(), ...Array.from({ length: CONCURRENCY - 1 }, lane(light))]);
  // The owner's session must have survived the run: the fuzz really was authenticated.
  const still = await p.api('GET', '/api/users/me', { token: ownerToken });
  ownerToken = still.status === 200 ? ownerToken : '';
  console.log(
    `fuzz: ${cases.length} requests to ${ops.length} operations in ${((Date.now() - started) / 1000).toFixed(1)} s; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}; seed ${SEED}; ` +
      `slowest operations (total ms): ${[...busy].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([op, ms]) => `${op} ${ms}`).join(', ')}`,
  );
  if (failures.length > 0) {
    console.log(`fuzz failures (seed ${SEED}):\n${failures.slice(0, 100).join('\n')}\n--- platform output ---\n${logs.filter((l) => /error|exception/i.test(l)).slice(-40).join('\n')}`);
  }
  expect(failures).toEqual([]);
  expect(`${sent} of ${cases.length} requests sent within ${BUDGET_MS} ms`).toBe(`${cases.length} of ${cases.length} requests sent within ${BUDGET_MS} ms`);
  expect(ownerToken).not.toBe('');
  // Most requests reached a handler's validation or beyond, not only the boundary.
  expect([...statuses.keys()].some((s) => s >= 200 && s < 300)).toBe(true);
}, BUDGET_MS + 120_000);

function describeBody(c: FuzzCase): string {
  if (!c.body) return '(no body)';
  const text = c.body.toString('utf8');
  return `${c.headers['content-type'] ?? '(no type)'} ${c.body.length} B: ${text.slice(0, 120)}${text.length > 120 ? '…' : ''}`;
}
