import { DynamicModule, Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import type { Database } from './database';
import { Store } from './store';

export const DATABASE = Symbol('DATABASE');

class DatabaseShutdown implements OnApplicationShutdown {
  constructor(@Inject(DATABASE) private readonly database: Database) {}

  async onApplicationShutdown(): Promise<void> {
    await this.database.close();
  }
}

/** Makes an opened database and its Store injectable; the database is closed when the app shuts down. */
@Global()
@Module({})
export class DbModule {
  static forDatabase(database: Database): DynamicModule {
    return {
      module: DbModule,
      providers: [
        { provide: DATABASE, useValue: database },
        { provide: Store, useValue: new Store(database.db) },
        DatabaseShutdown,
      ],
      exports: [DATABASE, Store],
    };
  }
}
