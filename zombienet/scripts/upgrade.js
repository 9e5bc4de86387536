// A forkless runtime upgrade on a live network (upgrade.toml: 4 validators, providers eve and
// ferdie). Genesis runs runtime 107; runtime 112 (this release: chain-specs/local.json's code)
// brings pallet-attest's storage from v0 through v1 (`Challenge.rounds`) to v2 (the probe).
//  1. Every node runs spec 107 and pallet-attest is at storage version 0.
//  2. The providers register; once a challenge is open (stored in the v0 layout), sudo
//     authorizes the new code's hash and Bob applies the code (`system.applyAuthorizedUpgrade`).
//     No node restarts.
//  3. Every node reports spec 112; this script's polkadot.js connection has reloaded the
//     metadata (the new constant `attest.computeRounds`); pallet-attest is at version 2; the
//     open challenge reads in the v2 layout with `rounds` 0 (the workload it started with),
//     probed and seeded at its start (its lanes already run) and its other fields unchanged;
//     it goes on to pass.
//  4. Blocks authored by each of the 4 validators after the upgrade; finality passes the
//     upgrade block; the largest best−finalized lag seen throughout is reported.
// Args "T,LAG": returns 1 when all of that held within T seconds with a lag never above LAG.
const fs = require('fs');
const path = require('path');
const { Keyring } = require('@polkadot/api');
const { blake2AsHex, cryptoWaitReady } = require('@polkadot/util-crypto');
const { connect, heights, sleep, insertProviderKeys, watchFinalizedEvents, checkPassed } = require('./common');

const VALIDATORS = ['alice', 'bob', 'charlie', 'dave'];
const NODES = [...VALIDATORS, 'eve', 'ferdie'];
const FROM = 107;
const TO = 112;

// Signs and sends `tx`; resolves with the block it was included in, rejects on a dispatch error.
function send(api, tx, signer) {
  return new Promise((resolve, reject) => {
    tx.signAndSend(signer, ({ status, dispatchError }) => {
      if (dispatchError) {
        const e = dispatchError.isModule ? api.registry.findMetaError(dispatchError.asModule) : null;
        reject(new Error(e ? `${e.section}.${e.name}` : dispatchError.toString()));
      } else if (status.isInBlock) {
        resolve(status.asInBlock);
      }
    }).catch(reject);
  });
}

async function specVersions(apis) {
  const out = {};
  for (const n of NODES) out[n] = (await apis[n].rpc.state.getRuntimeVersion()).specVersion.toNumber();
  return out;
}

async function until(what, deadline, f) {
  while (Date.now() < deadline) {
    const v = await f();
    if (v) return v;
    await sleep(1000);
  }
  throw new Error(`timed out waiting for ${what}`);
}

// The block that applied the new code: the first from `from` on whose state runs spec `to`.
async function upgradeBlockOf(api, from, to) {
  const { best } = await heights(api);
  for (let n = from; n <= best; n++) {
    const hash = await api.rpc.chain.getBlockHash(n);
    if ((await api.rpc.state.getRuntimeVersion(hash)).specVersion.toNumber() === to) return n;
  }
  throw new Error(`no block runs spec ${to} in #${from}..#${best}`);
}

