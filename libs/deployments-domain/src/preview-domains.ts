import type { DomainSpec } from '@slipway/deployments-contracts';
import { DOMAIN_MAX, normalizeDomain } from './domain-name';
import type { DeploymentsApplication } from './deployments-app';
import type { DomainTarget } from './proxy/proxy';

/** A preview's domain as planned: routed when `reason` is null, otherwise why it has none. */
export interface PlannedPreviewDomain extends DomainSpec {
  reason: string | null;
}

/**
 * `pr-<number>.<domain>` for each domain of the application, with the same
 * path prefix, port and https setting. The derived name must still be a
 * valid host name (the application's domain may already be near the 253
 * limit) and must not be a domain some application owns: the proxy routes a
 * host to one service only, and an application's own domain wins over a
 * derived one (the preview then gets none, and its read says why).
 */
export function planPreviewDomains(number: number, appDomains: DomainSpec[], ownerOf: (domain: string) => string | undefined): PlannedPreviewDomain[] {
  return appDomains.map((d) => {
    const wanted = `pr-${number}.${d.domain}`;
    const domain = normalizeDomain(wanted);
    const base = { path: d.path, containerPort: d.containerPort, https: d.https };
    if (!domain) {
      const reason = wanted.length > DOMAIN_MAX ? `'${wanted}' would be longer than ${DOMAIN_MAX} characters` : `'${wanted}' is not a valid host name`;
      return { ...base, domain: wanted, reason };
    }
    if (ownerOf(domain) !== undefined) return { ...base, domain, reason: `'${domain}' is a domain of an application, so this preview gets none` };
    return { ...base, domain, reason: null };
  });
}

export interface OpenPreview {
  applicationId: string;
  number: number;
  serviceName: string;
  appDomains: DomainSpec[];
}

/** Open previews of applications that have at least one domain (the only ones that get preview domains). */
export async function openPreviewsWithDomains(app: DeploymentsApplication, applicationId?: string): Promise<OpenPreview[]> {
  const rows: Array<{ application_id: string; number: number; domains: DomainSpec[] }> = await app.store.dataSource.query(
    `SELECT DISTINCT d.application_id, (d.state->'preview'->>'number')::int AS number, a.state->'domains' AS domains
       FROM ${app.table('deployments')} d JOIN ${app.table('applications')} a ON a.id = d.application_id
      WHERE d.state->>'preview' IS NOT NULL AND a.deleted_at IS NULL
        AND jsonb_array_length(COALESCE(a.state->'domains', '[]'::jsonb)) > 0
        ${applicationId ? 'AND d.application_id = $1' : ''}`,
    applicationId ? [applicationId] : [],
  );
  const open: OpenPreview[] = [];
  for (const r of rows) {
    const preview = await app.aggregates.loadPreview(r.application_id, r.number);
    if (preview.status === 'open') open.push({ applicationId: r.application_id, number: r.number, serviceName: preview.serviceName, appDomains: r.domains });
  }
  return open;
}

/** Which application owns each of these domains (the platform-wide reservation). */
export async function domainOwners(app: DeploymentsApplication, domains: string[]): Promise<Map<string, string>> {
  if (domains.length === 0) return new Map();
  const rows: Array<{ domain: string; application_id: string }> = await app.store.dataSource.query(
    `SELECT domain, application_id FROM ${app.table('application_domains')} WHERE domain = ANY($1::text[])`,
    [domains],
  );
  return new Map(rows.map((r) => [r.domain, r.application_id]));
}

/** Plans for these previews, with the ownership of every derived name looked up once. */
export async function planAll(app: DeploymentsApplication, previews: OpenPreview[]): Promise<Array<OpenPreview & { domains: PlannedPreviewDomain[] }>> {
  const wanted = previews.flatMap((p) => p.appDomains.map((d) => `pr-${p.number}.${d.domain}`));
  const owners = await domainOwners(app, wanted);
  return previews.map((p) => ({ ...p, domains: planPreviewDomains(p.number, p.appDomains, (d) => owners.get(d)) }));
}

/** What the proxy routes for previews: every planned domain without a reason, to the preview's own service. */
export async function previewDomainTargets(app: DeploymentsApplication): Promise<DomainTarget[]> {
  const planned = await planAll(app, await openPreviewsWithDomains(app));
  return planned.flatMap((p) =>
    p.domains
      .filter((d) => d.reason === null)
      .map((d) => ({ domain: d.domain, path: d.path, https: d.https, containerPort: d.containerPort, serviceName: p.serviceName, applicationId: p.applicationId, preview: p.number })),
  );
}
