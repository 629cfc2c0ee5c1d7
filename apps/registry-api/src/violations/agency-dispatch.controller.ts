import { Body, Controller, Delete, Get, HttpCode, Optional, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Inject } from '@nestjs/common';
import { DEVICE_DIRECTORY, DeviceDirectory } from '@app/broker';
import { APP_CONFIG, AppConfig } from '@app/config';
import { AgencyChannelRow, DeliveryRow, Store } from '@app/db';
import {
  HostResolver,
  WEBHOOK_RESOLVER,
  WebhookTargetPolicy,
  agencyAlertTopic,
  generateWebhookSecret,
  parseAllowedHosts,
  systemResolver,
  webhookRegistrationProblems,
} from '@app/dispatch';
import { generateDeviceSecret, hashDeviceSecret, normaliseDepartment } from '@app/registry';
import {
  AuthenticatedUser,
  CurrentUser,
  Roles,
  actorOf,
  notFound,
  validationFailed,
  pageWindow,
  toPage,
} from '@app/platform';
import { UUID_PARAM } from '../common/validators';
import { CreateChannelDto, CreateSubscriptionDto, DeliveryQueryDto, ReplayDto } from './violations.dto';

export function agencyMqttUsername(code: string): string {
  return `agency:${code}`;
}

function channelView(row: AgencyChannelRow) {
  return {
    id: row.id,
    agencyId: row.agency_id,
    kind: row.kind,
    url: row.url,
    active: row.active,
    createdAt: row.created_at,
  };
}

function subscriptionView(row: {
  id: string;
  agency_id: string;
  zone_kinds: string[];
  departments: string[];
  severities: string[];
  level: number;
  created_at: Date;
}) {
  return {
    id: row.id,
    agencyId: row.agency_id,
    zoneKinds: row.zone_kinds,
    departments: row.departments,
    severities: row.severities,
    level: row.level,
    createdAt: row.created_at,
  };
}

function deliveryView(row: DeliveryRow) {
  return {
    id: row.id,
    eventId: row.event_id,
    eventType: row.event_type,
    violationId: row.violation_id,
    agencyId: row.agency_id,
    channelId: row.channel_id,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    lastStatus: row.last_status,
    lastError: row.last_error,
    createdAt: row.created_at,
    deliveredAt: row.delivered_at,
    deadAt: row.dead_at,
  };
}

/** Administration of agencies' alert subscriptions, delivery channels and MQTT credentials. */
@ApiTags('agencies')
@ApiBearerAuth()
@Roles('admin')
@Controller('v1/agencies/:id')
export class AgencyDispatchController {
  private readonly webhookPolicy: WebhookTargetPolicy;
  private readonly resolve: HostResolver;

  constructor(
    private readonly store: Store,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(DEVICE_DIRECTORY) private readonly directory: DeviceDirectory,
    @Optional() @Inject(WEBHOOK_RESOLVER) resolver?: HostResolver,
  ) {
    this.webhookPolicy = { allowedHosts: parseAllowedHosts(config.webhookAllowedHosts) };
    this.resolve = resolver ?? systemResolver;
  }

  private async agency(id: string) {
    const agency = await this.store.repos.agencies.findById(id);
    if (!agency) throw notFound('agency', id);
    return agency;
  }

  @Get('subscriptions')
  @Roles('admin', 'auditor')
  async subscriptions(@Param('id', UUID_PARAM) id: string) {
    await this.agency(id);
    return (await this.store.repos.agencyChannels.subscriptions(id)).map(subscriptionView);
  }

  @Post('subscriptions')
  async subscribe(
    @Param('id', UUID_PARAM) id: string,
    @Body() body: CreateSubscriptionDto,
    @CurrentUser() user: AuthenticatedUser,
  ) {
    await this.agency(id);
    return this.store.transaction(async (repos) => {
      const row = await repos.agencyChannels.addSubscription({
        agencyId: id,
        zoneKinds: [...new Set(body.zoneKinds ?? [])],
        departments: [...new Set((body.departments ?? []).map((d) => normaliseDepartment(d)!))],
        severities: [...new Set(body.severities ?? [])],
        level: body.level ?? 0,
      });
      const view = subscriptionView(row);
      await repos.audit.record({
        actor: actorOf(user),
        action: 'agency.subscription_added',
        entityType: 'agency',
        entityId: id,
        after: view,
      });
      return view;
    });
  }

  @Delete('subscriptions/:subscriptionId')
  @HttpCode(204)
  async unsubscribe(
    @Param('id', UUID_PARAM) id: string,
    @Param('subscriptionId', UUID_PARAM) subscriptionId: string,
    @CurrentUser() user: AuthenticatedUser,
  ): Promise<void> {
    await this.store.transaction(async (repos) => {
      const removed = await repos.agencyChannels.removeSubscription(id, subscriptionId);
      if (!removed) throw notFound('subscription', subscriptionId);
      await repos.audit.record({
        actor: actorOf(user),
        action: 'agency.subscription_removed',
        entityType: 'agency',
        entityId: id,
        before: subscriptionView(removed),
      });
    });
  }

  @Get('channels')
  @Roles('admin', 'auditor')
  async channels(@Param('id', UUID_PARAM) id: string) {
    await this.agency(id);
    return (await this.store.repos.agencyChannels.channels(id, false)).map(channelView);
  }

