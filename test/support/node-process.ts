import { ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

export interface NodeProcessOptions {
  /** Extra Node flags (e.g. a CPU profile). */
  readonly nodeArgs?: readonly string[];
  readonly timeoutMs?: number;
  /** Called with every chunk the process writes to stdout. */
  readonly onStdout?: (chunk: string) => void;
}

/**
 * Starts one of the product's entry points (TypeScript, as `npm run start:*` does) as a child process and
 * resolves once its output contains `ready`; rejects with that output if it exits or times out first.
 */
export function startNodeProcess(
  entry: string,
  env: Record<string, string>,
  ready: string,
  options: NodeProcessOptions = {},
): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '-r', '@swc-node/register', entry], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const timer = setTimeout(
      () => reject(new Error(`${entry} did not start:\n${output}`)),
      options.timeoutMs ?? 45_000,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(ready)) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    if (options.onStdout) child.stdout?.on('data', (chunk: Buffer) => options.onStdout?.(chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${entry} exited with ${String(code)}:\n${output}`));
    });
  });
}

/** Stops a process started by `startNodeProcess` with the signal and resolves once it has exited. */
export function stopNodeProcess(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}
