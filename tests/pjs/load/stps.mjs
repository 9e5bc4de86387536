// sTPS load test (the "standard transactions per second" method): a `uranus-node --chain bench`
// whose genesis funds N senders (`//Sender//i`); one pre-signed `balances.transferKeepAlive`
// per sender to a fresh receiver, all submitted as fast as the pool accepts them; a scanner
// counts `balances.Transfer` events per block and divides by the blocks' timestamps.
//
//   node load/stps.mjs                    20,000 transfers (the bench preset's senders)
//   node load/stps.mjs --senders 5000     fewer
//   node load/stps.mjs --smoke            200 transfers: checks the harness works (make test)
//   node load/stps.mjs --json out.json    also writes the figures as JSON
//
// Reports per block: transfers, % of the normal-class weight used, TPS; then peak TPS (best
// block), sustained TPS (all transfers / time from the first to the last block holding them)
// and the average fullness of the full blocks. Nothing here asserts a time: the smoke mode
// only checks that every transfer landed.
import { writeFileSync } from 'node:fs';
import { Keyring } from '@polkadot/api';
import { blake2AsU8a } from '@polkadot/util-crypto';
import { startBenchNode, submitAll, scanBlocks, summarize } from './bench-node.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const smoke = args.includes('--smoke');
const senders = Number(opt('--senders', smoke ? 200 : 20_000));
const jsonOut = opt('--json', null);

async function main() {
  const chain = await startBenchNode({ poolLimit: senders + 1_000 });
  const { api } = chain;
  try {
    const keyring = new Keyring({ type: 'sr25519', ss58Format: api.registry.chainSS58 });
    const ed = api.consts.balances.existentialDeposit.toBigInt();
    const genesis = api.genesisHash;
    const signed = [];
    const ts = Date.now();
    for (let i = 0; i < senders; i++) {
      const from = keyring.addFromUri(`//Sender//${i}`);
      const to = blake2AsU8a(new TextEncoder().encode(`uranus-stps-receiver-${i}`));
      signed.push(api.tx.balances.transferKeepAlive(to, ed).sign(from, {
        nonce: 0, era: 0, blockHash: genesis, genesisHash: genesis, runtimeVersion: api.runtimeVersion,
      }).toHex());
      // Signing is synchronous: let the WebSocket answer the node's keep-alive traffic, or a
      // slow machine signing 20,000 transfers trips the provider's 300 s request timeout.
      if (i % 200 === 199) await new Promise((resolve) => setImmediate(resolve));
    }
    console.log(`signed ${senders} transfers in ${((Date.now() - ts) / 1000).toFixed(1)} s`);

    const start = (await api.rpc.chain.getHeader()).number.toNumber();
    const tSubmit = Date.now();
    const rejected = await submitAll(chain.rpcPort, signed);
    console.log(`submitted ${senders - rejected} in ${((Date.now() - tSubmit) / 1000).toFixed(1)} s (${rejected} rejected)`);

    const transfers = (events) => events.filter((e) => e.phase.isApplyExtrinsic && api.events.balances.Transfer.is(e.event)).length;
    const { blocks, startTimestamp } = await scanBlocks(api, start, senders - rejected, transfers);
    for (const b of blocks.filter((x) => x.hits > 0)) {
      console.log(`block #${b.number}: ${b.hits} transfers, ${b.fullness.toFixed(2)} % of normal weight, ${b.seconds.toFixed(1)} s, ${b.perSecond.toFixed(0)} TPS`);
    }
    const s = summarize(blocks, startTimestamp);
    console.log(`stps: ${s.total}/${senders} transfers in ${s.blocks} blocks, max ${s.maxPerBlock}/block; `
      + `peak ${s.peakPerSecond} TPS, sustained ${s.sustainedPerSecond} TPS over ${s.spanSeconds.toFixed(1)} s; `
      + `${s.fullBlocks} blocks ≥ 90 % full (avg ${s.avgFullnessOfFullBlocks} %)`);
    if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ summary: { senders, rejected, ...s }, blocks }, null, 2));
    if (s.total !== senders) throw new Error(`only ${s.total} of ${senders} transfers landed`);
  } finally {
    await chain.stop();
  }
}

main().then(() => process.exit(0), (e) => {
  console.error(`stps failed: ${e.stack || e}`);
  process.exit(1);
});
