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
  constructor(private readonly store: Store) {}

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

  async get(id: string): Promise<OwnerView> {
    const owner = await this.store.repos.owners.findById(id);
    if (!owner) throw notFound('owner', id);
    return ownerView(owner);
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

  async search(query: OwnerQueryDto): Promise<Page<OwnerView>> {
    const result = await this.store.repos.owners.search({
      documentNumber: query.documentNumber,
      name: query.name,
      ...pageWindow(query),
    });
    return toPage(query, result, ownerView);
  }
}