async function run(nodeName, networkInfo, args) {
  const t = Number(args[0] || 600);
  const maxLag = Number(args[1] || 10);
  const deadline = Date.now() + t * 1000;
  await cryptoWaitReady();
  const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
  const spec = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'chain-specs', 'local.json'), 'utf8'));
  const code = spec.genesis.runtimeGenesis.code;
  const codeHash = blake2AsHex(code, 256);

  const apis = {};
  for (const n of NODES) apis[n] = await connect(networkInfo.nodesByName[n].wsUri);
  const api = apis[nodeName];
  let worstLag = 0;
  let best = 0;
  let finalized = 0;
  const unsubs = [];
  const events = [];
  try {
    // 1. The network runs the previous release.
    const before = await specVersions(apis);
    console.log(`upgrade: spec versions before ${JSON.stringify(before)}`);
    if (Object.values(before).some((v) => v !== FROM)) return 0;
    const versionBefore = (await api.query.attest.palletVersion()).toNumber();
    console.log(`upgrade: attest storage version ${versionBefore}, attest.computeRounds ${api.consts.attest.computeRounds === undefined ? 'absent' : 'present'}`);
    if (versionBefore !== 0 || api.consts.attest.computeRounds !== undefined) return 0;

    unsubs.push(await api.rpc.chain.subscribeNewHeads((h) => {
      best = Math.max(best, h.number.toNumber());
      worstLag = Math.max(worstLag, best - finalized);
    }));
    unsubs.push(await api.rpc.chain.subscribeFinalizedHeads((h) => { finalized = h.number.toNumber(); }));
    unsubs.push(await watchFinalizedEvents(api, 'attest', events));

    // 2. A challenge opens in the v0 layout; the upgrade is enacted while it is open.
    await insertProviderKeys(networkInfo);
    const started = await until('a challenge', deadline, async () => events.find((e) => e.method === 'ChallengeStarted'));
    const id = started.data.id;
    const challengeBefore = (await api.query.attest.challenges(id)).toJSON();
    console.log(`upgrade: challenge ${id} open under ${FROM}: ${JSON.stringify(challengeBefore)}`);
    if (challengeBefore === null) return 0;
    const h0 = await heights(api);
    console.log(`upgrade: before: best #${h0.best}, finalized #${h0.fin}; code ${code.length / 2 - 1} bytes, blake2-256 ${codeHash}`);
    const authorized = await send(api, api.tx.sudo.sudo(api.tx.system.authorizeUpgrade(codeHash)), keyring.addFromUri('//Alice'));
    console.log(`upgrade: authorized in ${authorized.toHex()}`);
    // Submitted without watching: the block that applies the code ends on the old runtime and
    // the next one starts on the new, and polkadot.js does not reliably report that inclusion.
    await api.tx.system.applyAuthorizedUpgrade(code).signAndSend(keyring.addFromUri('//Bob'));
    console.log('upgrade: code submitted');

    // 3. Every node runs the new release; the migration ran; polkadot.js sees the new metadata.
    const after = await until(`spec ${TO} on every node`, deadline, async () => {
      const v = await specVersions(apis);
      return Object.values(v).every((x) => x === TO) ? v : null;
    });
    console.log(`upgrade: spec versions after ${JSON.stringify(after)}`);
    const upgradeBlock = await upgradeBlockOf(api, h0.best, TO);
    console.log(`upgrade: code applied in block #${upgradeBlock}`);
    await until('polkadot.js to reload the metadata', deadline, async () => api.runtimeVersion.specVersion.toNumber() === TO && api.consts.attest.computeRounds !== undefined);
    const rounds = api.consts.attest.computeRounds.toNumber();
    // A call runtime 109 added (the lease gateway) and one 110 added (the probe) are in the
    // reloaded metadata.
    if (api.tx.registry.setGateway === undefined || api.tx.attest.probe === undefined) {
      console.log('upgrade: registry.setGateway or attest.probe missing from the new metadata');
      return 0;
    }
    const versionAfter = (await api.query.attest.palletVersion()).toNumber();
    console.log(`upgrade: polkadot.js metadata spec ${api.runtimeVersion.specVersion.toNumber()}, attest.computeRounds ${rounds}, attest storage version ${versionAfter}`);
    if (versionAfter !== 2) return 0;
    const challengeAfter = (await api.query.attest.challenges(id)).toJSON();
    console.log(`upgrade: challenge ${id} under ${TO}: ${JSON.stringify(challengeAfter)}`);
    let same = challengeAfter !== null && challengeAfter.rounds === 0
      && challengeAfter.seededAt === challengeBefore.started && challengeAfter.probedAt === challengeBefore.started;
    for (const f of ['machine', 'provider', 'version', 'seed', 'lanes', 'logN', 'r', 'started', 'commitBy', 'revealBy', 'sealBy', 'judgeBy']) {
      if (challengeAfter === null || JSON.stringify(challengeAfter[f]) !== JSON.stringify(challengeBefore[f])) {
        console.log(`upgrade: challenge field ${f} changed`);
        same = false;
      }
    }
    if (!same) return 0;

    // 4. All validators author, finality passes the upgrade, the challenge ends as it should.
    const authors = new Set();
    let n = upgradeBlock + 1;
    await until('a block by every validator', deadline, async () => {
      const { best: b } = await heights(api);
      for (; n <= b; n++) {
        const header = await api.derive.chain.getHeader(await api.rpc.chain.getBlockHash(n));
        if (header.author) authors.add(header.author.toString());
      }
      return authors.size >= VALIDATORS.length;
    });
    console.log(`upgrade: all ${authors.size} validators authored blocks #${upgradeBlock + 1}..#${n - 1}`);
    await until('finality past the upgrade', deadline, async () => finalized >= upgradeBlock + 5);
    const ended = await until(`challenge ${id} to end`, deadline, async () => events.find((e) => e.method === 'ChallengeEnded' && e.data.id === id));
    const passed = await checkPassed(api, events, ended);
    if (ended.block <= upgradeBlock) {
      console.log(`upgrade: challenge ${id} ended at #${ended.block}, before the upgrade`);
      return 0;
    }
    const h1 = await heights(api);
    console.log(`upgrade: after: best #${h1.best}, finalized #${h1.fin}; largest best-finalized lag seen ${worstLag}`);
    return passed && worstLag <= maxLag ? 1 : 0;
  } catch (e) {
    console.log(`upgrade: ${e.message}`);
    return 0;
  } finally {
    for (const u of unsubs) u();
    for (const n of NODES) await apis[n].disconnect();
  }
}

module.exports = { run };
