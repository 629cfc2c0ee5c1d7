import { DispatcherModule } from '../../apps/dispatcher/src/dispatcher.module';
import { Store } from '@app/db';
import { TestApi, startTestApi } from '../support/api';
import { storageModes } from '../support/storage';
import {
  FAST_DISPATCH,
  Receiver,
  agencyWithWebhook,
  enrolMachine,
  eventually,
  openViolation,
} from './support';

const PASSWORD = 'officer-password-123';

describe.each(storageModes())('officers, access and escalation (%s storage)', (mode) => {
  let api: TestApi;
  const receivers: Receiver[] = [];
  let users = 0;

  beforeAll(async () => {
    // The dispatcher runs inside the API process, as in the main job.
    api = await startTestApi(mode, { ...FAST_DISPATCH, DISPATCH_ESCALATION_SECONDS: '1' }, [
      DispatcherModule,
    ]);
  });
  afterAll(async () => {
    for (const r of receivers) await r.stop();
    await api.close();
  });

  const receiver = async () => {
    const r = await new Receiver().start();
    receivers.push(r);
    return r;
  };
  const userOf = async (agencyId: string, role = 'enforcement_officer') => {
    const username = `user.${++users}.${mode}`;
    const created = await api.post('/v1/users', {
      username,
      displayName: 'Officer',
      password: PASSWORD,
      role,
      agencyId,
    });
    if (created.status !== 201) throw new Error(`user: ${created.status} ${JSON.stringify(created.body)}`);
    return api.login(username, PASSWORD);
  };

  it('shows officers and integrations only the violations of their jurisdiction and zone kinds', async () => {
    const mdd = await agencyWithWebhook(api, await receiver(), {
      departments: ['MADRE DE DIOS'],
      zoneKinds: ['water_body', 'integrity'],
    });
    const cusco = await agencyWithWebhook(api, await receiver(), { departments: ['CUSCO'] });
    const officer = await userOf(mdd.id);
    const integration = await userOf(mdd.id, 'agency_integration');
    const cuscoOfficer = await userOf(cusco.id);
    const inMdd = await openViolation(api, await enrolMachine(api, 'MADRE DE DIOS'));
    const inCusco = await openViolation(api, await enrolMachine(api, 'CUSCO'));
    const protectedArea = await openViolation(api, await enrolMachine(api, 'MADRE DE DIOS'), {
      zoneKind: 'protected_area',
    });

    const listed = await api.get('/v1/violations?pageSize=200', officer);
    expect(listed.status).toBe(200);
    const ids = listed.body.items.map((v: { id: string }) => v.id);
    expect(ids).toContain(inMdd.id);
    expect(ids).not.toContain(inCusco.id);
    expect(ids).not.toContain(protectedArea.id);
    expect(
      listed.body.items.every((v: { department: string | null }) => v.department === 'MADRE DE DIOS'),
    ).toBe(true);
    const adminIds = (await api.get('/v1/violations?pageSize=200')).body.items.map(
      (v: { id: string }) => v.id,
    );
    expect(adminIds).toEqual(expect.arrayContaining([inMdd.id, inCusco.id, protectedArea.id]));

    expect((await api.get(`/v1/violations/${inMdd.id}`, officer)).status).toBe(200);
    const foreign = await api.get(`/v1/violations/${inCusco.id}`, officer);
    expect(foreign.status).toBe(403);
    expect(foreign.body).toEqual({
      statusCode: 403,
      error: 'Forbidden',
      message: `violation ${inCusco.id} is outside the jurisdiction of your agency`,
    });
    expect((await api.get(`/v1/violations/${protectedArea.id}`, officer)).status).toBe(403);
    expect((await api.post(`/v1/violations/${inCusco.id}/acknowledge`, {}, officer)).status).toBe(403);
    expect((await api.get(`/v1/violations/${inCusco.id}/evidence?reference=OP-1`, officer)).status).toBe(403);
    expect(
      (await api.get(`/v1/violations/${inCusco.id}/export?format=csv&reference=OP-1`, officer)).status,
    ).toBe(403);
    expect((await api.post(`/v1/violations/${inMdd.id}/acknowledge`, {}, cuscoOfficer)).status).toBe(403);
    expect((await api.get(`/v1/violations/${inCusco.id}`, cuscoOfficer)).status).toBe(200);
    const missing = await api.get('/v1/violations/00000000-0000-4000-8000-000000000000', officer);
    expect(missing.status).toBe(404);
    expect((await api.get('/v1/violations/not-a-uuid', officer)).body.errors).toEqual([
      { field: 'id', messages: ['id must be a UUID'] },
    ]);

    expect((await api.get(`/v1/violations/${inMdd.id}`, integration)).status).toBe(200);
    expect((await api.get(`/v1/violations/${inCusco.id}`, integration)).status).toBe(403);
    expect((await api.post(`/v1/violations/${inMdd.id}/acknowledge`, {}, integration)).status).toBe(403);
    // The stored violation is unchanged by every refused attempt.
    expect((await api.get(`/v1/violations/${inCusco.id}`)).body.workflowStatus).toBe('new');
  });

  it('walks acknowledge → dispatch → resolve with who, when and notes, audited, and keeps the resolved violation', async () => {
    const agency = await agencyWithWebhook(api, await receiver(), { departments: ['MADRE DE DIOS'] });
    const officer = await userOf(agency.id);
    const violation = await openViolation(api, await enrolMachine(api, 'MADRE DE DIOS'));
    const base = `/v1/violations/${violation.id}`;

    expect((await api.post(`${base}/dispatch`, { reference: 'OP-1' }, officer)).status).toBe(422);
    const ack = await api.post(`${base}/acknowledge`, { notes: 'Seen, calling the PNP' }, officer);
    expect(ack.status).toBe(200);
    expect(ack.body.workflowStatus).toBe('acknowledged');
    expect((await api.post(`${base}/acknowledge`, {}, officer)).status).toBe(422);
    const invalid = await api.post(`${base}/dispatch`, { notes: 42, extra: true }, officer);
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      'extra',
      'notes',
      'reference',
    ]);
    const early = await api.post(`${base}/resolve`, { resolution: 'interdiction' }, officer);
    expect(early.status).toBe(422);
    expect(early.body.errors).toEqual([{ field: 'resolution', messages: [early.body.message] }]);
    expect(
      (
        await api.post(
          `${base}/dispatch`,
          { reference: 'OP-FEMA-MDD-2026-0142', notes: 'Two patrols' },
          officer,
        )
      ).status,
    ).toBe(200);
    const resolved = await api.post(
      `${base}/resolve`,
      { resolution: 'interdiction', notes: 'Dredge seized' },
      officer,
    );
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({ workflowStatus: 'resolved', resolution: 'interdiction' });
    expect(resolved.body.steps.map((s: { step: string; actor: string }) => [s.step, s.actor])).toEqual([
      ['acknowledged', expect.stringMatching(/^user\./)],
      ['dispatched', expect.stringMatching(/^user\./)],
      ['resolved', expect.stringMatching(/^user\./)],
    ]);
    expect(resolved.body.steps[1]).toMatchObject({
      reference: 'OP-FEMA-MDD-2026-0142',
      notes: 'Two patrols',
    });
    expect(resolved.body.steps.every((s: { at: string }) => !Number.isNaN(Date.parse(s.at)))).toBe(true);
    expect((await api.post(`${base}/resolve`, { resolution: 'duplicate' }, officer)).status).toBe(422);

    const audit = await api.get(`/v1/audit?entityType=violation&entityId=${violation.id}`);
    expect(audit.body.items.map((e: { action: string }) => e.action).sort()).toEqual([
      'violation.acknowledged',
      'violation.dispatched',
      'violation.resolved',
    ]);
    const stored = await api.get(base, officer);
    expect(stored.status).toBe(200);
    expect(stored.body.workflowStatus).toBe('resolved');
    const verification = await api.get(`${base}/evidence/verify`, officer);
    expect(verification.body).toMatchObject({ valid: true, problems: [] });
    expect(verification.body.length).toBeGreaterThanOrEqual(4);
  });

  it('escalates a violation nobody acknowledged to the next level, and leaves an acknowledged one alone', async () => {
    const regional = await receiver();
    const national = await receiver();
    const regionalAgency = await agencyWithWebhook(api, regional, { departments: ['LORETO'] });
    const nationalAgency = await agencyWithWebhook(api, national, { level: 1 }, 'police');
    const officer = await userOf(regionalAgency.id);
    const machine = await enrolMachine(api, 'LORETO');
    const ignored = await openViolation(api, machine, { zoneId: 'river-ignored' });
    const handled = await openViolation(api, machine, { zoneId: 'river-handled' });
    expect((await api.post(`/v1/violations/${handled.id}/acknowledge`, {}, officer)).status).toBe(200);

    const escalated = await eventually(
      () => national.events().find((e) => e.subject === ignored.id && e.type === 'violation.escalated'),
      'the escalation at the national level',
    );
    expect(escalated.data).toMatchObject({ id: ignored.id, escalationLevel: 1, workflowStatus: 'new' });
    expect(national.verifiedIds(nationalAgency.secret).has(escalated.id)).toBe(true);
    await eventually(
      () => regional.events().some((e) => e.subject === ignored.id && e.type === 'violation.escalated'),
      'the escalation told to the first level too',
    );
    // The national level was not told of the violation before its escalation.
    expect(
      national
        .events()
        .filter((e) => e.subject === ignored.id)
        .map((e) => e.type),
    ).toEqual(['violation.escalated']);
    const detail = await api.get(`/v1/violations/${ignored.id}`);
    expect(detail.body.escalationLevel).toBe(1);
    expect(detail.body.steps).toEqual([
      expect.objectContaining({ step: 'escalated', actor: 'system', escalationLevel: 1 }),
    ]);
    const store = api.app.get(Store);
    expect((await store.repos.violationCases.findById(handled.id))!.escalation_level).toBe(0);
    expect(national.events().some((e) => e.subject === handled.id)).toBe(false);
  });

  it('routes integrity alerts by zone kind like violations', async () => {
    const oefa = await receiver();
    const water = await receiver();
    const oefaAgency = await agencyWithWebhook(api, oefa, {
      zoneKinds: ['integrity'],
      departments: ['AMAZONAS'],
    });
    const waterAgency = await agencyWithWebhook(api, water, {
      zoneKinds: ['water_body'],
      departments: ['AMAZONAS'],
    });
    const machine = await enrolMachine(api, 'AMAZONAS');
    const store = api.app.get(Store);
    const alert = await openViolation(api, machine, {
      zoneKind: 'integrity',
      zoneId: 'integrity:went_dark',
      ruleId: 'integrity.went_dark',
    });
    await store.transaction((repos) =>
      repos.violations.addOutboxEvent('integrity.opened', 'violation', alert.id, alert),
    );
    await eventually(() => oefa.events().some((e) => e.type === 'integrity.opened'), 'the integrity alert');
    expect(oefa.verifiedIds(oefaAgency.secret).size).toBeGreaterThanOrEqual(1);
    const waterRows = await api.database.db
      .selectFrom('deliveries')
      .select('event_type')
      .where('agency_id', '=', waterAgency.id)
      .where('violation_id', '=', alert.id)
      .execute();
    expect(waterRows).toEqual([]);
  });

  // Last: it adds a jurisdiction layer to the suite's catalogue.
  it('routes by the place ingest recorded for the violation, not the department the machine declared', async () => {
    const cusco = await receiver();
    const madre = await receiver();
    const cuscoAgency = await agencyWithWebhook(api, cusco, {
      departments: ['CUSCO'],
      zoneKinds: ['water_body'],
    });
    const madreAgency = await agencyWithWebhook(api, madre, {
      departments: ['MADRE DE DIOS'],
      zoneKinds: ['water_body'],
    });
    // Declared in Madre de Dios; ingest placed the violation in Cusco (the jurisdiction zone at its first fix).
    const violation = await openViolation(api, await enrolMachine(api, 'MADRE DE DIOS'), {
      zoneId: 'river-jurisdiction',
      department: 'CUSCO',
    });
    const event = await eventually(
      () => cusco.events().find((e) => e.subject === violation.id),
      'the event at the Cusco agency',
    );
    expect(event.data).toMatchObject({ department: 'CUSCO' });
    expect(cusco.verifiedIds(cuscoAgency.secret).has(event.id)).toBe(true);
    const toMadre = await api.database.db
      .selectFrom('deliveries')
      .select('id')
      .where('agency_id', '=', madreAgency.id)
      .where('violation_id', '=', violation.id)
      .execute();
    expect(toMadre).toEqual([]);
    expect((await api.get(`/v1/violations/${violation.id}`, await userOf(madreAgency.id))).status).toBe(403);
    expect(
      (await api.get(`/v1/violations/${violation.id}`, await userOf(cuscoAgency.id))).body.department,
    ).toBe('CUSCO');
  });
});
