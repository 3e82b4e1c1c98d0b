import { describe, expect, it } from '@jest/globals';
import { UpcasterChain } from './upcasting';

describe('UpcasterChain', () => {
  const chain = new UpcasterChain([
    { type: 'AppCreated', fromVersion: 1, upcast: (d: { name: string }) => ({ displayName: d.name }) },
    {
      type: 'AppCreated',
      fromVersion: 2,
      upcast: (d: { displayName: string }, meta) => ({ ...d, region: (meta.region as string | undefined) ?? 'eu-1' }),
    },
  ]);

  it('chains v1 → v2 → v3 and reports the final version', () => {
    expect(chain.upcast('AppCreated', 1, { name: 'web' }, {})).toEqual({
      schemaVersion: 3,
      data: { displayName: 'web', region: 'eu-1' },
    });
  });

  it('starts from the stored version and passes metadata', () => {
    expect(chain.upcast('AppCreated', 2, { displayName: 'web' }, { region: 'us-2' })).toEqual({
      schemaVersion: 3,
      data: { displayName: 'web', region: 'us-2' },
    });
  });

  it('leaves current and unknown types alone', () => {
    const data = { displayName: 'x', region: 'r' };
    expect(chain.upcast('AppCreated', 3, data, {})).toEqual({ schemaVersion: 3, data });
    expect(chain.upcast('Other', 1, { a: 1 }, {})).toEqual({ schemaVersion: 1, data: { a: 1 } });
  });

  it('derives the current version from the chain unless configured', () => {
    expect(chain.currentVersion('AppCreated')).toBe(3);
    expect(chain.currentVersion('Other')).toBe(1);
    const configured = new UpcasterChain([], { Other: 4 });
    expect(configured.currentVersion('Other')).toBe(4);
  });

  it('rejects duplicate steps, steps at or past the current version and bad versions', () => {
    const up = (d: unknown): unknown => d;
    expect(() => new UpcasterChain([{ type: 'A', fromVersion: 1, upcast: up }, { type: 'A', fromVersion: 1, upcast: up }])).toThrow(/Two upcasters/);
    expect(() => new UpcasterChain([{ type: 'A', fromVersion: 2, upcast: up }], { A: 2 })).toThrow(/not below/);
    expect(() => new UpcasterChain([{ type: 'A', fromVersion: 0, upcast: up }])).toThrow(/invalid fromVersion/);
    expect(() => new UpcasterChain([], { A: 0 })).toThrow(/positive integer/);
  });
});
