import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { startTestPlatform, type TestPlatform } from './harness';

const run = promisify(execFile);
const PYTHON_SDK = resolve(__dirname, '../../../sdks/python');
let t: TestPlatform;

beforeAll(async () => {
  t = await startTestPlatform();
}, 120_000);
afterAll(async () => {
  await t?.stop();
});

test('the Python SDK unittest suite passes against the live platform', async () => {
  const alice = await t.user();
  const res = await run('python3', ['-m', 'unittest', 'discover', '-s', 'tests', '-v'], {
    cwd: PYTHON_SDK,
    env: { ...process.env, PYTHONPATH: PYTHON_SDK, SLIPWAY_URL: t.baseUrl, SLIPWAY_TOKEN: alice.token },
  }).catch((err: { stdout: string; stderr: string }) => ({ ...err, failed: true }));
  expect({ failed: 'failed' in res, stderr: res.stderr }).toEqual({ failed: false, stderr: expect.stringContaining('OK') });
}, 120_000);
