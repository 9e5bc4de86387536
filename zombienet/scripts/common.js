// Helpers for zombienet js-scripts: our own @polkadot/api 16.5.x, bounded waits, logging.
const { ApiPromise, WsProvider } = require('@polkadot/api');

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

module.exports = { connect, heights, sleep };
