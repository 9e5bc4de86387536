// Inserts the provider key //Eve (type `cmpt`) into the `eve` node over RPC, then watches the
// registry from the node the test runs on (alice): Eve's machine must appear with the agent's
// hardware and a container, and its heartbeat block must move forward. Args "T": returns 1
// when all of that happened within T seconds, 0 otherwise.
const { Keyring, WsProvider } = require('@polkadot/api');
const { cryptoWaitReady } = require('@polkadot/util-crypto');
const { u8aToHex } = require('@polkadot/util');
const { connect, sleep } = require('./common');

async function run(nodeName, networkInfo, args) {
  const t = Number(args[0] || 240);
  await cryptoWaitReady();
  const eve = await connect(networkInfo.nodesByName.eve.wsUri);
  // Custom RPC methods (`registry_*`) go through a raw provider: no type decoration needed.
  const rpc = new WsProvider(networkInfo.nodesByName[nodeName].wsUri, 1000);
  await rpc.isReady;
  const pair = new Keyring({ type: 'sr25519', ss58Format: 42 }).addFromUri('//Eve');
  await eve.rpc.author.insertKey('cmpt', '//Eve', u8aToHex(pair.publicKey));
  const t0 = Date.now();
  console.log(`provider key //Eve inserted on eve (${pair.address})`);

  const deadline = t0 + t * 1000;
  let machine = null;
  while (Date.now() < deadline) {
    const list = await rpc.send('registry_machines', [pair.address, null, 10]).catch(() => null);
    machine = list && list.find((m) => m.containers.length > 0);
    if (machine) break;
    await sleep(2000);
  }
  if (!machine) {
    console.log('no machine of Eve appeared on alice');
    return 0;
  }
  console.log(`machine ${machine.id} on alice after ${((Date.now() - t0) / 1000).toFixed(1)} s: ` +
    `${machine.logicalCores} cores ${machine.cpuModel}, ${machine.memoryBytes} B memory, ` +
    `${machine.containers.length} container(s), online=${machine.online}`);
  const first = machine.lastHeartbeat;
  while (Date.now() < deadline) {
    const m = await rpc.send('registry_machine', [machine.id]);
    if (m && m.lastHeartbeat > first && m.online) {
      console.log(`heartbeat moved from block ${first} to ${m.lastHeartbeat}`);
      await rpc.disconnect(); await eve.disconnect();
      return 1;
    }
    await sleep(2000);
  }
  console.log('no heartbeat after registration');
  return 0;
}

module.exports = { run };
