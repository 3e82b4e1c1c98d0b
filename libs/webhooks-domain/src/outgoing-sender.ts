import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { guardedLookup, refusedLiteral } from './outgoing-address-guard';

export interface SendResult {
  statusCode: number | null;
  durationMs: number;
  /** The first bytes of the answer (or the error), for the deliveries list. */
  excerpt: string;
  ok: boolean;
}

const EXCERPT = 300;

/**
 * One POST: a 2xx is success, redirects are answers (never followed), and
 * the whole exchange is bounded by `timeoutMs`.
 */
export function sendWebhook(url: string, headers: Record<string, string>, body: string, opts: { timeoutMs: number; allowPrivate: boolean }): Promise<SendResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    let done = false;
    const finish = (statusCode: number | null, excerpt: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ statusCode, durationMs: Date.now() - started, excerpt: excerpt.slice(0, EXCERPT), ok: statusCode !== null && statusCode >= 200 && statusCode < 300 });
    };
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return finish(null, `invalid URL`);
    }
    const literal = refusedLiteral(target.hostname, opts.allowPrivate);
    if (literal) return finish(null, literal.message);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(target, {
      method: 'POST',
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      lookup: guardedLookup(opts.allowPrivate) as never,
    });
    const timer = setTimeout(() => {
      req.destroy();
      finish(null, `no answer within ${opts.timeoutMs} ms`);
    }, opts.timeoutMs);
    req.on('error', (err) => finish(null, err.message));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < EXCERPT) chunks.push(c);
        size += c.length;
      });
      res.on('end', () => finish(res.statusCode ?? null, Buffer.concat(chunks).toString('utf8')));
      res.on('error', (err) => finish(res.statusCode ?? null, err.message));
    });
    req.end(body);
  });
}
