import {
  DECLARED_WINDOW_KINDS,
  type DeclaredWindow,
  type Downgrade,
  type IntegrityKind,
  type IntegritySeverity,
} from './model';
import type { IntegrityParams } from './params';
import type { Said } from './texts';

const WINDOW_NAMES: Record<DeclaredWindow['kind'], Said> = {
  maintenance: { es: 'mantenimiento', en: 'maintenance' },
  out_of_service: { es: 'fuera de servicio', en: 'out-of-service' },
  authorised_transport: { es: 'traslado autorizado', en: 'authorised-transport' },
};

export interface WindowJudgement {
  severity: IntegritySeverity;
  downgradedBy?: Downgrade;
}

/**
 * The severity of an alert of `kind` observed over [since, at] once the machine's declared windows are
 * considered: a window of a kind that covers this alert kind and overlaps the period turns a violation into a
 * warning and is named in `downgradedBy` (a warning stays a warning, still naming the window). Nothing is
 * ever dropped. The earliest-starting matching window is named, so the choice does not depend on list order.
 */
export function judgeWindows(
  kind: IntegrityKind,
  severity: IntegritySeverity,
  since: number,
  at: number,
  windows: readonly DeclaredWindow[],
  params: IntegrityParams,
): WindowJudgement {
  const matching = windows
    .filter((w) => params.downgrades[w.kind].includes(kind) && w.from <= at && since < w.to)
    .sort((a, b) => a.from - b.from || a.id.localeCompare(b.id));
  const window = matching[0];
  if (!window) return { severity };
  const name = WINDOW_NAMES[window.kind];
  const declared = window.reason ? ` (${window.reason})` : '';
  return {
    severity: 'warning',
    downgradedBy: {
      windowId: window.id,
      windowKind: window.kind,
      reason: `dentro del periodo declarado de ${name.es} ${window.id}${declared}`,
      reasonEn: `inside the declared ${name.en} window ${window.id}${declared}`,
    },
  };
}

/** A stored window (e.g. a `declared_windows` row's fields) as the monitor takes it; throws on an unknown kind. */
export function declaredWindow(stored: {
  id: string;
  kind: string;
  from: Date | number;
  to: Date | number;
  reason?: string | null;
}): DeclaredWindow {
  if (!(DECLARED_WINDOW_KINDS as readonly string[]).includes(stored.kind))
    throw new Error(`declared window ${stored.id}: unknown kind ${stored.kind}`);
  const window: DeclaredWindow = {
    id: stored.id,
    kind: stored.kind as DeclaredWindow['kind'],
    from: typeof stored.from === 'number' ? stored.from : stored.from.getTime(),
    to: typeof stored.to === 'number' ? stored.to : stored.to.getTime(),
  };
  if (stored.reason) window.reason = stored.reason;
  return window;
}
