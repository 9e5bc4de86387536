// Arg "T": returns 1 if over T seconds blocks keep being produced but finality does not move.
const { connect, heights, sleep } = require('./common');

async function run(nodeName, networkInfo, args) {
  const t = Number(args[0]);
  const api = await connect(networkInfo.nodesByName[nodeName].wsUri);
  await sleep(10_000); // let in-flight rounds settle
  const start = await heights(api);
  await sleep(t * 1000);
  const end = await heights(api);
  console.log(`finality-stalls ${nodeName}: best #${start.best} -> #${end.best}, finalized #${start.fin} -> #${end.fin} over ${t} s (lag ${end.best - end.fin})`);
  await api.disconnect();
  return end.best > start.best && end.fin === start.fin ? 1 : 0;
}

module.exports = { run };
