import { domainToASCII } from 'node:url';
import type { Issues } from './validation';

/** DNS limits (RFC 1035): 253 characters in all, 63 per label. */
export const DOMAIN_MAX = 253;
export const PATH_PREFIX_MAX = 200;
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * A domain as the proxy and the uniqueness reservation see it: lower case,
 * IDNs in punycode (`bücher.example` → `xn--bcher-kva.example`), no trailing
 * dot, at least two labels, no wildcards (Caddy issues wildcard certificates
 * only through DNS-01, which needs a DNS provider's credentials Slipway does
 * not have), no IP addresses. Undefined when the name is not acceptable.
 */
export function normalizeDomain(input: unknown): string | undefined {
  if (typeof input !== 'string') return undefined;
  const trimmed = input.trim().replace(/\.$/, '');
  if (trimmed === '' || trimmed.length > DOMAIN_MAX * 4 || trimmed.includes('*')) return undefined;
  const ascii = domainToASCII(trimmed).toLowerCase();
  if (ascii === '' || ascii.length > DOMAIN_MAX) return undefined;
  const labels = ascii.split('.');
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l))) return undefined;
  if (/^\d+$/.test(labels[labels.length - 1])) return undefined;
  return ascii;
}

export function checkDomain(input: unknown, issues: Issues): string {
  const domain = normalizeDomain(input);
  if (!domain) {
    issues.add('domain', 'Domain must be a host name such as app.example.com (IDNs allowed; no wildcards, no IP addresses, at most 253 characters)', 'pattern', input);
  }
  return domain ?? '';
}

/** A path prefix: starts with '/', no query or fragment, printable ASCII. */
export function checkPathPrefix(input: unknown, issues: Issues): string {
  if (typeof input !== 'string' || !/^\/[A-Za-z0-9._~!$&'()+,;=:@%/-]*$/.test(input) || input.length > PATH_PREFIX_MAX || input.includes('//')) {
    issues.add('path', `Path must start with '/' and be a URL path of at most ${PATH_PREFIX_MAX} characters`, 'pattern', input);
    return '/';
  }
  return input;
}
