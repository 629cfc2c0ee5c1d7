import { ExecutionContext, ForbiddenException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { JwtService } from '@nestjs/jwt';
import type { Store } from '@app/db';
import { ROLES_KEY, Role } from '@app/platform';
import { AuthGuard } from './auth.guard';

/** The guard with a token that always names a user of `role`, on a route naming `roles` (or none). */
function guardFor(role: Role, roles: Role[] | undefined) {
  const reflector = {
    getAllAndOverride: (key: string) => (key === ROLES_KEY ? roles : undefined),
  } as unknown as Reflector;
  const jwt = { verifyAsync: async () => ({ sub: 'user-1' }) } as unknown as JwtService;
  const store = {
    repos: {
      users: {
        findById: async () => ({ id: 'user-1', username: 'u', role, agency_id: null, active: true }),
      },
    },
  } as unknown as Store;
  return new AuthGuard(reflector, jwt, store);
}

function request(method: string): ExecutionContext {
  const req = { method, headers: { authorization: 'Bearer token' } };
  return {
    getHandler: () => undefined,
    getClass: () => undefined,
    switchToHttp: () => ({ getRequest: () => req }),
  } as unknown as ExecutionContext;
}

describe('the read-only auditor at the guard', () => {
  it('is refused any writing method on a route that does not name it, even one naming no role', async () => {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE'])
      await expect(guardFor('auditor', undefined).canActivate(request(method))).rejects.toBeInstanceOf(
        ForbiddenException,
      );
    await expect(guardFor('auditor', ['admin']).canActivate(request('POST'))).rejects.toThrow(/may not/);
  });

  it('reads where a route names no role, and uses a reading POST that names it', async () => {
    await expect(guardFor('auditor', undefined).canActivate(request('GET'))).resolves.toBe(true);
    await expect(guardFor('auditor', ['admin', 'auditor']).canActivate(request('POST'))).resolves.toBe(true);
  });

  it('leaves other roles to the route’s roles', async () => {
    await expect(guardFor('admin', undefined).canActivate(request('POST'))).resolves.toBe(true);
  });
});
