import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface StoredConfig {
  url?: string;
  token?: string;
}

/** $SLIPWAY_CONFIG_DIR, else $XDG_CONFIG_HOME/slipway, else ~/.config/slipway. */
export function configDir(): string {
  return process.env.SLIPWAY_CONFIG_DIR ?? join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'slipway');
}

export function readConfig(): StoredConfig {
  try {
    return JSON.parse(readFileSync(join(configDir(), 'config.json'), 'utf8')) as StoredConfig;
  } catch {
    return {};
  }
}

/** The token is a credential: the file is 0600 in a 0700 directory. */
export function writeConfig(config: StoredConfig): string {
  const dir = configDir();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(config, null, 2) + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}

/** Environment first (SLIPWAY_URL, SLIPWAY_TOKEN), then the stored login. */
export function resolveConnection(): StoredConfig {
  const stored = readConfig();
  return { url: process.env.SLIPWAY_URL ?? stored.url ?? 'http://localhost:3000', token: process.env.SLIPWAY_TOKEN ?? stored.token };
}
