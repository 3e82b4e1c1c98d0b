import { planPreviewDomains } from './preview-domains';

const web = { domain: 'app.example.com', path: '/', containerPort: 8080, https: true };

describe('planPreviewDomains', () => {
  it('given an application domain, when planned, then the preview gets pr-<number>.<domain> with the same path, port and https', () => {
    const api = { domain: 'api.example.com', path: '/v1', containerPort: 3000, https: false };
    expect(planPreviewDomains(7, [web, api], () => undefined)).toEqual([
      { domain: 'pr-7.app.example.com', path: '/', containerPort: 8080, https: true, reason: null },
      { domain: 'pr-7.api.example.com', path: '/v1', containerPort: 3000, https: false, reason: null },
    ]);
  });

  it('given an application owns the derived name, when planned, then the preview gets none and says why', () => {
    const [d] = planPreviewDomains(7, [web], (d) => (d === 'pr-7.app.example.com' ? 'other-app' : undefined));
    expect(d.reason).toMatch(/is a domain of an application/);
  });

  it('given a domain near the 253 limit, when planned, then the derived name is refused as too long', () => {
    const long = `${Array.from({ length: 4 }, () => 'a'.repeat(61)).join('.')}.io`; // 250 characters
    expect(long.length).toBe(250);
    const [d] = planPreviewDomains(12, [{ ...web, domain: long }], () => undefined);
    expect(d.reason).toMatch(/longer than 253/);
  });

  it('given a punycode domain, when planned, then the derived name stays punycode and lower case', () => {
    expect(planPreviewDomains(3, [{ ...web, domain: 'xn--bcher-kva.example' }], () => undefined)[0]).toMatchObject({ domain: 'pr-3.xn--bcher-kva.example', reason: null });
  });
});
