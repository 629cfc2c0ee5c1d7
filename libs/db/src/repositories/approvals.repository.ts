import { Kysely, sql } from 'kysely';
import type { ApprovalProposalRow, DB } from '../schema';

/** What needs a second person: a violation resolved as a false positive, a catalogue version activated. */
export type ApprovalKind = 'violation.false_positive' | 'zone_catalogue.activation';

export interface NewProposal {
  readonly kind: ApprovalKind;
  readonly entityId: string;
  readonly payload: unknown;
  readonly reason: string;
  readonly proposedBy: string | null;
  readonly proposedByUsername: string;
  readonly proposerAgencyId: string | null;
}

/** Two-person approvals: at most one pending proposal per kind and entity. */
export class ApprovalsRepository {
  constructor(private readonly db: Kysely<DB>) {}

  create(proposal: NewProposal): Promise<ApprovalProposalRow> {
    return this.db
      .insertInto('approval_proposals')
      .values({
        kind: proposal.kind,
        entity_id: proposal.entityId,
        payload: JSON.stringify(proposal.payload ?? {}),
        reason: proposal.reason,
        proposed_by: proposal.proposedBy,
        proposed_by_username: proposal.proposedByUsername,
        proposer_agency_id: proposal.proposerAgencyId,
        decided_by: null,
        decided_by_username: null,
        decided_at: null,
        decision_reason: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  /** The pending proposal of this kind for the entity, locked for the caller's transaction. */
  pending(kind: ApprovalKind, entityId: string): Promise<ApprovalProposalRow | undefined> {
    return this.db
      .selectFrom('approval_proposals')
      .selectAll()
      .where('kind', '=', kind)
      .where('entity_id', '=', entityId)
      .where('status', '=', 'pending')
      .forUpdate()
      .executeTakeFirst();
  }

  /** Every proposal of this kind for the entity, newest first. */
  history(kind: ApprovalKind, entityId: string): Promise<ApprovalProposalRow[]> {
    return this.db
      .selectFrom('approval_proposals')
      .selectAll()
      .where('kind', '=', kind)
      .where('entity_id', '=', entityId)
      .orderBy('proposed_at', 'desc')
      .execute();
  }

  listPending(kind?: ApprovalKind): Promise<ApprovalProposalRow[]> {
    return this.db
      .selectFrom('approval_proposals')
      .selectAll()
      .where('status', '=', 'pending')
      .$if(kind !== undefined, (qb) => qb.where('kind', '=', kind!))
      .orderBy('proposed_at')
      .limit(500)
      .execute();
  }

  decide(
    id: string,
    status: 'confirmed' | 'rejected' | 'superseded',
    by: { id: string | null; username: string },
    reason: string | null,
  ): Promise<ApprovalProposalRow> {
    return this.db
      .updateTable('approval_proposals')
      .set({
        status,
        decided_by: by.id,
        decided_by_username: by.username,
        decided_at: sql<Date>`now()`,
        decision_reason: reason,
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
  }
}
