import { request } from 'node:http';

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
}

/**
 * One request exactly as generated: node's http client, not fetch, so the
 * path is not normalised (`..`, `%2e`), GET may carry a body and bytes that
 * are not UTF-8 go out as they are.
 */
export function send(baseUrl: string, method: string, path: string, headers: Record<string, string>, body: Buffer | undefined, timeoutMs: number): Promise<RawResponse> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, method, path, headers: { ...headers, ...(body ? { 'content-length': String(body.length) } : {}) } },
      (res) => {
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(', ') : v);
        // A followed log stream (follow=true) never ends by itself: its status and headers are the answer.
        if (/^text\/event-stream/i.test(h.get('content-type') ?? '')) {
          resolve({ status: res.statusCode ?? 0, headers: h, text: '' });
          req.destroy();
          return;
        }
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, headers: h, text: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', reject);
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (e: NodeJS.ErrnoException) => {
      // The gateway may answer (413, 431) and close before the whole body is written.
      if (e.code === 'EPIPE' || e.code === 'ECONNRESET') reject(Object.assign(new Error(`connection closed: ${e.code}`), { closed: true }));
      else reject(e);
    });
    req.end(body);
  });
}
