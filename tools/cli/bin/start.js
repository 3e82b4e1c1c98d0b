#!/usr/bin/env node
// `npm start` on a fresh clone: install if needed, build, then hand over to the
// compiled launcher. Plain JS on purpose: it runs before anything is built.
'use strict';
const { spawnSync } = require('node:child_process');
const { existsSync, mkdirSync, openSync, closeSync, readFileSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..', '..', '..');
const lock = join(root, 'package-lock.json');
const marker = join(root, 'node_modules', '.package-lock.json');
const logDir = join(root, '.slipway');

/** Runs a step with its output in .slipway/<name>.log; on failure shows the end of it and stops. */
function step(title, name, command, args) {
  mkdirSync(logDir, { recursive: true, mode: 0o700 });
  const logFile = join(logDir, `${name}.log`);
  process.stdout.write(`${title}… `);
  const started = Date.now();
  const fd = openSync(logFile, 'w');
  const result = spawnSync(command, args, { cwd: root, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  if (result.status === 0) {
    console.log(`done (${Math.round((Date.now() - started) / 1000)} s)`);
    return;
  }
  console.log('failed');
  const tail = readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-20).join('\n');
  console.error(`\n${tail}\n\nThe whole output is in ${logFile}.`);
  process.exit(result.status ?? 1);
}

if (!existsSync(marker) || statSync(lock).mtimeMs > statSync(marker).mtimeMs) {
  // `npm ci` installs exactly the lockfile and never rewrites it (a clean clone stays clean).
  step('Installing dependencies (npm ci)', 'npm-ci', 'npm', ['ci', '--no-audit', '--no-fund']);
}
step('Building (tsc -b)', 'build', process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-b']);
require(join(root, 'tools', 'cli', 'dist', 'start.js'));
