import type { Observation } from './alerts';
import { evidenceOf, type IntegrityFix, type IntegritySeverity } from './model';
import type { IntegrityParams } from './params';
import type { Said } from './texts';

/**
 * Power cut and tamper, from the tracker's own reports and from its external voltage.
 *
 * Power cut: a `power_cut` event, or the external voltage falling below `powerCutVoltageV` after a healthy
 * reading (violation); or `voltageDropFixes` consecutive readings `voltageDropFraction` below the running
 * healthy level (warning: a failing battery or a partly cut supply). Closed by `power_restored` or a healthy
 * reading.
 *
 * Tamper: `tamper` (case opened, antenna cut) and `unplug` events or the unplugged state (violations), and
 * `towing` (the machine moved with ignition off; a warning, since a machine carried on a truck tows too).
 * Closed once `tamperClearMs` passed in device time with fixes reporting none of them.
 */

export interface PowerState {
  /** Running healthy external voltage, V; null until a healthy reading. */
  healthyV: number | null;
  /** Consecutive readings below the drop level. */
  lowReadings: number;
  /** Device time of the newest fix seen, to judge clears in order. */
  newest: number | null;
}

export interface TamperState {
  /** Device time of the latest tamper, unplug or towing indication. */
  lastIndication: number | null;
  newest: number | null;
}

export function initialPowerState(): PowerState {
  return { healthyV: null, lowReadings: 0, newest: null };
}

export function initialTamperState(): TamperState {
  return { lastIndication: null, newest: null };
}

const volts = (v: number): string => `${v.toFixed(1)} V`;

export function observePower(
  s: PowerState,
  fix: IntegrityFix,
  params: IntegrityParams,
): Observation | undefined {
  const inOrder = s.newest === null || fix.time > s.newest;
  if (inOrder) s.newest = fix.time;
  const v = fix.externalVoltageV;
  const evidence = [evidenceOf(fix)];
  const details = {
    externalVoltageV: v ?? null,
    healthyVoltageV: s.healthyV,
    batteryV: fix.batteryV ?? null,
  };
  if (fix.events.includes('power_cut')) {
    return raise(
      'violation',
      'power_cut_event',
      fix,
      {
        es: 'El rastreador reportó que la máquina cortó su alimentación',
        en: 'The tracker reported that the machine cut its power supply',
      },
      details,
    );
  }
  if (v !== undefined && s.healthyV !== null && v < params.powerCutVoltageV) {
    s.lowReadings++;
    return raise(
      'violation',
      'voltage_lost',
      fix,
      {
        es: `La alimentación externa del rastreador cayó a ${volts(v)} (nivel normal ${volts(s.healthyV)}): corte de energía`,
        en: `The tracker's external supply fell to ${volts(v)} (healthy level ${volts(s.healthyV)}): power cut`,
      },
      details,
    );
  }
  if (v !== undefined && s.healthyV !== null && v < s.healthyV * (1 - params.voltageDropFraction)) {
    if (inOrder) s.lowReadings++;
    if (s.lowReadings >= params.voltageDropFixes)
      return raise(
        'warning',
        'voltage_drop',
        fix,
        {
          es: `La alimentación externa del rastreador bajó a ${volts(v)} desde un nivel normal de ${volts(s.healthyV)}`,
          en: `The tracker's external supply dropped to ${volts(v)} from a healthy ${volts(s.healthyV)}`,
        },
        details,
      );
    return undefined;
  }
  const restoredEvent = fix.events.includes('power_restored');
  if (v !== undefined && v >= params.powerCutVoltageV && inOrder) {
    s.lowReadings = 0;
    s.healthyV = s.healthyV === null ? v : s.healthyV + (v - s.healthyV) * params.voltageBaselineWeight;
  }
  if (inOrder && (restoredEvent || (v !== undefined && v >= params.powerCutVoltageV))) {
    return {
      type: 'clear',
      clearing: {
        at: fix.time,
        description: restoredEvent
          ? 'El rastreador reportó que su alimentación se restableció'
          : `La alimentación externa del rastreador volvió a ${volts(v as number)}`,
        descriptionEn: restoredEvent
          ? 'The tracker reported that its power supply is back'
          : `The tracker's external supply is back to ${volts(v as number)}`,
        evidence,
        details: { restoredVoltageV: v ?? null },
      },
    };
  }
  return undefined;
}

function raise(
  severity: IntegritySeverity,
  cause: string,
  fix: IntegrityFix,
  description: Said,
  details: Record<string, number | null>,
): Observation {
  return {
    type: 'raise',
    finding: {
      severity,
      cause,
      since: fix.time,
      at: fix.time,
      description: description.es,
      descriptionEn: description.en,
      evidence: [evidenceOf(fix)],
      details,
    },
  };
}

export function observeTamper(
  s: TamperState,
  fix: IntegrityFix,
  params: IntegrityParams,
): Observation | undefined {
  const inOrder = s.newest === null || fix.time > s.newest;
  if (inOrder) s.newest = fix.time;
  const causes: { cause: string; severity: IntegritySeverity; text: Said }[] = [];
  if (fix.events.includes('tamper'))
    causes.push({
      cause: 'tamper_event',
      severity: 'violation',
      text: {
        es: 'se activó un sensor antimanipulación (carcasa abierta o antena cortada)',
        en: 'a tamper sensor fired (case opened or antenna cut)',
      },
    });
  if (fix.events.includes('unplug') || fix.unplugged === true)
    causes.push({
      cause: 'unplug',
      severity: 'violation',
      text: {
        es: 'el rastreador fue desconectado de la alimentación de la máquina',
        en: "the tracker was unplugged from the machine's power",
      },
    });
  if (fix.events.includes('towing') || fix.towing === true)
    causes.push({
      cause: 'towing',
      severity: 'warning',
      text: {
        es: 'la máquina está siendo trasladada con el encendido apagado (remolque)',
        en: 'the machine is being moved with ignition off (towing)',
      },
    });
  if (causes.length > 0) {
    s.lastIndication = Math.max(s.lastIndication ?? fix.time, fix.time);
    const worst = causes.find((c) => c.severity === 'violation') ?? (causes[0] as (typeof causes)[number]);
    return {
      type: 'raise',
      finding: {
        severity: worst.severity,
        cause: worst.cause,
        since: fix.time,
        at: fix.time,
        description: `El rastreador reportó que ${causes.map((c) => c.text.es).join('; ')}`,
        descriptionEn: `The tracker reported that ${causes.map((c) => c.text.en).join('; ')}`,
        evidence: [evidenceOf(fix)],
        details: { causes: causes.map((c) => c.cause).join(','), ignition: fix.ignition ?? null },
      },
    };
  }
  if (inOrder && s.lastIndication !== null && fix.time - s.lastIndication >= params.tamperClearMs) {
    return {
      type: 'clear',
      clearing: {
        at: fix.time,
        description: `Sin reportes de manipulación, desconexión ni remolque durante ${Math.round((fix.time - s.lastIndication) / 60_000)} min`,
        descriptionEn: `No tamper, unplug or towing report for ${Math.round((fix.time - s.lastIndication) / 60_000)} min`,
        evidence: [evidenceOf(fix)],
        details: { lastIndicationAt: s.lastIndication },
      },
    };
  }
  return undefined;
}
