import { decideRegistration, parseRegistrationMode } from './registration';

const outcome = (...args: Parameters<typeof decideRegistration>): string => {
  try {
    return decideRegistration(...args);
  } catch (e) {
    return `${(e as { code: string }).code}:${JSON.stringify((e as { details: unknown }).details)}`;
  }
};

describe('registration policy', () => {
  it('by default is open for the first account (the owner), then by invitation', () => {
    expect(outcome(undefined, false, false)).toBe('owner');
    expect(outcome(undefined, true, false)).toBe('FORBIDDEN:{"registration":"invite","field":"invitationToken"}');
    expect(outcome(undefined, true, true)).toBe('invited');
  });

  it('open lets anyone register; invite needs an invitation even before the owner exists', () => {
    expect(outcome('open', true, false)).toBe('member');
    expect(outcome('open', true, true)).toBe('invited');
    expect(outcome('invite', false, false)).toBe('FORBIDDEN:{"registration":"invite","field":"invitationToken"}');
  });

  it('closed refuses everyone, invitation or not, saying whom to ask', () => {
    expect(outcome('closed', true, true)).toBe('FORBIDDEN:{"registration":"closed"}');
    expect(outcome('closed', false, false)).toBe('FORBIDDEN:{"registration":"closed"}');
    expect(() => decideRegistration('closed', true, false)).toThrow(/administrator/);
  });

  it('reads SLIPWAY_REGISTRATION strictly (a typo must not open registration)', () => {
    expect(parseRegistrationMode(undefined)).toBeUndefined();
    expect(parseRegistrationMode(' ')).toBeUndefined();
    expect(parseRegistrationMode('invite')).toBe('invite');
    expect(() => parseRegistrationMode('opne')).toThrow('SLIPWAY_REGISTRATION must be one of open, invite, closed');
  });
});
