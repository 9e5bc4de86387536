// Proof of Contribution over RPC against a real `uranus-node --dev --tmp`: the `poc_*` methods
// (backed by the runtime's PocApi) return the scores, σ and tiers of the dev preset's
// genesis-registered test containers, with values computed by hand from the genesis
// gradient tables (runtime/src/genesis_config_presets.rs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDevNode } from './harness.mjs';

let api;
let keyring;
let stop;
let rpc;

before(async () => {
  ({ api, keyring, stop } = await startDevNode());
  rpc = (method, params = []) => api._rpcCore.provider.send(method, params);
});

after(async () => {
  if (stop) await stop();
});

const GIB = 2 ** 30;

test('poc_score returns each genesis container score: Σ gradient × σ', async () => {
  // Container 1 (Alice): 2 cores × 2,400 MHz = 4,800 → 25; 4 GiB → 25; 50 GiB → 10;
  // 10 MB/s → 25: 85 at σ = 1. Container 2 (Bob): 50 + 50 + 25 + 50 = 175.
  // Container 3 (Charlie): 150 + 150 + 50 + 150 = 500 (top steps are worth 150).
  const expected = { 1: ['//Alice', 85], 2: ['//Bob', 175], 3: ['//Charlie', 500] };
  for (const [id, [uri, basic]] of Object.entries(expected)) {
    const s = await rpc('poc_score', [Number(id)]);
    assert.ok(s, `container ${id} known`);
    assert.equal(s.owner, keyring.addFromUri(uri).address, `owner of ${id}`);
    assert.equal(Number(s.basic), basic, `basic of ${id}`);
    assert.equal(Number(s.service), 0);
    assert.equal(Number(s.chain), 0);
    assert.equal(Number(s.total), basic);
    assert.equal(s.tier, 3, 'lowest tier until it earns more');
  }
  assert.equal(await rpc('poc_score', [99]), null, 'unknown container');
  // The same record through storage, decoded by polkadot.js from metadata.
  const rec = (await api.query.poc.containers(2)).unwrap();
  assert.equal(rec.owner.toString(), keyring.addFromUri('//Bob').address);
  assert.equal(rec.capacity.spec.memoryBytes.toNumber(), 32 * GIB);
});

test('poc_sigmas and poc_tiers describe coefficients, supply and tiers', async () => {
  const sigmas = await rpc('poc_sigmas');
  assert.deepEqual(sigmas.map((s) => s.resource), ['cpu', 'memory', 'storage', 'bandwidth']);
  const cpu = sigmas[0];
  assert.equal(Number(cpu.sigma.value), 1_000_000, 'σ = 1 before the first adjustment');
  assert.equal(Number(cpu.supply), 2_000 + 8_000 + 32_000, 'online millicores');
  const tiers = await rpc('poc_tiers');
  assert.equal(tiers.length, 4);
  assert.deepEqual(tiers.map((t) => t.tier.weight), [8, 4, 2, 1]);
  assert.deepEqual(tiers.map((t) => t.size), [0, 0, 0, 3]);
});

test('poc_nextCandidates proposes only containers that fit the spec', async () => {
  const spec = { cpuMillicores: 4_000, memoryBytes: 8 * GIB, storageBytes: 0, bandwidthBps: 0 };
  assert.deepEqual(await rpc('poc_nextCandidates', [spec, 5]), [2, 3]);
  const huge = { ...spec, memoryBytes: 64 * GIB };
  assert.deepEqual(await rpc('poc_nextCandidates', [huge, 5]), [3]);
  const none = { ...spec, cpuMillicores: 64_000 };
  assert.deepEqual(await rpc('poc_nextCandidates', [none, 5]), []);
  await assert.rejects(rpc('poc_nextCandidates', [{ cpu: 1 }, 1]), 'malformed spec is an RPC error');
});
