import { Body, Controller, Get, HttpCode, Param, Post, Query, Res, Sse } from '@nestjs/common';
import { from, mergeMap } from 'rxjs';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { renderCsv, renderGeoJson, renderKml, signExport } from '@app/dispatch';
import { Store } from '@app/db';
import { EvidenceService } from '@app/evidence';
import { AuthenticatedUser, CurrentUser, Roles } from '@app/platform';
import { UUID_PARAM } from '../common/validators';
import {
  AcknowledgeDto,
  AnchorQueryDto,
  AreaQueryDto,
  DispatchDto,
  ExportQueryDto,
  ResolveDto,
  ViolationQueryDto,
} from './violations.dto';
import { ViolationsService } from './violations.service';
import { LiveFeed } from './live-feed';
import { AuditedRead, ReadSubject } from '../common/read-audit';

const READERS = ['admin', 'enforcement_officer', 'agency_integration', 'auditor'] as const;

const violationSubject = (_result: unknown, params: Readonly<Record<string, string>>): ReadSubject[] => [
  { entityType: 'violation', entityId: params['id']! },
];

const machinesSeen = (result: unknown): ReadSubject[] =>
  ((result as { machines?: Array<{ machineId: string | null; imei: string }> }).machines ?? []).map((m) =>
    m.machineId
      ? { entityType: 'machine', entityId: m.machineId }
      : { entityType: 'tracker', entityId: m.imei },
  );
const ACTORS = ['admin', 'enforcement_officer'] as const;

const EXPORTS = {
  geojson: { type: 'application/geo+json', extension: 'geojson' },
  kml: { type: 'application/vnd.google-earth.kml+xml', extension: 'kml' },
  csv: { type: 'text/csv; charset=utf-8', extension: 'csv' },
} as const;

@ApiTags('violations')
@ApiBearerAuth()
@Controller('v1/violations')
export class ViolationsController {
  constructor(
    private readonly violations: ViolationsService,
    private readonly evidence: EvidenceService,
  ) {}

  @Get()
  @Roles(...READERS)
  list(@Query() query: ViolationQueryDto, @CurrentUser() user: AuthenticatedUser) {
    return this.violations.list(query, user);
  }

  @Post('area-query')
  @HttpCode(200)
  @Roles(...READERS)
  @AuditedRead('positions', machinesSeen)
  area(@Body() body: AreaQueryDto, @CurrentUser() user: AuthenticatedUser) {
    return this.violations.machinesInArea(body, user);
  }

  @Get(':id')
  @Roles(...READERS)
  detail(@Param('id', UUID_PARAM) id: string, @CurrentUser() user: AuthenticatedUser) {
    return this.violations.detail(id, user);
  }

  @Post(':id/acknowledge')
  @HttpCode(200)
  @Roles(...ACTORS)
  acknowledge(
    @Param('id', UUID_PARAM) id: string,
    @Body() body: AcknowledgeDto,
    @CurrentUser() user: AuthenticatedUser,
  ) {
    return this.violations.step(id, 'acknowledged', { notes: body.notes }, user);
  }

  @Post(':id/dispatch')
  @HttpCode(200)
  @Roles(...ACTORS)
  dispatch(
    @Param('id', UUID_PARAM) id: string,
    @Body() body: DispatchDto,
    @CurrentUser() user: AuthenticatedUser,
  ) {
    return this.violations.step(id, 'dispatched', { notes: body.notes, reference: body.reference }, user);
  }

  @Post(':id/resolve')
  @HttpCode(200)
  @Roles(...ACTORS)
  resolve(
    @Param('id', UUID_PARAM) id: string,
    @Body() body: ResolveDto,
    @CurrentUser() user: AuthenticatedUser,
  ) {
    return this.violations.step(id, 'resolved', { notes: body.notes, resolution: body.resolution }, user);
  }

