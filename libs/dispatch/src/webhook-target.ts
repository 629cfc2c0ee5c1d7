import { promises as dns } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/**
 * Where an agency's webhook may point. By default only public addresses over HTTPS: the dispatcher runs inside
 * the product's network, so a webhook to a private, loopback or link-local address (a cloud metadata service, the
 * database, the broker's admin port) would make it a proxy into that network. Hosts on the allow-list
 * (`WEBHOOK_ALLOWED_HOSTS`, for receivers in development and tests) may use any address, and plain HTTP.
 */
export interface WebhookTargetPolicy {
  /** Host names and IP literals exempt from the address check and allowed over http (lower case). */
  readonly allowedHosts: ReadonlySet<string>;
}

interface Range {
  readonly network: string;
  readonly prefix: number;
  readonly family: 'ipv4' | 'ipv6';
  readonly category: string;
}

/** Address ranges a webhook may not reach, with what each one is (RFC 6890 and the IANA special-purpose registries). */
const RANGES: readonly Range[] = [
  { network: '0.0.0.0', prefix: 8, family: 'ipv4', category: 'unspecified ("this network")' },
  { network: '10.0.0.0', prefix: 8, family: 'ipv4', category: 'private' },
  { network: '100.64.0.0', prefix: 10, family: 'ipv4', category: 'shared (CGNAT)' },
  { network: '127.0.0.0', prefix: 8, family: 'ipv4', category: 'loopback' },
  { network: '169.254.0.0', prefix: 16, family: 'ipv4', category: 'link-local' },
  { network: '172.16.0.0', prefix: 12, family: 'ipv4', category: 'private' },
  { network: '192.0.0.0', prefix: 24, family: 'ipv4', category: 'IETF protocol assignments' },
  { network: '192.0.2.0', prefix: 24, family: 'ipv4', category: 'documentation' },
  { network: '192.88.99.0', prefix: 24, family: 'ipv4', category: '6to4 relay' },
  { network: '192.168.0.0', prefix: 16, family: 'ipv4', category: 'private' },
  { network: '198.18.0.0', prefix: 15, family: 'ipv4', category: 'benchmarking' },
  { network: '198.51.100.0', prefix: 24, family: 'ipv4', category: 'documentation' },
  { network: '203.0.113.0', prefix: 24, family: 'ipv4', category: 'documentation' },
  { network: '224.0.0.0', prefix: 4, family: 'ipv4', category: 'multicast' },
  { network: '240.0.0.0', prefix: 4, family: 'ipv4', category: 'reserved (including broadcast)' },
  { network: '::', prefix: 128, family: 'ipv6', category: 'unspecified' },
  { network: '::1', prefix: 128, family: 'ipv6', category: 'loopback' },
  { network: '::ffff:0:0', prefix: 96, family: 'ipv6', category: 'IPv4-mapped' },
  { network: '::', prefix: 96, family: 'ipv6', category: 'IPv4-compatible' },
  { network: '64:ff9b::', prefix: 96, family: 'ipv6', category: 'NAT64' },
  { network: '64:ff9b:1::', prefix: 48, family: 'ipv6', category: 'NAT64 (local use)' },
  { network: '100::', prefix: 64, family: 'ipv6', category: 'discard-only' },
  { network: '2001::', prefix: 32, family: 'ipv6', category: 'Teredo' },
  { network: '2001:2::', prefix: 48, family: 'ipv6', category: 'benchmarking' },
  { network: '2001:db8::', prefix: 32, family: 'ipv6', category: 'documentation' },
  { network: '2002::', prefix: 16, family: 'ipv6', category: '6to4' },
  { network: '3fff::', prefix: 20, family: 'ipv6', category: 'documentation' },
  { network: 'fc00::', prefix: 7, family: 'ipv6', category: 'unique local (ULA)' },
  { network: 'fe80::', prefix: 10, family: 'ipv6', category: 'link-local' },
  { network: 'fec0::', prefix: 10, family: 'ipv6', category: 'site-local' },
  { network: 'ff00::', prefix: 8, family: 'ipv6', category: 'multicast' },
];

const LISTS = RANGES.map((range) => {
  const list = new BlockList();
  list.addSubnet(range.network, range.prefix, range.family);
  return { range, list };
});

