import { execFile } from 'node:child_process';
import { join } from 'node:path';
import type { DockerClient } from '@slipway/docker';
import { cleanEngine, engine, ensureSiteImage } from './docker-fixtures';
import { startTestPlatform, type TestPlatform } from './harness';

/** The Python SDK's unittest suite (sdks/python/tests) against a live platform. */
let t: TestPlatform;
let docker: DockerClient;
let siteImage: string;

beforeAll(async () => {
  docker = await engine();
  siteImage = await ensureSiteImage(docker);
  t = await startTestPlatform([], { SLIPWAY_RECONCILE_INTERVAL_MS: '1000', SLIPWAY_DEPLOY_STABLE_MS: '1000', SLIPWAY_DEPLOY_TIMEOUT_MS: '60000' });
}, 180_000);

afterAll(async () => {
  await t?.stop();
  if (t) await cleanEngine(docker, t.instance).catch(() => undefined);
  docker?.close();
});

test('the Python SDK passes its unittest suite against the platform', async () => {
  const { token } = await t.user();
  const result = await new Promise<{ code: number; output: string }>((resolve) =>
    execFile(
      'python3',
      ['-m', 'unittest', 'discover', '-v', '-s', 'tests'],
      { cwd: join(__dirname, '../../../sdks/python'), env: { ...process.env, SLIPWAY_URL: t.baseUrl, SLIPWAY_TOKEN: token, SLIPWAY_IMAGE: siteImage }, timeout: 180_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: stdout + stderr }),
    ),
  );
  expect(result.output).toMatch(/\nOK\b/);
  expect(result.code).toBe(0);
}, 200_000);
