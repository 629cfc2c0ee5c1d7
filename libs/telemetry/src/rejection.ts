import { Rejection, RejectionReason, RejectionScope } from './model';

export function rejection(
  reason: RejectionReason,
  scope: RejectionScope,
  message: string,
  where: { index?: number; field?: string } = {},
): Rejection {
  return {
    reason,
    scope,
    message,
    ...(where.index !== undefined && { index: where.index }),
    ...(where.field !== undefined && { field: where.field }),
  };
}
