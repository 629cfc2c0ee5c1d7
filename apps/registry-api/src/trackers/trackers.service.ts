import { Inject, Injectable } from '@nestjs/common';
import { DEVICE_DIRECTORY, DeviceDirectory } from '@app/broker';
import { APP_CONFIG, AppConfig } from '@app/config';
import { Store, TrackerRow } from '@app/db';
import { generateDeviceSecret, hashDeviceSecret } from '@app/registry';
import {
  AuthenticatedUser,
  actorOf,
  conflict,
  notFound,
  unprocessable,
  Page,
  pageWindow,
  toPage,
} from '@app/platform';
import { CreateTrackerDto, TrackerQueryDto, UpdateTrackerDto } from './trackers.dto';

export interface TrackerView {
  id: string;
  imei: string;
  model: string;
  firmware: string | null;
  iccid: string | null;
  intervalMovingSeconds: number;
  intervalIgnitionOffSeconds: number;
  credentials: 'none' | 'active' | 'revoked';
  credentialsIssuedAt: Date | null;
  credentialsRevokedAt: Date | null;
  machineId?: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export function trackerView(row: TrackerRow): TrackerView {
  return {
    id: row.id,
    imei: row.imei,
    model: row.model,
    firmware: row.firmware,
    iccid: row.iccid,
    intervalMovingSeconds: row.interval_moving_seconds,
    intervalIgnitionOffSeconds: row.interval_ignition_off_seconds,
    credentials: row.secret_hash ? 'active' : row.credentials_revoked_at ? 'revoked' : 'none',
    credentialsIssuedAt: row.credentials_issued_at,
    credentialsRevokedAt: row.credentials_revoked_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export interface IssuedCredentials {
  trackerId: string;
  username: string;
  clientId: string;
  password: string;
  issuedAt: Date;
  note: string;
}

@Injectable()
export class TrackersService {
  constructor(
    private readonly store: Store,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(DEVICE_DIRECTORY) private readonly directory: DeviceDirectory,
  ) {}

  create(input: CreateTrackerDto, by: AuthenticatedUser): Promise<TrackerView> {
    return this.store.transaction(async (repos) => {
      if (await repos.trackers.findByImei(input.imei))
        throw conflict('imei', 'a tracker with this IMEI is already registered');
      const tracker = trackerView(
        await repos.trackers.create({
          imei: input.imei,
          model: input.model.trim(),
          firmware: input.firmware ?? null,
          iccid: input.iccid ?? null,
          interval_moving_seconds: input.intervalMovingSeconds,
          interval_ignition_off_seconds: input.intervalIgnitionOffSeconds,
        }),
      );
      await repos.audit.record({
        actor: actorOf(by),
        action: 'tracker.registered',
        entityType: 'tracker',
        entityId: tracker.id,
        after: tracker,
      });
      return tracker;
    });
  }

  async get(id: string) {
    const tracker = await this.store.repos.trackers.findById(id);
    if (!tracker) throw notFound('tracker', id);
    const bindings = await this.store.repos.trackers.bindingsOfTracker(id);
    return {
      ...trackerView(tracker),
      machineId: bindings.find((b) => b.unbound_at === null)?.machine_id ?? null,
      machines: bindings.map((b) => ({
        machineId: b.machine_id,
        registryNumber: b.registry_number,
        from: b.bound_at,
        to: b.unbound_at,
      })),
    };
  }

  async search(query: TrackerQueryDto): Promise<Page<TrackerView>> {
    const result = await this.store.repos.trackers.search({
      imei: query.imei,
      model: query.model,
      bound: query.bound === undefined ? undefined : query.bound === 'true',
      ...pageWindow(query),
    });
    return toPage(query, result, (row) => ({ ...trackerView(row), machineId: row.machine_id }));
  }

  update(id: string, changes: UpdateTrackerDto, by: AuthenticatedUser): Promise<TrackerView> {
    return this.store.transaction(async (repos) => {
      const before = await repos.trackers.findById(id);
      if (!before) throw notFound('tracker', id);
      const after = trackerView(
        (await repos.trackers.update(id, {
          ...(changes.model !== undefined ? { model: changes.model.trim() } : {}),
          ...(changes.firmware !== undefined ? { firmware: changes.firmware } : {}),
          ...(changes.iccid !== undefined ? { iccid: changes.iccid } : {}),
          ...(changes.intervalMovingSeconds !== undefined
            ? { interval_moving_seconds: changes.intervalMovingSeconds }
            : {}),
          ...(changes.intervalIgnitionOffSeconds !== undefined
            ? { interval_ignition_off_seconds: changes.intervalIgnitionOffSeconds }
            : {}),
        }))!,
      );
      await repos.audit.record({
        actor: actorOf(by),
        action: 'tracker.updated',
        entityType: 'tracker',
        entityId: id,
        before: trackerView(before),
        after,
      });
      return after;
    });
  }

  /** Issues (or rotates) the tracker's MQTT secret. The secret is returned once; only its HMAC is stored. */
  issueCredentials(id: string, by: AuthenticatedUser): Promise<IssuedCredentials> {
    return this.store.transaction(async (repos) => {
      const before = await repos.trackers.findById(id);
      if (!before) throw notFound('tracker', id);
      const secret = generateDeviceSecret();
      const issuedAt = new Date();
      const after = (await repos.trackers.update(id, {
        secret_hash: hashDeviceSecret(this.config.deviceSecretKey, secret),
        credentials_issued_at: issuedAt,
        credentials_revoked_at: null,
      }))!;
      await repos.audit.record({
        actor: actorOf(by),
        action: before.secret_hash ? 'tracker.credentials_rotated' : 'tracker.credentials_issued',
        entityType: 'tracker',
        entityId: id,
        before: trackerView(before),
        after: trackerView(after),
      });
      // The broker learns the new secret (and drops sessions using the old one) before the change commits:
      // if it cannot, nothing changes and the clerk can try again.
      await this.directory.credentialsIssued(before.imei, secret);
      return {
        trackerId: id,
        username: before.imei,
        clientId: before.imei,
        password: secret,
        issuedAt,
        note: 'The password is shown only now; store it in the tracker. Issuing again rotates it and invalidates this one.',
      };
    });
  }

  revokeCredentials(id: string, by: AuthenticatedUser): Promise<TrackerView> {
    return this.store.transaction(async (repos) => {
      const before = await repos.trackers.findById(id);
      if (!before) throw notFound('tracker', id);
      if (!before.secret_hash)
        throw unprocessable('the tracker has no active credentials to revoke', 'credentials');
      const after = trackerView(
        (await repos.trackers.update(id, { secret_hash: null, credentials_revoked_at: new Date() }))!,
      );
      await repos.audit.record({
        actor: actorOf(by),
        action: 'tracker.credentials_revoked',
        entityType: 'tracker',
        entityId: id,
        before: trackerView(before),
        after,
      });
      await this.directory.accessWithdrawn(before.imei);
      return after;
    });
  }
}
