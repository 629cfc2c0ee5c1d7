export * from './model';
export {
  DEFAULT_INTEGRITY_PARAMS,
  INTEGRITY_OBLIGATION,
  categoryParams,
  darkThresholdMs,
  integrityParams,
} from './params';
export type { CategoryParams, IntegrityParams, IntegrityParamsOverrides } from './params';
export {
  INTEGRITY_STATE_VERSION,
  initialIntegrityState,
  integrityStep,
  integritySweep,
  openAlerts,
  checkIntegrityState,
  parseIntegrityState,
} from './monitor';
export type { IntegrityState } from './monitor';
export type { AlertRecord, Clearing, Finding, Observation } from './alerts';
export { declaredWindow, judgeWindows } from './windows';
export { DEFAULT_PROHIBITED_KINDS, DEFAULT_RINGS_METERS, SampledZoneProximity } from './zone-proximity';
export type { SampledProximityOptions, ZonesAtPosition } from './zone-proximity';
export type { WindowJudgement } from './windows';
export { observePower, observeTamper, initialPowerState, initialTamperState } from './power-tamper';
export type { PowerState, TamperState } from './power-tamper';
export { observeJamming, initialJammingState } from './gnss-jamming';
export type { JammingState } from './gnss-jamming';
export { observeSpoofing, initialSpoofingState } from './spoofing';
export type { SpoofingState } from './spoofing';
export { initialDarkState } from './went-dark';
export type { ClosedDark, CoveragePoint, CoverageSpan, DarkState } from './went-dark';
export { INTEGRITY_TITLES } from './texts';
export type { Said } from './texts';
