import { sign } from '@octokit/webhooks-methods';
import { uuidFromName, verifyGithubSignature, verifyGitlabToken } from './signature';

describe('webhook signatures', () => {
  const secret = 'It is a secret to everybody';
  const body = Buffer.from('{"hello":  "world"}\n');

  it('given a body signed by GitHub’s library, when verified with the same secret, then it verifies', async () => {
    expect(verifyGithubSignature(body, await sign(secret, body.toString()), secret)).toBe(true);
  });

  it('given another secret, other bytes, a missing or malformed header, then it does not verify', async () => {
    const signature = await sign(secret, body.toString());
    expect(verifyGithubSignature(body, signature, 'another secret')).toBe(false);
    expect(verifyGithubSignature(Buffer.from('{"hello":"world"}\n'), signature, secret)).toBe(false);
    expect(verifyGithubSignature(body, undefined, secret)).toBe(false);
    expect(verifyGithubSignature(body, signature.replace('sha256=', 'sha1='), secret)).toBe(false);
    expect(verifyGithubSignature(body, 'sha256=00', secret)).toBe(false);
  });

  it('given a GitLab token, then only the exact secret matches', () => {
    expect(verifyGitlabToken(secret, secret)).toBe(true);
    expect(verifyGitlabToken(`${secret} `, secret)).toBe(false);
    expect(verifyGitlabToken(undefined, secret)).toBe(false);
  });

  it('given the same delivery name, then the same uuid; another name, another uuid', () => {
    const a = uuidFromName('github:72d3162e-cc78-11e3-81ab-4c9367dc0958');
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(uuidFromName('github:72d3162e-cc78-11e3-81ab-4c9367dc0958')).toBe(a);
    expect(uuidFromName('gitlab:72d3162e-cc78-11e3-81ab-4c9367dc0958')).not.toBe(a);
  });
});
