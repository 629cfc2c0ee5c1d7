import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from './ports';

export interface RunningMosquitto {
  readonly url: string;
  /** With `tls`: an `mqtts://` listener whose certificate (for 127.0.0.1) is signed by the CA in `caFile`. */
  readonly tlsUrl?: string;
  readonly caFile?: string;
  readonly adminUsername: string;
  readonly adminPassword: string;
  /**
   * Adds a dynamic-security account with a role of its own holding these ACLs (`[type, topic filter]`, allowed),
   * e.g. `['publishClientSend', 'devices/#']` for publishers that stand in for the trackers.
   */
  addAccount(username: string, password: string, acls: readonly (readonly [string, string])[]): void;
  /** Kills the broker with `signal` (SIGKILL: a crash, SIGTERM: a clean stop); resolves once it has exited. */
  kill(signal: NodeJS.Signals): Promise<void>;
  /** Starts the killed broker again, on the same port, configuration and persistence directory. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const PLUGIN_CANDIDATES = [
  '/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so',
  '/usr/lib/aarch64-linux-gnu/mosquitto_dynamic_security.so',
  '/usr/lib/mosquitto_dynamic_security.so',
];

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`mosquitto did not listen on ${port}`);
}

/** A CA of its own and a server certificate for 127.0.0.1 signed by it, made with openssl in `dir`. */
function makeCertificates(dir: string): { caFile: string; certFile: string; keyFile: string } {
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=Centinela test CA',
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.crt'),
  );
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=127.0.0.1',
    '-keyout',
    file('server.key'),
    '-out',
    file('server.csr'),
  );
  fs.writeFileSync(file('server.ext'), 'subjectAltName=IP:127.0.0.1\n');
  openssl(
    'x509',
    '-req',
    '-in',
    file('server.csr'),
    '-CA',
    file('ca.crt'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    file('server.ext'),
    '-out',
    file('server.crt'),
  );
  return { caFile: file('ca.crt'), certFile: file('server.crt'), keyFile: file('server.key') };
}

/**
 * Starts a Mosquitto of our own on a free port, with the project's configuration (deploy/mosquitto/mosquitto.conf)
 * adapted to a temporary directory, and its dynamic-security plugin initialised. Its TLS listener is left out
 * unless `tls` is set: then it listens on a second free port with a certificate from a CA of the test's own.
 */
export async function startMosquitto(options: { tls?: boolean } = {}): Promise<RunningMosquitto> {
  const plugin = PLUGIN_CANDIDATES.find((candidate) => fs.existsSync(candidate));
  if (!plugin)
    throw new Error('the Mosquitto dynamic-security plugin is not installed (Debian package mosquitto)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'centinela-mosquitto-'));
  const port = await freePort();
  const adminUsername = 'centinela-admin';
  const adminPassword = `admin-${Math.random().toString(36).slice(2)}-secret`;
  const dynsecFile = path.join(dir, 'dynamic-security.json');
  execFileSync('mosquitto_ctrl', ['dynsec', 'init', dynsecFile, adminUsername, adminPassword], {
    stdio: 'ignore',
  });
  const tls = options.tls ? { port: await freePort(), ...makeCertificates(dir) } : undefined;
  const template = fs.readFileSync(path.resolve(__dirname, '../../deploy/mosquitto/mosquitto.conf'), 'utf8');
  const config = template
    .split('\n')
    .filter((line) => !/^(listener 8883|certfile|keyfile)/.test(line))
    .map((line) =>
      line
        .replace(/^plugin .*/, `plugin ${plugin}`)
        .replace(/^plugin_opt_config_file .*/, `plugin_opt_config_file ${dynsecFile}`)
        .replace(/^persistence_location .*/, `persistence_location ${dir}/`)
        .replace(/^listener 1883$/, `listener ${port} 127.0.0.1`),
    )
    .join('\n')
    // Run as root, Mosquitto would switch to the "mosquitto" user, who cannot read this private directory.
    .concat(process.getuid?.() === 0 ? '\nuser root\n' : '\n')
    .concat(tls ? `listener ${tls.port} 127.0.0.1\ncertfile ${tls.certFile}\nkeyfile ${tls.keyFile}\n` : '');
  const configFile = path.join(dir, 'mosquitto.conf');
  fs.writeFileSync(configFile, config);
  let child: ChildProcess;
  const launch = async () => {
    child = spawn('mosquitto', ['-c', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      await waitForPort(port, 10_000);
      if (tls) await waitForPort(tls.port, 10_000);
    } catch (error) {
      child.kill('SIGKILL');
      throw new Error(`${error instanceof Error ? error.message : String(error)}: ${stderr}`, {
        cause: error,
      });
    }
  };
  const kill = (signal: NodeJS.Signals) =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  await launch();
  const dynsec = (...args: string[]) =>
    execFileSync(
      'mosquitto_ctrl',
      ['-h', '127.0.0.1', '-p', String(port), '-u', adminUsername, '-P', adminPassword, 'dynsec', ...args],
      { stdio: 'ignore' },
    );
  return {
    url: `mqtt://127.0.0.1:${port}`,
    ...(tls ? { tlsUrl: `mqtts://127.0.0.1:${tls.port}`, caFile: tls.caFile } : {}),
    adminUsername,
    adminPassword,
    addAccount: (username, password, acls) => {
      dynsec('createRole', username);
      for (const [type, topic] of acls) dynsec('addRoleACL', username, type, topic, 'allow');
      dynsec('createClient', username, '-p', password);
      dynsec('addClientRole', username, username);
    },
    kill,
    restart: launch,
    stop: async () => {
      await kill('SIGTERM');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
