import { PreviousFix } from './model';

export interface DecodeLimits {
  /** A fix more than this ahead of `receivedAt` is flagged `future_time` and `clock`. */
  maxFutureSkewMs: number;
  /**
   * A fix older than this relative to `receivedAt` is flagged `stale_time` and `clock`. Firmware buffers fixes
   * while it has no coverage and sends them late, for hours or days: those are late fixes, not a wrong clock.
   */
  maxAgeMs: number;
  /** Implied speed between two fixes above this is flagged `impossible_speed` on the later one. */
  maxImpliedSpeedKmh: number;
  /** HDOP above this is flagged `low_quality`. */
  maxHdop: number;
  /** Fewer satellites than this (but more than 0) is flagged `low_quality`; 0 is `no_gnss_fix`. */
  minSatellites: number;
  /** Most fixes accepted in one JSON batch. */
  maxBatchSize: number;
  /** Largest payload accepted on any topic. */
  maxPayloadBytes: number;
}

export const DEFAULT_LIMITS: Readonly<DecodeLimits> = Object.freeze({
  maxFutureSkewMs: 5 * 60_000,
  maxAgeMs: 7 * 24 * 3_600_000,
  maxImpliedSpeedKmh: 250,
  maxHdop: 10,
  minSatellites: 4,
  maxBatchSize: 500,
  maxPayloadBytes: 256 * 1024,
});

export interface DecodeContext {
  /** The device whose message it is (the topic's IMEI), set on every fix; `decodeDeviceMessage` takes it from the topic. */
  deviceId?: string;
  /** Last stored fix of the device, if any. */
  previousFix?: PreviousFix;
  /** IMEI the MQTT client authenticated as; a topic naming another IMEI is refused. */
  authenticatedImei?: string;
  limits?: Partial<DecodeLimits>;
}

export function resolveLimits(context: DecodeContext | undefined): Readonly<DecodeLimits> {
  return context?.limits ? { ...DEFAULT_LIMITS, ...context.limits } : DEFAULT_LIMITS;
}
