import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

// No Docker engine runs where the tests run, so the compose file is checked as data: it parses,
// and it says what the README tells users it does.
const root = join(__dirname, '..');
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<
    string,
    {
      image?: string;
      profiles?: string[];
      environment?: Record<string, string>;
      healthcheck?: { test: string[] };
      command?: string[];
      ports?: string[];
    }
  >;
};
const readme = readFileSync(join(root, 'README.md'), 'utf8');

describe('docker-compose.yml', () => {
  const { localstack, fauxqs, moto } = compose.services;

  it('pins LocalStack to a tag that starts without an auth token, and passes a token through', () => {
    expect(localstack.image).toBe('localstack/localstack:4.14.0');
    expect(localstack.environment?.LOCALSTACK_AUTH_TOKEN).toBe('${LOCALSTACK_AUTH_TOKEN:-}');
    expect(localstack.environment?.SERVICES?.split(',').sort()).toEqual([
      'dynamodb',
      'events',
      'sns',
      'sqs',
    ]);
    expect(localstack.healthcheck?.test.join(' ')).toContain('/_localstack/health');
  });

  it('runs the LocalStack version that the tests and start:localstack run natively', () => {
    const setup = readFileSync(join(root, 'scripts/setup-test-env.sh'), 'utf8');
    const native = setup.match(/^ls_version=([\d.]+)$/m)![1];
    expect(localstack.image).toBe(`localstack/localstack:${native}`);
    const pins = readFileSync(join(root, 'libs/emulators/localstack/requirements.txt'), 'utf8');
    expect(pins).toContain(`requirements-runtime.txt at the v${native} tag`);
  });

  it('offers the open-source emulators as the "oss" profile, on the versions the tests use', () => {
    expect(fauxqs.profiles).toEqual(['oss']);
    expect(moto.profiles).toEqual(['oss']);
    const fauxqsPin = (
      JSON.parse(readFileSync(join(root, 'node_modules/fauxqs/package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
    expect(fauxqs.image).toBe(`kibertoad/fauxqs:${fauxqsPin}`);
    const motoPin = readFileSync(join(root, 'libs/emulators/requirements.txt'), 'utf8').match(
      /moto\[server\]==([\d.]+)/,
    )![1];
    expect(moto.image).toBe(`motoserver/moto:${motoPin}`);
  });

  it('runs both sample services against the emulator, provisioning what they need', () => {
    for (const name of ['orders-service', 'notifications-service']) {
      const service = compose.services[name];
      expect(service.command).toEqual(['node', `apps/${name}/dist/main.js`]);
      expect(service.profiles).toEqual(['localstack', 'oss']);
      expect(service.environment).toMatchObject({
        EVENTS_PROVISION: 'true',
        AWS_ENDPOINT_URL: '${AWS_ENDPOINT_URL:-http://localstack:4566}',
      });
    }
  });

  it('is what the README documents', () => {
    expect(readme).toContain('localstack/localstack:4.14.0');
    expect(readme).toContain('docker compose up');
    expect(readme).toContain('COMPOSE_PROFILES=oss docker compose up');
    for (const port of ['3001', '3002']) {
      expect(readme).toContain(`localhost:${port}`);
      expect(
        compose.services[port === '3001' ? 'orders-service' : 'notifications-service'].ports,
      ).toEqual([`127.0.0.1:${port}:${port}`]);
    }
  });
});
