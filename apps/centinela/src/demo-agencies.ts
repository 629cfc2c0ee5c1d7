import type { RegistryClient } from '../../../simulator/src/fleet';
import { DemoWebhookReceiver } from './demo-webhooks';

/** An enforcement agency of the demo, with what it subscribes to (as an administrator would set it up). */
export interface DemoAgency {
  readonly code: string;
  readonly name: string;
  readonly kind: string;
  readonly department?: string;
  readonly subscription: {
    readonly zoneKinds?: readonly string[];
    readonly departments?: readonly string[];
    readonly severities?: readonly string[];
  };
}

/** Peru's agencies that act on the registry's alerts, each with the alerts it would ask for. */
export const DEMO_AGENCIES: readonly DemoAgency[] = [
  {
    code: 'FEMA-MDD',
    name: 'Fiscalía Especializada en Materia Ambiental de Madre de Dios',
    kind: 'prosecutor',
    department: 'MADRE DE DIOS',
    subscription: { departments: ['MADRE DE DIOS'], severities: ['violation'] },
  },
  {
    code: 'PNP-DIRMEAMB',
    name: 'Policía Nacional del Perú — Dirección de Medio Ambiente (DIRMEAMB)',
    kind: 'police',
    subscription: {
      zoneKinds: ['water_body', 'protected_area', 'mining_corridor', 'integrity'],
      severities: ['violation'],
    },
  },
  {
    code: 'SERNANP',
    name: 'Servicio Nacional de Áreas Naturales Protegidas por el Estado (SERNANP)',
    kind: 'protected_areas',
    subscription: { zoneKinds: ['protected_area', 'buffer_zone'] },
  },
  {
    code: 'OEFA',
    name: 'Organismo de Evaluación y Fiscalización Ambiental (OEFA)',
    kind: 'environmental_enforcement',
    subscription: { zoneKinds: ['water_body', 'mining_corridor', 'indigenous_land', 'integrity'] },
  },
  {
    code: 'ANA',
    name: 'Autoridad Nacional del Agua (ANA)',
    kind: 'water',
    subscription: { zoneKinds: ['water_body'] },
  },
  {
    code: 'GORE-MDD',
    name: 'Gobierno Regional de Madre de Dios',
    kind: 'regional_government',
    department: 'MADRE DE DIOS',
    subscription: { departments: ['MADRE DE DIOS'] },
  },
  {
    code: 'GORE-LORETO',
    name: 'Gobierno Regional de Loreto',
    kind: 'regional_government',
    department: 'LORETO',
    subscription: { departments: ['LORETO'] },
  },
];

interface AgencyView {
  readonly id: string;
  readonly code: string;
}

interface ChannelView {
  readonly id: string;
  readonly kind: string;
  readonly url: string | null;
  readonly active: boolean;
}

export interface DemoAgencySetup {
  /** Agencies created now (none when the registry had agencies already). */
  readonly created: readonly string[];
  /** Demo agencies whose webhook now points at this run's receiver. */
  readonly receiving: readonly string[];
  /** Agencies of the registry that are not the demo's: their own channels get the demo's alerts too. */
  readonly others: readonly string[];
}

/**
 * Creates the demo agencies through the registry API when the registry has none, each with its subscription
 * and a webhook channel to the demo receiver. On a later start (same data) the demo agencies' channels are
 * moved to this run's receiver, whose port changes; agencies that are not the demo's are left alone.
 */
export async function setUpDemoAgencies(
  registry: RegistryClient,
  receiver: DemoWebhookReceiver,
): Promise<DemoAgencySetup> {
  const existing = await registry.request<AgencyView[]>('GET', '/v1/agencies', undefined, 200);
  const created: string[] = [];
  const receiving: string[] = [];
  if (existing.length === 0) {
    for (const agency of DEMO_AGENCIES) {
      const row = await registry.request<AgencyView>('POST', '/v1/agencies', {
        code: agency.code,
        name: agency.name,
        kind: agency.kind,
        ...(agency.department ? { department: agency.department } : {}),
      });
      await registry.request('POST', `/v1/agencies/${row.id}/subscriptions`, agency.subscription);
      await addDemoChannel(registry, receiver, row);
      created.push(agency.code);
      receiving.push(agency.code);
    }
    return { created, receiving, others: [] };
  }
  const demoCodes = new Set(DEMO_AGENCIES.map((a) => a.code));
  for (const agency of existing.filter((a) => demoCodes.has(a.code))) {
    const channels = await registry.request<ChannelView[]>(
      'GET',
      `/v1/agencies/${agency.id}/channels`,
      undefined,
      200,
    );
    const demoChannels = channels.filter(
      (c) => c.active && c.kind === 'webhook' && DemoWebhookReceiver.isDemoUrl(c.url),
    );
    if (demoChannels.length === 0) continue;
    for (const channel of demoChannels)
      await registry.request('DELETE', `/v1/agencies/${agency.id}/channels/${channel.id}`, undefined, 204);
    await addDemoChannel(registry, receiver, agency);
    receiving.push(agency.code);
  }
  const others = existing.filter((a) => !demoCodes.has(a.code)).map((a) => a.code);
  return { created, receiving, others };
}

async function addDemoChannel(
  registry: RegistryClient,
  receiver: DemoWebhookReceiver,
  agency: AgencyView,
): Promise<void> {
  const channel = await registry.request<{ secret: string }>('POST', `/v1/agencies/${agency.id}/channels`, {
    kind: 'webhook',
    url: receiver.urlFor(agency.code),
  });
  receiver.trust(agency.code, channel.secret);
}
