// Args "N,T": returns 1 once the node's finalized height grows by N blocks within T seconds.
const { connect, heights, sleep } = require('./common');

async function run(nodeName, networkInfo, args) {
  const [n, t] = args.map(Number);
  const api = await connect(networkInfo.nodesByName[nodeName].wsUri);
  const start = await heights(api);
  const t0 = Date.now();
  while (Date.now() - t0 < t * 1000) {
    const now = await heights(api);
    if (now.fin >= start.fin + n) {
      console.log(`finality-advances ${nodeName}: #${start.fin} -> #${now.fin} in ${((Date.now() - t0) / 1000).toFixed(1)} s, lag ${now.best - now.fin}`);
      await api.disconnect();
      return 1;
    }
    await sleep(1000);
  }
  const end = await heights(api);
  console.log(`finality-advances ${nodeName}: only #${start.fin} -> #${end.fin} in ${t} s`);
  await api.disconnect();
  return 0;
}

module.exports = { run };
