import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CONFIG_KEYS, ConfigError, loadConfig, MIN_PASSWORD_LENGTH } from './index';

describe(loadConfig.name, () => {
  const dataDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'centinela-config-'));

  it('runs embedded with documented defaults and keeps generated secrets across restarts', () => {
    const dir = dataDir();
    const first = loadConfig({ DATA_DIR: dir });
    expect(first).toMatchObject({
      storageMode: 'embedded',
      httpPort: 3000,
      httpHost: '127.0.0.1',
      jwtTtlSeconds: 3600,
      registryNumberPrefix: 'MAQ',
    });
    expect(first.jwtSecret.length).toBeGreaterThanOrEqual(32);
    expect(first.adminPasswordFile).toBe(path.join(dir, 'secrets', 'admin-password'));
    const second = loadConfig({ DATA_DIR: dir });
    expect(second.jwtSecret).toBe(first.jwtSecret);
    expect(second.deviceSecretKey).toBe(first.deviceSecretKey);
    expect(second.adminPassword).toBe(first.adminPassword);
    expect(fs.statSync(path.join(dir, 'secrets', 'jwt-secret')).mode & 0o777).toBe(0o600);
  });

  it('reports every invalid key at once', () => {
    let error: unknown;
    try {
      loadConfig({ HTTP_PORT: 'eighty', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud', DATA_DIR: dataDir() });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'LOG_LEVEL must be one of error, warn, log, debug, verbose, got "loud"',
      'HTTP_PORT must be an integer, got "eighty"',
      'DATABASE_URL must use postgres: or postgresql:, got "mysql:"',
    ]);
  });

  it('requires explicit secrets when running against PostgreSQL', () => {
    expect(() => loadConfig({ DATABASE_URL: 'postgres://localhost/x', DATA_DIR: dataDir() })).toThrow(
      /JWT_SECRET is required when DATABASE_URL is set[\s\S]*DEVICE_SECRET_KEY is required/,
    );
  });

  it('refuses ingest worker threads on the embedded database, which lives in one thread', () => {
    expect(() => loadConfig({ INGEST_WORKERS: '2', DATA_DIR: dataDir() })).toThrow(
      /INGEST_WORKERS needs DATABASE_URL/,
    );
    expect(() => loadConfig({ INGEST_WORKERS: 'two', DATA_DIR: dataDir() })).toThrow(
      /INGEST_WORKERS must be an integer, got "two"/,
    );
  });

  it('refuses a first administrator password shorter than 12 characters, naming the key', () => {
    expect(() => loadConfig({ ADMIN_PASSWORD: 'short-pass1', DATA_DIR: dataDir() })).toThrow(
      /ADMIN_PASSWORD must be at least 12 characters long \(NIST SP 800-63B\), got 11/,
    );
    // Counted in characters, not bytes or UTF-16 units: 11 characters with an emoji are still too short.
    expect(() => loadConfig({ ADMIN_PASSWORD: 'contraseña🦺', DATA_DIR: dataDir() })).toThrow(/got 11/);
    expect(loadConfig({ ADMIN_PASSWORD: 'twelve-chars', DATA_DIR: dataDir() }).adminPassword).toBe(
      'twelve-chars',
    );
  });

  it('generates a first administrator password at least as long as every password must be', () => {
    const config = loadConfig({ DATA_DIR: dataDir() });
    expect(config.adminPassword!.length).toBeGreaterThanOrEqual(MIN_PASSWORD_LENGTH);
  });

  describe('the evidence signing key', () => {
    const pem = () =>
      crypto.generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

    it('is generated once in embedded mode, under DATA_DIR/secrets (outside the database directory), mode 0600', () => {
      const dir = dataDir();
      const first = loadConfig({ DATA_DIR: dir });
      const file = path.join(dir, 'secrets', 'evidence-signing-key.pem');
      expect(first.evidenceSigningKey).toBe(fs.readFileSync(file, 'utf8'));
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(path.relative(path.join(dir, 'pglite'), file).startsWith('..')).toBe(true);
      expect(crypto.createPrivateKey(first.evidenceSigningKey!).asymmetricKeyType).toBe('ed25519');
      expect(loadConfig({ DATA_DIR: dir }).evidenceSigningKey).toBe(first.evidenceSigningKey);
    });

    it('comes from EVIDENCE_SIGNING_KEY (PEM, escaped PEM or base64 DER) or EVIDENCE_SIGNING_KEY_FILE', () => {
      const key = pem();
      const dir = dataDir();
      expect(loadConfig({ DATA_DIR: dir, EVIDENCE_SIGNING_KEY: key }).evidenceSigningKey).toBe(key.trim());
      expect(
        loadConfig({ DATA_DIR: dir, EVIDENCE_SIGNING_KEY: key.trim().replace(/\n/g, '\\n') })
          .evidenceSigningKey,
      ).toBe(key.trim());
      const der = crypto.createPrivateKey(key).export({ type: 'pkcs8', format: 'der' }).toString('base64');
      const fromDer = loadConfig({ DATA_DIR: dir, EVIDENCE_SIGNING_KEY: der }).evidenceSigningKey!;
      expect(crypto.createPublicKey(fromDer).export({ format: 'jwk' })).toEqual(
        crypto.createPublicKey(key).export({ format: 'jwk' }),
      );
      const file = path.join(dir, 'key.pem');
      fs.writeFileSync(file, key, { mode: 0o600 });
      const fromFile = loadConfig({
        DATABASE_URL: 'postgres://localhost/x',
        JWT_SECRET: 'j'.repeat(32),
        DEVICE_SECRET_KEY: 'd'.repeat(32),
        DATA_DIR: dir,
        EVIDENCE_SIGNING_KEY_FILE: file,
      });
      expect(fromFile.evidenceSigningKey).toBe(key);
      // Nothing was generated: the key given is the key used.
      expect(fs.existsSync(path.join(dir, 'secrets', 'evidence-signing-key.pem'))).toBe(false);
    });

    it('is never generated with DATABASE_URL, and refuses what is not an Ed25519 private key', () => {
      const dir = dataDir();
      const postgres = {
        DATABASE_URL: 'postgres://localhost/x',
        JWT_SECRET: 'j'.repeat(32),
        DEVICE_SECRET_KEY: 'd'.repeat(32),
        DATA_DIR: dir,
      };
      expect(loadConfig(postgres).evidenceSigningKey).toBeUndefined();
      expect(fs.existsSync(path.join(dir, 'secrets', 'evidence-signing-key.pem'))).toBe(false);
      const rsa = crypto
        .generateKeyPairSync('rsa', { modulusLength: 1024 })
        .privateKey.export({ type: 'pkcs8', format: 'pem' })
        .toString();
      expect(() => loadConfig({ ...postgres, EVIDENCE_SIGNING_KEY: rsa })).toThrow(
        /EVIDENCE_SIGNING_KEY must be an Ed25519 private key/,
      );
      expect(() =>
        loadConfig({ ...postgres, EVIDENCE_SIGNING_KEY_FILE: path.join(dir, 'missing.pem') }),
      ).toThrow(/EVIDENCE_SIGNING_KEY_FILE cannot be read/);
      expect(() =>
        loadConfig({ ...postgres, EVIDENCE_SIGNING_KEY: pem(), EVIDENCE_SIGNING_KEY_FILE: 'x' }),
      ).toThrow(/not both/);
    });
  });

  it('is documented key by key, with defaults, in docs/configuration.md', () => {
    const doc = fs.readFileSync(path.join(__dirname, '../../../docs/configuration.md'), 'utf8');
    for (const definition of Object.values(CONFIG_KEYS)) {
      const row = doc.split('\n').find((line) => line.startsWith(`| \`${definition.key}\``));
      expect(row).toBeDefined();
      expect(row).toContain(definition.defaultText);
    }
  });
});
