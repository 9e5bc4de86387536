// Inserts the provider keys //Eve into `eve` and //Ferdie into `ferdie` over RPC; each node's
// off-chain worker registers its agent's machine. Then watches alice's blocks: the first
// machine is challenged (pallet-attest) with the other provider's machine as verifier, the
// challenged worker commits and reveals its lanes, the verifier's worker seals and reveals its
// verdict, and the challenge ends `Passed` with the machine in `registry.verifiedMachines`.
// Args "T": returns 1 when all of that happened within T seconds, 0 otherwise.
const { Keyring } = require('@polkadot/api');
const { cryptoWaitReady } = require('@polkadot/util-crypto');
const { u8aToHex } = require('@polkadot/util');
const { connect, sleep } = require('./common');

async function run(nodeName, networkInfo, args) {
  const t = Number(args[0] || 600);
  const deadline = Date.now() + t * 1000;
  await cryptoWaitReady();
  const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
  for (const [node, uri] of [['eve', '//Eve'], ['ferdie', '//Ferdie']]) {
    const api = await connect(networkInfo.nodesByName[node].wsUri);
    await api.rpc.author.insertKey('cmpt', uri, u8aToHex(keyring.addFromUri(uri).publicKey));
    console.log(`provider key ${uri} inserted on ${node}`);
    await api.disconnect();
  }
  const api = await connect(networkInfo.nodesByName[nodeName].wsUri);
  const events = [];
  const unsub = await api.rpc.chain.subscribeFinalizedHeads(async (header) => {
    const at = await api.at(header.hash);
    for (const { event } of await at.query.system.events()) {
      if (event.section !== 'attest') continue;
      const data = Object.fromEntries(event.meta.fields.map((f, i) => [f.name.unwrap().toString(), event.data[i].toJSON()]));
      events.push({ block: header.number.toNumber(), method: event.method, data });
      console.log(`attest #${header.number.toNumber()} ${event.method} ${JSON.stringify(data)}`);
    }
  });
  try {
    while (Date.now() < deadline) {
      const ended = events.find((e) => e.method === 'ChallengeEnded');
      if (ended) {
        const started = events.find((e) => e.method === 'ChallengeStarted' && e.data.id === ended.data.id);
        const passed = JSON.stringify(ended.data.outcome).toLowerCase().includes('passed');
        const verified = (await api.query.registry.verifiedMachines(ended.data.machine)).isSome;
        const owner = (await api.query.registry.machines(ended.data.machine)).unwrap().owner.toString();
        const verifierOwners = [];
        for (const v of (started ? started.data.verifiers : [])) {
          verifierOwners.push((await api.query.registry.machines(v)).unwrap().owner.toString());
        }
        console.log(`challenge ${ended.data.id} of machine ${ended.data.machine}: passed=${passed}, verified=${verified}, `
          + `verifiers ${JSON.stringify(started && started.data.verifiers)}, blocks ${started && started.block}..${ended.block}`);
        const others = verifierOwners.length > 0 && verifierOwners.every((o) => o !== owner);
        return passed && verified && others ? 1 : 0;
      }
      await sleep(2000);
    }
    console.log('no challenge ended in time');
    return 0;
  } finally {
    unsub();
    await api.disconnect();
  }
}

module.exports = { run };
