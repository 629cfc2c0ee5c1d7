import { BrokerUnavailableError } from '../device-directory';
import { EmqxDirectory } from './emqx-directory';

describe(EmqxDirectory.name, () => {
  function recordingFetch(status: number) {
    const calls: Array<{ url: string; init: RequestInit | undefined }> = [];
    const fake = (async (url: string | URL | Request, init?: RequestInit) => {
      calls.push({ url: String(url), init });
      return new Response(null, { status });
    }) as typeof fetch;
    return { calls, fake };
  }

  it('disconnects the session through EMQX REST API with basic auth when credentials change or are withdrawn', async () => {
    const { calls, fake } = recordingFetch(204);
    const sut = new EmqxDirectory('http://emqx:18083/api/v5/', 'key', 'secret', fake);
    await sut.credentialsIssued('356307042441013');
    await sut.accessWithdrawn('356307042441013');
    expect(calls.map((c) => [c.init?.method, c.url])).toEqual([
      ['DELETE', 'http://emqx:18083/api/v5/clients/356307042441013'],
      ['DELETE', 'http://emqx:18083/api/v5/clients/356307042441013'],
    ]);
    expect((calls[0]!.init?.headers as Record<string, string>)['authorization']).toBe(
      `Basic ${Buffer.from('key:secret').toString('base64')}`,
    );
  });

  it('treats a device that is not connected (404) as done', async () => {
    const { fake } = recordingFetch(404);
    await expect(
      new EmqxDirectory('http://emqx/api/v5', 'k', 's', fake).accessWithdrawn('356307042441013'),
    ).resolves.toBeUndefined();
  });

  it('fails, so the registry change is rolled back, when EMQX refuses or cannot be reached', async () => {
    const { fake } = recordingFetch(401);
    await expect(
      new EmqxDirectory('http://emqx/api/v5', 'k', 's', fake).accessWithdrawn('356307042441013'),
    ).rejects.toBeInstanceOf(BrokerUnavailableError);
    const unreachable = (async () => {
      throw new TypeError('fetch failed');
    }) as typeof fetch;
    await expect(
      new EmqxDirectory('http://emqx/api/v5', 'k', 's', unreachable).credentialsIssued('356307042441013'),
    ).rejects.toThrow(/cannot reach EMQX/);
  });
});
