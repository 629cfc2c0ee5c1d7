import { Kysely, sql } from 'kysely';
import type { AgencyChannelRow, AgencySubscriptionRow, DB } from '../schema';

export interface NewSubscription {
  readonly agencyId: string;
  readonly zoneKinds: readonly string[];
  readonly departments: readonly string[];
  readonly severities: readonly string[];
  readonly level: number;
}

export interface NewChannel {
  readonly agencyId: string;
  readonly kind: 'webhook' | 'mqtt';
  readonly url: string | null;
  readonly secret: string | null;
}

/** An agency's side of alert dispatch: what it subscribes to, where it receives alerts, its MQTT credential. */
export class AgencyChannelsRepository {
  constructor(private readonly db: Kysely<DB>) {}

  subscriptions(agencyId?: string): Promise<AgencySubscriptionRow[]> {
    return this.db
      .selectFrom('agency_subscriptions')
      .selectAll()
      .$if(agencyId !== undefined, (qb) => qb.where('agency_id', '=', agencyId!))
      .orderBy('agency_id')
      .orderBy('created_at')
      .execute();
  }

  addSubscription(input: NewSubscription): Promise<AgencySubscriptionRow> {
    return this.db
      .insertInto('agency_subscriptions')
      .values({
        agency_id: input.agencyId,
        zone_kinds: sql<string[]>`${[...input.zoneKinds]}::text[]`,
        departments: sql<string[]>`${[...input.departments]}::text[]`,
        severities: sql<string[]>`${[...input.severities]}::text[]`,
        level: input.level,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  removeSubscription(agencyId: string, id: string): Promise<AgencySubscriptionRow | undefined> {
    return this.db
      .deleteFrom('agency_subscriptions')
      .where('agency_id', '=', agencyId)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
  }

  /** Highest escalation level any subscription starts at: alerts are not escalated past it. */
  async maxLevel(): Promise<number> {
    const row = await this.db
      .selectFrom('agency_subscriptions')
      .select((eb) => eb.fn.max('level').as('level'))
      .executeTakeFirst();
    return Number(row?.level ?? 0);
  }

  channels(agencyId?: string, activeOnly = true): Promise<AgencyChannelRow[]> {
    return this.db
      .selectFrom('agency_channels')
      .selectAll()
      .$if(agencyId !== undefined, (qb) => qb.where('agency_id', '=', agencyId!))
      .$if(activeOnly, (qb) => qb.where('active', '=', true))
      .orderBy('created_at')
      .execute();
  }

  addChannel(input: NewChannel): Promise<AgencyChannelRow> {
    return this.db
      .insertInto('agency_channels')
      .values({ agency_id: input.agencyId, kind: input.kind, url: input.url, secret: input.secret })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  deactivateChannel(agencyId: string, id: string): Promise<AgencyChannelRow | undefined> {
    return this.db
      .updateTable('agency_channels')
      .set({ active: false })
      .where('agency_id', '=', agencyId)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
  }

  async setMqttSecretHash(agencyId: string, hash: string | null): Promise<void> {
    await this.db
      .updateTable('agencies')
      .set({ mqtt_secret_hash: hash, mqtt_credentials_issued_at: hash ? sql<Date>`now()` : null })
      .where('id', '=', agencyId)
      .execute();
  }

  async mqttSecretHash(code: string): Promise<string | null | undefined> {
    const row = await this.db
      .selectFrom('agencies')
      .select('mqtt_secret_hash')
      .where('code', '=', code)
      .executeTakeFirst();
    return row ? row.mqtt_secret_hash : undefined;
  }

  findByCode(code: string) {
    return this.db.selectFrom('agencies').selectAll().where('code', '=', code).executeTakeFirst();
  }
}