  /** Adds a channel; a webhook's signing secret is in this answer only. */
  @Post('channels')
  async addChannel(
    @Param('id', UUID_PARAM) id: string,
    @Body() body: CreateChannelDto,
    @CurrentUser() user: AuthenticatedUser,
  ) {
    await this.agency(id);
    if (body.kind === 'webhook' && !body.url)
      throw validationFailed([{ field: 'url', messages: ['url is required for a webhook'] }]);
    if (body.kind === 'webhook') {
      // Public addresses over https only, unless the host is on WEBHOOK_ALLOWED_HOSTS (docs/security.md).
      const problems = await webhookRegistrationProblems(body.url!, this.webhookPolicy, this.resolve);
      if (problems.length > 0) throw validationFailed([{ field: 'url', messages: problems }]);
    }
    const secret = body.kind === 'webhook' ? generateWebhookSecret() : null;
    return this.store.transaction(async (repos) => {
      const row = await repos.agencyChannels.addChannel({
        agencyId: id,
        kind: body.kind,
        url: body.kind === 'webhook' ? body.url! : null,
        secret,
      });
      const view = channelView(row);
      await repos.audit.record({
        actor: actorOf(user),
        action: 'agency.channel_added',
        entityType: 'agency',
        entityId: id,
        after: view,
      });
      return { ...view, ...(secret ? { secret } : {}) };
    });
  }

  @Delete('channels/:channelId')
  @HttpCode(204)
  async removeChannel(
    @Param('id', UUID_PARAM) id: string,
    @Param('channelId', UUID_PARAM) channelId: string,
    @CurrentUser() user: AuthenticatedUser,
  ): Promise<void> {
    await this.store.transaction(async (repos) => {
      const row = await repos.agencyChannels.deactivateChannel(id, channelId);
      if (!row) throw notFound('channel', channelId);
      await repos.audit.record({
        actor: actorOf(user),
        action: 'agency.channel_deactivated',
        entityType: 'agency',
        entityId: id,
        after: channelView(row),
      });
    });
  }

  /**
   * Issues (or rotates) the agency's MQTT credential: username `agency:{code}`, allowed only to subscribe to
   * `agencies/{code}/alerts`. The password is in this answer only; the registry keeps its keyed hash.
   */
  @Post('mqtt-credentials')
  async issueMqtt(@Param('id', UUID_PARAM) id: string, @CurrentUser() user: AuthenticatedUser) {
    const agency = await this.agency(id);
    const password = generateDeviceSecret();
    const username = agencyMqttUsername(agency.code);
    await this.store.transaction(async (repos) => {
      await repos.agencyChannels.setMqttSecretHash(
        id,
        hashDeviceSecret(this.config.deviceSecretKey, password),
      );
      await repos.audit.record({
        actor: actorOf(user),
        action: 'agency.mqtt_credentials_issued',
        entityType: 'agency',
        entityId: id,
        after: { username },
      });
      await this.directory.agencyCredentialsIssued?.(agency.code, username, password);
    });
    this.directory.disconnectAgency?.(agency.code);
    return { username, password, topic: agencyAlertTopic(agency.code), qos: 1 };
  }

  @Delete('mqtt-credentials')
  @HttpCode(204)
  async revokeMqtt(
    @Param('id', UUID_PARAM) id: string,
    @CurrentUser() user: AuthenticatedUser,
  ): Promise<void> {
    const agency = await this.agency(id);
    await this.store.transaction(async (repos) => {
      await repos.agencyChannels.setMqttSecretHash(id, null);
      await repos.audit.record({
        actor: actorOf(user),
        action: 'agency.mqtt_credentials_revoked',
        entityType: 'agency',
        entityId: id,
      });
      await this.directory.agencyAccessWithdrawn?.(agency.code, agencyMqttUsername(agency.code));
    });
    this.directory.disconnectAgency?.(agency.code);
  }
}

/** Deliveries to agencies, and the dead-letter list an administrator replays. */
@ApiTags('deliveries')
@ApiBearerAuth()
@Roles('admin')
@Controller('v1/deliveries')
export class DeliveriesController {
  constructor(private readonly store: Store) {}

  @Get()
  @Roles('admin', 'auditor')
  async list(@Query() query: DeliveryQueryDto) {
    const result = await this.store.repos.deliveries.search({
      status: query.status,
      agencyId: query.agencyId,
      violationId: query.violationId,
      ...pageWindow(query),
    });
    return toPage(query, result, deliveryView);
  }

  @Post('replay')
  @HttpCode(200)
  replayAll(@Body() body: ReplayDto, @CurrentUser() user: AuthenticatedUser) {
    return this.replay({ ...(body.agencyId ? { agencyId: body.agencyId } : {}) }, user);
  }

  @Post(':id/replay')
  @HttpCode(200)
  async replayOne(@Param('id', UUID_PARAM) id: string, @CurrentUser() user: AuthenticatedUser) {
    if (!(await this.store.repos.deliveries.findById(id))) throw notFound('delivery', id);
    return this.replay({ id }, user);
  }

  private replay(filter: { id?: string; agencyId?: string }, user: AuthenticatedUser) {
    return this.store.transaction(async (repos) => {
      const replayed = await repos.deliveries.replay(filter);
      for (const row of replayed)
        await repos.audit.record({
          actor: actorOf(user),
          action: 'delivery.replayed',
          entityType: 'delivery',
          entityId: row.id,
          after: { eventId: row.event_id, agencyId: row.agency_id },
        });
      return { replayed: replayed.length, items: replayed.map(deliveryView) };
    });
  }
}
