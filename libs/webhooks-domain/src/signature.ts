import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** Equal length first (timingSafeEqual requires it); hashing both sides makes it so without leaking the length. */
function constantTimeEqual(a: string | Buffer, b: string | Buffer): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the exact body bytes>`. */
export function verifyGithubSignature(body: Buffer, header: string | undefined, secret: string): boolean {
  if (!header || !header.startsWith('sha256=')) return false;
  const expected = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
  return constantTimeEqual(header.trim().toLowerCase(), expected);
}

/** GitLab sends the secret itself (`X-Gitlab-Token`). */
export function verifyGitlabToken(header: string | undefined, secret: string): boolean {
  if (!header) return false;
  return constantTimeEqual(header, secret);
}

/** A stable uuid from a name (sha-256 based, version nibble 5 style): the same delivery, the same stream. */
export function uuidFromName(name: string): string {
  const h = createHash('sha256').update(name).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
