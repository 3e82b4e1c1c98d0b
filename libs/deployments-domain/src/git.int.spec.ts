import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitError, cloneRepository } from './git';

let dir: string;
let repo: string;
const git = (...args: string[]) => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8' }).trim();

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'slipway-git-'));
  repo = join(dir, 'repo');
  execFileSync('git', ['init', '-q', '-b', 'main', repo]);
  git('config', 'user.email', 'dev@example.com');
  git('config', 'user.name', 'Dev Eloper');
  writeFileSync(join(repo, 'index.html'), 'v1\n');
  git('add', '.');
  git('commit', '-q', '-m', 'first version');
  writeFileSync(join(repo, 'index.html'), 'v2\n');
  git('commit', '-q', '-am', 'second version');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const base = { branch: 'main', commitSha: null, allowLocal: true, timeoutMs: 30_000, onLine: () => undefined };

describe('cloneRepository', () => {
  it('clones the branch head of a local repository, with commit data', async () => {
    const target = join(dir, 'head');
    const commit = await cloneRepository({ ...base, repoUrl: repo, dir: target });
    expect(commit).toEqual({ sha: git('rev-parse', 'HEAD'), author: 'Dev Eloper <dev@example.com>', message: 'second version' });
    expect(readFileSync(join(target, 'index.html'), 'utf8')).toBe('v2\n');
  });

  it('checks out a given commit', async () => {
    const first = git('rev-parse', 'HEAD~1');
    const target = join(dir, 'pinned');
    const commit = await cloneRepository({ ...base, repoUrl: `file://${repo}`, commitSha: first.slice(0, 10), dir: target });
    expect(commit.sha).toBe(first);
    expect(readFileSync(join(target, 'index.html'), 'utf8')).toBe('v1\n');
  });

  it('fails with git\'s own message for an unknown branch, streaming it as an error line', async () => {
    const lines: Array<[string, string]> = [];
    const failure = await cloneRepository({ ...base, repoUrl: repo, branch: 'nope', dir: join(dir, 'nope'), onLine: (l, level) => lines.push([l, level]) }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(GitError);
    expect((failure as Error).message).toMatch(/Remote branch nope not found/);
    expect(lines).toContainEqual([expect.stringMatching(/^fatal: Remote branch nope not found/), 'error']);
  });

  it('refuses local paths when they are not allowed', async () => {
    await expect(cloneRepository({ ...base, repoUrl: repo, allowLocal: false, dir: join(dir, 'denied') })).rejects.toThrow(/SLIPWAY_GIT_ALLOW_LOCAL/);
  });
});
