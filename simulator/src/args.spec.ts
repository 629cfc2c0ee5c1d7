import { parseArgs, UsageError } from './args';

const base = ['--password', 'pw'];

describe('simulate command line', () => {
  it('parses a scenario run with defaults', () => {
    expect(parseArgs([...base, '--scenario', 'power-cut'])).toEqual({
      mode: 'scenario',
      scenario: 'power-cut',
      paceMs: 0,
      api: 'http://127.0.0.1:3000',
      mqtt: 'mqtt://127.0.0.1:1884',
      user: 'admin',
      password: 'pw',
      seed: 1,
    });
  });

  it('parses a load run, with --flag=value too, and takes the password from ADMIN_PASSWORD', () => {
    expect(
      parseArgs(['--machines=50', '--interval', '2.5', '--duration', '60', '--api', 'http://h:3000'], {
        ADMIN_PASSWORD: 'env-pw',
      }),
    ).toMatchObject({
      mode: 'load',
      machines: 50,
      intervalS: 2.5,
      durationS: 60,
      password: 'env-pw',
      api: 'http://h:3000',
    });
    expect(parseArgs([...base, '--machines', '1', '--interval', '1'])).toMatchObject({
      durationS: undefined,
    });
  });

  it.each([
    [[], /--password is required/],
    [base, /either --scenario <name>, or --machines <N> and --interval <s>/],
    [[...base, '--scenario', 'teleport'], /unknown scenario "teleport"; one of: dredge-onto-river/],
    [[...base, '--scenario', 'power-cut', '--machines', '3'], /cannot be combined with --machines/],
    [[...base, '--machines', '0', '--interval', '1'], /--machines must be between 1 and 10000/],
    [[...base, '--machines', '2.5', '--interval', '1'], /--machines must be an integer/],
    [[...base, '--machines', '3', '--interval', 'often'], /--interval must be a number/],
    [[...base, '--machines', '3'], /either --scenario/],
    [[...base, '--machines'], /--machines needs a value/],
    [[...base, '--scenario', 'power-cut', '--mqtt', 'http://x'], /--mqtt must use mqtt or mqtts/],
    [[...base, '--scenario', 'power-cut', '--api', 'not a url'], /--api must be a URL/],
    [[...base, '--verbose'], /unknown argument "--verbose"/],
    [[...base, '--password', 'again'], /--password is given twice/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseArgs(argv as string[])).toThrow(UsageError);
    expect(() => parseArgs(argv as string[])).toThrow(message as RegExp);
  });

  it('answers --help and --list without a password', () => {
    expect(parseArgs(['--help'])).toEqual({ mode: 'help' });
    expect(parseArgs(['--list'])).toEqual({ mode: 'list' });
  });
});
