// The white paper's DPoS flow on a running 4-validator network, with polkadot.js:
// Eve bonds B_Min and validates (session keys generated on the `eve` node, which is not a
// validator), Ferdie lends 500 URA to Eve, Alice votes for Eve with 1,000 URA, and sudo raises
// the validator count to 5. Args "T": returns 1 once every node's `session.validators`
// contains Eve within T seconds (the election happens at the next era; eras are 2 sessions of
// 10 blocks in the fast runtime) with the exposure Vt = Vb + Lb (her bond plus Ferdie's 500
// URA), 0 otherwise; 0 at once if Eve's St after Alice's vote is not exactly 1,000 URA.
const { Keyring } = require('@polkadot/api');
const { cryptoWaitReady, decodeAddress } = require('@polkadot/util-crypto');
const { u8aToHex } = require('@polkadot/util');
const { connect, sleep } = require('./common');

const URA = 10n ** 12n;

function send(api, tx, signer) {
  return new Promise((resolve, reject) => {
    let unsub;
    tx.signAndSend(signer, (res) => {
      if (res.dispatchError) {
        let msg = res.dispatchError.toString();
        if (res.dispatchError.isModule) {
          const m = api.registry.findMetaError(res.dispatchError.asModule);
          msg = `${m.section}.${m.name}`;
        }
        if (unsub) unsub();
        reject(new Error(msg));
      } else if (res.status.isInBlock) {
        if (unsub) unsub();
        resolve(res.events);
      }
    }).then((u) => { unsub = u; }).catch(reject);
  });
}

async function run(nodeName, networkInfo, args) {
  const t = Number(args[0] || 300);
  await cryptoWaitReady();
  const names = Object.keys(networkInfo.nodesByName);
  const api = await connect(networkInfo.nodesByName[nodeName].wsUri);
  const eveNode = await connect(networkInfo.nodesByName.eve.wsUri);
  const keyring = new Keyring({ type: 'sr25519' });
  const alice = keyring.addFromUri('//Alice');
  const eve = keyring.addFromUri('//Eve');
  const ferdie = keyring.addFromUri('//Ferdie');
  const t0 = Date.now();
  try {
    const { keys, proof } = await eveNode._rpcCore.provider.send(
      'author_rotateKeysWithOwner', [u8aToHex(decodeAddress(eve.address))]);
    const minBond = (await api.query.staking.minValidatorBond()).toBigInt();
    await send(api, api.tx.sudo.sudo(api.tx.staking.setValidatorCount(5)), alice);
    await send(api, api.tx.utility.batchAll([
      api.tx.staking.bond(minBond, 'Staked'),
      api.tx.session.setKeys(keys, proof),
      api.tx.staking.validate({ commission: 0, blocked: false }),
    ]), eve);
    await send(api, api.tx.utility.batchAll([
      api.tx.staking.bond(500n * URA, 'Staked'),
      api.tx.staking.nominate([eve.address]),
    ]), ferdie);
    await send(api, api.tx.dpos.vote([eve.address], 1000n * URA), alice);
    // St: Alice's frozen stake counts for Eve to the planck (the former pjs dpos test).
    const st = (await api.query.dpos.candidateVotes(eve.address)).toBigInt();
    const vote = (await api.query.dpos.votes(alice.address)).unwrap();
    if (st !== 1000n * URA || vote.stake.toBigInt() !== 1000n * URA) {
      console.log(`election: FAILED St = ${st}, Alice's vote ${vote.stake.toBigInt()} (expected ${1000n * URA} each)`);
      return 0;
    }
    console.log(`election: Eve bonded ${minBond / URA} URA, Ferdie lent 500, Alice voted 1000 after ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    const apis = await Promise.all(names.map((n) => connect(networkInfo.nodesByName[n].wsUri)));
    try {
      while (Date.now() - t0 < t * 1000) {
        const sets = await Promise.all(apis.map(async (a) =>
          (await a.query.session.validators()).map((v) => v.toString())));
        if (sets.every((s) => s.includes(eve.address))) {
          const era = (await api.query.staking.activeEra()).unwrap().index.toNumber();
          const o = (await api.query.staking.erasStakersOverview(era, eve.address)).unwrap();
          // Vt = Vb + Lb: the election reads a lending made after Eve's bond from the era
          // after, so the exposure with both may be one era later than Eve's first.
          if (o.total.toBigInt() !== minBond + 500n * URA) {
            console.log(`election: era ${era}: Eve's exposure ${o.total.toBigInt() / URA} URA, waiting for Vb + Lb = ${(minBond + 500n * URA) / URA}`);
            await sleep(3000);
            continue;
          }
          console.log(`election: Eve in session.validators on ${names.join(',')} after ${((Date.now() - t0) / 1000).toFixed(1)} s; era ${era}, Vt = ${o.total.toBigInt() / URA} URA, St = ${(await api.query.dpos.candidateVotes(eve.address)).toBigInt() / URA} URA`);
          return 1;
        }
        await sleep(3000);
      }
      return 0;
    } finally {
      await Promise.all(apis.map((a) => a.disconnect()));
    }
  } finally {
    await api.disconnect();
    await eveNode.disconnect();
  }
}

module.exports = { run };
