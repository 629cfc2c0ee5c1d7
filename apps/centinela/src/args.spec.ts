import { demoWanted, parseMainArgs, UsageError } from './args';

describe(parseMainArgs.name, () => {
  it('leaves the demo to the services in use unless a flag says otherwise', () => {
    expect(parseMainArgs([])).toEqual({ help: false, demo: undefined });
    expect(parseMainArgs(['--demo'])).toEqual({ help: false, demo: true });
    expect(parseMainArgs(['--no-demo'])).toEqual({ help: false, demo: false });
    expect(parseMainArgs(['--help']).help).toBe(true);
  });

  it('refuses unknown and contradictory arguments', () => {
    expect(() => parseMainArgs(['--demos'])).toThrow(new UsageError('unknown argument "--demos"'));
    expect(() => parseMainArgs(['demo'])).toThrow(UsageError);
    expect(() => parseMainArgs(['--demo', '--no-demo'])).toThrow(/exclude each other/);
  });
});

describe(demoWanted.name, () => {
  const external = { databaseUrl: 'postgres://db/centinela', mqttUrl: 'mqtt://broker:1883' };

  it('runs on embedded services by default, never against external ones unless asked', () => {
    expect(demoWanted({ help: false, demo: undefined }, {})).toBe(true);
    expect(demoWanted({ help: false, demo: undefined }, external)).toBe(false);
    expect(demoWanted({ help: false, demo: undefined }, { databaseUrl: external.databaseUrl })).toBe(false);
    expect(demoWanted({ help: false, demo: undefined }, { mqttUrl: external.mqttUrl })).toBe(false);
    expect(demoWanted({ help: false, demo: true }, external)).toBe(true);
    expect(demoWanted({ help: false, demo: false }, {})).toBe(false);
  });
});
