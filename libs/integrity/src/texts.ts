import type { IntegrityKind } from './model';

/** What an alert says, in Spanish (es-PE, as agencies read it) and in English. */
export interface Said {
  es: string;
  en: string;
}

/** Each integrity kind's title, as agencies read it where a zone's name would be. */
export const INTEGRITY_TITLES: Record<IntegrityKind, Said> = {
  went_dark: { es: 'Rastreador sin reportar', en: 'Tracker went dark' },
  power_cut: { es: 'Corte de alimentación del rastreador', en: 'Tracker power cut' },
  tamper: { es: 'Manipulación del rastreador', en: 'Tracker tampered with' },
  gnss_jamming: { es: 'Interferencia de la señal GNSS', en: 'GNSS jamming' },
  spoofing: { es: 'Posición falseada', en: 'Position spoofing' },
};

/** Minutes below two hours, hours above: `45 min`, `3,5 h` (Spanish decimal comma) / `3.5 h`. */
export function duration(ms: number): Said {
  const m = Math.round(ms / 60_000);
  if (m < 120) return { es: `${m} min`, en: `${m} min` };
  const h = (ms / 3_600_000).toFixed(1);
  return { es: `${h.replace('.', ',')} h`, en: `${h} h` };
}

export function joined(parts: readonly Said[], es: string, en: string): Said {
  return { es: parts.map((p) => p.es).join(es), en: parts.map((p) => p.en).join(en) };
}
