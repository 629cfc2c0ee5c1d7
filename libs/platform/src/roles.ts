import { SetMetadata, createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Actor } from '@app/db';

export const ROLES = ['admin', 'registry_clerk', 'enforcement_officer', 'agency_integration'] as const;
export type Role = (typeof ROLES)[number];

export const ROLES_KEY = 'centinela:roles';
export const PUBLIC_KEY = 'centinela:public';

/** Roles allowed on a route; every route not marked @Public() needs a token, and one of these roles if given. */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);
export const Public = () => SetMetadata(PUBLIC_KEY, true);

export interface AuthenticatedUser {
  readonly id: string;
  readonly username: string;
  readonly role: Role;
  readonly agencyId: string | null;
}

export function actorOf(user: AuthenticatedUser): Actor {
  return { id: user.id, username: user.username };
}

export const CurrentUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext): AuthenticatedUser => {
    const request = context.switchToHttp().getRequest<{ user: AuthenticatedUser }>();
    return request.user;
  },
);