/** Strips the brackets of an IPv6 literal as URL host names carry them. */
function bare(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/**
 * What a non-public address is (`loopback`, `private`, …), or null for a public one. IPv4-mapped and other
 * IPv6 forms that embed an IPv4 address are refused as such, whatever address they embed.
 */
export function nonPublicAddress(address: string): { category: string; range: string } | null {
  const ip = bare(address);
  const family = isIP(ip);
  if (family === 0) return { category: 'not an IP address', range: ip };
  const type = family === 4 ? 'ipv4' : 'ipv6';
  for (const { range, list } of LISTS) {
    if (range.family !== type) continue;
    // Node's BlockList also matches IPv4 rules against IPv4-mapped IPv6 addresses; the mapped range is listed
    // on its own, so each address gets the category of its own family.
    if (list.check(ip, type)) return { category: range.category, range: `${range.network}/${range.prefix}` };
  }
  return null;
}

/** Host names that always mean this machine, whatever a resolver says. */
function isLocalName(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}

export function parseAllowedHosts(list: string | undefined): ReadonlySet<string> {
  return new Set(
    (list ?? '')
      .split(',')
      .map((host) => bare(host.trim().toLowerCase()))
      .filter((host) => host.length > 0),
  );
}

export function isAllowedHost(policy: WebhookTargetPolicy, url: URL): boolean {
  return policy.allowedHosts.has(bare(url.hostname.toLowerCase()));
}

/**
 * Checks a webhook URL as registered, without resolving it: the scheme, and the host when it is an IP literal or a
 * local name. Returns the problems (empty: acceptable so far; the addresses a name resolves to are checked with
 * `checkResolvedAddresses`, at registration and again at every delivery).
 */
export function webhookUrlProblems(raw: string, policy: WebhookTargetPolicy): string[] {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return ['url must be an absolute URL'];
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return ['url must use https'];
  if (url.username || url.password) return ['url must not carry credentials'];
  if (isAllowedHost(policy, url)) return [];
  const problems: string[] = [];
  if (url.protocol !== 'https:')
    problems.push('url must use https (plain http only for hosts listed in WEBHOOK_ALLOWED_HOSTS)');
  const host = bare(url.hostname);
  if (isIP(host)) {
    const blocked = nonPublicAddress(host);
    if (blocked) problems.push(addressProblem(host, blocked));
  } else if (isLocalName(host)) {
    problems.push(`url must point at a public address: ${host} is loopback`);
  }
  return problems;
}

function addressProblem(address: string, blocked: { category: string; range: string }): string {
  return `url must point at a public address: ${address} is ${blocked.category} (${blocked.range})`;
}

/** The problem with the addresses a webhook's host name resolved to, if any of them is not public. */
export function checkResolvedAddresses(host: string, addresses: readonly string[]): string | null {
  if (addresses.length === 0) return `url host ${host} has no address`;
  for (const address of addresses) {
    const blocked = nonPublicAddress(address);
    if (blocked)
      return `url must point at a public address: ${host} resolves to ${address}, ${blocked.category}`;
  }
  return null;
}

/** What an agency (and the dead-letter list) is told of a failed attempt: a category, never addresses or ports. */
export type DeliveryErrorCategory =
  | 'connection refused'
  | 'timeout'
  | 'TLS error'
  | 'name not resolved'
  | 'connection reset'
  | 'host unreachable'
  | 'address not allowed'
  | 'delivery failed';

const TLS_CODES =
  /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|HOSTNAME_MISMATCH|EPROTO$)/;

/** The category of a failed connection or request, from its error code (of the error or its causes). */
export function deliveryErrorCategory(error: unknown): DeliveryErrorCategory {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const { code, name } = current as { code?: unknown; name?: unknown };
    if (name === 'TimeoutError' || code === 'ETIMEDOUT' || code === 'ESOCKETTIMEDOUT') return 'timeout';
    if (typeof code === 'string') {
      if (code === 'ECONNREFUSED') return 'connection refused';
      if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'ENODATA') return 'name not resolved';
      if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ECONNABORTED') return 'connection reset';
      if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EADDRNOTAVAIL')
        return 'host unreachable';
      if (code === 'ERR_ADDRESS_NOT_ALLOWED') return 'address not allowed';
      if (TLS_CODES.test(code)) return 'TLS error';
    }
    current = (current as { cause?: unknown }).cause;
  }
  return 'delivery failed';
}

/** Resolves a host name to every address it has (the system resolver unless a test injects one). */
export type HostResolver = (host: string) => Promise<readonly { address: string; family: number }[]>;
/** Injection token of the resolver webhooks are checked with, at registration and delivery. */
export const WEBHOOK_RESOLVER = Symbol('WEBHOOK_RESOLVER');

export const systemResolver: HostResolver = (host) => dns.lookup(host, { all: true, verbatim: true });

/**
 * Every problem of a webhook URL at registration: `webhookUrlProblems`, and for a host name that resolves, the
 * addresses it resolves to now. A name that does not resolve yet is accepted (the receiver may not be published
 * yet); every delivery resolves and checks it again.
 */
export async function webhookRegistrationProblems(
  raw: string,
  policy: WebhookTargetPolicy,
  resolve: HostResolver,
): Promise<string[]> {
  const problems = webhookUrlProblems(raw, policy);
  if (problems.length > 0) return problems;
  const url = new URL(raw);
  const host = bare(url.hostname);
  if (isAllowedHost(policy, url) || isIP(host)) return [];
  let addresses: readonly { address: string }[];
  try {
    addresses = await resolve(host);
  } catch {
    return [];
  }
  const problem =
    addresses.length === 0
      ? null
      : checkResolvedAddresses(
          host,
          addresses.map((a) => a.address),
        );
  return problem ? [problem] : [];
}
