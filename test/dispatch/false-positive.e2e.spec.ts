import { TestApi, startTestApi } from '../support/api';
import { storageModes } from '../support/storage';
import { Receiver, agencyWithWebhook, enrolMachine, openViolation } from './support';

const PASSWORD = 'officer-password-1234';

/**
 * Anti-capture: one officer alone cannot dismiss a violation as a false positive. The first records a proposal
 * (who, when, why); another officer of the same agency, or of an agency with national jurisdiction over the
 * violation, or an administrator, confirms it; the proposer cannot. Dismissals per agency show who dismisses.
 */
describe.each(storageModes())('false positives need a second person (%s storage)', (mode) => {
  let api: TestApi;
  let receiver: Receiver;
  let users = 0;
  const since = new Date(Date.now() - 60_000).toISOString();
  let mdd: { id: string; code: string };

  beforeAll(async () => {
    api = await startTestApi(mode);
    receiver = await new Receiver().start();
    mdd = await agencyWithWebhook(api, receiver, { departments: ['MADRE DE DIOS'] });
  });
  afterAll(async () => {
    await receiver.stop();
    await api.close();
  });

  const officerOf = async (agencyId: string) => {
    const username = `officer.${++users}.${mode}`;
    const created = await api.post('/v1/users', {
      username,
      displayName: 'Officer',
      password: PASSWORD,
      role: 'enforcement_officer',
      agencyId,
    });
    if (created.status !== 201) throw new Error(`user: ${created.status} ${JSON.stringify(created.body)}`);
    return { username, token: await api.login(username, PASSWORD) };
  };

  const acknowledged = async (officer: { token: string }) => {
    const violation = await openViolation(api, await enrolMachine(api, 'MADRE DE DIOS'));
    expect((await api.post(`/v1/violations/${violation.id}/acknowledge`, {}, officer.token)).status).toBe(
      200,
    );
    return `/v1/violations/${violation.id}`;
  };

  it('records the proposal, refuses the proposer and officers of other agencies, and resolves on a colleague’s confirmation', async () => {
    const proposer = await officerOf(mdd.id);
    const colleague = await officerOf(mdd.id);
    const otherRegional = await officerOf(
      (await agencyWithWebhook(api, receiver, { departments: ['MADRE DE DIOS'] })).id,
    );
    const cusco = await officerOf((await agencyWithWebhook(api, receiver, { departments: ['CUSCO'] })).id);
    const base = await acknowledged(proposer);

    const noReason = await api.post(`${base}/resolve`, { resolution: 'false_positive' }, proposer.token);
    expect(noReason.status).toBe(400);
    expect(noReason.body.errors).toEqual([
      { field: 'notes', messages: ['a false-positive resolution needs its reason in notes'] },
    ]);
    const proposed = await api.post(
      `${base}/resolve`,
      { resolution: 'false_positive', notes: 'The dredge was moored at the port of Laberinto' },
      proposer.token,
    );
    expect(proposed.status).toBe(202);
    expect(proposed.body).toMatchObject({
      workflowStatus: 'acknowledged',
      resolution: null,
      pendingFalsePositive: {
        kind: 'violation.false_positive',
        status: 'pending',
        reason: 'The dredge was moored at the port of Laberinto',
        proposedBy: proposer.username,
      },
    });
    expect(Number.isNaN(Date.parse(proposed.body.pendingFalsePositive.proposedAt))).toBe(false);
    const twice = await api.post(
      `${base}/resolve`,
      { resolution: 'false_positive', notes: 'again' },
      colleague.token,
    );
    expect(twice.status).toBe(409);
    expect(twice.body.message).toMatch(new RegExp(`^${proposer.username} already proposed this violation`));

    const self = await api.post(`${base}/resolve/confirm`, {}, proposer.token);
    expect(self.status).toBe(403);
    expect(self.body.message).toMatch(/^you proposed violation .* as a false positive; another officer/);
    expect((await api.post(`${base}/resolve/confirm`, {}, cusco.token)).body).toMatchObject({
      statusCode: 403,
      message: expect.stringMatching(/outside the jurisdiction of your agency$/),
    });
    const stranger = await api.post(`${base}/resolve/confirm`, {}, otherRegional.token);
    expect(stranger.status).toBe(403);
    expect(stranger.body.message).toMatch(
      /^only an officer of the proposing agency, an officer of an agency with national jurisdiction/,
    );
    expect((await api.get(base, proposer.token)).body.workflowStatus).toBe('acknowledged');

    const confirmed = await api.post(
      `${base}/resolve/confirm`,
      { notes: 'Checked the track' },
      colleague.token,
    );
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toMatchObject({
      workflowStatus: 'resolved',
      resolution: 'false_positive',
      pendingFalsePositive: null,
    });
    const step = (confirmed.body.steps as Array<Record<string, unknown>>).at(-1);
    expect(step).toMatchObject({
      step: 'resolved',
      actor: proposer.username,
      agencyId: mdd.id,
      resolution: 'false_positive',
      notes: 'The dredge was moored at the port of Laberinto',
      reference: expect.stringMatching(
        new RegExp(`^false positive confirmed by ${colleague.username} \\(proposal `),
      ),
    });
    expect((await api.post(`${base}/resolve/confirm`, {}, colleague.token)).status).toBe(404);

    const audit = await api.get(`/v1/audit?entityType=violation&entityId=${base.split('/').at(-1)!}`);
    const entries = audit.body.items as Array<{ action: string; actor: { username: string } }>;
    expect(entries.map((e) => [e.action, e.actor.username]).sort()).toEqual(
      [
        ['violation.acknowledged', proposer.username],
        ['violation.false_positive_proposed', proposer.username],
        ['violation.resolved', proposer.username],
        ['violation.false_positive_confirmed', colleague.username],
      ].sort(),
    );
  });

  it('lets an officer of a national agency or an administrator confirm, and the proposer withdraw', async () => {
    const proposer = await officerOf(mdd.id);
    const national = await officerOf(
      (await agencyWithWebhook(api, receiver, {}, 'environmental_enforcement')).id,
    );

    const first = await acknowledged(proposer);
    await api.post(`${first}/resolve`, { resolution: 'false_positive', notes: 'Test drive' }, proposer.token);
    const byNational = await api.post(`${first}/resolve/confirm`, {}, national.token);
    expect(byNational.status).toBe(200);
    expect(byNational.body.resolution).toBe('false_positive');

    const second = await acknowledged(proposer);
    await api.post(
      `${second}/resolve`,
      { resolution: 'false_positive', notes: 'Wrong zone' },
      proposer.token,
    );
    const withdrawn = await api.post(
      `${second}/resolve/reject`,
      { notes: 'I misread the map' },
      proposer.token,
    );
    expect(withdrawn.status).toBe(200);
    expect(withdrawn.body).toMatchObject({ workflowStatus: 'acknowledged', pendingFalsePositive: null });
    expect((await api.post(`${second}/resolve/confirm`, {}, national.token)).status).toBe(404);
    expect((await api.post(`${second}/resolve/reject`, {}, proposer.token)).status).toBe(400);

    // Other resolutions stay one person's act.
    const duplicate = await api.post(`${second}/resolve`, { resolution: 'duplicate' }, proposer.token);
    expect(duplicate.status).toBe(200);
    expect(duplicate.body.resolution).toBe('duplicate');

    const third = await acknowledged(proposer);
    await api.post(`${third}/resolve`, { resolution: 'false_positive', notes: 'Parked' }, proposer.token);
    expect((await api.post(`${third}/resolve/confirm`, {})).status).toBe(200);
  });

  it('counts dismissals per agency with the false-positive share, for administrators only', async () => {
    const to = new Date(Date.now() + 60_000).toISOString();
    const officer = await officerOf(mdd.id);
    expect((await api.get(`/v1/stats/dismissals?from=${since}&to=${to}`, officer.token)).status).toBe(403);
    const missing = await api.get('/v1/stats/dismissals');
    expect(missing.status).toBe(400);
    expect((missing.body.errors as Array<{ field: string }>).map((e) => e.field).sort()).toEqual([
      'from',
      'to',
    ]);

    const stats = await api.get(`/v1/stats/dismissals?from=${since}&to=${to}`);
    expect(stats.status).toBe(200);
    // Of the violations above, the agency's officers dismissed three as false positives (each confirmed by a
    // second person) and one as a duplicate; one proposal was withdrawn.
    expect(stats.body.agencies).toEqual([
      {
        agencyId: mdd.id,
        code: mdd.code,
        name: `Agency ${mdd.code}`,
        resolved: 4,
        interdiction: 0,
        falsePositive: 3,
        duplicate: 1,
        falsePositiveShare: 0.75,
        falsePositiveProposals: { pending: 0, confirmed: 3, rejected: 1 },
      },
    ]);
    expect(stats.body.total).toEqual({
      resolved: 4,
      interdiction: 0,
      falsePositive: 3,
      duplicate: 1,
      falsePositiveShare: 0.75,
    });
    const empty = await api.get(`/v1/stats/dismissals?from=2020-01-01T00:00:00Z&to=2020-02-01T00:00:00Z`);
    expect(empty.body).toMatchObject({ agencies: [], total: { resolved: 0, falsePositiveShare: null } });
  });
});
