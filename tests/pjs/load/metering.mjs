// Metering throughput: how many `market.reportMetering` calls the chain accepts per block, from
// many active leases at once, on the `bench` chain (`load/bench-node.mjs`).
//
// Setup, all through real extrinsics: N providers (the bench senders `//Sender//i`) each
// register a provider record and a machine, then add a container; Alice publishes an image
// that sudo verifies and places N one-replica orders (batches of 25); every provider
// acknowledges its lease as soon as it is assigned. Load: every provider submits R metering
// reports (sequence 1..R, growing cumulative usage), all pre-signed and submitted as fast as
// the pool accepts them; a scanner counts `market.Charged` events (accepted reports) per block.
//
//   node load/metering.mjs                 1,000 leases × 3 reports
//   node load/metering.mjs --leases 500 --reports 4
//   node load/metering.mjs --smoke         20 leases × 2 reports (checks it works)
//   node load/metering.mjs --json out.json
import { writeFileSync } from 'node:fs';
import { Keyring } from '@polkadot/api';
import { blake2AsHex } from '@polkadot/util-crypto';
import { sendTx } from '../harness.mjs';
import { startBenchNode, submitAll, scanBlocks, summarize, connect } from './bench-node.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const smoke = args.includes('--smoke');
const N = Number(opt('--leases', smoke ? 20 : 1_000));
const R = Number(opt('--reports', smoke ? 2 : 3));
const jsonOut = opt('--json', null);
const GIB = 1n << 30n;
const SPEC = { cpuMillicores: 1_000, memoryBytes: GIB, storageBytes: GIB, bandwidthBps: 1n << 20n };

/** Signs `call` as `pair` with an explicit nonce (immortal, so it can wait in the pool). */
function sign(api, call, pair, nonce) {
  return call.sign(pair, {
    nonce, era: 0, blockHash: api.genesisHash, genesisHash: api.genesisHash, runtimeVersion: api.runtimeVersion,
  }).toHex();
}

/** Scans blocks after `from` until `n` events `is` were seen; returns them and the last block. */
async function collect(api, from, n, is, onBlock = async () => {}) {
  const seen = [];
  let block = from;
  const { blocks } = await scanBlocks(api, from, n, (events) => {
    const hits = events.filter((e) => is(e.event)).map((e) => e.event.data);
    seen.push(...hits);
    return hits.length;
  }, 10 * 60_000, onBlock);
  if (blocks.length) block = blocks[blocks.length - 1].number;
  if (seen.length < n) throw new Error(`only ${seen.length} of ${n} events`);
  return { seen, block };
}

