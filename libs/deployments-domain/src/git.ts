import { spawn } from 'node:child_process';
import { LineSplitter } from '@slipway/docker';

export interface CloneOptions {
  repoUrl: string;
  branch: string;
  /** Checked out detached when given; otherwise the branch head (shallow). */
  commitSha: string | null;
  dir: string;
  allowLocal: boolean;
  timeoutMs: number;
  signal?: AbortSignal;
  onLine: (line: string, level: 'info' | 'error') => void;
}

export interface ClonedCommit {
  sha: string;
  message: string | null;
  author: string | null;
}

/** git said no (bad URL, unknown branch or commit, no access): the deployment fails with this message. */
export class GitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GitError';
  }
}

export const isLocalRepo = (url: string): boolean => url.startsWith('/') || url.startsWith('file://');

/**
 * Absolute paths become file:// URLs: git then uses its normal transport, so
 * `--depth 1` works as for remote repositories (a plain path ignores it).
 */
export function cloneUrl(url: string): string {
  return url.startsWith('/') ? `file://${url}` : url;
}

/**
 * Clones with the git CLI, so https, ssh (the server's keys and known_hosts)
 * and local repositories all work as they do for an operator at a shell.
 * Never prompts: a repository that needs credentials fails at once.
 */
export async function cloneRepository(opts: CloneOptions): Promise<ClonedCommit> {
  if (isLocalRepo(opts.repoUrl) && !opts.allowLocal) {
    throw new GitError('Cloning from paths on the server is disabled here (SLIPWAY_GIT_ALLOW_LOCAL=false); use an https or ssh URL');
  }
  const url = cloneUrl(opts.repoUrl);
  const deadline = Date.now() + opts.timeoutMs;
  const left = () => Math.max(1000, deadline - Date.now());
  if (opts.commitSha) {
    await git(['clone', '--no-checkout', '--', url, opts.dir], opts, left());
    await git(['-C', opts.dir, 'checkout', '--detach', opts.commitSha], opts, left());
  } else {
    await git(['clone', '--depth', '1', '--single-branch', '--branch', opts.branch, '--', url, opts.dir], opts, left());
  }
  const out = await git(['-C', opts.dir, 'log', '-1', '--format=%H%x00%an <%ae>%x00%s'], { ...opts, onLine: () => undefined }, left());
  const [sha, author, message] = out.trim().split('\0');
  if (!sha) throw new GitError('git log found no commit after cloning');
  return { sha, author: author || null, message: message || null };
}

/** Runs git, streaming its output lines; resolves with stdout, rejects with the last error line. */
function git(args: string[], opts: Pick<CloneOptions, 'onLine' | 'signal'>, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, {
      env: {
        ...process.env,
        GIT_TERMINAL_PROMPT: '0',
        GIT_ASKPASS: 'true',
        GIT_SSH_COMMAND: process.env.GIT_SSH_COMMAND ?? 'ssh -o BatchMode=yes -o StrictHostKeyChecking=accept-new',
        LC_ALL: 'C',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    const errors: string[] = [];
    const out = new LineSplitter();
    const err = new LineSplitter();
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      for (const line of out.push(chunk.toString('utf8'))) opts.onLine(line, 'info');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      for (const line of err.push(chunk.toString('utf8'))) {
        // git writes progress and notes to stderr too; only "fatal"/"error" lines are errors.
        const isError = /^(fatal|error):/.test(line);
        if (isError) errors.push(line);
        opts.onLine(line, isError ? 'error' : 'info');
      }
    });
    const timer = setTimeout(() => {
      errors.push(`git ${args[0] === '-C' ? args[2] : args[0]} did not finish within ${Math.round(timeoutMs / 1000)} s`);
      child.kill('SIGKILL');
    }, timeoutMs);
    const onAbort = () => child.kill('SIGKILL');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new GitError(`git could not run: ${e.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      for (const line of out.flush()) opts.onLine(line, 'info');
      for (const line of err.flush()) opts.onLine(line, /^(fatal|error):/.test(line) ? 'error' : 'info');
      if (opts.signal?.aborted) {
        const e = new Error('The clone was cancelled');
        e.name = 'AbortError';
        return reject(e);
      }
      if (code === 0) return resolve(stdout);
      reject(new GitError(errors.length ? errors[errors.length - 1].replace(/^(fatal|error):\s*/, '') : `git ${args.join(' ')} exited with ${code}`));
    });
  });
}
