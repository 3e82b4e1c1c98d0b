import { COMMAND_ARG_MAX, MAX_COMMAND_ARGS } from '@slipway/deployments-contracts';
import type { Issues } from './validation';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * `command`: exec-form arguments that replace the image's CMD, as Compose's
 * `command:` does on Swarm (ContainerSpec.Args; the ENTRYPOINT stays). Exec
 * form only: no shell parses it, so `["sh", "-c", "..."]` is how to get one.
 * null (or an absent field on create) keeps the image's CMD.
 */
export function normalizeCommand(input: unknown, issues: Issues): string[] | null {
  if (input === undefined || input === null) return null;
  if (!Array.isArray(input) || input.length === 0 || input.length > MAX_COMMAND_ARGS) {
    issues.add('command', `command must be a list of 1-${MAX_COMMAND_ARGS} strings (exec form, e.g. ["node", "server.js"]), or null for the image's own`, 'arrayLength');
    return null;
  }
  input.forEach((arg, i) => {
    if (typeof arg !== 'string') issues.add(`command[${i}]`, 'each argument must be a string', 'type', typeof arg);
    else if (arg.length > COMMAND_ARG_MAX) issues.add(`command[${i}]`, `each argument must be at most ${COMMAND_ARG_MAX} characters`, 'maxLength', arg.length);
    // The engine passes arguments to exec(2) as C strings: a NUL cannot be in one.
    else if (arg.includes('\0')) issues.add(`command[${i}]`, 'an argument cannot contain a NUL character', 'format');
    else if (LONE_SURROGATE.test(arg)) issues.add(`command[${i}]`, 'an argument must be valid Unicode (it has a lone surrogate)', 'format');
  });
  return input.map(String);
}
