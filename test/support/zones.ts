import type { TestApi } from './api';

const SECOND_ADMIN_PASSWORD = 'second-administrator-password-0123';
const secondAdmins = new WeakMap<TestApi, Promise<string>>();

/** A token of a second administrator of the suite's API (created once): the other person of two-person rules. */
export function secondAdminToken(api: TestApi): Promise<string> {
  let token = secondAdmins.get(api);
  if (!token) {
    token = (async () => {
      const username = `second.admin.${Math.random().toString(36).slice(2, 10)}`;
      const created = await api.post('/v1/users', {
        username,
        displayName: 'Second administrator',
        password: SECOND_ADMIN_PASSWORD,
        role: 'admin',
      });
      if (created.status !== 201)
        throw new Error(`second admin: ${created.status} ${JSON.stringify(created.body)}`);
      return api.login(username, SECOND_ADMIN_PASSWORD);
    })();
    secondAdmins.set(api, token);
  }
  return token;
}

export interface ImportJob {
  id: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  stage: string;
  progress: unknown;
  result: {
    version: string;
    parentVersion: string | null;
    zoneCount: number;
    activated: boolean;
    unchanged: boolean;
    report: { imported: number; rejected: unknown[]; repaired: unknown[]; merged: unknown[] };
    activation: { status: string; proposalId?: string } | null;
  } | null;
  error: string | null;
}

/** Polls an import job until it has finished (succeeded or failed). */
export async function awaitImportJob(
  api: TestApi,
  id: string,
  token?: string,
  timeoutMs = 120_000,
): Promise<ImportJob> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await api.get(`/v1/zones/imports/${id}`, token);
    if (response.status !== 200)
      throw new Error(`import job ${id}: ${response.status} ${JSON.stringify(response.body)}`);
    const job = response.body as ImportJob;
    if (job.status === 'succeeded' || job.status === 'failed') return job;
    if (Date.now() > deadline) throw new Error(`import job ${id} still ${job.status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * Imports a layer through the API as an administrator would: starts the job (202), waits for it, and, unless
 * `activate: false`, has a second administrator confirm the activation the import proposed. Returns the job.
 */
export async function importLayer(
  api: TestApi,
  body: { mapping: object; geojson: object; activate?: boolean },
  token?: string,
): Promise<ImportJob> {
  const started = await api.post('/v1/zones/import', body, token);
  if (started.status !== 202) throw new Error(`import: ${started.status} ${JSON.stringify(started.body)}`);
  const job = await awaitImportJob(api, (started.body as { id: string }).id, token);
  if (job.status !== 'succeeded') return job;
  if (body.activate !== false && job.result?.activation?.status === 'pending') {
    const confirmed = await api.post(
      `/v1/zones/versions/${job.result.version}/activate/confirm`,
      {},
      await secondAdminToken(api),
    );
    if (confirmed.status !== 200)
      throw new Error(`activation: ${confirmed.status} ${JSON.stringify(confirmed.body)}`);
    job.result.activated = true;
  }
  return job;
}

/** Makes a stored catalogue version the active one: proposed by the suite's administrator, confirmed by another. */
export async function activateVersion(api: TestApi, version: string): Promise<void> {
  const proposed = await api.post(`/v1/zones/versions/${version}/activate`, { reason: 'test' });
  if (proposed.status !== 202)
    throw new Error(`proposal: ${proposed.status} ${JSON.stringify(proposed.body)}`);
  const confirmed = await api.post(
    `/v1/zones/versions/${version}/activate/confirm`,
    {},
    await secondAdminToken(api),
  );
  if (confirmed.status !== 200)
    throw new Error(`activation: ${confirmed.status} ${JSON.stringify(confirmed.body)}`);
}
