import {
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { JwtService } from '@nestjs/jwt';
import { Store } from '@app/db';
import type { Request } from 'express';
import { AuthenticatedUser, PUBLIC_KEY, READ_ONLY_ROLES, ROLES_KEY, Role } from '@app/platform';

/** Requests that read; every other method writes. `POST` routes that only read say so with @Roles(…, 'auditor'). */
const READING_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

interface TokenClaims {
  sub: string;
}

@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly jwt: JwtService,
    private readonly store: Store,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const request = context.switchToHttp().getRequest<Request & { user?: AuthenticatedUser }>();
    const user = await this.authenticate(request.headers.authorization);
    request.user = user;
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
    if (roles && !roles.includes(user.role)) {
      throw new ForbiddenException({
        statusCode: 403,
        error: 'Forbidden',
        message: `role ${user.role} may not do this; allowed: ${roles.join(', ')}`,
      });
    }
    // A read-only role is refused wherever it is not named explicitly, and on every writing method unless named.
    if (
      READ_ONLY_ROLES.includes(user.role) &&
      !roles?.includes(user.role) &&
      !READING_METHODS.has(request.method)
    )
      throw new ForbiddenException({
        statusCode: 403,
        error: 'Forbidden',
        message: `role ${user.role} is read-only`,
      });
    return true;
  }

  private async authenticate(header: string | undefined): Promise<AuthenticatedUser> {
    const match = /^Bearer (.+)$/i.exec(header ?? '');
    if (!match?.[1]) throw unauthorized('missing bearer token');
    let claims: TokenClaims;
    try {
      claims = await this.jwt.verifyAsync<TokenClaims>(match[1]);
    } catch (error) {
      throw unauthorized(
        error instanceof Error && error.name === 'TokenExpiredError' ? 'token expired' : 'invalid token',
      );
    }
    const user = await this.store.repos.users.findById(claims.sub);
    if (!user || !user.active) throw unauthorized('user is unknown or deactivated');
    return { id: user.id, username: user.username, role: user.role as Role, agencyId: user.agency_id };
  }
}

function unauthorized(message: string): UnauthorizedException {
  return new UnauthorizedException({ statusCode: 401, error: 'Unauthorized', message });
}
