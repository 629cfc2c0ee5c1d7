/** Why the zone catalogue refused a request; the API turns each into its HTTP status. */
export abstract class ZoneCatalogueError extends Error {
  override get name(): string {
    return this.constructor.name;
  }
}

/** A layer none of whose features can be imported, or that is not a layer at all. */
export class UnimportableLayerError extends ZoneCatalogueError {}

export class CatalogueVersionNotFoundError extends ZoneCatalogueError {
  constructor(readonly version: string) {
    super(`catalogue version ${version} does not exist`);
  }
}

/** A layer whose checks and repair did not finish within the import's time. */
export class ImportTimedOutError extends ZoneCatalogueError {
  constructor(readonly seconds: number) {
    super(
      `the layer's checks and repair did not finish within ${seconds} s (ZONE_IMPORT_TIMEOUT_SECONDS); simplify or split the layer, or repair its polygons before importing`,
    );
  }
}

/** A two-person approval confirmed (or a proposal made) by someone who may not. */
export class SecondPersonRequiredError extends ZoneCatalogueError {}

/** No pending proposal to confirm or reject. */
export class NoPendingProposalError extends ZoneCatalogueError {}

/** A proposal that conflicts with the current state (already pending, already active). */
export class ProposalConflictError extends ZoneCatalogueError {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

/** Too many imports waiting in this process: each holds its layer in memory until it runs. */
export class ImportQueueFullError extends ZoneCatalogueError {
  constructor(readonly waiting: number) {
    super(
      `${waiting} zone imports are already waiting or running here; start this one when they have finished`,
    );
  }
}
