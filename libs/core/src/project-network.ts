/**
 * One attachable overlay network per project, shared by its databases and
 * its applications so that an application reaches a database by its
 * `internalHost` (the database service's name, dnsrr: no IPVS needed). The
 * databases and deployments services both create it idempotently, by this one
 * rule (a 409 from the engine means the other came first):
 *
 * - name `<instance, cut to 30>-p-<project id without dashes, cut to 24>`
 *   (Swarm allows 63 characters), lower case, `_` → `-`;
 * - labels `slipway.managed=true`, `slipway.scope=<instance>.databases` (the
 *   deployments collector, which sweeps `slipway.scope=<instance>`, never
 *   removes it), `slipway.project=<project id>`.
 */
export function projectNetworkName(instance: string, projectId: string): string {
  return `${instance.slice(0, 30)}-p-${projectId.replace(/-/g, '').slice(0, 24)}`.replace(/_/g, '-').toLowerCase();
}

export function projectNetworkSpec(instance: string, projectId: string): { Name: string; Driver: 'overlay'; Attachable: true; CheckDuplicate: true; Labels: Record<string, string> } {
  return {
    Name: projectNetworkName(instance, projectId),
    Driver: 'overlay',
    Attachable: true,
    CheckDuplicate: true,
    Labels: { 'slipway.managed': 'true', 'slipway.scope': `${instance}.databases`, 'slipway.project': projectId },
  };
}
