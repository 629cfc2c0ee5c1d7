/** The topic an agency's systems subscribe to for alerts. */
export function agencyAlertTopic(code: string): string {
  return `agencies/${code}/alerts`;
}
