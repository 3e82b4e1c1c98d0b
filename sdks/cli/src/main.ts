import { readFileSync, writeFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { SlipwayClient, SlipwayError, type Deployment } from '@slipway/sdk';
import { resolveConnection, writeConfig } from './config';
import { progressBar, table } from './output';

/** Documented exit codes (README): scripts branch on them. */
export const EXIT = { ok: 0, failed: 1, usage: 2, auth: 3, notFound: 4, server: 5 } as const;

export function exitCodeOf(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  if (err instanceof UsageError) return EXIT.usage;
  if (err instanceof OperationFailed) return EXIT.failed;
  if (err instanceof SlipwayError) {
    if (err.status === 401 || err.status === 403) return EXIT.auth;
    if (err.status === 404) return EXIT.notFound;
    if (err.status === 0 || err.status >= 500) return EXIT.server;
    return EXIT.failed;
  }
  return EXIT.server;
}

class UsageError extends Error {}
class OperationFailed extends Error {}

interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

type Json = Record<string, unknown>;

export async function main(argv: string[], io: Io = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) }): Promise<number> {
  const program = new Command('slipway')
    .description('Slipway from the command line. Exit codes: 0 ok, 1 operation failed, 2 usage, 3 not authenticated/forbidden, 4 not found, 5 server or network')
    .option('--json', 'print JSON instead of tables')
    .option('--url <url>', 'the Slipway URL (default $SLIPWAY_URL, the stored login, or http://localhost:3000)')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });

  const json = () => program.opts<{ json?: boolean }>().json === true;
  const client = () => {
    const conn = resolveConnection();
    const url = program.opts<{ url?: string }>().url ?? conn.url!;
    if (!conn.token) throw new SlipwayError('UNAUTHORIZED', 'Not logged in: run `slipway login` or set SLIPWAY_TOKEN', 401);
    return new SlipwayClient({ baseUrl: url, token: conn.token });
  };
  const print = (data: unknown, columns: string[], rows?: Json[]) => {
    if (json()) return io.out(JSON.stringify(data, null, 2) + '\n');
    const list = rows ?? (Array.isArray(data) ? (data as Json[]) : [data as Json]);
    io.out(table(list, columns));
  };
  const done = (message: string, data: unknown) => (json() ? io.out(JSON.stringify(data ?? {}, null, 2) + '\n') : io.out(message + '\n'));
  const int = (value: string) => {
    if (!/^\d+$/.test(value)) throw new UsageError(`'${value}' is not a whole number`);
    return Number(value);
  };

  program
    .command('login')
    .description('Store a token for later commands (in the config directory, mode 0600)')
    .option('--token <token>', 'an API key or JWT to store as is')
    .option('-u, --username <username>')
    .option('-p, --password <password>', 'or $SLIPWAY_PASSWORD')
    .action(async (o: { token?: string; username?: string; password?: string }) => {
      const url = program.opts<{ url?: string }>().url ?? resolveConnection().url!;
      let token = o.token;
      if (!token) {
        const password = o.password ?? process.env.SLIPWAY_PASSWORD;
        if (!o.username || !password) throw new UsageError('login needs --token, or --username and --password');
        const res = (await new SlipwayClient({ baseUrl: url }).auth.login({ username: o.username, password } as never)) as { token: string };
        token = res.token;
      }
      await new SlipwayClient({ baseUrl: url, token }).auth.me();
      const file = writeConfig({ url, token });
      done(`Logged in to ${url} (token stored in ${file})`, { url, file });
    });

  const projects = program.command('projects').description('Projects');
  projects.command('ls').description('List projects').action(async () => {
    const rows = await all(client().projects.listAll());
    print(rows, ['id', 'name', 'description', 'createdAt']);
  });
  projects
    .command('create <name>')
    .description('Create a project')
    .option('-d, --description <text>')
    .action(async (name: string, o: { description?: string }) => print(await client().projects.create({ name, ...(o.description ? { description: o.description } : {}) } as never), ['id', 'name']));
  projects.command('rm <id>').description('Delete a project').action(async (id: string) => done(`Deleted project ${id}`, await client().projects.delete(id)));

  const apps = program.command('apps').description('Applications');
  apps
    .command('ls')
    .description('List applications')
    .option('--project <id>', 'only this project')
    .action(async (o: { project?: string }) => print(await all(client().applications.listAll(o.project ? { projectId: o.project } : {})), ['id', 'name', 'status', 'replicas', 'image']));
  apps
    .command('create <name>')
    .description('Create an application from an image')
    .requiredOption('--project <id>')
    .requiredOption('--image <image>')
    .option('--replicas <n>', 'replicas', int)
    .action(async (name: string, o: { project: string; image: string; replicas?: number }) =>
      print(await client().applications.create({ name, projectId: o.project, image: o.image, ...(o.replicas !== undefined ? { replicas: o.replicas } : {}) } as never), ['id', 'name', 'status']),
    );
  apps
    .command('deploy <id>')
    .description('Deploy an application; --wait shows the stages and exits 1 when the deployment fails')
    .option('--wait', 'wait for the outcome, with a progress bar')
    .option('--force', 'deploy even if nothing changed')
    .action(async (id: string, o: { wait?: boolean; force?: boolean }) => {
      const c = client();
      const accepted = (await c.applications.deploy(id, o.force ? { force: true } : {})) as { deploymentId: string };
      if (!o.wait) return done(`Deployment ${accepted.deploymentId} queued`, accepted);
      const final = await c.deployments.wait(accepted.deploymentId, {
        intervalMs: 500,
        onProgress: (d) => {
          if (json()) return;
          const stage = d.stages?.find((s) => s.status === 'running')?.name ?? d.status;
          io.err(`${progressBar(d.progress ?? 0)} ${stage}\n`);
        },
      });
      if (json()) io.out(JSON.stringify(final, null, 2) + '\n');
      else io.out(`Deployment ${final.id} ${final.status}${final.error ? `: ${JSON.stringify(final.error)}` : ''}\n`);
      if (final.status !== 'success') throw new OperationFailed(`deployment ${final.status}`);
    });
  apps
    .command('logs <id>')
    .description("An application's logs; -f follows them")
    .option('-f, --follow', 'stream new lines until interrupted')
    .option('--tail <n>', 'lines to start with', int)
    .action(async (id: string, o: { follow?: boolean; tail?: number }) => {
      const c = client();
      const show = (l: { timestamp: string; message: string }) => io.out(json() ? JSON.stringify(l) + '\n' : `${l.timestamp} ${l.message}\n`);
      if (!o.follow) {
        const res = (await c.applications.logs(id, o.tail !== undefined ? { tail: o.tail } : {})) as { logs: { timestamp: string; message: string }[] };
        return res.logs.forEach(show);
      }
      const stream = c.applications.logs(id, { follow: true, ...(o.tail !== undefined ? { tail: o.tail } : {}) });
      process.once('SIGINT', () => stream.close());
      for await (const line of stream) show(line);
    });
  apps
    .command('scale <id> <replicas>')
    .description('Set the number of replicas')
    .action(async (id: string, replicas: string) => done(`Scaling ${id} to ${replicas}`, await client().applications.scale(id, int(replicas))));
  for (const action of ['restart', 'stop', 'start'] as const) {
    apps
      .command(`${action} <id>`)
      .description(`${action[0]!.toUpperCase()}${action.slice(1)} an application`)
      .action(async (id: string) => done(`${action} requested for ${id}`, await client().applications[action](id)));
  }
  apps
    .command('rollback <id>')
    .description('Roll back to the previous successful deployment (or --to <deploymentId>)')
    .option('--to <deploymentId>')
    .action(async (id: string, o: { to?: string }) => {
      const c = client();
      let target = o.to;
      if (!target) {
        const page = (await c.applications.deployments(id, { limit: 50 } as never)) as { data: Deployment[] };
        const successes = page.data.filter((d) => d.status === 'success');
        target = successes[1]?.id;
        if (!target) throw new OperationFailed('no earlier successful deployment to roll back to');
      }
      done(`Rolling back to ${target}`, await c.deployments.rollback(target));
    });
  const env = apps.command('env').description('Environment variables');
  env
    .command('pull <id> [file]')
    .description('Write the variables as KEY=value lines (secrets masked) to a file or stdout')
    .action(async (id: string, file?: string) => {
      const app = (await client().applications.get(id)) as { envVars?: { key: string; value: string }[] };
      const text = (app.envVars ?? []).map((v) => `${v.key}=${v.value}`).join('\n') + '\n';
      if (json()) return io.out(JSON.stringify(app.envVars ?? [], null, 2) + '\n');
      if (file) writeFileSync(file, text, { mode: 0o600 });
      else io.out(text);
    });
  env
    .command('push <id> <file>')
    .description('Upsert the KEY=value lines of a file (other variables stay)')
    .action(async (id: string, file: string) => {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
      }
      const vars = text
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('#'))
        .map((l) => {
          const at = l.indexOf('=');
          if (at <= 0) throw new UsageError(`not KEY=value: ${l}`);
          return { key: l.slice(0, at), value: l.slice(at + 1) };
        });
      done(`Pushed ${vars.length} variable(s)`, await client().applications.update(id, { envVars: vars } as never));
    });

  const db = program.command('db').description('Databases');
  db.command('ls').description('List databases').option('--project <id>').action(async (o: { project?: string }) =>
    print(await all(client().databases.listAll(o.project ? { projectId: o.project } : {})), ['id', 'name', 'type', 'version', 'status']),
  );
  db.command('create <name>')
    .description('Create a database')
    .requiredOption('--project <id>')
    .requiredOption('--type <type>', 'postgres, mysql, mariadb, mongo or redis')
    .requiredOption('--version <version>')
    .action(async (name: string, o: { project: string; type: string; version: string }) =>
      print(await client().databases.create({ name, projectId: o.project, type: o.type, version: o.version } as never), ['id', 'name', 'type', 'status']),
    );
  db.command('backup <id>').description('Back up a database now').action(async (id: string) => done(`Backup of ${id} started`, await client().backups.create(id)));
  db.command('restore <id> <backupId>').description('Restore a backup into its database').action(async (id: string, backupId: string) =>
    done(`Restore of ${backupId} started`, await client().backups.restore(id, backupId)),
  );
  db.command('connect-info <id>').description('Connection details (host, port, user, password)').action(async (id: string) => {
    const info = await client().databases.connection(id);
    print(info, Object.keys(info as Json));
  });

  const deployments = program.command('deployments').description('Deployments');
  deployments.command('ls').description('List deployments').option('--app <id>').action(async (o: { app?: string }) =>
    print(await all(client().deployments.listAll(o.app ? ({ applicationId: o.app } as never) : {})), ['id', 'applicationId', 'status', 'progress', 'createdAt']),
  );
  deployments.command('show <id>').description('One deployment').action(async (id: string) => print(await client().deployments.get(id), ['id', 'status', 'progress', 'image', 'error']));
  deployments
    .command('logs <id>')
    .description("A deployment's build and rollout output; -f streams it until the deployment ends")
    .option('-f, --follow', 'stream lines as they are written, until the deployment ends')
    .action(async (id: string, o: { follow?: boolean }) => {
      const c = client();
      if (o.follow) {
        const stream = c.deployments.logs(id, { follow: true });
        process.once('SIGINT', () => stream.close());
        for await (const line of stream) io.out(json() ? JSON.stringify(line) + '\n' : `${line.timestamp} ${line.message}\n`);
        return;
      }
      const res = (await c.deployments.logs(id)) as Json;
      io.out(json() ? JSON.stringify(res, null, 2) + '\n' : logText(res));
    });

  try {
    if (argv.length <= 2) {
      program.outputHelp();
      return EXIT.usage;
    }
    await program.parseAsync(argv);
    return EXIT.ok;
  } catch (err) {
    const code = exitCodeOf(err);
    if (!(err instanceof CommanderError)) {
      if (json()) io.err(JSON.stringify({ error: err instanceof SlipwayError ? { code: err.code, message: err.message, status: err.status, requestId: err.requestId, details: err.details } : { message: (err as Error).message } }) + '\n');
      else io.err(`Error: ${(err as Error).message}${err instanceof SlipwayError && err.requestId ? ` (request ${err.requestId})` : ''}\n`);
    }
    return code;
  }
}

function logText(res: Json): string {
  const lines = (res.logs ?? res.lines ?? res.buildOutput) as unknown;
  if (Array.isArray(lines)) return lines.map((l) => (typeof l === 'string' ? l : (l as Json).message ?? JSON.stringify(l))).join('\n') + '\n';
  return JSON.stringify(res, null, 2) + '\n';
}

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
