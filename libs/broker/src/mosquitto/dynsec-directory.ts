import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import mqtt, { MqttClient } from 'mqtt';
import { BrokerUnavailableError, DeviceDirectory } from '../device-directory';
import {
  SERVICE_ROLE,
  agencyRoleAcls,
  agencyRoleName,
  deviceRoleAcls,
  deviceRoleName,
  serviceRoleAcls,
} from './dynsec-roles';

const CONTROL_TOPIC = '$CONTROL/dynamic-security/v1';
const RESPONSE_TOPIC = `${CONTROL_TOPIC}/response`;

interface DynsecCommand {
  command: string;
  [key: string]: unknown;
}
interface DynsecResponse {
  command: string;
  error?: string;
  correlationData?: string;
  data?: { client?: { roles?: Array<{ rolename: string }> } };
}

/** Errors that mean "already in the wanted state" for idempotent provisioning. */
const HARMLESS = [
  'Client not found',
  'Role not found',
  'Role already exists',
  'ACL with this topic already exists',
];

/**
 * Keeps Mosquitto's dynamic-security plugin in step with the registry: one client and one role per tracker
 * (and per agency's system), created when its secret is issued and deleted (which disconnects it) when its
 * access is withdrawn.
 */
export class MosquittoDynsecDirectory implements DeviceDirectory {
  private readonly logger = new Logger('MosquittoDynsec');
  private client: MqttClient | undefined;
  private connecting: Promise<MqttClient> | undefined;
  private readonly pending = new Map<string, (response: DynsecResponse) => void>();

  constructor(
    private readonly url: string,
    private readonly username: string,
    private readonly password: string,
    private readonly timeoutMs = 5000,
  ) {}

  async credentialsIssued(imei: string, secret: string): Promise<void> {
    const acls = deviceRoleAcls(imei);
    await this.run([
      { command: 'deleteClient', username: imei },
      { command: 'createRole', rolename: deviceRoleName(imei), acls },
      // A role created before a channel existed (receipts) gets its ACLs; those it has are left as they are.
      ...acls.map((acl) => ({ command: 'addRoleACL', rolename: deviceRoleName(imei), ...acl })),
      {
        command: 'createClient',
        username: imei,
        clientid: imei,
        password: secret,
        roles: [{ rolename: deviceRoleName(imei) }],
      },
    ]);
  }

  /** One client and role per agency, like trackers; the client id is free (username and password identify it). */
  async agencyCredentialsIssued(code: string, username: string, secret: string): Promise<void> {
    await this.run([
      { command: 'deleteClient', username },
      { command: 'createRole', rolename: agencyRoleName(code), acls: agencyRoleAcls(code) },
      { command: 'createClient', username, password: secret, roles: [{ rolename: agencyRoleName(code) }] },
    ]);
  }

  async agencyAccessWithdrawn(code: string, username: string): Promise<void> {
    await this.run([
      { command: 'deleteClient', username },
      { command: 'deleteRole', rolename: agencyRoleName(code) },
    ]);
  }

  async accessWithdrawn(imei: string): Promise<void> {
    await this.run([
      { command: 'deleteClient', username: imei },
      { command: 'deleteRole', rolename: deviceRoleName(imei) },
    ]);
  }

  /**
   * Lets the apps' own account send rejections and receipts to devices' own topics and alerts to agencies. Mosquitto
   * disconnects a client whose roles change, so the role is added only when missing, without waiting on the
   * connection it drops.
   */
  async ensureServiceRole(): Promise<void> {
    await this.run([
      { command: 'createRole', rolename: SERVICE_ROLE, acls: serviceRoleAcls() },
      // Roles created before agencies' alerts and devices' receipts existed get the right to publish them.
      ...serviceRoleAcls().map((acl) => ({ command: 'addRoleACL', rolename: SERVICE_ROLE, ...acl })),
    ]);
    if (await this.hasServiceRole()) return;
    const client = await this.connect();
    await client.publishAsync(
      CONTROL_TOPIC,
      JSON.stringify({
        commands: [
          { command: 'addClientRole', username: this.username, rolename: SERVICE_ROLE, priority: 100 },
        ],
      }),
      { qos: 1 },
    );
    await client.endAsync(true);
    this.client = undefined;
    // Reconnect only after Mosquitto has applied the change and dropped this account's sessions.
    await new Promise((resolve) => setTimeout(resolve, 300));
    if (!(await this.hasServiceRole()))
      throw new BrokerUnavailableError(`Mosquitto did not give ${this.username} the ${SERVICE_ROLE} role`);
  }

  private async hasServiceRole(): Promise<boolean> {
    const [response] = await this.run([{ command: 'getClient', username: this.username }]);
    return (response?.data?.client?.roles ?? []).some((role) => role.rolename === SERVICE_ROLE);
  }

  async close(): Promise<void> {
    await this.client?.endAsync(true);
    this.client = undefined;
  }

  private async run(commands: DynsecCommand[]): Promise<DynsecResponse[]> {
    const client = await this.connect();
    const tagged = commands.map((command) => ({ ...command, correlationData: randomUUID() }));
    const responses = tagged.map(
      (command) =>
        new Promise<DynsecResponse>((resolve, reject) => {
          const timer = setTimeout(() => {
            this.pending.delete(command.correlationData);
            reject(
              new BrokerUnavailableError(
                `Mosquitto did not answer ${command.command} within ${this.timeoutMs} ms`,
              ),
            );
          }, this.timeoutMs);
          this.pending.set(command.correlationData, (response) => {
            clearTimeout(timer);
            resolve(response);
          });
        }),
    );
    await client.publishAsync(CONTROL_TOPIC, JSON.stringify({ commands: tagged }), { qos: 1 });
    const answered = await Promise.all(responses);
    for (const response of answered) {
      if (response.error && !HARMLESS.includes(response.error)) {
        throw new BrokerUnavailableError(`Mosquitto refused ${response.command}: ${response.error}`);
      }
    }
    return answered;
  }

  private connect(): Promise<MqttClient> {
    if (this.client && !this.client.disconnecting) return Promise.resolve(this.client);
    this.connecting ??= (async () => {
      try {
        const client = await mqtt.connectAsync(this.url, {
          username: this.username,
          password: this.password,
          clientId: `centinela-registry-${randomUUID().slice(0, 8)}`,
          connectTimeout: this.timeoutMs,
          reconnectPeriod: 1000,
          resubscribe: true,
        });
        client.on('message', (_topic, payload) => this.onResponse(payload));
        await client.subscribeAsync(RESPONSE_TOPIC, { qos: 1 });
        this.client = client;
        return client;
      } catch (error) {
        throw new BrokerUnavailableError(
          `cannot reach Mosquitto at ${this.url}: ${error instanceof Error ? error.message : String(error)}`,
        );
      } finally {
        this.connecting = undefined;
      }
    })();
    return this.connecting;
  }

  private onResponse(payload: Buffer): void {
    let parsed: { responses?: DynsecResponse[] };
    try {
      parsed = JSON.parse(payload.toString('utf8')) as { responses?: DynsecResponse[] };
    } catch {
      this.logger.warn('unreadable dynamic-security response');
      return;
    }
    for (const response of parsed.responses ?? []) {
      const resolve = response.correlationData ? this.pending.get(response.correlationData) : undefined;
      if (resolve && response.correlationData) {
        this.pending.delete(response.correlationData);
        resolve(response);
      }
    }
  }
}
