import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '../../..');

// The committed types must be what the current spec generates: `npm run sdk:generate` after an API change.
test('sdks/typescript/src/generated/openapi.ts is up to date with the gateway OpenAPI document', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-sdk-'));
  try {
    await run(process.execPath, [join(ROOT, 'services/gateway/dist/docs/dump-openapi.js'), join(dir, 'openapi.json')], { env: { ...process.env, LOG_LEVEL: 'error' } });
    await run(join(ROOT, 'node_modules/.bin/openapi-typescript'), [join(dir, 'openapi.json'), '-o', join(dir, 'openapi.ts')], { cwd: dir });
    const committed = readFileSync(join(__dirname, 'generated/openapi.ts'), 'utf8');
    const fresh = readFileSync(join(dir, 'openapi.ts'), 'utf8');
    if (committed !== fresh) throw new Error('the generated SDK types are stale: run `npm run sdk:generate` and commit sdks/typescript/src/generated/openapi.ts');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
