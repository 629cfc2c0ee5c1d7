import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { EmbeddedBroker } from '@app/broker';
import { RefusedDeviceMessageRow, Store } from '@app/db';
import { Roles, PageQuery, pageWindow, toPage } from '@app/platform';
import { IngestIntake } from './ingest.intake';

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

@ApiTags('ingest')
@ApiBearerAuth()
@Controller('v1/ingest')
export class IngestController {
  constructor(
    private readonly intake: IngestIntake,
    private readonly broker: EmbeddedBroker,
    private readonly store: Store,
  ) {}

  @Get('stats')
  @Roles('admin', 'auditor')
  stats() {
    return { ingest: this.intake.snapshot(), embeddedBroker: this.broker.counters };
  }

  /** Device messages the database refused to store (counted as `storage_refused`), newest first, whole. */
  @Get('refused')
  @Roles('admin', 'auditor')
  async refused(@Query() query: PageQuery) {
    return toPage(query, await this.store.repos.positions.refused(pageWindow(query)), refusedView);
  }
}
