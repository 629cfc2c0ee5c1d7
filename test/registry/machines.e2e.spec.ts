import { TestApi, startTestApi } from '../support/api';
import { aRuc, aSerial, createMachine, createOwner, createTracker } from '../support/factories';
import { storageModes } from '../support/storage';

describe.each(storageModes())('machine registry (%s storage)', (mode) => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi(mode);
  });
  afterAll(() => api.close());

  async function auditOf(entityType: string, entityId: string) {
    const response = await api.get(`/v1/audit?entityType=${entityType}&entityId=${entityId}&pageSize=200`);
    expect(response.status).toBe(200);
    return response.body.items as Array<{
      action: string;
      actor: { username: string };
      before: unknown;
      after: unknown;
      at: string;
    }>;
  }

  async function activate(machineId: string) {
    const tracker = await createTracker(api);
    expect((await api.post(`/v1/machines/${machineId}/tracker`, { trackerId: tracker.id })).status).toBe(201);
    expect((await api.post(`/v1/trackers/${tracker.id}/credentials`)).status).toBe(201);
    const response = await api.post(`/v1/machines/${machineId}/status`, {
      status: 'active',
      reason: 'tracker installed',
    });
    expect(response.status).toBe(200);
    return tracker;
  }

  describe('owners', () => {
    it('registers a company by RUC and a person by DNI or Carné de Extranjería', async () => {
      const company = await api.post('/v1/owners', {
        kind: 'company',
        documentType: 'RUC',
        documentNumber: '20131312955',
        name: 'SUNAT',
      });
      expect(company.status).toBe(201);
      expect(company.body).toMatchObject({
        kind: 'company',
        documentType: 'RUC',
        documentNumber: '20131312955',
      });
      const person = await api.post('/v1/owners', {
        kind: 'person',
        documentType: 'DNI',
        documentNumber: '40123456',
        name: 'Juan Mamani',
        phone: '+51 982 123 456',
      });
      expect(person.status).toBe(201);
      const foreigner = await api.post('/v1/owners', {
        kind: 'person',
        documentType: 'CE',
        documentNumber: '001234567',
        name: 'João Silva',
      });
      expect(foreigner.status).toBe(201);
    });

    it('rejects a RUC with a wrong check digit, with the field named', async () => {
      const response = await api.post('/v1/owners', {
        kind: 'company',
        documentType: 'RUC',
        documentNumber: '20131312956',
        name: 'X',
      });
      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual([
        { field: 'documentNumber', messages: [expect.stringContaining('RUC 11 digits')] },
      ]);
    });

    it('rejects a company without a RUC with 422', async () => {
      const response = await api.post('/v1/owners', {
        kind: 'company',
        documentType: 'DNI',
        documentNumber: '40123457',
        name: 'X',
      });
      expect(response.status).toBe(422);
      expect(response.body.errors[0].field).toBe('documentType');
    });

    it('rejects a duplicate document with 409 and writes nothing', async () => {
      const ruc = aRuc();
      await createOwner(api, { documentNumber: ruc });
      const before = await api.get(`/v1/owners?documentNumber=${ruc}`);
      const response = await api.post('/v1/owners', {
        kind: 'company',
        documentType: 'RUC',
        documentNumber: ruc,
        name: 'Other',
      });
      expect(response.status).toBe(409);
      expect(response.body.errors[0].field).toBe('documentNumber');
      const after = await api.get(`/v1/owners?documentNumber=${ruc}`);
      expect(after.body.total).toBe(before.body.total);
    });

    it('updates contact data and audits before and after', async () => {
      const owner = await createOwner(api);
      const response = await api.patch(`/v1/owners/${owner.id}`, { email: 'gerencia@example.pe' });
      expect(response.status).toBe(200);
      expect(response.body.email).toBe('gerencia@example.pe');
      const entries = await auditOf('owner', owner.id);
      const update = entries.find((e) => e.action === 'owner.updated')!;
      expect(update.actor.username).toBe('admin');
      expect(update.before).toMatchObject({ email: null });
      expect(update.after).toMatchObject({ email: 'gerencia@example.pe' });
    });

    it('answers 404 for an unknown owner and 400 for a malformed id', async () => {
      expect((await api.get('/v1/owners/6f1c2d3e-4b5a-4c6d-8e7f-001122334455')).status).toBe(404);
      const malformed = await api.get('/v1/owners/42');
      expect(malformed.status).toBe(400);
      expect(malformed.body.errors[0].field).toBe('id');
    });
  });

  describe('enrolment', () => {
    it('issues sequential registry numbers MAQ-<year>-NNNNNN in pending_installation', async () => {
      const owner = await createOwner(api);
      const first = await createMachine(api, owner.id);
      const second = await createMachine(api, owner.id, { category: 'dredge' });
      const year = new Date().getUTCFullYear();
      expect(first.registryNumber).toMatch(new RegExp(`^MAQ-${year}-\\d{6}$`));
      expect(Number(second.registryNumber.slice(-6))).toBe(Number(first.registryNumber.slice(-6)) + 1);
      expect(first.status).toBe('pending_installation');
    });

    it('issues distinct registry numbers to concurrent enrolments', async () => {
      const owner = await createOwner(api);
      const machines = await Promise.all(Array.from({ length: 8 }, () => createMachine(api, owner.id)));
      expect(new Set(machines.map((m) => m.registryNumber)).size).toBe(8);
    });

    it('reports every invalid field at once', async () => {
      const response = await api.post('/v1/machines', {
        category: 'spaceship',
        make: '',
        model: 'X',
        year: 1800,
        serialNumber: 'a b',
        department: 'Atlantis',
        ownerId: 'nope',
      });
      expect(response.status).toBe(400);
      const fields = (response.body.errors as Array<{ field: string }>).map((e) => e.field).sort();
      expect(fields).toEqual(['category', 'department', 'make', 'ownerId', 'serialNumber', 'year']);
    });

    it('rejects a duplicate serial number with 409', async () => {
      const owner = await createOwner(api);
      const machine = await createMachine(api, owner.id);
      const response = await api.post('/v1/machines', {
        category: 'excavator',
        make: 'Komatsu',
        model: 'PC200',
        year: 2020,
        serialNumber: machine.serialNumber,
        department: 'PUNO',
        ownerId: owner.id,
      });
      expect(response.status).toBe(409);
      expect(response.body.errors[0].field).toBe('serialNumber');
    });

    it('rejects an owner that does not exist with 422', async () => {
      const response = await api.post('/v1/machines', {
        category: 'excavator',
        make: 'Komatsu',
        model: 'PC200',
        year: 2020,
        serialNumber: aSerial(),
        department: 'PUNO',
        ownerId: '6f1c2d3e-4b5a-4c6d-8e7f-001122334455',
      });
      expect(response.status).toBe(422);
      expect(response.body.errors[0].field).toBe('ownerId');
    });

    it('normalises the department and audits the enrolment', async () => {
      const owner = await createOwner(api);
      const machine = await createMachine(api, owner.id, { department: 'Madre de Dios' });
      const fetched = await api.get(`/v1/machines/${machine.id}`);
      expect(fetched.body.department).toBe('MADRE DE DIOS');
      expect(fetched.body.owner.documentNumber).toBe(owner.documentNumber);
      expect(fetched.body.tracker).toBeNull();
      expect((await auditOf('machine', machine.id)).map((e) => e.action)).toEqual(['machine.enrolled']);
    });
  });

  describe('lifecycle', () => {
    it('refuses activation without a bound tracker, and without credentials', async () => {
      const owner = await createOwner(api);
      const machine = await createMachine(api, owner.id);
      const bare = await api.post(`/v1/machines/${machine.id}/status`, {
        status: 'active',
        reason: 'installed',
      });
      expect(bare.status).toBe(422);
      expect(bare.body.message).toContain('bound tracker');
      const tracker = await createTracker(api);
      await api.post(`/v1/machines/${machine.id}/tracker`, { trackerId: tracker.id });
      const noCredentials = await api.post(`/v1/machines/${machine.id}/status`, {
        status: 'active',
        reason: 'installed',
      });
      expect(noCredentials.status).toBe(422);
      expect(noCredentials.body.message).toContain('credentials');
      expect((await api.get(`/v1/machines/${machine.id}`)).body.status).toBe('pending_installation');
    });

    it('goes active → suspended → active → decommissioned with reasons, and never back', async () => {
      const owner = await createOwner(api);
      const machine = await createMachine(api, owner.id);
      await activate(machine.id);
      for (const [status, reason] of [
        ['suspended', 'court order 123-2026'],
        ['active', 'order lifted'],
        ['decommissioned', 'scrapped'],
      ]) {
        const response = await api.post(`/v1/machines/${machine.id}/status`, { status, reason });
        expect(response.status).toBe(200);
        expect(response.body.status).toBe(status);
      }
      const back = await api.post(`/v1/machines/${machine.id}/status`, { status: 'active', reason: 'oops' });
      expect(back.status).toBe(422);
      expect(back.body.message).toBe('a machine cannot go from decommissioned to active; allowed: none');
      const history = await api.get(`/v1/machines/${machine.id}/history`);
      expect(history.body.statuses.map((s: { to: string; reason: string }) => [s.to, s.reason])).toEqual([
        ['pending_installation', 'enrolled'],
        ['active', 'tracker installed'],
        ['suspended', 'court order 123-2026'],
        ['active', 'order lifted'],
        ['decommissioned', 'scrapped'],
      ]);
    });

    it('rejects a status change without a reason with 400', async () => {
      const owner = await createOwner(api);
      const machine = await createMachine(api, owner.id);
      const response = await api.post(`/v1/machines/${machine.id}/status`, { status: 'suspended' });
      expect(response.status).toBe(400);
      expect(response.body.errors[0].field).toBe('reason');
    });
  });

  describe('ownership transfer', () => {
    it('transfers the machine and keeps the history of owners', async () => {
      const seller = await createOwner(api, { name: 'Seller' });
      const buyer = await createOwner(api, { name: 'Buyer' });
      const machine = await createMachine(api, seller.id);
      const response = await api.post(`/v1/machines/${machine.id}/transfer`, {
        ownerId: buyer.id,
        reason: 'sale',
      });
      expect(response.status).toBe(200);
      expect(response.body.ownerId).toBe(buyer.id);
      const history = await api.get(`/v1/machines/${machine.id}/history`);
      const owners = history.body.owners as Array<{
        ownerId: string;
        name: string;
        from: string;
        to: string | null;
        reason: string;
      }>;
      expect(owners.map((o) => [o.name, o.reason])).toEqual([
        ['Seller', 'enrolment'],
        ['Buyer', 'sale'],
      ]);
      expect(owners[0]!.to).toBe(owners[1]!.from);
      expect(owners[1]!.to).toBeNull();
      const entry = (await auditOf('machine', machine.id)).find(
        (e) => e.action === 'machine.ownership_transferred',
      )!;
      expect(entry.before).toMatchObject({ ownerId: seller.id });
      expect(entry.after).toMatchObject({ ownerId: buyer.id, reason: 'sale' });
    });

    it('refuses a transfer to the same owner with 422', async () => {
      const owner = await createOwner(api);
      const machine = await createMachine(api, owner.id);
      expect(
        (await api.post(`/v1/machines/${machine.id}/transfer`, { ownerId: owner.id, reason: 'x'.repeat(5) }))
          .status,
      ).toBe(422);
    });
  });

  describe('search', () => {
    it('filters by registry number, IMEI, owner document, category, status and department, with pagination', async () => {
      const owner = await createOwner(api);
      const dredges = [];
      for (let i = 0; i < 3; i++)
        dredges.push(await createMachine(api, owner.id, { category: 'dredge', department: 'LORETO' }));
      const loader = await createMachine(api, owner.id, { category: 'front_loader', department: 'LORETO' });
      const tracker = await activate(dredges[0]!.id);

      const byOwner = await api.get(`/v1/machines?ownerDocument=${owner.documentNumber}`);
      expect(byOwner.body.total).toBe(4);
      const byCategory = await api.get(
        `/v1/machines?ownerDocument=${owner.documentNumber}&category=dredge&department=Loreto`,
      );
      expect(byCategory.body.items.map((m: { id: string }) => m.id).sort()).toEqual(
        dredges.map((d) => d.id).sort(),
      );
      const byImei = await api.get(`/v1/machines?imei=${tracker.imei}`);
      expect(byImei.body.items).toHaveLength(1);
      expect(byImei.body.items[0]).toMatchObject({
        id: dredges[0]!.id,
        tracker: { imei: tracker.imei },
        status: 'active',
      });
      const byStatus = await api.get(
        `/v1/machines?ownerDocument=${owner.documentNumber}&status=pending_installation`,
      );
      expect(byStatus.body.total).toBe(3);
      const byNumber = await api.get(`/v1/machines?registryNumber=${loader.registryNumber}`);
      expect(byNumber.body.items.map((m: { id: string }) => m.id)).toEqual([loader.id]);

      const page1 = await api.get(`/v1/machines?ownerDocument=${owner.documentNumber}&pageSize=3&page=1`);
      const page2 = await api.get(`/v1/machines?ownerDocument=${owner.documentNumber}&pageSize=3&page=2`);
      expect(page1.body).toMatchObject({ total: 4, page: 1, pageSize: 3 });
      expect(page1.body.items).toHaveLength(3);
      expect(page2.body.items).toHaveLength(1);
      const seen = [...page1.body.items, ...page2.body.items].map((m: { id: string }) => m.id);
      expect(new Set(seen).size).toBe(4);
    });

    it('rejects bad filters with field messages', async () => {
      const response = await api.get('/v1/machines?category=boat&pageSize=1000&imei=123');
      expect(response.status).toBe(400);
      expect((response.body.errors as Array<{ field: string }>).map((e) => e.field).sort()).toEqual([
        'category',
        'imei',
        'pageSize',
      ]);
    });
  });
});
