import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { json, text } from 'express';
import { HttpErrorFilter, UniqueField } from './http-errors';
import {
  answerMalformedRequests,
  InputValidationPipe,
  jsonDepthLimit,
  refusingUnreadableBodies,
} from './http-input';

export interface HttpConventions {
  /** Routes whose JSON bodies may be large (up to 100 MB); every other JSON body stays under 1 MB. */
  readonly largeJsonRoutes: readonly string[];
  /** Unique constraints whose violations become a 409 on their field. */
  readonly uniqueFields: Readonly<Record<string, UniqueField>>;
  readonly openApi: { readonly title: string; readonly description: string };
}

/**
 * The HTTP conventions of the product's API on an app created with `bodyParser: false`: body limits, CSV bodies,
 * JSON nesting limit, DTO validation with every invalid field reported at once (control characters in any text
 * field among them), one error body format for every error down to malformed requests, OpenAPI at /docs.
 */
export function useHttpConventions(app: NestExpressApplication, conventions: HttpConventions): void {
  // The first parser that matches a request reads it, so the route-specific one goes first.
  for (const route of conventions.largeJsonRoutes)
    app.use(route, refusingUnreadableBodies(json({ limit: '100mb' })));
  app.use(refusingUnreadableBodies(json({ limit: '1mb' })));
  app.use(refusingUnreadableBodies(text({ type: 'text/csv', limit: '10mb' })));
  app.use(jsonDepthLimit());
  answerMalformedRequests(app.getHttpServer());
  app.useGlobalPipes(
    new InputValidationPipe({
      transform: true,
      whitelist: true,
      forbidNonWhitelisted: true,
    }),
  );
  app.useGlobalFilters(new HttpErrorFilter(conventions.uniqueFields));
  serveOpenApi(app, conventions.openApi);
}

/** The OpenAPI document of the app's routes at /docs (JSON at /docs/openapi.json). */
function serveOpenApi(app: NestExpressApplication, openApi: HttpConventions['openApi']): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle(openApi.title)
      .setDescription(openApi.description)
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/openapi.json' });
}
