import { ValidationPipe } from '@nestjs/common';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { json, text } from 'express';
import { fieldErrors, HttpErrorFilter, UniqueField, validationFailed } from './http-errors';

export interface HttpConventions {
  /** Routes whose JSON bodies may be large (up to 100 MB); every other JSON body stays under 1 MB. */
  readonly largeJsonRoutes: readonly string[];
  /** Unique constraints whose violations become a 409 on their field. */
  readonly uniqueFields: Readonly<Record<string, UniqueField>>;
  readonly openApi: { readonly title: string; readonly description: string };
}

/**
 * The HTTP conventions of the product's API on an app created with `bodyParser: false`: body limits, CSV bodies,
 * DTO validation with every invalid field reported at once, one error body format, OpenAPI at /docs.
 */
export function useHttpConventions(app: NestExpressApplication, conventions: HttpConventions): void {
  // The first parser that matches a request reads it, so the route-specific one goes first.
  for (const route of conventions.largeJsonRoutes) app.use(route, json({ limit: '100mb' }));
  app.use(json({ limit: '1mb' }));
  app.use(text({ type: 'text/csv', limit: '10mb' }));
  app.useGlobalPipes(
    new ValidationPipe({
      transform: true,
      whitelist: true,
      forbidNonWhitelisted: true,
      exceptionFactory: (errors) => validationFailed(fieldErrors(errors)),
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
