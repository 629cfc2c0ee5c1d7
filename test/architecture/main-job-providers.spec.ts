import { INestApplication } from '@nestjs/common';
import { ModuleRef, NestContainer } from '@nestjs/core';
import { createRegistryApi } from '../../apps/registry-api/src/registry-api';
import { IngestModule } from '../../apps/ingest/src/ingest.module';
import { DispatcherModule } from '../../apps/dispatcher/src/dispatcher.module';
import { openTestDatabase, TestDatabase } from '../support/storage';
import { testConfig } from '../support/api';

/** The classes of which the app holds more than one instance, across all of its modules. */
function classesInstantiatedTwice(app: INestApplication): string[] {
  const container = (app as unknown as { container: NestContainer }).container;
  const instancesByClass = new Map<object, Set<unknown>>();
  for (const module of container.getModules().values()) {
    for (const wrapper of module.providers.values()) {
      if (wrapper.isNotMetatype || !wrapper.metatype || !wrapper.instance) continue;
      // Each module has its own ModuleRef and its own class as a provider, by design.
      if (wrapper.token === ModuleRef || wrapper.metatype === module.metatype) continue;
      const instances = instancesByClass.get(wrapper.metatype) ?? new Set();
      instances.add(wrapper.instance);
      instancesByClass.set(wrapper.metatype, instances);
    }
  }
  return [...instancesByClass]
    .filter(([, instances]) => instances.size > 1)
    .map(([type]) => (type as { name: string }).name);
}

describe('the main job composes each module once', () => {
  let database: TestDatabase;
  let app: INestApplication;

  beforeAll(async () => {
    database = await openTestDatabase('embedded');
    app = await createRegistryApi(testConfig(), database, [IngestModule, DispatcherModule]);
  });
  afterAll(async () => {
    await app?.close();
    await database?.dispose();
  });

  it('holds one instance of every provider', () => {
    expect(classesInstantiatedTwice(app)).toEqual([]);
  });
});
