import { connect } from 'node:tls';

export interface ServedCertificate {
  status: 'valid' | 'failed' | 'pending';
  expiresAt: string | null;
}

/**
 * What the proxy actually serves for a domain: a TLS handshake to it with the
 * domain as SNI, reading the peer certificate (never a guess from config).
 * `valid` when the certificate names the domain and is in date, `failed` when
 * it is expired or for another name, `pending` when there is none yet (Caddy
 * refuses the handshake while it obtains one).
 */
export function probeCertificate(host: string, port: number, domain: string, timeoutMs = 2000): Promise<ServedCertificate> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, servername: domain, rejectUnauthorized: false, timeout: timeoutMs });
    const done = (v: ServedCertificate) => {
      socket.destroy();
      resolve(v);
    };
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate();
      if (!cert || !cert.valid_to) return done({ status: 'pending', expiresAt: null });
      const expiresAt = new Date(cert.valid_to).toISOString();
      const names = (cert.subjectaltname ?? '').split(',').map((s) => s.trim().replace(/^DNS:/, '').toLowerCase());
      const ok = names.includes(domain) && Date.parse(expiresAt) > Date.now();
      done({ status: ok ? 'valid' : 'failed', expiresAt });
    });
    socket.once('timeout', () => done({ status: 'pending', expiresAt: null }));
    socket.once('error', () => done({ status: 'pending', expiresAt: null }));
  });
}
