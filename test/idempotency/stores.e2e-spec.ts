import { randomUUID } from 'node:crypto';
import {
  DeleteItemCommand,
  DeleteTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { MemoryIdempotencyStore, type ClaimResult } from '@nestjs-events/core';
import {
  createIdempotencyTable,
  DynamoDbIdempotencyStore,
} from '@nestjs-events/idempotency-dynamodb';
import { RedisIdempotencyStore } from '@nestjs-events/idempotency-redis';
import { Redis } from 'ioredis';
import { describeIdempotencyStoreContract } from './idempotency-store.contract';

const LOCK = { lockTtlMs: 60_000 };
const DONE = { ttlMs: 60_000 };

function tokenOf(claim: ClaimResult): string {
  if (claim.status !== 'acquired') throw new Error(`expected acquired, got ${claim.status}`);
  return claim.token;
}

async function statusOf(claim: Promise<ClaimResult>): Promise<ClaimResult['status']> {
  return (await claim).status;
}

/** A clock the test moves, starting at the real time so that nothing looks long expired. */
function testClock() {
  let now = Date.now();
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

describeIdempotencyStoreContract('MemoryIdempotencyStore', () => {
  const clock = testClock();
  return { store: new MemoryIdempotencyStore({ now: clock.now }), advance: clock.advance };
});

describe('DynamoDB', () => {
  const tableName = `idempotency-${randomUUID()}`;
  const client = new DynamoDBClient({ endpoint: process.env.MOTO_ENDPOINT });

  beforeAll(() => createIdempotencyTable(client, tableName));
  afterAll(async () => {
    await client.send(new DeleteTableCommand({ TableName: tableName }));
    client.destroy();
  });

  describeIdempotencyStoreContract('DynamoDbIdempotencyStore', () => {
    const clock = testClock();
    return {
      store: new DynamoDbIdempotencyStore({ client, tableName, now: clock.now }),
      advance: clock.advance,
    };
  });

  describe('DynamoDbIdempotencyStore', () => {
    const getItem = async (key: string, keyAttribute = 'pk', table = tableName) =>
      (
        await client.send(
          new GetItemCommand({
            TableName: table,
            Key: { [keyAttribute]: { S: key } },
            ConsistentRead: true,
          }),
        )
      ).Item;

    it('writes the expiry in milliseconds, and in epoch seconds for DynamoDB TTL', async () => {
      let now = 1_700_000_000_500;
      const store = new DynamoDbIdempotencyStore({ client, tableName, now: () => now });
      const key = randomUUID();
      const claim = await store.claim(key, { lockTtlMs: 1_000, fingerprint: 'fp' });
      const token = tokenOf(claim);
      expect(await getItem(key)).toEqual({
        pk: { S: key },
        status: { S: 'in-progress' },
        expiresAt: { N: '1700000001500' },
        ttl: { N: '1700000002' },
        token: { S: token },
        fingerprint: { S: 'fp' },
      });
      now += 500;
      await store.extend(key, token, { lockTtlMs: 1_000 });
      expect(await getItem(key)).toMatchObject({
        expiresAt: { N: '1700000002000' },
        ttl: { N: '1700000002' },
      });
      await store.complete(key, token, { ttlMs: 60_000 });
      expect(await getItem(key)).toEqual({
        pk: { S: key },
        status: { S: 'completed' },
        expiresAt: { N: '1700000061000' },
        ttl: { N: '1700000061' },
        token: { S: token },
        fingerprint: { S: 'fp' },
      });
    });

    it('uses the key and TTL attribute names it is given, as the table helper does', async () => {
      const table = `idempotency-named-${randomUUID()}`;
      const names = { keyAttribute: 'id', ttlAttribute: 'expires_at_s' };
      await createIdempotencyTable(client, table, names);
      try {
        const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: table }));
        expect(ttl.TimeToLiveDescription).toMatchObject({
          AttributeName: 'expires_at_s',
          TimeToLiveStatus: 'ENABLED',
        });
        const store = new DynamoDbIdempotencyStore({ client, tableName: table, ...names });
        const token = tokenOf(await store.claim('k', LOCK));
        await expect(statusOf(store.claim('k', LOCK))).resolves.toBe('in-progress');
        await expect(store.extend('k', token, LOCK)).resolves.toBe(true);
        await expect(store.complete('k', token, DONE)).resolves.toBe(true);
        await expect(statusOf(store.claim('k', LOCK))).resolves.toBe('completed');
        expect(Object.keys((await getItem('k', 'id', table))!).sort()).toEqual([
          'expiresAt',
          'expires_at_s',
          'id',
          'status',
          'token',
        ]);
      } finally {
        await client.send(new DeleteTableCommand({ TableName: table }));
      }
    });

    it('leaves an existing table as it is when asked to create it again', async () => {
      await expect(createIdempotencyTable(client, tableName)).resolves.toBeUndefined();
    });

    it('passes DynamoDB errors other than a failed condition on', async () => {
      const store = new DynamoDbIdempotencyStore({ client, tableName: `missing-${randomUUID()}` });
      await expect(store.claim('k', LOCK)).rejects.toMatchObject({
        name: 'ResourceNotFoundException',
      });
      for (const call of [
        () => store.complete('k', 't', DONE),
        () => store.release('k', 't'),
        () => store.extend('k', 't', LOCK),
      ]) {
        await expect(call()).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
      }
    });

    describe('without the item in a failed condition (servers that do not return it)', () => {
      /** The client, except that a failed condition comes back without `Item`. */
      function withoutItem(onFailure?: (key: string) => Promise<unknown>): DynamoDBClient {
        return {
          send: async (command: PutItemCommand) => {
            try {
              return await client.send(command);
            } catch (error) {
              if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
              delete (error as { Item?: unknown }).Item;
              const item = (command.input as { Item?: Record<string, { S?: string }> }).Item;
              if (item?.pk?.S) await onFailure?.(item.pk.S);
              throw error;
            }
          },
        } as unknown as DynamoDBClient;
      }

      it('reads the item to tell completed from in progress', async () => {
        const store = new DynamoDbIdempotencyStore({ client: withoutItem(), tableName });
        const [locked, done] = [randomUUID(), randomUUID()];
        await store.claim(locked, { ...LOCK, fingerprint: 'fp' });
        await store.complete(done, tokenOf(await store.claim(done, LOCK)), DONE);
        await expect(store.claim(locked, LOCK)).resolves.toEqual({
          status: 'in-progress',
          fingerprint: 'fp',
        });
        await expect(store.claim(done, LOCK)).resolves.toEqual({ status: 'completed' });
      });

      it('claims again when the holder is released between the write and the read', async () => {
        const release = (key: string) =>
          client.send(new DeleteItemCommand({ TableName: tableName, Key: { pk: { S: key } } }));
        const store = new DynamoDbIdempotencyStore({ client: withoutItem(release), tableName });
        const key = randomUUID();
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              pk: { S: key },
              status: { S: 'in-progress' },
              expiresAt: { N: String(Date.now() + 60_000) },
            },
          }),
        );
        await expect(statusOf(store.claim(key, LOCK))).resolves.toBe('acquired');
        expect((await getItem(key))?.status).toEqual({ S: 'in-progress' });
      });
    });

    it('destroys a client it created, and only that one', async () => {
      const owned = new DynamoDbIdempotencyStore({
        clientConfig: { endpoint: process.env.MOTO_ENDPOINT },
        tableName,
      });
      await expect(statusOf(owned.claim(randomUUID(), LOCK))).resolves.toBe('acquired');
      const ownedClient = (owned as unknown as { client: DynamoDBClient }).client;
      const destroy = jest.spyOn(ownedClient, 'destroy');
      await owned.onApplicationShutdown();
      expect(destroy).toHaveBeenCalledTimes(1);

      const given = jest.spyOn(client, 'destroy');
      await new DynamoDbIdempotencyStore({ client, tableName }).close();
      expect(given).not.toHaveBeenCalled();
      given.mockRestore();
    });
  });
});

