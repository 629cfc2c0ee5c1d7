import {
  checkResolvedAddresses,
  deliveryErrorCategory,
  nonPublicAddress,
  parseAllowedHosts,
  webhookRegistrationProblems,
  webhookUrlProblems,
} from './webhook-target';

const strict = { allowedHosts: parseAllowedHosts(undefined) };

describe('webhook targets', () => {
  it.each([
    ['https://10.1.2.3/hook', 'private'],
    ['https://172.16.0.1/hook', 'private'],
    ['https://192.168.1.10/hook', 'private'],
    ['https://127.0.0.1:8080/hook', 'loopback'],
    ['https://2130706433/hook', 'loopback'],
    ['https://0x7f.1/hook', 'loopback'],
    ['https://localhost/hook', 'loopback'],
    ['https://api.localhost/hook', 'loopback'],
    ['https://[::1]/hook', 'loopback'],
    ['https://169.254.169.254/latest/meta-data', 'link-local'],
    ['https://[fe80::1]/hook', 'link-local'],
    ['https://100.64.0.1/hook', 'shared (CGNAT)'],
    ['https://224.0.0.1/hook', 'multicast'],
    ['https://[ff02::1]/hook', 'multicast'],
    ['https://0.0.0.0/hook', 'unspecified'],
    ['https://[::]/hook', 'unspecified'],
    ['https://[::ffff:10.0.0.1]/hook', 'IPv4-mapped'],
    ['https://[::ffff:8.8.8.8]/hook', 'IPv4-mapped'],
    ['https://[fd12:3456::1]/hook', 'unique local (ULA)'],
    ['https://192.0.2.10/hook', 'documentation'],
    ['https://198.51.100.7/hook', 'documentation'],
    ['https://203.0.113.9/hook', 'documentation'],
    ['https://[2001:db8::5]/hook', 'documentation'],
    ['https://255.255.255.255/hook', 'reserved'],
  ])('refuses %s at registration (%s)', (url, category) => {
    const problems = webhookUrlProblems(url, strict);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('url must point at a public address');
    expect(problems[0]).toContain(category);
  });

  it('accepts public addresses and names over https only', () => {
    expect(webhookUrlProblems('https://8.8.8.8/hook', strict)).toEqual([]);
    expect(webhookUrlProblems('https://[2606:4700::1111]/hook', strict)).toEqual([]);
    expect(webhookUrlProblems('https://alertas.ana.gob.pe/centinela', strict)).toEqual([]);
    expect(webhookUrlProblems('http://alertas.ana.gob.pe/centinela', strict)).toEqual([
      'url must use https (plain http only for hosts listed in WEBHOOK_ALLOWED_HOSTS)',
    ]);
    expect(webhookUrlProblems('https://user:pw@alertas.ana.gob.pe/', strict)).toEqual([
      'url must not carry credentials',
    ]);
    expect(webhookUrlProblems('ftp://alertas.ana.gob.pe/', strict)).toEqual(['url must use https']);
  });

  it('lets listed hosts through, over http too', () => {
    const dev = { allowedHosts: parseAllowedHosts(' 127.0.0.1, LocalHost ,[::1]') };
    expect(webhookUrlProblems('http://127.0.0.1:4000/alerts', dev)).toEqual([]);
    expect(webhookUrlProblems('http://localhost:4000/alerts', dev)).toEqual([]);
    expect(webhookUrlProblems('http://[::1]:4000/alerts', dev)).toEqual([]);
    expect(webhookUrlProblems('http://10.0.0.5/alerts', dev)).toHaveLength(2);
  });

  it('checks the addresses a name resolves to, at registration', async () => {
    const resolver = (answers: string[]) => async () => answers.map((address) => ({ address, family: 4 }));
    await expect(
      webhookRegistrationProblems(
        'https://hooks.example.pe/x',
        strict,
        resolver(['93.184.216.34', '10.0.0.5']),
      ),
    ).resolves.toEqual([
      'url must point at a public address: hooks.example.pe resolves to 10.0.0.5, private',
    ]);
    await expect(
      webhookRegistrationProblems('https://hooks.example.pe/x', strict, resolver(['93.184.216.34'])),
    ).resolves.toEqual([]);
    // Not resolvable yet: accepted, and checked again at every delivery.
    const unresolvable = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    };
    await expect(
      webhookRegistrationProblems('https://hooks.example.pe/x', strict, unresolvable),
    ).resolves.toEqual([]);
  });

  it('names the category of every non-public address and passes public ones', () => {
    expect(nonPublicAddress('8.8.8.8')).toBeNull();
    expect(nonPublicAddress('2800:200:e840::1')).toBeNull();
    expect(nonPublicAddress('172.32.0.1')).toBeNull();
    expect(nonPublicAddress('10.0.0.1')).toEqual({ category: 'private', range: '10.0.0.0/8' });
    expect(checkResolvedAddresses('h', [])).toBe('url host h has no address');
  });

  it('reports failures as categories, never addresses or ports', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:8080'), {
      code: 'ECONNREFUSED',
      address: '10.0.0.5',
      port: 8080,
    });
    expect(deliveryErrorCategory(refused)).toBe('connection refused');
    expect(deliveryErrorCategory(new Error('fetch failed', { cause: refused }))).toBe('connection refused');
    expect(
      deliveryErrorCategory(Object.assign(new Error('x'), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' })),
    ).toBe('TLS error');
    expect(
      deliveryErrorCategory(Object.assign(new Error('x'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' })),
    ).toBe('TLS error');
    expect(deliveryErrorCategory(new DOMException('signal timed out', 'TimeoutError'))).toBe('timeout');
    expect(deliveryErrorCategory(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe(
      'connection reset',
    );
    expect(deliveryErrorCategory(new Error('something else'))).toBe('delivery failed');
  });
});
