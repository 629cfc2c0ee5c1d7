import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsOptional, Matches } from 'class-validator';
import { IngestInstanceCounters, RefusedDeviceMessageRow, Store, nestCounters } from '@app/db';
import { PageQuery, Roles, pageWindow, toPage } from '@app/platform';

export class RefusedQueryDto extends PageQuery {
  @ApiPropertyOptional({ description: "Only this tracker's messages (IMEI, 15 digits)" })
  @IsOptional()
  @Matches(/^\d{15}$/, { message: 'imei must be 15 digits' })
  imei?: string;
}

function refusedView(row: RefusedDeviceMessageRow) {
  return {
    id: row.id,
    imei: row.imei,
    topic: row.topic,
    receivedAt: row.received_at,
    refusedAt: row.refused_at,
    sqlstate: row.sqlstate,
    error: row.error,
    payloadBase64: Buffer.from(row.payload).toString('base64'),
  };
}

function instanceView(instance: IngestInstanceCounters) {
  return {
    instanceId: instance.instanceId,
    runs: instance.runs,
    firstStartedAt: instance.firstStartedAt,
    lastUpdatedAt: instance.lastUpdatedAt,
    ...nestCounters(instance.counters),
  };
}

/**
 * Ingest as administrators see it, from the database, whichever process serves the request (the registry API on
 * its own, or the main job): the counters every ingest process writes (`ingest_counters`, every
 * INGEST_COUNTERS_FLUSH_MS), added up, and the device messages the database refused (`refused_device_messages`).
 */
@ApiTags('ingest')
@ApiBearerAuth()
@Controller('v1/ingest')
export class IngestAdminController {
  constructor(private readonly store: Store) {}

  /** Every ingest instance's counters added up: messages, fixes, rejections by reason, the embedded broker's. */
  @Get('stats')
  @Roles('admin', 'auditor')
  async stats() {
    const { counters, instances } = await this.store.repos.ingestCounters.totals();
    return { ...nestCounters(counters), instances };
  }

  /** Each ingest instance's counters (added up over its restarts), the most recently written first. */
  @Get('instances')
  @Roles('admin', 'auditor')
  async instances(@Query() query: PageQuery) {
    return toPage(query, await this.store.repos.ingestCounters.instances(pageWindow(query)), instanceView);
  }

  /** Device messages the database refused to store (counted as `storage_refused`), newest first, whole. */
  @Get('refused')
  @Roles('admin', 'auditor')
  async refused(@Query() query: RefusedQueryDto) {
    return toPage(
      query,
      await this.store.repos.positions.refused({ ...pageWindow(query), imei: query.imei }),
      refusedView,
    );
  }
}
