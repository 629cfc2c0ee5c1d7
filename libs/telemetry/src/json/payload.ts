import { Rejection } from '../model';
import { rejection } from '../rejection';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export type ParsedJson = { ok: true; value: unknown } | { ok: false; rejection: Rejection };

/** Size, UTF-8 and JSON checks shared by the JSON topics. Never throws. */
export function parseJsonPayload(payload: Uint8Array, maxPayloadBytes: number): ParsedJson {
  if (payload.byteLength === 0) return refuse('empty_payload', 'the payload is empty');
  if (payload.byteLength > maxPayloadBytes) {
    return refuse(
      'payload_too_large',
      `the payload has ${payload.byteLength} bytes; the limit is ${maxPayloadBytes}`,
    );
  }
  let text: string;
  try {
    text = utf8.decode(payload);
  } catch {
    return refuse('invalid_encoding', 'the payload is not valid UTF-8');
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return refuse(
      'invalid_json',
      `the payload is not JSON: ${error instanceof Error ? error.message : 'parse error'}`,
    );
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Own property only, so keys such as `constructor` or `__proto__` never read through the prototype. */
export function ownField(object: Record<string, unknown>, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(object, key) ? object[key] : undefined;
}

export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function refuse(reason: Rejection['reason'], message: string): ParsedJson {
  return { ok: false, rejection: rejection(reason, 'message', message) };
}
