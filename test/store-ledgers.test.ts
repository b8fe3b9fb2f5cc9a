// The two small ledgers every store keeps besides tasks and correlations (store/types.ts): one-time
// values (a token's jti, ID_AUTH_REST_02) and a consumer's sends still waiting for their 202, on
// the memory store, SQLite and (when installed) PostgreSQL, with the same answers.
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../src/runtime/store/index.js';
import { storeKinds } from './support/store-kinds.js';

const { kinds, stop } = await storeKinds('ledgers');
afterAll(stop);
const T0 = 1_700_000_000_000;

describe.each(kinds)('%s store', (_name, enabled, open) => {
  let store: Store;
  beforeEach(async () => {
    if (!enabled) return;
    store = await open();
    return () => store.close();
  });

  it.skipIf(!enabled)('records a one-time value once while it lives, again once it expired, and purges the expired ones', async () => {
    expect(await store.recordNonce('jti-1', T0 + 100, T0)).toBe(true);
    expect(await store.recordNonce('jti-1', T0 + 500, T0 + 99)).toBe(false);
    expect(await store.recordNonce('jti-2', T0 + 50, T0)).toBe(true);
    // At its expiry the record is over: the value may be used again (and lives until its new expiry).
    expect(await store.recordNonce('jti-1', T0 + 300, T0 + 100)).toBe(true);
    expect(await store.recordNonce('jti-1', T0 + 400, T0 + 299)).toBe(false);
    expect(await store.purgeNonces(T0 + 49)).toBe(0);
    expect(await store.purgeNonces(T0 + 50)).toBe(1);
    expect(await store.purgeNonces(T0 + 50)).toBe(0);
    expect(await store.recordNonce('jti-2', T0 + 1000, T0 + 60)).toBe(true);
    expect(await store.purgeNonces(T0 + 300)).toBe(1);
    expect(await store.recordNonce('jti-1', T0 + 1000, T0 + 301)).toBe(true);
  });

  it.skipIf(!enabled)('counts the sends in flight until each ends or passes its until', async () => {
    expect(await store.sendsInFlight(T0)).toBe(0);
    await store.beginSend('s1', T0, T0 + 100);
    await store.beginSend('s2', T0, T0 + 200);
    expect(await store.sendsInFlight(T0 + 99)).toBe(2);
    expect(await store.sendsInFlight(T0 + 100)).toBe(1);
    await store.endSend('s2');
    expect(await store.sendsInFlight(T0 + 100)).toBe(0);
    await store.beginSend('s3', T0 + 150, T0 + 250);
    expect(await store.sendsInFlight(T0 + 150)).toBe(1);
    expect(await store.sendsInFlight(T0 + 250)).toBe(0);
  });
});
