#!/usr/bin/env node
// `npm start` on a fresh clone: install if needed, build, then hand over to the
// compiled launcher. Plain JS on purpose: it runs before anything is built.
'use strict';
const { execSync } = require('node:child_process');
const { existsSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..', '..', '..');
const run = (cmd) => execSync(cmd, { cwd: root, stdio: 'inherit' });
const lock = join(root, 'package-lock.json');
const marker = join(root, 'node_modules', '.package-lock.json');

if (!existsSync(marker) || statSync(lock).mtimeMs > statSync(marker).mtimeMs) {
  console.log('Installing dependencies…');
  // npm ci where the registry has every platform's optional binaries; npm install (same lockfile) where it does not.
  try {
    run('npm ci --no-audit --no-fund');
  } catch {
    run('npm install --no-audit --no-fund');
  }
}
console.log('Building…');
run('npx tsc -b');
require(join(root, 'tools', 'cli', 'dist', 'start.js'));
