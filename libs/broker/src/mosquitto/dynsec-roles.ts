import { DEVICE_PUBLISH_CHANNELS, DEVICE_SUBSCRIBE_CHANNELS } from '@app/registry';

/** The role of the apps' own account. */
export const SERVICE_ROLE = 'centinela-service';

/** The apps send rejections and receipts to devices' own topics and alerts to agencies' topics. */
export function serviceRoleAcls() {
  return [
    ...DEVICE_SUBSCRIBE_CHANNELS.map((channel) => ({
      acltype: 'publishClientSend',
      topic: `devices/+/${channel}`,
      allow: true,
    })),
    { acltype: 'publishClientSend', topic: 'agencies/+/alerts', allow: true },
  ];
}

export function agencyRoleName(code: string): string {
  return `agency-${code}`;
}

/** An agency's system may only subscribe to, and receive, its own alerts topic. */
export function agencyRoleAcls(code: string) {
  return [
    { acltype: 'subscribeLiteral', topic: `agencies/${code}/alerts`, allow: true },
    { acltype: 'publishClientReceive', topic: `agencies/${code}/alerts`, allow: true },
  ];
}

export function deviceRoleName(imei: string): string {
  return `device-${imei}`;
}

/** The literal ACLs of one device (Mosquitto 2.0's dynamic security has no %u/%c patterns). */
export function deviceRoleAcls(imei: string) {
  return [
    ...DEVICE_PUBLISH_CHANNELS.map((channel) => ({
      acltype: 'publishClientSend',
      topic: `devices/${imei}/${channel}`,
      allow: true,
    })),
    ...DEVICE_SUBSCRIBE_CHANNELS.flatMap((channel) => [
      { acltype: 'subscribeLiteral', topic: `devices/${imei}/${channel}`, allow: true },
      { acltype: 'publishClientReceive', topic: `devices/${imei}/${channel}`, allow: true },
    ]),
  ];
}
