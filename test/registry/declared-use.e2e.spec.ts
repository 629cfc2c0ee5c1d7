import { IngestTarget, TrackersRepository } from '@app/db';
import { TrackerTargets } from '../../apps/ingest/src/tracker-targets';
import { TestApi, startTestApi } from '../support/api';
import { aRuc, aSerial, createMachine, createOwner, createTracker } from '../support/factories';
import { storageModes } from '../support/storage';

const IMPORT_HEADER =
  'category,make,model,year,serial_number,declared_use,reinfo_code,concession_code,department,owner_document_type,owner_document_number,owner_name';

describe.each(storageModes())('declared use of machines (%s storage)', (mode) => {
  let api: TestApi;
  let clerk: string;
  let officer: string;

  beforeAll(async () => {
    api = await startTestApi(mode);
    clerk = await createUser('clerk-declared-use', 'registry_clerk');
    const agency = await api.post('/v1/agencies', {
      code: 'FEMA-MDD',
      name: 'FEMA Madre de Dios',
      kind: 'prosecutor',
    });
    expect(agency.status).toBe(201);
    officer = await createUser('officer-declared-use', 'enforcement_officer', agency.body.id as string);
  });
  afterAll(() => api.close());

  async function createUser(username: string, role: string, agencyId?: string): Promise<string> {
    const response = await api.post('/v1/users', {
      username,
      displayName: username,
      password: 'a-long-enough-password',
      role,
      ...(agencyId ? { agencyId } : {}),
    });
    expect(response.status).toBe(201);
    return api.login(username, 'a-long-enough-password');
  }

  function declare(machineId: string, body: object, token = api.adminToken) {
    return api
      .http()
      .put(`/v1/machines/${machineId}/declared-use`)
      .set('authorization', `Bearer ${token}`)
      .send(body);
  }

  function upload(csv: string, query = '') {
    return api
      .http()
      .post(`/v1/machines/import${query}`)
      .set('authorization', `Bearer ${api.adminToken}`)
      .set('content-type', 'text/csv')
      .send(csv);
  }

  async function auditActions(machineId: string) {
    const response = await api.get(`/v1/audit?entityType=machine&entityId=${machineId}&pageSize=200`);
    expect(response.status).toBe(200);
    return response.body.items as Array<{ action: string; before: unknown; after: unknown }>;
  }

  describe('enrolment', () => {
    it('records a declared mining use with its REINFO reference and mining right code, normalised', async () => {
      const owner = await createOwner(api);
      const response = await api.post('/v1/machines', {
        category: 'dredge',
        make: 'Artesanal',
        model: 'Draga 10"',
        year: 2021,
        serialNumber: aSerial(),
        department: 'MADRE DE DIOS',
        ownerId: owner.id,
        declaredUse: 'mining',
        reinfoCode: 'reinfo-17-000123',
        concessionCode: '07-00123-10',
      });
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({
        declaredUse: 'mining',
        reinfoCode: 'REINFO-17-000123',
        concessionCode: '070012310',
      });
      const fetched = await api.get(`/v1/machines/${response.body.id}`, officer);
      expect(fetched.status).toBe(200);
      expect(fetched.body).toMatchObject({ declaredUse: 'mining', concessionCode: '070012310' });
    });

    it('records a machine enrolled without a declared use as unknown', async () => {
      const owner = await createOwner(api);
      const machine = await createMachine(api, owner.id);
      const fetched = await api.get(`/v1/machines/${machine.id}`);
      expect(fetched.body).toMatchObject({ declaredUse: null, reinfoCode: null, concessionCode: null });
    });

    it('refuses mining codes beside another use or no use, and an unknown use, field by field', async () => {
      const owner = await createOwner(api);
      const base = {
        category: 'excavator',
        make: 'Caterpillar',
        model: '320D2',
        year: 2019,
        serialNumber: aSerial(),
        department: 'MADRE DE DIOS',
        ownerId: owner.id,
      };
      const roadWorks = await api.post('/v1/machines', {
        ...base,
        declaredUse: 'road_works',
        reinfoCode: 'REINFO-17-1',
        concessionCode: '010012305',
      });
      expect(roadWorks.status).toBe(400);
      expect(roadWorks.body.errors).toEqual([
        { field: 'reinfoCode', messages: ['reinfoCode is declared only with declaredUse mining'] },
        { field: 'concessionCode', messages: ['concessionCode is declared only with declaredUse mining'] },
      ]);
      const noUse = await api.post('/v1/machines', { ...base, reinfoCode: 'REINFO-17-1' });
      expect(noUse.status).toBe(400);
      expect(noUse.body.errors).toEqual([
        { field: 'reinfoCode', messages: ['reinfoCode is declared only with declaredUse mining'] },
      ]);
      const malformed = await api.post('/v1/machines', {
        ...base,
        declaredUse: 'gold_panning',
        concessionCode: 'ABC',
      });
      expect(malformed.status).toBe(400);
      expect(malformed.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
        'concessionCode',
        'declaredUse',
      ]);
      const badCode = await api.post('/v1/machines', {
        ...base,
        declaredUse: 'mining',
        concessionCode: '12',
      });
      expect(badCode.status).toBe(400);
      expect(badCode.body.errors).toEqual([
        { field: 'concessionCode', messages: [expect.stringContaining('7 to 10 digits')] },
      ]);
      const listed = await api.get(`/v1/machines?ownerDocument=${owner.documentNumber}`);
      expect(listed.body.total).toBe(0);
    });

    it('enrols the floating mining artefacts named beside dredges', async () => {
      const owner = await createOwner(api);
      for (const category of ['balsa_gringo', 'traca', 'caranchera', 'chupadera']) {
        const machine = await createMachine(api, owner.id, { category, declaredUse: 'mining' });
        expect((await api.get(`/v1/machines/${machine.id}`)).body).toMatchObject({
          category,
          declaredUse: 'mining',
        });
      }
      const listed = await api.get('/v1/machines?category=chupadera');
      expect(listed.status).toBe(200);
      expect(listed.body.items.length).toBeGreaterThanOrEqual(1);
    });

    it('filters machines by declared use, unknown included', async () => {
      const owner = await createOwner(api);
      const forestry = await createMachine(api, owner.id, { declaredUse: 'forestry' });
      const unknown = await createMachine(api, owner.id);
      const byUse = await api.get(`/v1/machines?ownerDocument=${owner.documentNumber}&declaredUse=forestry`);
      expect(byUse.body.items.map((m: { id: string }) => m.id)).toEqual([forestry.id]);
      const byUnknown = await api.get(
        `/v1/machines?ownerDocument=${owner.documentNumber}&declaredUse=unknown`,
      );
      expect(byUnknown.body.items.map((m: { id: string }) => m.id)).toEqual([unknown.id]);
      const bad = await api.get('/v1/machines?declaredUse=piracy');
      expect(bad.status).toBe(400);
      expect(bad.body.errors[0].field).toBe('declaredUse');
    });
  });

  describe('audited change', () => {
    it('replaces the declaration as a whole and audits before and after with the reason', async () => {
      const owner = await createOwner(api);
      const machine = await createMachine(api, owner.id);
      const mining = await declare(
        machine.id,
        {
          declaredUse: 'mining',
          reinfoCode: 'REINFO-17-42',
          concessionCode: '010012305',
          reason: 'owner presented REINFO registration',
        },
        clerk,
      );
      expect(mining.status).toBe(200);
      expect(mining.body).toMatchObject({
        id: machine.id,
        declaredUse: 'mining',
        reinfoCode: 'REINFO-17-42',
        concessionCode: '010012305',
      });
      const road = await declare(machine.id, {
        declaredUse: 'road_works',
        reason: 'contract with the provincial municipality',
      });
      expect(road.status).toBe(200);
      expect(road.body).toMatchObject({ declaredUse: 'road_works', reinfoCode: null, concessionCode: null });
      expect((await api.get(`/v1/machines/${machine.id}`)).body.declaredUse).toBe('road_works');

      const changes = (await auditActions(machine.id)).filter(
        (e) => e.action === 'machine.declared_use_changed',
      );
      expect(changes).toHaveLength(2);
      const beforeUse = (change: { before: unknown }) =>
        (change.before as { declaredUse: string | null }).declaredUse;
      const first = changes.find((change) => beforeUse(change) === null);
      const second = changes.find((change) => beforeUse(change) === 'mining');
      expect(first!.before).toMatchObject({ declaredUse: null, reinfoCode: null });
      expect(first!.after).toMatchObject({
        declaredUse: 'mining',
        reinfoCode: 'REINFO-17-42',
        reason: 'owner presented REINFO registration',
      });
      expect(second!.before).toMatchObject({ declaredUse: 'mining', concessionCode: '010012305' });
      expect(second!.after).toMatchObject({
        declaredUse: 'road_works',
        concessionCode: null,
        reason: 'contract with the provincial municipality',
      });
    });

    it('answers 400 with field errors, 404 for an unknown machine, and leaves the machine unchanged', async () => {
      const owner = await createOwner(api);
      const machine = await createMachine(api, owner.id, { declaredUse: 'agriculture' });
      const invalid = await declare(machine.id, { declaredUse: 'forestry', reinfoCode: 'REINFO-1' });
      expect(invalid.status).toBe(400);
      expect(invalid.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
        'reason',
        'reinfoCode',
      ]);
      const missingUse = await declare(machine.id, { reason: 'no use given' });
      expect(missingUse.status).toBe(400);
      expect(missingUse.body.errors.map((e: { field: string }) => e.field)).toEqual(['declaredUse']);
      expect((await api.get(`/v1/machines/${machine.id}`)).body.declaredUse).toBe('agriculture');

      const unknown = await declare('6f1c2d3e-4b5a-4c6d-8e7f-001122334455', {
        declaredUse: 'other',
        reason: 'mistyped id',
      });
      expect(unknown.status).toBe(404);
      const malformedId = await declare('nope', { declaredUse: 'other', reason: 'malformed id' });
      expect(malformedId.status).toBe(400);
      expect(malformedId.body.errors[0].field).toBe('id');

      const retired = await createMachine(api, owner.id);
      const decommissioned = await api.post(`/v1/machines/${retired.id}/status`, {
        status: 'decommissioned',
        reason: 'scrapped',
      });
      expect(decommissioned.status).toBe(200);
      const late = await declare(retired.id, { declaredUse: 'mining', reason: 'too late' });
      expect(late.status).toBe(422);
      expect(late.body.errors[0].field).toBe('status');
    });

    it('lets clerks and admins change it, not enforcement officers, who still read it', async () => {
      const owner = await createOwner(api);
      const machine = await createMachine(api, owner.id, { declaredUse: 'urban_construction' });
      const refused = await declare(
        machine.id,
        { declaredUse: 'mining', reason: 'an officer may not declare' },
        officer,
      );
      expect(refused.status).toBe(403);
      const anonymous = await api
        .http()
        .put(`/v1/machines/${machine.id}/declared-use`)
        .send({ declaredUse: 'mining', reason: 'nobody' });
      expect(anonymous.status).toBe(401);
      const read = await api.get(`/v1/machines/${machine.id}`, officer);
      expect(read.body.declaredUse).toBe('urban_construction');
      const byClerk = await declare(
        machine.id,
        { declaredUse: 'goods_transport', reason: 'fleet change' },
        clerk,
      );
      expect(byClerk.status).toBe(200);
      expect(
        (await auditActions(machine.id)).filter((e) => e.action === 'machine.declared_use_changed'),
      ).toHaveLength(1);
    });

    it('keeps a REINFO reference recorded before uses were declared, and the database refuses codes beside another use', async () => {
      const owner = await createOwner(api);
      const machine = await createMachine(api, owner.id);
      await api.database.db
        .updateTable('machines')
        .set({ reinfo_code: 'REINFO-17-5' })
        .where('id', '=', machine.id)
        .execute();
      expect((await api.get(`/v1/machines/${machine.id}`)).body).toMatchObject({
        declaredUse: null,
        reinfoCode: 'REINFO-17-5',
      });
      await expect(
        api.database.db
          .updateTable('machines')
          .set({ declared_use: 'forestry' })
          .where('id', '=', machine.id)
          .execute(),
      ).rejects.toThrow(/machines_mining_codes_only_for_mining/);
      const forestry = await declare(machine.id, { declaredUse: 'forestry', reason: 'timber concession' });
      expect(forestry.status).toBe(200);
      expect(forestry.body).toMatchObject({ declaredUse: 'forestry', reinfoCode: null });
    });

    it('no longer takes a REINFO reference through the general update', async () => {
      const owner = await createOwner(api);
      const machine = await createMachine(api, owner.id, { declaredUse: 'mining' });
      const response = await api.patch(`/v1/machines/${machine.id}`, { reinfoCode: 'REINFO-17-9' });
      expect(response.status).toBe(400);
      expect((await api.get(`/v1/machines/${machine.id}`)).body.reinfoCode).toBeNull();
    });
  });

  describe('CSV import', () => {
    it('imports declared uses, mining codes and floating artefacts, reporting bad rows by column', async () => {
      const owner = await createOwner(api);
      const newRuc = aRuc();
      const doc = owner.documentNumber;
      const csv = [
        IMPORT_HEADER,
        `balsa_gringo,Artesanal,Balsa,2022,${aSerial()},Mining,REINFO-17-7,01-00123-05,MADRE DE DIOS,RUC,${doc},`,
        `excavator,Caterpillar,320D2,2019,${aSerial()},road_works,,,MADRE DE DIOS,RUC,${doc},`,
        `traca,Artesanal,Traca,2020,${aSerial()},,,,MADRE DE DIOS,RUC,${newRuc},Tracas del Inambari S.A.C.`,
        `chupadera,Artesanal,Chupadera,2020,${aSerial()},forestry,REINFO-17-8,,MADRE DE DIOS,RUC,${doc},`,
        `caranchera,Artesanal,Caranchera,2020,${aSerial()},fishing,,12,MADRE DE DIOS,RUC,${doc},`,
      ].join('\n');
      const dryRun = await upload(csv, '?dryRun=true');
      expect(dryRun.status).toBe(200);
      expect(dryRun.body.enrolled.map((e: { line: number }) => e.line)).toEqual([2, 3, 4]);
      expect((await api.get(`/v1/machines?ownerDocument=${doc}`)).body.total).toBe(0);

      const response = await upload(csv);
      expect(response.status).toBe(200);
      expect(response.body.enrolled.map((e: { line: number }) => e.line)).toEqual([2, 3, 4]);
      expect(response.body.rejected).toEqual([
        {
          line: 5,
          errors: [
            { field: 'reinfo_code', messages: ['reinfoCode is declared only with declaredUse mining'] },
          ],
        },
        {
          line: 6,
          errors: [
            { field: 'declared_use', messages: [expect.stringContaining('declaredUse must be one of')] },
            {
              field: 'concession_code',
              messages: ['concessionCode is declared only with declaredUse mining'],
            },
          ],
        },
      ]);
      const enrolled = new Map<string, { category: string; declaredUse: string | null }>();
      for (const { id } of response.body.enrolled as Array<{ id: string }>) {
        const machine = (await api.get(`/v1/machines/${id}`)).body;
        enrolled.set(machine.category, machine);
      }
      expect(enrolled.get('balsa_gringo')).toMatchObject({
        declaredUse: 'mining',
        reinfoCode: 'REINFO-17-7',
        concessionCode: '010012305',
      });
      expect(enrolled.get('excavator')).toMatchObject({ declaredUse: 'road_works', reinfoCode: null });
      expect(enrolled.get('traca')).toMatchObject({ declaredUse: null });
      const audit = await auditActions(response.body.enrolled[0].id);
      expect(audit.map((e) => e.action)).toEqual(['machine.enrolled']);
      expect(audit[0]!.after).toMatchObject({ declaredUse: 'mining' });
    });
  });

  describe("ingest's tracker targets", () => {
    it('carry the declared use and follow its change', async () => {
      const owner = await createOwner(api);
      const machine = await createMachine(api, owner.id, { declaredUse: 'road_works' });
      const tracker = await createTracker(api);
      expect((await api.post(`/v1/machines/${machine.id}/tracker`, { trackerId: tracker.id })).status).toBe(
        201,
      );

      const trackers = new TrackersRepository(api.database.db);
      const targets = new TrackerTargets((imeis) => trackers.ingestTargets(imeis), 100);
      let listening!: () => void;
      const ready = new Promise<void>((resolve) => (listening = resolve));
      const stop = await api.database.listen('tracker_targets', {
        listening: () => {
          targets.listening();
          listening();
        },
        notified: () => targets.notified(),
        lost: () => targets.lost(),
      });
      try {
        await ready;
        const useOf = async () => (await targets.of([tracker.imei], Date.now())).get(tracker.imei);
        expect(await useOf()).toMatchObject<Partial<IngestTarget>>({
          machine: { id: machine.id, category: 'excavator', declaredUse: 'road_works' },
        });
        const changed = await declare(machine.id, { declaredUse: 'mining', reason: 'works a placer claim' });
        expect(changed.status).toBe(200);
        const deadline = Date.now() + 5000;
        while ((await useOf())?.machine?.declaredUse !== 'mining') {
          if (Date.now() > deadline) throw new Error('the target never showed the new declared use');
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        expect((await useOf())?.machine).toEqual({
          id: machine.id,
          category: 'excavator',
          declaredUse: 'mining',
        });
      } finally {
        await stop();
      }
    });
  });
});
