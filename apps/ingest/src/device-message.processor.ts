import { Injectable, Logger } from '@nestjs/common';
import { latLngToCell } from 'h3-js';
import { DeviceMessage, DevicePublisher } from '@app/broker';
import { NewPosition, Store } from '@app/db';
import { DEFAULT_INDEX_PARAMS } from '@app/geofence';
import {
  DecodedFix,
  PreviousFix,
  Rejection,
  decodeDeviceMessage,
  errorsPayload,
  errorsTopic,
  isOnEarth,
  parseDeviceTopic,
} from '@app/telemetry';
import { IngestCounters } from './ingest-counters';
import { MachineOfTracker, RulesEvaluator } from './rules.evaluator';

/** The resolution of the H3 cell stored with every fix; the geofence index derives its coarser cells from it. */
export const POSITION_CELL_RESOLUTION = DEFAULT_INDEX_PARAMS.fineRes;

/**
 * Turns one device message into stored fixes and rejections. It resolves only once the fixes are committed, so
 * the broker's acknowledgement to the device means "stored"; rejections go back to the device's errors topic.
 */
@Injectable()
export class DeviceMessageProcessor {
  private readonly logger = new Logger('Ingest');
  private publisher: DevicePublisher | undefined;

  constructor(
    private readonly store: Store,
    readonly counters: IngestCounters,
    private readonly rules: RulesEvaluator,
  ) {}

  usePublisher(publisher: DevicePublisher): void {
    this.publisher = publisher;
  }

  readonly handle = async (message: DeviceMessage): Promise<void> => {
    this.counters.messages++;
    const decoded = decodeDeviceMessage(message.topic, message.payload, message.receivedAt, {
      ...(message.authenticatedImei !== undefined ? { authenticatedImei: message.authenticatedImei } : {}),
      ...(await this.previousFixOf(message.topic)),
    });
    const rejections = [...decoded.rejections];
    const imei = decoded.imei;
    let accepted = 0;
    if (imei && decoded.fixes.length > 0) {
      const target = await this.store.repos.trackers.ingestTarget(imei);
      if (target) {
        await this.storeFixes(imei, target.machine, message, decoded.fixes);
        accepted = decoded.fixes.length;
      } else {
        // Defence in depth: the broker should never let an unregistered tracker publish. Nothing is stored and
        // nothing is sent back to a device the registry does not know.
        this.counters.countRejection('unknown_tracker');
        this.logger.warn(`dropped a message of unregistered tracker ${imei} on ${message.topic}`);
        return;
      }
    }
    if (decoded.status) this.counters.statusMessages++;
    for (const rejection of rejections) this.counters.countRejection(rejection.reason);
    if (imei && rejections.length > 0) await this.reportRejections(imei, message, accepted, rejections);
  };

  /** The tracker's newest stored fix, so a jump from it to this message's fixes is flagged as implausible. */
  private async previousFixOf(topic: string): Promise<{ previousFix?: PreviousFix }> {
    const parsed = parseDeviceTopic(topic);
    if (!parsed.ok || (parsed.topic.channel !== 'fixes' && parsed.topic.channel !== 'teltonika')) return {};
    const latest = await this.store.repos.positions.latest(parsed.topic.imei);
    return latest ? { previousFix: { deviceTime: latest.fix_time, lat: latest.lat, lon: latest.lon } } : {};
  }

  private async storeFixes(
    imei: string,
    machine: MachineOfTracker | null,
    message: DeviceMessage,
    fixes: DecodedFix[],
  ): Promise<void> {
    try {
      const { stored, evaluation } = await this.store.transaction(async (repos) => {
        const saved = await repos.positions.saveMessage(
          imei,
          message.topic,
          message.payload,
          message.receivedAt,
        );
        const inserted = await repos.positions.insertPositions(
          fixes.map((fix) => positionRow(imei, saved.id, fix)),
        );
        return {
          stored: inserted,
          evaluation: machine ? await this.rules.evaluate(repos, imei, machine, fixes) : undefined,
        };
      });
      await this.rules.commit(evaluation);
      this.counters.fixesStored += stored;
      this.counters.fixesDuplicate += fixes.length - stored;
    } catch (error) {
      this.counters.storageFailures++;
      throw error;
    }
  }

  private async reportRejections(
    imei: string,
    message: DeviceMessage,
    accepted: number,
    rejections: Rejection[],
  ): Promise<void> {
    if (!this.publisher) return;
    try {
      const payload = errorsPayload(message.topic, message.receivedAt, accepted, rejections);
      await this.publisher.publishToDevice(errorsTopic(imei), Buffer.from(JSON.stringify(payload)));
    } catch (error) {
      this.logger.warn(
        `could not publish rejections to ${imei}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}

export function positionRow(imei: string, messageId: string, fix: DecodedFix): NewPosition {
  return {
    imei,
    fix_time: fix.deviceTime,
    received_at: fix.receivedAt,
    lat: fix.lat,
    lon: fix.lon,
    h3_cell: isOnEarth(fix.lat, fix.lon) ? latLngToCell(fix.lat, fix.lon, POSITION_CELL_RESOLUTION) : null,
    speed_kmh: fix.speedKmh ?? null,
    heading_deg: fix.headingDeg ?? null,
    altitude_m: fix.altitudeM ?? null,
    hdop: fix.hdop ?? null,
    pdop: fix.pdop ?? null,
    satellites: fix.satellites ?? null,
    ignition: fix.ignition ?? null,
    external_voltage_v: fix.externalVoltageV ?? null,
    battery_v: fix.batteryV ?? null,
    events: fix.events,
    flags: fix.flags,
    trusted: fix.trusted,
    sequence: fix.sequence ?? null,
    source: fix.source,
    message_id: messageId,
    message_index: fix.index,
  };
}