  @Get(':id/evidence')
  @Roles(...READERS)
  @AuditedRead('evidence', violationSubject)
  evidenceOf(@Param('id', UUID_PARAM) id: string, @CurrentUser() user: AuthenticatedUser) {
    return this.violations.evidenceWithTrack(id, user);
  }

  @Get(':id/evidence/verify')
  @Roles(...READERS)
  verify(@Param('id', UUID_PARAM) id: string, @CurrentUser() user: AuthenticatedUser) {
    return this.violations.verification(id, user);
  }

  /** The evidence as GeoJSON, KML or CSV, signed by the system (Ed25519) with the time of the export. */
  @Get(':id/export')
  @Roles(...READERS)
  @AuditedRead('export', violationSubject)
  async export(
    @Param('id', UUID_PARAM) id: string,
    @Query() query: ExportQueryDto,
    @CurrentUser() user: AuthenticatedUser,
    @Res({ passthrough: true }) response: Response,
  ): Promise<string> {
    const evidence = await this.violations.evidenceOf(id, user);
    const at = new Date();
    const body =
      query.format === 'geojson'
        ? renderGeoJson(evidence, at)
        : query.format === 'kml'
          ? renderKml(evidence, at)
          : renderCsv(evidence);
    const signature = signExport(body, await this.evidence.signingKey(), at);
    const format = EXPORTS[query.format];
    response.setHeader('content-type', format.type);
    response.setHeader('content-disposition', `attachment; filename="violation-${id}.${format.extension}"`);
    response.setHeader('evidence-timestamp', signature.timestamp);
    response.setHeader('evidence-sha256', signature.sha256);
    response.setHeader('evidence-signature', signature.signature);
    response.setHeader('evidence-key-id', signature.keyId);
    return body;
  }
}

@ApiTags('violations')
@ApiBearerAuth()
@Controller('v1/evidence')
export class EvidenceKeyController {
  constructor(
    private readonly evidence: EvidenceService,
    private readonly store: Store,
  ) {}

  /** The public key that verifies export signatures: Ed25519 over `{Evidence-Timestamp}.{Evidence-SHA256}`. */
  @Get('signing-key')
  @Roles(...READERS)
  async signingKey() {
    const key = await this.evidence.signingKey();
    return {
      keyId: key.keyId,
      algorithm: 'Ed25519',
      publicKey: key.publicKeyPem,
      signedText: '{Evidence-Timestamp}.{Evidence-SHA256}',
    };
  }

  /**
   * Every public key that signed exports or anchors, the current one first: after a rotation the old keys stay
   * here, so what they signed still verifies (`Evidence-Key-Id` names the key).
   */
  @Get('signing-keys')
  @Roles(...READERS)
  async signingKeys() {
    const { current, keys } = await this.evidence.publicKeys();
    return keys.map((key) => ({
      keyId: key.key_id,
      algorithm: 'Ed25519',
      publicKey: key.public_key,
      current: key.key_id === current,
      publishedAt: key.created_at,
      retiredAt: key.retired_at,
    }));
  }

  /** The evidence anchors sent to the agencies (`evidence.anchor`), oldest first, after `after` (a seq). */
  @Get('anchors')
  @Roles(...READERS)
  async anchors(@Query() query: AnchorQueryDto) {
    const rows = await this.store.repos.evidence.anchors(query.after ?? 0, query.limit ?? 100);
    return rows.map((row) => ({
      anchor: row.anchor,
      hash: row.hash,
      keyId: row.key_id,
      signature: row.signature,
    }));
  }
}

@ApiTags('violations')
@ApiBearerAuth()
@Controller('v1/alerts')
export class LiveFeedController {
  constructor(private readonly feed: LiveFeed) {}

  /** Server-Sent Events: every alert event within the caller's jurisdiction, as it happens. */
  @Sse('stream')
  @Roles(...READERS)
  stream(@CurrentUser() user: AuthenticatedUser) {
    return from(this.feed.stream(user)).pipe(mergeMap((events) => events));
  }
}
