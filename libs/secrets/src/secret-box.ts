import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const PREFIX = 'enc:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** What responses and logs show instead of a secret (the deployments' env var mask). */
export const DEFAULT_SECRET_MASK = '********';

/**
 * Secrets at rest (secret env vars, database passwords, S3 keys): AES-256-GCM
 * with a random 96-bit IV per value; the stored form is
 * `enc:v1:<base64(iv | tag | ciphertext)>`. GCM's tag means a tampered value
 * or a wrong key fails loudly instead of decrypting to junk. The key never
 * appears in events; rotating it needs a re-encryption (v2).
 */
export class SecretBox {
  private constructor(private readonly key: Buffer) {}

  /** `SLIPWAY_SECRETS_KEY`: 32 bytes as 64 hex characters or base64/base64url. */
  static fromKey(encoded: string | undefined): SecretBox {
    const value = (encoded ?? '').trim();
    if (!value) {
      throw new Error('SLIPWAY_SECRETS_KEY is not set: it must be 32 random bytes, hex or base64 (npm start generates one in .slipway/secrets.env)');
    }
    let key: Buffer;
    if (/^[0-9a-f]{64}$/i.test(value)) key = Buffer.from(value, 'hex');
    else key = Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (key.length !== 32) {
      throw new Error(`SLIPWAY_SECRETS_KEY must decode to 32 bytes (hex or base64), got ${key.length}`);
    }
    return new SecretBox(key);
  }

  static isEncrypted(value: string): boolean {
    return value.startsWith(PREFIX);
  }

  encrypt(plaintext: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  }

  decrypt(stored: string): string {
    if (!SecretBox.isEncrypted(stored)) throw new Error('Not an encrypted value');
    const raw = Buffer.from(stored.slice(PREFIX.length), 'base64');
    if (raw.length < IV_BYTES + TAG_BYTES) throw new Error('Encrypted value is truncated');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new Error('A secret could not be decrypted: SLIPWAY_SECRETS_KEY differs from the key it was encrypted with');
    }
  }

  /** Values as stored (secrets encrypted) → plaintext, for the place that needs it (a Swarm service spec). */
  reveal<T extends { value: string; isSecret: boolean }>(values: readonly T[]): T[] {
    return values.map((v) => (v.isSecret ? { ...v, value: this.decrypt(v.value) } : v));
  }
}

/**
 * Replaces every occurrence of a secret value in free text (engine error
 * messages can echo a service spec). Values shorter than 4 characters are
 * left alone: masking "1" would mangle every log line and protect nothing.
 */
export function redact(text: string, secrets: readonly string[], mask = DEFAULT_SECRET_MASK): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join(mask);
  }
  return out;
}