async function main() {
  const chain = await startBenchNode({ poolLimit: N * (R + 2) + 1_000 });
  const { api } = chain;
  try {
    const keyring = new Keyring({ type: 'sr25519', ss58Format: api.registry.chainSS58 });
    const alice = keyring.addFromUri('//Alice');
    const providers = Array.from({ length: N }, (_, i) => keyring.addFromUri(`//Sender//${i}`));
    const byAddress = new Map(providers.map((p) => [p.address, p]));
    const digest = blake2AsHex('uranus-metering-bench-image');
    await sendTx(api, alice, api.tx.registry.publishImage('127.0.0.1:5000/bench', '1.0', digest, 1 << 20,
      { cpuMillicores: 100, memoryBytes: 1 << 20, storageBytes: 0, bandwidthBps: 0 }, 0));
    await sendTx(api, alice, api.tx.sudo.sudo(api.tx.registry.verifyImage(digest, true)));

    // Providers and machines, then one container each.
    let t = Date.now();
    let head = (await api.rpc.chain.getHeader()).number.toNumber();
    await submitAll(chain.rpcPort, providers.map((p, i) => sign(api, api.tx.utility.batchAll([
      api.tx.registry.registerProvider({ name: `bench-${i}`, region: 'loopback', labels: [] }),
      api.tx.registry.registerMachine({ cpuModel: 'bench', arch: 'x86_64', logicalCores: 8, cpuMhz: 3000,
        memoryBytes: 16n * GIB, storageBytes: 100n * GIB, uplinkBps: 100n << 20n }),
    ]), p, 0)));
    const machines = await collect(api, head, N, (e) => api.events.registry.MachineRegistered.is(e));
    const machineOf = new Map(machines.seen.map((d) => [d.owner.toString(), d.id.toNumber()]));
    await submitAll(chain.rpcPort, providers.map((p) => sign(api, api.tx.registry.addContainer(machineOf.get(p.address), SPEC), p, 1)));
    const containers = await collect(api, machines.block, N, (e) => api.events.registry.ContainerAdded.is(e));
    console.log(`${N} providers with a machine and a container in ${((Date.now() - t) / 1000).toFixed(1)} s (blocks ${head + 1}..${containers.block})`);

    // Orders; every lease is acknowledged by its provider as soon as it is assigned.
    t = Date.now();
    const caps = { cpuCoreSecond: 1n << 40n, memoryGibSecond: 1n << 40n, networkMib: 1n << 40n, storageGibSecond: 1n << 40n };
    const order = api.tx.market.placeOrder(digest, SPEC, [], 1, 1_000, 1_000, caps, [], false);
    let nonce = (await api.rpc.system.accountNextIndex(alice.address)).toNumber();
    const batches = [];
    for (let i = 0; i < N; i += 25) batches.push(sign(api, api.tx.utility.batchAll(Array(Math.min(25, N - i)).fill(order)), alice, nonce++));
    head = (await api.rpc.chain.getHeader()).number.toNumber();
    await submitAll(chain.rpcPort, batches, 1);
    const ackSocket = await connect(chain.rpcPort);
    const leaseOf = new Map();
    const acks = [];
    const assigned = await collect(api, head, N, (e) => api.events.market.LeaseAssigned.is(e), async (events) => {
      for (const { event } of events) {
        if (!api.events.market.LeaseAssigned.is(event)) continue;
        const p = byAddress.get(event.data.provider.toString());
        const lease = event.data.lease.toNumber();
        leaseOf.set(p.address, lease);
        acks.push(ackSocket.send('author_submitExtrinsic', [sign(api, api.tx.market.ackLease(lease), p, 2)]));
      }
    });
    await Promise.all(acks);
    await ackSocket.disconnect();
    const started = await collect(api, head, N, (e) => api.events.market.LeaseStarted.is(e));
    console.log(`${N} leases assigned by block ${assigned.block} and running by block ${started.block} (${((Date.now() - t) / 1000).toFixed(1)} s)`);

    // The load: R reports per lease.
    const reports = [];
    for (let k = 1; k <= R; k++) {
      for (const p of providers) {
        const usage = { cpuMicros: k * 3_000_000, memoryByteSeconds: BigInt(k) * 3n * GIB, netBytes: k << 20, wallMillis: k * 3_000 };
        reports.push(sign(api, api.tx.market.reportMetering(leaseOf.get(p.address), k, usage), p, 2 + k));
      }
    }
    head = (await api.rpc.chain.getHeader()).number.toNumber();
    t = Date.now();
    const rejected = await submitAll(chain.rpcPort, reports);
    console.log(`submitted ${reports.length - rejected} reports in ${((Date.now() - t) / 1000).toFixed(1)} s (${rejected} rejected)`);
    const charged = (events) => events.filter((e) => api.events.market.Charged.is(e.event)).length;
    const { blocks, startTimestamp } = await scanBlocks(api, head, reports.length - rejected, charged);
    for (const b of blocks.filter((x) => x.hits > 0)) {
      console.log(`block #${b.number}: ${b.hits} reports accepted, ${b.fullness.toFixed(2)} % of normal weight, ${b.seconds.toFixed(1)} s`);
    }
    const s = summarize(blocks, startTimestamp);
    console.log(`metering: ${s.total}/${reports.length} reports from ${N} leases in ${s.blocks} blocks, max ${s.maxPerBlock}/block `
      + `(${s.maxFullness.toFixed(2)} % of normal weight), peak ${s.peakPerSecond}/s, sustained ${s.sustainedPerSecond}/s; `
      + `${s.fullBlocks} blocks ≥ 90 % full`);
    if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ summary: { leases: N, reportsPerLease: R, rejected, ...s }, blocks }, null, 2));
    if (s.total !== reports.length) throw new Error(`only ${s.total} of ${reports.length} reports were charged`);
  } finally {
    await chain.stop();
  }
}

main().then(() => process.exit(0), (e) => {
  console.error(`metering failed: ${e.stack || e}`);
  process.exit(1);
});
