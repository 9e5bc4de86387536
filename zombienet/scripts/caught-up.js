// Args "ref,tolerance,T": returns 1 once this node's best and finalized heights are within
// `tolerance` blocks of node `ref`'s, within T seconds.
const { connect, heights, sleep } = require('./common');

async function run(nodeName, networkInfo, args) {
  const [ref, tol, t] = [args[0], Number(args[1]), Number(args[2])];
  const me = await connect(networkInfo.nodesByName[nodeName].wsUri);
  const other = await connect(networkInfo.nodesByName[ref].wsUri);
  const t0 = Date.now();
  try {
    while (Date.now() - t0 < t * 1000) {
      const a = await heights(me);
      const b = await heights(other);
      if (Math.abs(a.best - b.best) <= tol && Math.abs(a.fin - b.fin) <= tol) {
        console.log(`caught-up ${nodeName}: best #${a.best} vs ${ref} #${b.best}, finalized #${a.fin} vs #${b.fin} after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        return 1;
      }
      await sleep(1000);
    }
    return 0;
  } finally {
    await me.disconnect();
    await other.disconnect();
  }
}

module.exports = { run };
