import type { FixRef, Verdict, ZoneHit } from './model';

interface EventCommon {
  deviceId: string;
  machineId: string;
  /** Arrival time of the fix whose evaluation produced the event. */
  detectedAt: number;
  catalogueVersion: string;
}

interface EpisodeTiming {
  /** Stable across the events of one presence (or one verdict) of the machine in one zone. */
  episodeId: string;
  zoneId: string;
  /** The zone as the current catalogue describes it (absent if it is no longer there). */
  zone?: ZoneHit;
  /** enter / verdict_open: first fix of the confirming run; exit / verdict_close: first fix outside; dwell / update: the fix. */
  at: number;
  /** First fix of the presence. */
  since: number;
  /** Event time of the fix that confirmed this event. */
  confirmedAt: number;
  /** Presence so far (`at - since` for exits: until the first fix outside). */
  dwellMs: number;
  /** `detectedAt - confirmedAt`. */
  delayMs: number;
  /** The event was confirmed by fixes that arrived late (delay above `lateAfterMs`, or out of order). */
  late: boolean;
  /** The fixes that confirmed the event (first ones and the confirming one). */
  fixes: FixRef[];
}

/** Presence of the machine in a zone, whatever the rules say. */
export interface ZoneEvent extends EventCommon, EpisodeTiming {
  type: 'enter' | 'dwell' | 'exit';
}

export interface RuleRef {
  ruleId: string;
  verdict: Verdict;
  /** The norms creating the obligation, in Spanish. */
  legalBasis: string;
  /** Spanish (es-PE), with the English beside. */
  title: string;
  titleEn: string;
  description: string;
  descriptionEn: string;
}

/**
 * A rule holding for the machine: opened, still holding, no longer holding. One verdict per machine, rule and
 * episode: `zones` lists every zone where it held so far (overlapping layers of one river, a lagoon beside it),
 * `zoneId` / `zone` the first of them; for an `outside` rule, the jurisdiction the machine is in.
 */
export interface VerdictEvent extends EventCommon, EpisodeTiming, RuleRef {
  type: 'verdict_open' | 'verdict_update' | 'verdict_close';
  zones: ZoneHit[];
}

/** A rule holding on a crossed segment, with every zone crossed there where it holds. */
export interface CrossingVerdict extends RuleRef {
  zones: ZoneHit[];
}

export type RevisionChange = 'start_moved' | 'exit_revoked' | 'end_moved' | 'retracted';

/**
 * A late fix changed an episode already reported: its start moved earlier or later, an exit
 * turned out not to have happened, or the episode no longer holds. Same `episodeId` as before.
 */
export interface RevisionEvent extends EventCommon {
  type: 'revised';
  episodeId: string;
  subject: 'zone' | 'verdict';
  zoneId: string;
  ruleId?: string;
  since: number;
  /** First fix outside, when the episode is closed. */
  until?: number;
  changes: RevisionChange[];
}

/** A sparse track passed through a zone between two fixes that are both outside it. */
export interface CrossingEvent extends EventCommon {
  type: 'crossing';
  zoneId: string;
  zone: ZoneHit;
  /** Time interpolated at the first sample found inside the zone. */
  at: number;
  from: FixRef;
  to: FixRef;
  /** Distance between the tested points of the segment. */
  sampleSpacingMeters: number;
  delayMs: number;
  late: boolean;
  /**
   * Rules that hold for the machine in that zone with the activity of the segment, each carried by the first
   * zone of the segment where it holds and listing all of them.
   */
  verdicts: CrossingVerdict[];
}

export type IgnoreReason = 'unusable' | 'duplicate' | 'beyond_horizon';

export interface FixIgnoredEvent {
  type: 'fix_ignored';
  deviceId: string;
  machineId: string;
  detectedAt: number;
  fix: FixRef;
  reason: IgnoreReason;
}

export type RuleEvent = ZoneEvent | VerdictEvent | RevisionEvent | CrossingEvent | FixIgnoredEvent;
