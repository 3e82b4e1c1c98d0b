import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { DockerClient } from '@slipway/docker';
import { TEST_DATABASE_IMAGES, cleanDatabases, requireDatabaseImages } from './database-fixtures';
import { cleanEngine, engine, ensureSiteImage } from './docker-fixtures';
import { startTestPlatform, type TestPlatform } from './harness';

/**
 * Dokploy's official CLIs as published (devDependencies, npm aliases), run
 * as child processes. Both keep their config next to the package
 * (`<package>/config.json`); tests authenticate once, check it, and remove it
 * again, and otherwise use the DOKPLOY_URL / token variables both read.
 */
export type CliVersion = '0.2.8' | '0.30.7';

const PACKAGE = { '0.2.8': 'dokploy-cli-0.2.8', '0.30.7': 'dokploy-cli-0.30.7' } as const;
const BIN = { '0.2.8': 'bin/run.js', '0.30.7': 'dist/index.js' } as const;

export function cliDir(version: CliVersion): string {
  return dirname(require.resolve(`${PACKAGE[version]}/package.json`));
}

export function cliConfigPath(version: CliVersion): string {
  return join(cliDir(version), 'config.json');
}

export function removeCliConfig(version: CliVersion): void {
  rmSync(cliConfigPath(version), { force: true });
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliTarget {
  url: string;
  key: string;
}

/** The variables both CLIs read instead of their config file (0.2.8 needs DOKPLOY_AUTH_TOKEN, 0.30.7 takes either). */
export function cliEnv(target: CliTarget | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: mkdtempSync(join(tmpdir(), 'dokploy-home-')), NO_COLOR: '1', FORCE_COLOR: '0', TERM: 'dumb' };
  if (target) Object.assign(env, { DOKPLOY_URL: target.url, DOKPLOY_AUTH_TOKEN: target.key, DOKPLOY_API_KEY: target.key });
  return env;
}

/** Runs a command to its end (0.30.7 loads `.env` from the working directory: each run gets an empty one). */
export function runCli(version: CliVersion, args: string[], target?: CliTarget, timeoutMs = 60_000): Promise<CliResult> {
  const cwd = mkdtempSync(join(tmpdir(), 'dokploy-cwd-'));
  const env = cliEnv(target);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(cliDir(version), BIN[version]), ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      rmSync(cwd, { recursive: true, force: true });
      rmSync(env.HOME!, { recursive: true, force: true });
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs a command and parses its `--json` output (0.30.7). */
export async function runCliJson<T = any>(version: CliVersion, args: string[], target: CliTarget): Promise<T> {
  const result = await runCli(version, [...args, '--json'], target);
  if (result.code !== 0) throw new Error(`dokploy ${args.join(' ')} exited ${result.code}: ${result.stderr || result.stdout}`);
  return JSON.parse(result.stdout) as T;
}

/** One answer to an interactive prompt: when the output (so far, after the previous step) matches, type `send`. */
export interface PromptStep {
  when: RegExp;
  send: string;
}

export const ENTER = '\r';
export const DOWN = '\u001b[B';

/**
 * Runs an interactive-only command (0.2.8's env pull|push, mysql deploy|stop)
 * in a pseudo-terminal made by util-linux `script`, answering its prompts in
 * order. The whole transcript comes back for the assertions.
 */
export function runCliInteractive(version: CliVersion, args: string[], target: CliTarget, steps: PromptStep[], cwd: string, timeoutMs = 60_000): Promise<CliResult> {
  if (!existsSync('/usr/bin/script')) throw new Error('util-linux `script` is missing (apt-get install util-linux): it gives the CLI a terminal');
  const command = [process.execPath, join(cliDir(version), BIN[version]), ...args].map(shellQuote).join(' ');
  const env: NodeJS.ProcessEnv = { ...cliEnv(target), TERM: 'xterm' };
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/script', ['-qfec', command, '/dev/null'], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let transcript = '';
    let seen = 0;
    let step = 0;
    const onOutput = (d: Buffer) => {
      transcript += d.toString();
      while (step < steps.length && steps[step]!.when.test(transcript.slice(seen))) {
        seen = transcript.length;
        const send = steps[step++]!.send;
        // Inquirer renders the prompt before it listens; a moment later the keys land in the prompt, not before it.
        setTimeout(() => child.stdin.write(send), 150);
      }
    };
    child.stdout.on('data', onOutput);
    child.stderr.on('data', onOutput);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      rmSync(env.HOME!, { recursive: true, force: true });
      resolve({ code, stdout: transcript, stderr: step < steps.length ? `stopped waiting for ${steps[step]!.when}` : '' });
    });
  });
}

function shellQuote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** A platform with the database stand-ins, the site image and an owner's read-write key, as both CLI suites need. */
export interface CliPlatform {
  t: TestPlatform;
  docker: DockerClient;
  owner: { token: string; userId: string; username: string };
  target: CliTarget;
  siteImage: string;
  stop(): Promise<void>;
}

export async function startCliPlatform(version: CliVersion, logs: string[]): Promise<CliPlatform> {
  const docker = await engine();
  await requireDatabaseImages(docker);
  const siteImage = await ensureSiteImage(docker);
  const t = await startTestPlatform(logs, { SLIPWAY_DATABASE_IMAGES: TEST_DATABASE_IMAGES, SLIPWAY_DATABASE_RECONCILE_MS: '500' });
  const owner = await t.user();
  const me = await t.api('GET', '/api/users/me', { token: owner.token });
  const key = await t.api('POST', '/api/api-keys', { token: owner.token, body: { name: 'dokploy-cli', teamId: me.body.teams[0].id, permission: 'read-write', expiresAt: null } });
  return {
    t,
    docker,
    owner,
    target: { url: t.baseUrl, key: key.body.key },
    siteImage,
    async stop() {
      removeCliConfig(version);
      await t.stop();
      await cleanEngine(docker, t.instance).catch(() => undefined);
      await cleanDatabases(docker, t.instance).catch(() => undefined);
      docker.close();
    },
  };
}
