// Inserts the provider keys //Eve into `eve` and //Ferdie into `ferdie` over RPC; each node's
// off-chain worker registers its agent's machine. Then watches alice's blocks: the first
// machine is challenged (pallet-attest) with the other provider's machine as verifier, the
// challenged worker commits and reveals its lanes, the verifier's worker seals and reveals its
// verdict, and the challenge ends `Passed` with the machine in `registry.verifiedMachines`.
// Args "T": returns 1 when all of that happened within T seconds, 0 otherwise.
const { connect, sleep, insertProviderKeys, watchFinalizedEvents, checkPassed } = require('./common');

async function run(nodeName, networkInfo, args) {
  const t = Number(args[0] || 600);
  const deadline = Date.now() + t * 1000;
  await insertProviderKeys(networkInfo);
  const api = await connect(networkInfo.nodesByName[nodeName].wsUri);
  const events = [];
  const unsub = await watchFinalizedEvents(api, 'attest', events);
  try {
    while (Date.now() < deadline) {
      const ended = events.find((e) => e.method === 'ChallengeEnded');
      if (ended) return (await checkPassed(api, events, ended)) ? 1 : 0;
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
