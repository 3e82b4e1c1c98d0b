import { randomBytes } from 'node:crypto';
import { SecretBox, redact } from './secret-box';

describe('SecretBox', () => {
  const hexKey = randomBytes(32).toString('hex');

  it('round-trips a value and never stores the plaintext', () => {
    const box = SecretBox.fromKey(hexKey);
    const stored = box.encrypt('s3cr3t-value');
    expect(stored).toMatch(/^enc:v1:/);
    expect(stored).not.toContain('s3cr3t');
    expect(box.decrypt(stored)).toBe('s3cr3t-value');
    // A fresh IV per value: the same plaintext never encrypts the same way twice.
    expect(box.encrypt('s3cr3t-value')).not.toBe(stored);
  });

  it('accepts base64 and base64url keys of 32 bytes and rejects anything else', () => {
    const raw = randomBytes(32);
    expect(() => SecretBox.fromKey(raw.toString('base64'))).not.toThrow();
    expect(() => SecretBox.fromKey(raw.toString('base64url'))).not.toThrow();
    expect(() => SecretBox.fromKey(undefined)).toThrow(/SLIPWAY_SECRETS_KEY is not set/);
    expect(() => SecretBox.fromKey(randomBytes(16).toString('hex'))).toThrow(/32 bytes/);
  });

  it('fails loudly with another key or a tampered value', () => {
    const stored = SecretBox.fromKey(hexKey).encrypt('value');
    expect(() => SecretBox.fromKey(randomBytes(32).toString('hex')).decrypt(stored)).toThrow(/could not be decrypted/);
    const tampered = stored.slice(0, -2) + (stored.endsWith('A') ? 'B' : 'A') + '=';
    expect(() => SecretBox.fromKey(hexKey).decrypt(tampered)).toThrow();
  });

  it('reveals only secrets', () => {
    const box = SecretBox.fromKey(hexKey);
    const stored = [
      { key: 'PORT', value: '8080', isSecret: false },
      { key: 'TOKEN', value: box.encrypt('hunter22'), isSecret: true },
    ];
    expect(box.reveal(stored)).toEqual([
      { key: 'PORT', value: '8080', isSecret: false },
      { key: 'TOKEN', value: 'hunter22', isSecret: true },
    ]);
  });
});

describe('redact', () => {
  it('masks every occurrence of secrets of 4+ characters', () => {
    expect(redact('env TOKEN=hunter22 and again hunter22; id 1', ['hunter22', '1'])).toBe('env TOKEN=******** and again ********; id 1');
    expect(redact('postgresql://u:hunter22@h', ['hunter22'], '***')).toBe('postgresql://u:***@h');
  });
});
