import { request } from 'node:http';
import { ADMIN_HOST } from './caddy-config';

/**
 * Caddy's admin API over its unix socket (bind-mounted from the proxy's
 * directory on the host): never published on a port, so only Slipway can
 * reconfigure the proxy.
 */
export class CaddyAdmin {
  constructor(private readonly socketPath: string, private readonly timeoutMs = 10_000) {}

  /** Replaces the whole config; Caddy swaps it in gracefully (no restart, open connections finish). */
  async load(config: unknown): Promise<void> {
    await this.call('POST', '/load', JSON.stringify(config));
  }

  async config(): Promise<unknown> {
    return JSON.parse(await this.call('GET', '/config/'));
  }

  /** PEM of the internal CA's root: clients trust it to reach internal-CA domains over HTTPS. */
  async rootCertificate(): Promise<string> {
    const body = JSON.parse(await this.call('GET', '/pki/ca/local')) as { root_certificate?: string };
    if (!body.root_certificate) throw new Error('caddy admin: /pki/ca/local has no root_certificate');
    return body.root_certificate;
  }

  async metrics(): Promise<string> {
    return this.call('GET', '/metrics');
  }

  async reachable(): Promise<boolean> {
    try {
      await this.call('GET', '/config/');
      return true;
    } catch {
      return false;
    }
  }

  private call(method: string, path: string, body?: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          socketPath: this.socketPath,
          method,
          path,
          // Caddy checks the Host of admin requests against admin.origins.
          headers: { Host: ADMIN_HOST, ...(body ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } : {}) },
          timeout: this.timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if ((res.statusCode ?? 500) >= 400) reject(new Error(`caddy admin ${method} ${path}: ${res.statusCode} ${text.slice(0, 500)}`));
            else resolve(text);
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`caddy admin ${method} ${path}: timed out`)));
      req.on('error', reject);
      req.end(body);
    });
  }
}
