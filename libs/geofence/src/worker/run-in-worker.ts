import { Worker } from 'worker_threads';

/** A job on a worker thread that did not finish in its time; the thread was stopped. */
export class WorkerTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`did not finish within ${timeoutMs} ms`);
  }
  override get name(): string {
    return 'WorkerTimeoutError';
  }
}

/** What a worker script posts to its parent (see `workerJob`). */
export type WorkerJobMessage =
  | { kind: 'progress'; progress: unknown }
  | { kind: 'result'; json: string }
  | { kind: 'error'; error: string };

export interface RunInWorkerOptions {
  /** The thread is terminated, and the promise rejected with WorkerTimeoutError, after this many milliseconds. */
  readonly timeoutMs: number;
  readonly onProgress?: (progress: unknown) => void;
  /** Transferred to the worker rather than copied (typed arrays' buffers). */
  readonly transfer?: ArrayBuffer[];
  /** Stops the thread and rejects with the signal's reason (a process shutting down). */
  readonly signal?: AbortSignal;
}

/**
 * Runs one job on a new worker thread: `script` is the worker module's path without its extension (`.ts` when
 * this file runs as TypeScript, under @swc-node/register, else `.js`); `input` is its `workerData`. The thread is
 * terminated when the job ends, fails or runs out of time, so a runaway computation (a polygon repair that
 * explodes) never outlives its bound and never blocks the caller's event loop.
 */
export function runInWorker<T>(script: string, input: unknown, options: RunInWorkerOptions): Promise<T> {
  const ts = __filename.endsWith('.ts');
  const worker = new Worker(`${script}${ts ? '.ts' : '.js'}`, {
    workerData: input,
    execArgv: ts ? ['-r', '@swc-node/register'] : [],
    ...(options.transfer ? { transferList: options.transfer } : {}),
  });
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', abort);
      outcome();
      void worker.terminate();
    };
    const timer = setTimeout(
      () => settle(() => reject(new WorkerTimeoutError(options.timeoutMs))),
      options.timeoutMs,
    );
    worker.on('message', (message: WorkerJobMessage) => {
      if (message.kind === 'progress') {
        if (!settled) options.onProgress?.(message.progress);
      } else if (message.kind === 'result') settle(() => resolve(JSON.parse(message.json) as T));
      else settle(() => reject(new Error(message.error)));
    });
    worker.once('error', (error) => settle(() => reject(error)));
    const abort = () =>
      settle(() =>
        reject(options.signal?.reason instanceof Error ? options.signal.reason : new Error('aborted')),
      );
    if (options.signal?.aborted) abort();
    else options.signal?.addEventListener('abort', abort, { once: true });
    worker.once('exit', (code) =>
      settle(() => reject(new Error(`worker thread exited with code ${code} before its result`))),
    );
  });
}

/** The worker side: runs `work` on the thread's input and posts its result, progress and failure. */
export function workerJob<I, O>(
  port: { postMessage(message: WorkerJobMessage): void } | null,
  input: I,
  work: (input: I, progress: (progress: unknown) => void) => O | Promise<O>,
): void {
  const post = (message: WorkerJobMessage) => port?.postMessage(message);
  Promise.resolve()
    .then(() => work(input, (progress) => post({ kind: 'progress', progress })))
    .then(
      (result) => post({ kind: 'result', json: JSON.stringify(result) }),
      (error: unknown) =>
        post({ kind: 'error', error: error instanceof Error ? error.message : String(error) }),
    );
}
