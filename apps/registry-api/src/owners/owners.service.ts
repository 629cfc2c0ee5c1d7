import { Injectable } from '@nestjs/common';
import { OwnerRow, Store } from '@app/db';
import {
  AuthenticatedUser,
  actorOf,
  conflict,
  notFound,
  unprocessable,
  Page,
  pageWindow,
  toPage,
} from '@app/platform';
import { Viewer, documentFor, withheldOwnerFields } from '@app/registry';
import { NeedToKnow } from '../common/need-to-know';
import { CreateOwnerDto, OwnerQueryDto, UpdateOwnerDto } from './owners.dto';

export interface OwnerView {
  id: string;
  kind: string;
  documentType: string;
  documentNumber: string;
  name: string;
  email: string | null;
  phone: string | null;
  address: string | null;
  createdAt: Date;
  updatedAt: Date;
  /** Fields withheld from this reader under need-to-know (present only when some are). */
  withheld?: string[];
}

export function ownerView(row: OwnerRow): OwnerView {
  return {
    id: row.id,
    kind: row.kind,
    documentType: row.document_type,
    documentNumber: row.document_number,
    name: row.name,
    email: row.email,
    phone: row.phone,
    address: row.address,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The owner as the viewer may see it: a natural person's document masked and contacts withheld unless needed. */
export function ownerViewFor(viewer: Viewer, row: OwnerRow): OwnerView {
  const view = ownerView(row);
  const withheld = withheldOwnerFields(viewer, view);
  if (withheld.length === 0) return view;
  return {
    ...view,
    documentNumber: documentFor(viewer, view.documentType, view.documentNumber),
    email: null,
    phone: null,
    address: null,
    withheld,
  };
}

/** A company is identified by its RUC; a RUC starting with 20 always belongs to a company. */
export function ownerKindProblem(
  kind: string,
  documentType: string,
  documentNumber: string,
): string | undefined {
  if (kind === 'company' && documentType !== 'RUC') return 'a company must be identified by its RUC';
  if (kind === 'person' && documentType === 'RUC' && documentNumber.startsWith('20')) {
    return 'a RUC starting with 20 belongs to a company, not a natural person';
  }
  return undefined;
}

@Injectable()
export class OwnersService {
  constructor(
    private readonly store: Store,
    private readonly needToKnow: NeedToKnow,
  ) {}

  async create(input: CreateOwnerDto, by: AuthenticatedUser): Promise<OwnerView> {
    const problem = ownerKindProblem(input.kind, input.documentType, input.documentNumber);
    if (problem) throw unprocessable(problem, 'documentType');
    return this.store.transaction(async (repos) => {
      if (await repos.owners.findByDocument(input.documentType, input.documentNumber)) {
        throw conflict('documentNumber', 'an owner with this document is already registered');
      }
      const owner = ownerView(
        await repos.owners.create({
          kind: input.kind,
          document_type: input.documentType,
          document_number: input.documentNumber,
          name: input.name.trim(),
          email: input.email ?? null,
          phone: input.phone ?? null,
          address: input.address ?? null,
        }),
      );
      await repos.audit.record({
        actor: actorOf(by),
        action: 'owner.created',
        entityType: 'owner',
        entityId: owner.id,
        after: owner,
      });
      return owner;
    });
  }

  async get(id: string, user: AuthenticatedUser): Promise<OwnerView> {
    const owner = await this.store.repos.owners.findById(id);
    if (!owner) throw notFound('owner', id);
    await this.needToKnow.checkOwner(user, id);
    return ownerViewFor(await this.needToKnow.viewer(user), owner);
  }

  async update(id: string, changes: UpdateOwnerDto, by: AuthenticatedUser): Promise<OwnerView> {
    return this.store.transaction(async (repos) => {
      const before = await repos.owners.findById(id);
      if (!before) throw notFound('owner', id);
      const after = ownerView(
        (await repos.owners.update(id, {
          ...(changes.name !== undefined ? { name: changes.name.trim() } : {}),
          ...(changes.email !== undefined ? { email: changes.email } : {}),
          ...(changes.phone !== undefined ? { phone: changes.phone } : {}),
          ...(changes.address !== undefined ? { address: changes.address } : {}),
        }))!,
      );
      await repos.audit.record({
        actor: actorOf(by),
        action: 'owner.updated',
        entityType: 'owner',
        entityId: id,
        before: ownerView(before),
        after,
      });
      return after;
    });
  }

  /** Agencies' users find only the owners of machines in violations of their jurisdiction. */
  async search(query: OwnerQueryDto, user: AuthenticatedUser): Promise<Page<OwnerView>> {
    const agencyId = NeedToKnow.agencyOf(user);
    const result = await this.store.repos.owners.search({
      documentNumber: query.documentNumber,
      name: query.name,
      ...(agencyId !== null ? { withCasesOfAgency: agencyId } : {}),
      ...pageWindow(query),
    });
    const viewer = await this.needToKnow.viewer(user);
    return toPage(query, result, (row) => ownerViewFor(viewer, row));
  }
}