describe('Redis', () => {
  // Unique per run, so that runs never see each other's keys and cleanup finds exactly ours.
  const keyPrefix = `nestjs-events:idem:test:${randomUUID()}:`;
  const client = new Redis(process.env.REDIS_URL!);

  afterAll(async () => {
    await deleteKeys(client, `${keyPrefix}*`);
    await client.quit();
  });

  describeIdempotencyStoreContract(
    'RedisIdempotencyStore',
    () => ({ store: new RedisIdempotencyStore({ client, keyPrefix }) }),
    { clock: 'server' },
  );

  describe('RedisIdempotencyStore', () => {
    const store = new RedisIdempotencyStore({ client, keyPrefix });

    it('keeps one string per key under the prefix: state, token, fingerprint, with its TTL', async () => {
      const key = randomUUID();
      const token = tokenOf(await store.claim(key, { lockTtlMs: 30_000, fingerprint: 'fp' }));
      await expect(client.get(keyPrefix + key)).resolves.toBe(`in-progress:${token}:fp`);
      expect(await client.pttl(keyPrefix + key)).toBeGreaterThan(29_000);
      expect(await client.pttl(keyPrefix + key)).toBeLessThanOrEqual(30_000);
      await store.extend(key, token, { lockTtlMs: 90_000 });
      expect(await client.pttl(keyPrefix + key)).toBeGreaterThan(89_000);
      await store.complete(key, token, { ttlMs: 3_600_000 });
      await expect(client.get(keyPrefix + key)).resolves.toBe(`completed:${token}:fp`);
      expect(await client.pttl(keyPrefix + key)).toBeGreaterThan(3_599_000);
    });

    it("uses 'nestjs-events:idem:' as the default prefix", async () => {
      const key = `test:${randomUUID()}`;
      try {
        await new RedisIdempotencyStore({ client }).claim(key, LOCK);
        await expect(client.get(`nestjs-events:idem:${key}`)).resolves.toMatch(/^in-progress:/);
      } finally {
        await client.del(`nestjs-events:idem:${key}`);
      }
    });

    it('accepts TTLs that are not whole positive milliseconds', async () => {
      const key = randomUUID();
      const token = tokenOf(await store.claim(key, { lockTtlMs: 60_000 }));
      await expect(store.extend(key, token, { lockTtlMs: 0.5 })).resolves.toBe(true);
      const other = randomUUID();
      await expect(statusOf(store.claim(other, { lockTtlMs: 0.5 }))).resolves.toBe('acquired');
      const third = randomUUID();
      const held = tokenOf(await store.claim(third, LOCK));
      await expect(store.complete(third, held, { ttlMs: 0 })).resolves.toBe(true);
    });

    it('reads the values of earlier versions (no token): completed, or a lock held by another', async () => {
      const [done, locked] = [randomUUID(), randomUUID()];
      await client.set(keyPrefix + done, 'completed', 'PX', 60_000);
      await client.set(keyPrefix + locked, 'in-progress', 'PX', 60_000);
      await expect(store.claim(done, LOCK)).resolves.toEqual({ status: 'completed' });
      await expect(store.claim(locked, LOCK)).resolves.toEqual({ status: 'in-progress' });
      await expect(store.release(locked, '')).resolves.toBe(false);
      await expect(client.get(keyPrefix + locked)).resolves.toBe('in-progress');
    });

    it('treats a value it did not write as a lock held by someone else', async () => {
      const key = randomUUID();
      await client.set(keyPrefix + key, 'something else', 'PX', 60_000);
      await expect(statusOf(store.claim(key, LOCK))).resolves.toBe('in-progress');
      await expect(store.release(key, 'else')).resolves.toBe(false);
      await expect(store.complete(key, 'else', DONE)).resolves.toBe(false);
      await expect(client.get(keyPrefix + key)).resolves.toBe('something else');
    });

    it('passes Redis errors on', async () => {
      const key = randomUUID();
      await client.hset(keyPrefix + key, 'field', 'value');
      await expect(store.claim(key, LOCK)).rejects.toThrow(/WRONGTYPE/);
      await expect(store.release(key, 't')).rejects.toThrow(/WRONGTYPE/);
      await expect(store.extend(key, 't', LOCK)).rejects.toThrow(/WRONGTYPE/);
      await expect(store.complete(key, 't', DONE)).rejects.toThrow(/WRONGTYPE/);
      const offline = new Redis(process.env.REDIS_URL!, {
        lazyConnect: true,
        enableOfflineQueue: false,
      });
      await expect(
        new RedisIdempotencyStore({ client: offline, keyPrefix }).claim(key, LOCK),
      ).rejects.toThrow(/enableOfflineQueue/);
      offline.disconnect();
    });

    it('closes a client it created from a URL, and only that one', async () => {
      const owned = new RedisIdempotencyStore({ url: process.env.REDIS_URL!, keyPrefix });
      await expect(statusOf(owned.claim(randomUUID(), LOCK))).resolves.toBe('acquired');
      await owned.onApplicationShutdown();
      expect((owned as unknown as { client: Redis }).client.status).toBe('end');
      await expect(owned.close()).resolves.toBeUndefined();

      await new RedisIdempotencyStore({ client, keyPrefix }).close();
      await expect(client.ping()).resolves.toBe('PONG');
    });
  });
});

async function deleteKeys(client: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    if (keys.length) await client.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}
