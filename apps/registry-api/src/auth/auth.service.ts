import { Inject, Injectable, Logger, OnApplicationBootstrap, UnauthorizedException } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { randomBytes } from 'node:crypto';
import { APP_CONFIG, AppConfig } from '@app/config';
import { Store, UserRow } from '@app/db';
import { conflict, notFound, unprocessable, AuthenticatedUser, actorOf } from '@app/platform';
import { CreateUserDto } from './auth.dto';
import { LoginThrottle } from './login-throttle';
import { hashPassword, verifyPassword } from './passwords';

export interface UserView {
  id: string;
  username: string;
  displayName: string;
  role: string;
  agencyId: string | null;
  active: boolean;
  createdAt: Date;
}

export function userView(row: UserRow): UserView {
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    role: row.role,
    agencyId: row.agency_id,
    active: row.active,
    createdAt: row.created_at,
  };
}

@Injectable()
export class AuthService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Auth');
  /**
   * A hash of a random password with the product's parameters: an unknown or deactivated user's attempt is checked
   * against it, so that it takes as long as a known user's and the timing tells nothing of which usernames exist.
   */
  private readonly dummyHash: Promise<string> = hashPassword(randomBytes(18).toString('base64url'));

  constructor(
    private readonly store: Store,
    private readonly jwt: JwtService,
    private readonly throttle: LoginThrottle,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Creates the first administrator from configuration when there is none yet. */
  async onApplicationBootstrap(): Promise<void> {
    await this.dummyHash;
    if ((await this.store.repos.users.countByRole('admin')) > 0) return;
    const generated = this.config.adminPassword === undefined;
    const password = this.config.adminPassword ?? randomBytes(12).toString('base64url');
    await this.store.transaction(async (repos) => {
      const admin = await repos.users.create({
        username: this.config.adminUsername,
        displayName: 'Administrator',
        passwordHash: await hashPassword(password),
        role: 'admin',
        agencyId: null,
      });
      await repos.audit.record({
        actor: { id: null, username: 'system' },
        action: 'user.created',
        entityType: 'user',
        entityId: admin.id,
        after: userView(admin),
      });
    });
    if (generated) {
      this.logger.warn(
        `First administrator "${this.config.adminUsername}" created with password: ${password} (shown once)`,
      );
    }
  }

  /**
   * Signs a user in. Limited per username and per client address (429 beyond the limits, see LoginThrottle);
   * the password is checked against a hash whether or not the user exists, so the answer takes the same time.
   */
  async login(
    username: string,
    password: string,
    address?: string,
  ): Promise<{ accessToken: string; tokenType: 'Bearer'; expiresIn: number; user: UserView }> {
    const attempt = await this.throttle.attempt(username, address);
    const user = await this.store.repos.users.findByUsername(username);
    const matches = await verifyPassword(password, user?.password_hash ?? (await this.dummyHash));
    const valid = user !== undefined && user.active && matches;
    if (!user || !valid) {
      throw new UnauthorizedException({
        statusCode: 401,
        error: 'Unauthorized',
        message: 'wrong username or password',
      });
    }
    await attempt.succeeded();
    const accessToken = await this.jwt.signAsync(
      { sub: user.id, username: user.username, role: user.role, agencyId: user.agency_id },
      { expiresIn: this.config.jwtTtlSeconds },
    );
    return { accessToken, tokenType: 'Bearer', expiresIn: this.config.jwtTtlSeconds, user: userView(user) };
  }

  async createUser(input: CreateUserDto, by: AuthenticatedUser): Promise<UserView> {
    const needsAgency = input.role === 'enforcement_officer' || input.role === 'agency_integration';
    if (needsAgency && !input.agencyId)
      throw unprocessable(`a user with role ${input.role} must belong to an agency`, 'agencyId');
    // The auditor oversees every agency: belonging to one would make them part of what they audit.
    if (input.role === 'auditor' && input.agencyId)
      throw unprocessable('an auditor belongs to no agency', 'agencyId');
    const passwordHash = await hashPassword(input.password);
    return this.store.transaction(async (repos) => {
      if (await repos.users.findByUsername(input.username))
        throw conflict('username', 'this username is taken');
      if (input.agencyId && !(await repos.agencies.findById(input.agencyId)))
        throw notFound('agency', input.agencyId);
      const user = await repos.users.create({
        username: input.username,
        displayName: input.displayName,
        passwordHash,
        role: input.role,
        agencyId: input.agencyId ?? null,
      });
      const view = userView(user);
      await repos.audit.record({
        actor: actorOf(by),
        action: 'user.created',
        entityType: 'user',
        entityId: user.id,
        after: view,
      });
      return view;
    });
  }

  async setActive(id: string, active: boolean, by: AuthenticatedUser): Promise<UserView> {
    if (id === by.id && !active)
      throw unprocessable('an administrator cannot deactivate their own account', 'active');
    return this.store.transaction(async (repos) => {
      const before = await repos.users.findById(id);
      if (!before) throw notFound('user', id);
      const after = await repos.users.setActive(id, active);
      const view = userView(after!);
      await repos.audit.record({
        actor: actorOf(by),
        action: active ? 'user.activated' : 'user.deactivated',
        entityType: 'user',
        entityId: id,
        before: userView(before),
        after: view,
      });
      return view;
    });
  }
}
