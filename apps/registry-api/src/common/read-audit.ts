import {
  CallHandler,
  ExecutionContext,
  Injectable,
  NestInterceptor,
  SetMetadata,
  applyDecorators,
} from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { Observable, mergeMap } from 'rxjs';
import { Store } from '@app/db';
import { AGENCY_ROLES, AuthenticatedUser, actorOf, validationFailed } from '@app/platform';

/** What a read was about: one row of the audit log each. */
export interface ReadSubject {
  readonly entityType: string;
  readonly entityId: string;
}

/** The subjects of a read, from the handler's answer and the route's parameters. */
export type SubjectsOf = (result: unknown, params: Readonly<Record<string, string>>) => ReadSubject[];

export interface AuditedReadRule {
  /** What is read: `positions`, `evidence`, `export`, `owner`, `owners`; the audit action is `read.{what}`. */
  readonly what: string;
  readonly subjects: SubjectsOf;
}

export const AUDITED_READ_KEY = 'centinela:audited-read';
export const REFERENCE_HEADER = 'x-case-reference';
export const REFERENCE_PARAMETER = 'reference';

/** The entity type of the one audit row of a read that found no subject (an empty search, an empty area). */
export const READ_WITHOUT_SUBJECT = 'read';

/**
 * A read of personal data or positions: tied to a case or operation reference (required of agencies' users,
 * 400 without it) and recorded in the audit log with the actor, the route, each subject and the reference.
 */
export const AuditedRead = (what: string, subjects: SubjectsOf) =>
  applyDecorators(
    SetMetadata(AUDITED_READ_KEY, { what, subjects } satisfies AuditedReadRule),
    ApiHeader({
      name: 'X-Case-Reference',
      required: false,
      description:
        'The case or field operation this read is for (or the `reference` query parameter); required of enforcement officers and agency integrations. The read is audited.',
    }),
  );

/** 3-200 characters, none of them a control character (Unicode category Cc). */
const REFERENCE = /^\P{Cc}{3,200}$/u;

/** The reference given with the request (query parameter first, then header), checked; undefined when absent. */
export function referenceOf(request: Request): string | undefined {
  const fromQuery = request.query[REFERENCE_PARAMETER];
  const given = fromQuery !== undefined ? fromQuery : request.headers[REFERENCE_HEADER];
  if (given === undefined) return undefined;
  const value = typeof given === 'string' ? given.trim() : undefined;
  if (value === undefined || !REFERENCE.test(value))
    throw validationFailed([
      {
        field: REFERENCE_PARAMETER,
        messages: ['reference must be one case or operation reference of 3-200 printable characters'],
      },
    ]);
  return value;
}

@Injectable()
export class ReadAuditInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly store: Store,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const rule = this.reflector.get<AuditedReadRule | undefined>(AUDITED_READ_KEY, context.getHandler());
    if (!rule) return next.handle();
    const request = context.switchToHttp().getRequest<Request & { user?: AuthenticatedUser }>();
    const user = request.user;
    if (!user) return next.handle();
    const reference = referenceOf(request);
    if (reference === undefined && AGENCY_ROLES.includes(user.role))
      throw validationFailed([
        {
          field: REFERENCE_PARAMETER,
          messages: [
            `reading ${rule.what} needs the case or operation it is for: give the ${REFERENCE_PARAMETER} query parameter or the X-Case-Reference header`,
          ],
        },
      ]);
    const route = `${request.method} ${(request.route as { path?: string } | undefined)?.path ?? request.path}`;
    return next.handle().pipe(
      mergeMap(async (result: unknown) => {
        const params = request.params as Record<string, string>;
        const subjects = rule.subjects(result, params);
        const rows =
          subjects.length > 0 ? subjects : [{ entityType: READ_WITHOUT_SUBJECT, entityId: rule.what }];
        await this.store.transaction(async (repos) => {
          for (const subject of rows)
            await repos.audit.record({
              actor: actorOf(user),
              action: `read.${rule.what}`,
              entityType: subject.entityType,
              entityId: subject.entityId,
              after: {
                route,
                reference: reference ?? null,
                role: user.role,
                agencyId: user.agencyId,
                ...(subjects.length > 1 ? { subjects: subjects.length } : {}),
              },
            });
        });
        return result;
      }),
    );
  }
}
