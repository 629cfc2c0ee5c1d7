import { Store } from '@app/db';
import { TestApi, startTestApi } from '../support/api';
import { storageModes } from '../support/storage';
import {
  DispatcherInstance,
  FAST_DISPATCH,
  Receiver,
  agencyWithWebhook,
  closeViolation,
  enrolMachine,
  eventually,
  openViolation,
  startDispatcher,
} from './support';

describe.each(storageModes())('no storms, ordered per case (%s storage)', (mode) => {
  let api: TestApi;
  const receivers: Receiver[] = [];
  const dispatchers: DispatcherInstance[] = [];

  beforeAll(async () => {
    api = await startTestApi(mode, { ...FAST_DISPATCH, DISPATCH_UPDATE_INTERVAL_SECONDS: '900' });
  });
  afterEach(async () => {
    while (dispatchers.length > 0) await dispatchers.pop()!.close();
    while (receivers.length > 0) await receivers.pop()!.stop();
  });
  afterAll(() => api.close());

  const receiver = async () => {
    const r = await new Receiver().start();
    receivers.push(r);
    return r;
  };
  const dispatcher = async () => {
    const d = await startDispatcher(api);
    dispatchers.push(d);
    return d;
  };
  const typesReceived = (r: Receiver, subject: string) =>
    r
      .events()
      .filter((e) => e.subject === subject)
      .map((e) => e.type);

  it('delivers a closed only after its opened succeeded, with a receiver failing then recovering', async () => {
    const agency = await receiver();
    agency.mode = 'fail';
    await agencyWithWebhook(api, agency, { departments: ['MADRE DE DIOS'] });
    const machine = await enrolMachine(api, 'MADRE DE DIOS');
    const violation = await openViolation(api, machine);
    await closeViolation(api, violation.id);
    await dispatcher();

    await eventually(
      () => typesReceived(agency, violation.id).filter((t) => t === 'violation.opened').length >= 3,
      'the opened event retried',
    );
    expect(typesReceived(agency, violation.id)).not.toContain('violation.closed');
    agency.mode = 'ok';
    await eventually(
      async () =>
        (
          await api.database.db
            .selectFrom('deliveries')
            .select('status')
            .where('violation_id', '=', violation.id)
            .execute()
        ).every((d) => d.status === 'delivered'),
      'both events delivered',
    );
    const types = typesReceived(agency, violation.id);
    expect(types.lastIndexOf('violation.opened')).toBeLessThan(types.indexOf('violation.closed'));
    expect(types.at(-1)).toBe('violation.closed');
  });

  it('says where, who and when in the webhook and in the API list', async () => {
    const agency = await receiver();
    await agencyWithWebhook(api, agency, { departments: ['MADRE DE DIOS'] });
    const machine = await enrolMachine(api, 'MADRE DE DIOS');
    const violation = await openViolation(api, machine, { department: 'MADRE DE DIOS' });
    await dispatcher();
    const event = await eventually(
      () => agency.events().find((e) => e.subject === violation.id),
      'the opened event',
    );
    const registered = await api.get(`/v1/machines/${machine.machineId}`);
    const expected = {
      department: 'MADRE DE DIOS',
      province: null,
      late: false,
      firstFix: { lat: -12.85, lon: -69.55, at: violation.started_at.toISOString() },
      occurredAt: violation.last_seen_at.toISOString(),
      // Peru is UTC−5 all year.
      occurredAtLocal: new Date(violation.last_seen_at.getTime() - 5 * 3600_000)
        .toISOString()
        .replace(/\.\d{3}Z$/, '-05:00'),
      machine: {
        registryNumber: registered.body.registryNumber,
        category: 'dredge',
        declaredUse: null,
        owner: { kind: 'company', name: 'Minera Tres Islas S.A.C.' },
      },
    };
    expect(event.data).toMatchObject(expected);
    const listed = await api.get(`/v1/violations?machineId=${machine.machineId}`);
    expect(listed.status).toBe(200);
    expect(listed.body.items[0]).toMatchObject(expected);
  });

  it('sends a backfilled dark period as at most three events per agency: opened, its one change of severity, retracted', async () => {
    const regional = await receiver();
    const oefa = await receiver();
    const regionalAgency = await agencyWithWebhook(api, regional, { departments: ['MADRE DE DIOS'] });
    const oefaAgency = await agencyWithWebhook(api, oefa, { zoneKinds: ['integrity'] });
    const machine = await enrolMachine(api, 'MADRE DE DIOS', 'excavator');
    const darkSince = new Date(Date.now() - 3 * 3600_000);
    // The alert, then fixes from the tracker's buffer arriving and shrinking the silence one by one: the went-dark
    // detector updates the alert at each (it grows to a violation once) and finally retracts it.
    const alert = await api.app.get(Store).transaction(async (repos) => {
      const opened = await repos.violations.open({
        machineId: machine.machineId,
        imei: machine.imei,
        zoneId: 'integrity:went_dark',
        zoneName: 'Rastreador sin reportar',
        zoneKind: 'integrity',
        ruleId: 'integrity.went_dark',
        severity: 'warning',
        legalBasis: 'Registry obligation',
        title: 'Rastreador sin reportar',
        titleEn: 'Tracker went dark',
        description: 'sin reportar',
        descriptionEn: 'went dark',
        catalogueVersion: 'integrity',
        episodeId: `dark-${machine.imei}`,
        startedAt: darkSince,
        confirmedAt: darkSince,
        lastSeenAt: darkSince,
        late: false,
        delayMs: 0,
        confirmingFixes: [],
        department: 'MADRE DE DIOS',
      });
      if (!opened) throw new Error('not opened');
      await repos.violations.addOutboxEvent('integrity.opened', 'violation', opened.id, opened);
      return opened;
    });
    await api.app.get(Store).transaction(async (repos) => {
      for (let i = 0; i < 18; i++) {
        const severity = i >= 9 ? 'violation' : 'warning';
        const row = await repos.violations.update(alert.id, { severity, lastSeenAt: new Date() });
        await repos.violations.addOutboxEvent('integrity.updated', 'violation', alert.id, row);
      }
      const row = await repos.violations.update(alert.id, { status: 'retracted', closedAt: new Date() });
      await repos.violations.addOutboxEvent('integrity.retracted', 'violation', alert.id, row);
    });
    await dispatcher();

    for (const [agency, setup] of [
      [regional, regionalAgency],
      [oefa, oefaAgency],
    ] as const) {
      await eventually(
        () => typesReceived(agency, alert.id).includes('integrity.retracted'),
        `the retraction at ${setup.code}`,
      );
      // The change of severity goes at once; the other 17 updates, within the interval, do not.
      expect(typesReceived(agency, alert.id)).toEqual([
        'integrity.opened',
        'integrity.updated',
        'integrity.retracted',
      ]);
    }
  });
});
