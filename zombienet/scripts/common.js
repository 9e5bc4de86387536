// Helpers for zombienet js-scripts: our own @polkadot/api 16.5.x, bounded waits, logging.
const { ApiPromise, WsProvider, Keyring } = require('@polkadot/api');
const { cryptoWaitReady } = require('@polkadot/util-crypto');
const { u8aToHex } = require('@polkadot/util');

async function connect(wsUri) {
  const provider = new WsProvider(wsUri, 1000);
  const api = await ApiPromise.create({ provider, throwOnConnect: true, noInitWarn: true });
  return api;
}

async function heights(api) {
  const best = (await api.rpc.chain.getHeader()).number.toNumber();
  const finHash = await api.rpc.chain.getFinalizedHead();
  const fin = (await api.rpc.chain.getHeader(finHash)).number.toNumber();
  return { best, fin };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Inserts the provider keys (type `cmpt`) //Eve into `eve` and //Ferdie into `ferdie` over RPC;
// each node's off-chain worker then registers its agent's machine.
async function insertProviderKeys(networkInfo) {
  await cryptoWaitReady();
  const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
  for (const [node, uri] of [['eve', '//Eve'], ['ferdie', '//Ferdie']]) {
    const api = await connect(networkInfo.nodesByName[node].wsUri);
    await api.rpc.author.insertKey('cmpt', uri, u8aToHex(keyring.addFromUri(uri).publicKey));
    console.log(`provider key ${uri} inserted on ${node}`);
    await api.disconnect();
  }
}

// Collects the `section` events of every finalized block into `sink` as
// { block, method, data } (data keyed by the event's field names), logging each.
// Returns the unsubscribe function.
async function watchFinalizedEvents(api, section, sink) {
  return api.rpc.chain.subscribeFinalizedHeads(async (header) => {
    let records;
    try {
      records = await (await api.at(header.hash)).query.system.events();
    } catch (e) {
      // The block that applies a runtime upgrade stores its events in the old runtime's
      // encoding while its state already carries the new runtime's metadata.
      console.log(`${section} #${header.number.toNumber()}: events not decodable (${e.message.slice(0, 80)})`);
      return;
    }
    for (const { event } of records) {
      if (event.section !== section) continue;
      const data = Object.fromEntries(event.meta.fields.map((f, i) => [f.name.unwrap().toString(), event.data[i].toJSON()]));
      sink.push({ block: header.number.toNumber(), method: event.method, data });
      console.log(`${section} #${header.number.toNumber()} ${event.method} ${JSON.stringify(data)}`);
    }
  });
}

// Whether challenge `ended` (a ChallengeEnded event) passed, left its machine verified and was
// verified by machines of other owners than the challenged one; logs the outcome.
async function checkPassed(api, events, ended) {
  const started = events.find((e) => e.method === 'ChallengeStarted' && e.data.id === ended.data.id);
  const passed = JSON.stringify(ended.data.outcome).toLowerCase().includes('passed');
  const verified = (await api.query.registry.verifiedMachines(ended.data.machine)).isSome;
  const owner = (await api.query.registry.machines(ended.data.machine)).unwrap().owner.toString();
  const verifierOwners = [];
  for (const v of (started ? started.data.verifiers : [])) {
    verifierOwners.push((await api.query.registry.machines(v)).unwrap().owner.toString());
  }
  // A machine verified by a challenge is scored at the speed its lanes showed.
  const mhz = await api.query.registry.verifiedCpuMhz(ended.data.machine);
  const probed = events.find((e) => e.method === 'Probed' && e.data.id === ended.data.id);
  const seeded = events.find((e) => e.method === 'LanesSeeded' && e.data.id === ended.data.id);
  console.log(`challenge ${ended.data.id} of machine ${ended.data.machine}: passed=${passed}, verified=${verified}, `
    + `verifiers ${JSON.stringify(started && started.data.verifiers)}, blocks ${started && started.block}..${ended.block}, `
    + `probe ${probed && started ? probed.block - started.block : '?'} blocks, lanes by #${seeded && seeded.data.commit_by}, `
    + `measured ${mhz.isSome ? mhz.unwrap().toNumber() : 'no'} MHz per core`);
  const others = verifierOwners.length > 0 && verifierOwners.every((o) => o !== owner);
  return passed && verified && others && mhz.isSome;
}

module.exports = { connect, heights, sleep, insertProviderKeys, watchFinalizedEvents, checkPassed };
