import { SetMetadata, createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Actor } from '@app/db';

export const ROLES = [
  'admin',
  'registry_clerk',
  'enforcement_officer',
  'agency_integration',
  'auditor',
] as const;
export type Role = (typeof ROLES)[number];

/**
 * Roles that change nothing: the auditor reads everything (every jurisdiction, the audit log included) and is
 * refused by every route that writes, whatever the route's own roles say.
 */
export const READ_ONLY_ROLES: readonly Role[] = ['auditor'];

/** Roles whose users belong to an agency and see only its jurisdiction. */
export const AGENCY_ROLES: readonly Role[] = ['enforcement_officer', 'agency_integration'];

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
