import type { LoggerService, LogLevel } from '@nestjs/common';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The product's log written to a file while the terminal shows the demo's live view. Errors are also handed to
 * `onError` (the live view prints them), so a failure never goes unseen.
 */
export class FileLogger implements LoggerService {
  private readonly stream: fs.WriteStream;
  onError: ((text: string) => void) | undefined;

  constructor(
    readonly file: string,
    private readonly levels: readonly LogLevel[],
  ) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.stream = fs.createWriteStream(file, { flags: 'a' });
  }

  log(message: unknown, ...optional: unknown[]): void {
    this.write('log', message, optional);
  }

  error(message: unknown, ...optional: unknown[]): void {
    this.write('error', message, optional);
  }

  warn(message: unknown, ...optional: unknown[]): void {
    this.write('warn', message, optional);
  }

  debug(message: unknown, ...optional: unknown[]): void {
    this.write('debug', message, optional);
  }

  verbose(message: unknown, ...optional: unknown[]): void {
    this.write('verbose', message, optional);
  }

  fatal(message: unknown, ...optional: unknown[]): void {
    this.write('fatal', message, optional);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.stream.end(() => resolve()));
  }

  private write(level: LogLevel, message: unknown, optional: readonly unknown[]): void {
    if (!this.levels.includes(level)) return;
    // Nest passes the context last; an error's stack comes before it.
    const context = optional.length > 0 ? optional[optional.length - 1] : undefined;
    const details = optional.slice(0, -1).filter((d) => d !== undefined);
    const text = message instanceof Error ? (message.stack ?? message.message) : String(message);
    const line = `${new Date().toISOString()} ${level.toUpperCase().padEnd(7)} [${String(context ?? '-')}] ${text}`;
    this.stream.write(`${[line, ...details.map(String)].join('\n')}\n`);
    if (level === 'error' || level === 'fatal') this.onError?.(`[${String(context ?? '-')}] ${text}`);
  }
}
