import { defaultEnvironmentId, uuidV5 } from './environments';

describe('uuidV5', () => {
  it('matches the RFC 9562 example (DNS namespace, www.example.com)', () => {
    expect(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });

  it('gives each project one stable default environment id', () => {
    const id = defaultEnvironmentId('0B6E5A4C-1111-4222-8333-444455556666');
    expect(id).toBe(defaultEnvironmentId('0b6e5a4c-1111-4222-8333-444455556666'));
    expect(id).not.toBe(defaultEnvironmentId('0b6e5a4c-1111-4222-8333-444455556667'));
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
