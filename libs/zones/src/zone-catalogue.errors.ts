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
