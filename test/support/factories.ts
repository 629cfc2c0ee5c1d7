import { luhnCheckDigit, rucCheckDigit } from '@app/registry';
import type { TestApi } from './api';

let counter = 0;
const next = () => ++counter + Math.floor(Math.random() * 1_000_000) * 1000;

export function aRuc(): string {
  const body = `20${String(next()).padStart(8, '0').slice(-8)}`;
  return body + rucCheckDigit(body);
}

export function anImei(): string {
  const payload = `35${String(next()).padStart(12, '0').slice(-12)}`;
  return payload + luhnCheckDigit(payload);
}

export function anIccid(): string {
  const payload = `895110${String(next()).padStart(12, '0').slice(-12)}`;
  return payload + luhnCheckDigit(payload);
}

export function aSerial(): string {
  return `CAT${String(next()).padStart(10, '0')}`;
}

export async function createOwner(
  api: TestApi,
  overrides: object = {},
): Promise<{ id: string; documentNumber: string }> {
  const response = await api.post('/v1/owners', {
    kind: 'company',
    documentType: 'RUC',
    documentNumber: aRuc(),
    name: 'Minera Tres Islas S.A.C.',
    ...overrides,
  });
  if (response.status !== 201) throw new Error(`owner: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body as { id: string; documentNumber: string };
}

export async function createMachine(
  api: TestApi,
  ownerId: string,
  overrides: object = {},
): Promise<{ id: string; registryNumber: string; serialNumber: string; status: string }> {
  const response = await api.post('/v1/machines', {
    category: 'excavator',
    make: 'Caterpillar',
    model: '320D2',
    year: 2019,
    serialNumber: aSerial(),
    department: 'MADRE DE DIOS',
    ownerId,
    ...overrides,
  });
  if (response.status !== 201)
    throw new Error(`machine: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body as { id: string; registryNumber: string; serialNumber: string; status: string };
}

export async function createTracker(
  api: TestApi,
  overrides: object = {},
): Promise<{ id: string; imei: string }> {
  const response = await api.post('/v1/trackers', {
    imei: anImei(),
    model: 'Teltonika FMC650',
    firmware: '03.28.07',
    iccid: anIccid(),
    intervalMovingSeconds: 60,
    intervalIgnitionOffSeconds: 900,
    ...overrides,
  });
  if (response.status !== 201)
    throw new Error(`tracker: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body as { id: string; imei: string };
}
