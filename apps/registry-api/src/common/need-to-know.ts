import { ForbiddenException, Injectable, Module } from '@nestjs/common';
import { Store } from '@app/db';
import { AGENCY_ROLES, AuthenticatedUser } from '@app/platform';
import { Viewer } from '@app/registry';

/** Which departments a user's reads cover: all of them, or those of the agency's subscriptions. */
export type Departments = { readonly all: true } | { readonly only: ReadonlySet<string> };

/**
 * Who may see what (docs/security.md, "Need-to-know"): agencies' users see their agency's jurisdiction, as the
 * agency's alert subscriptions define it; everyone else (administrators, clerks, auditors) sees the whole
 * country. Owners' personal data follows `@app/registry`'s need-to-know rules.
 */
@Injectable()
export class NeedToKnow {
  constructor(private readonly store: Store) {}

  /** The agency whose jurisdiction bounds the user's reads, or null for a national role. */
  static agencyOf(user: AuthenticatedUser): string | null {
    return AGENCY_ROLES.includes(user.role) ? user.agencyId : null;
  }

  async viewer(user: AuthenticatedUser): Promise<Viewer> {
    const agency = user.agencyId ? await this.store.repos.agencies.findById(user.agencyId) : undefined;
    return { role: user.role, agencyKind: agency?.kind ?? null };
  }

  /**
   * The departments of the user's jurisdiction: a subscription without departments covers the whole country; an
   * agency without subscriptions covers none.
   */
  async departments(user: AuthenticatedUser): Promise<Departments> {
    const agencyId = NeedToKnow.agencyOf(user);
    if (agencyId === null) return { all: true };
    const subscriptions = await this.store.repos.agencyChannels.subscriptions(agencyId);
    if (subscriptions.some((s) => s.departments.length === 0)) return { all: true };
    return { only: new Set(subscriptions.flatMap((s) => s.departments)) };
  }

  /** 403 unless the user may see the owner: national roles always; agencies' users when a case of theirs names it. */
  async checkOwner(user: AuthenticatedUser, ownerId: string): Promise<void> {
    const agencyId = NeedToKnow.agencyOf(user);
    if (agencyId === null) return;
    if (!(await this.store.repos.owners.hasCaseOfAgency(ownerId, agencyId)))
      throw new ForbiddenException({
        statusCode: 403,
        error: 'Forbidden',
        message: `owner ${ownerId} has no machine in a violation within the jurisdiction of your agency`,
      });
  }
}

/** One NeedToKnow for every module that bounds reads by it. */
@Module({ providers: [NeedToKnow], exports: [NeedToKnow] })
export class NeedToKnowModule {}
