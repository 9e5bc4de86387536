// Returns the largest best-minus-finalized lag over the given nodes (and logs each).
const { connect, heights } = require('./common');

async function run(nodeName, networkInfo, args) {
  let worst = 0;
  for (const name of args) {
    const api = await connect(networkInfo.nodesByName[name].wsUri);
    const { best, fin } = await heights(api);
    console.log(`finality-lag ${name}: best #${best}, finalized #${fin}, lag ${best - fin}`);
    worst = Math.max(worst, best - fin);
    await api.disconnect();
  }
  return worst;
}

module.exports = { run };
