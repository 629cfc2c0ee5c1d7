import { sql } from 'kysely';
import { TestApi, startTestApi } from '../support/api';
import { aRuc, aSerial, createOwner } from '../support/factories';
import { storageModes } from '../support/storage';

const HEADER =
  'category,make,model,year,serial_number,engine_number,reinfo_code,department,owner_document_type,owner_document_number,owner_name';

describe.each(storageModes())('bulk import of machines from CSV (%s storage)', (mode) => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi(mode);
  });
  afterAll(() => api.close());

  function upload(csv: string, query = '') {
    return api
      .http()
      .post(`/v1/machines/import${query}`)
      .set('authorization', `Bearer ${api.adminToken}`)
      .set('content-type', 'text/csv')
      .send(csv);
  }

  async function count(table: 'machines' | 'owners'): Promise<number> {
    const row = await api.database.db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  it('enrols the valid rows and reports each invalid row with its line and reasons', async () => {
    const owner = await createOwner(api);
    const newRuc = aRuc();
    const duplicated = aSerial();
    const csv = [
      HEADER,
      `excavator,Caterpillar,320D2,2019,${aSerial()},C6.4-1,,MADRE DE DIOS,RUC,${owner.documentNumber},`,
      `dredge,Artisanal,Carranchera,2021,${duplicated},,,Loreto,RUC,${newRuc},Dragas del Nanay S.A.C.`,
      `spaceship,Caterpillar,320D2,1800,${aSerial()},,,Atlantis,RUC,${owner.documentNumber},`,
      `front_loader,Volvo,L120,2018,${duplicated},,,LORETO,RUC,${newRuc},`,
      `bulldozer,Komatsu,D65,2015,${aSerial()},,,PUNO,DNI,4012345,`,
      `backhoe,JCB,3CX,2017,${aSerial()},,,PUNO,DNI,40999999,`,
    ].join('\n');
    const response = await upload(csv);
    expect(response.status).toBe(200);
    expect(response.body.rows).toBe(6);
    expect(response.body.enrolled.map((e: { line: number }) => e.line)).toEqual([2, 3]);
    expect(response.body.enrolled[1]).toMatchObject({
      ownerCreated: true,
      registryNumber: expect.stringMatching(/^MAQ-\d{4}-\d{6}$/),
    });
    const rejected = response.body.rejected as Array<{
      line: number;
      errors: Array<{ field: string; messages: string[] }>;
    }>;
    expect(rejected.map((r) => r.line)).toEqual([4, 5, 6, 7]);
    expect(rejected[0]!.errors.map((e) => e.field).sort()).toEqual(['category', 'department', 'year']);
    expect(rejected[1]!.errors).toEqual([
      { field: 'serial_number', messages: ['serial number repeats line 3 of this file'] },
    ]);
    expect(rejected[2]!.errors[0]!.field).toBe('owner_document_number');
    expect(rejected[3]!.errors).toEqual([
      {
        field: 'owner_name',
        messages: ['the owner is not registered; give owner_name to register them with the machine'],
      },
    ]);
    const created = await api.get(`/v1/machines?ownerDocument=${newRuc}`);
    expect(created.body.items[0]).toMatchObject({
      category: 'dredge',
      department: 'LORETO',
      declaredUse: null,
      reinfoCode: null,
    });
  });

  it('reports serial numbers already in the registry', async () => {
    const owner = await createOwner(api);
    const serial = aSerial();
    await upload(
      `${HEADER}\nexcavator,Caterpillar,320D2,2019,${serial},,,PUNO,RUC,${owner.documentNumber},`,
    ).expect(200);
    const again = await upload(
      `${HEADER}\nexcavator,Caterpillar,320D2,2019,${serial},,,PUNO,RUC,${owner.documentNumber},`,
    );
    expect(again.body.enrolled).toEqual([]);
    expect(again.body.rejected).toEqual([
      {
        line: 2,
        errors: [
          { field: 'serial_number', messages: ['a machine with this serial number is already registered'] },
        ],
      },
    ]);
  });

  it('writes nothing on a dry run but reports the same outcome', async () => {
    const before = { machines: await count('machines'), owners: await count('owners') };
    const csv = `${HEADER}\nexcavator,Caterpillar,320D2,2019,${aSerial()},,,PUNO,RUC,${aRuc()},Nueva Minera S.A.C.`;
    const response = await upload(csv, '?dryRun=true');
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ dryRun: true, rows: 1, rejected: [] });
    expect(response.body.enrolled).toHaveLength(1);
    expect({ machines: await count('machines'), owners: await count('owners') }).toEqual(before);
  });

  it('rejects a file with missing or unknown columns, or no rows, with 400', async () => {
    const missing = await upload('category,make\nexcavator,CAT');
    expect(missing.status).toBe(400);
    expect(missing.body.errors.map((e: { field: string }) => e.field)).toContain('serial_number');
    const unknown = await upload(`${HEADER},colour\n`);
    expect(unknown.status).toBe(400);
    const empty = await upload(`${HEADER}\n`);
    expect(empty.status).toBe(400);
    expect(empty.body.errors[0].messages[0]).toContain('no data rows');
    const notCsv = await api.post('/v1/machines/import', { rows: [] });
    expect(notCsv.status).toBe(400);
    expect(notCsv.body.errors[0].field).toBe('file');
  });

  it('rolls back the whole file when the database fails part-way: no half-written rows', async () => {
    const poison = aSerial();
    await sql`create or replace function centinela_test_fail() returns trigger language plpgsql as $$
      begin
        if new.serial_number = ${sql.lit(poison)} then raise exception 'simulated storage failure'; end if;
        return new;
      end $$`.execute(api.database.db);
    await sql`create trigger centinela_test_fail before insert on machines for each row execute function centinela_test_fail()`.execute(
      api.database.db,
    );
    try {
      const before = { machines: await count('machines'), owners: await count('owners') };
      const csv = [
        HEADER,
        `excavator,Caterpillar,320D2,2019,${aSerial()},,,PUNO,RUC,${aRuc()},Primera S.A.C.`,
        `excavator,Caterpillar,320D2,2019,${poison},,,PUNO,RUC,${aRuc()},Segunda S.A.C.`,
        `excavator,Caterpillar,320D2,2019,${aSerial()},,,PUNO,RUC,${aRuc()},Tercera S.A.C.`,
      ].join('\n');
      const response = await upload(csv);
      expect(response.status).toBe(500);
      expect({ machines: await count('machines'), owners: await count('owners') }).toEqual(before);
    } finally {
      await sql`drop trigger centinela_test_fail on machines`.execute(api.database.db);
    }
  });
});
