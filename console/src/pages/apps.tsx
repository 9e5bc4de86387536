/** App store: the published images with version, publisher, verification state and fee; publish one. */
import type { ApiPromise } from '@polkadot/api';
import type { u128 } from '@polkadot/types';
import { useState } from 'preact/hooks';
import { useApi, useFinalized } from '../chain';
import { TxStatus } from '../components/TxStatus';
import { formatUra, parseUra, shortAddress } from '../format';
import { images } from '../market';
import { submit, type TxState } from '../tx';
import type { Account } from '../wallet';

const MIB = 1 << 20;
const MAX_REF = 128;

interface Publish {
  name: string;
  version: string;
  digest: string;
  sizeMib: string;
  cpu: string;
  memoryMib: string;
  fee: string;
}

const EMPTY: Publish = { name: '', version: '', digest: '', sizeMib: '', cpu: '100', memoryMib: '16', fee: '0' };

/** The `publish_image` arguments the form describes, or why it is not one. */
function parsePublish(f: Publish) {
  const name = f.name.trim();
  const version = f.version.trim();
  if (!name || !version) throw new Error('Name and version are required.');
  if (name.length > MAX_REF || version.length > MAX_REF) throw new Error(`Name and version are at most ${MAX_REF} characters.`);
  const hex = f.digest.trim().replace(/^sha256:/, '').replace(/^0x/, '');
  if (!/^[0-9a-f]{64}$/i.test(hex)) throw new Error('The digest is the manifest\'s sha256: 64 hex digits (sha256:… or 0x…).');
  const whole = (t: string, what: string, min: number) => {
    if (!/^\d+$/.test(t.trim()) || Number(t) < min) throw new Error(`${what} must be a whole number of at least ${min}.`);
    return Number(t);
  };
  const sizeBytes = Math.ceil(Number(f.sizeMib) * MIB);
  if (!(sizeBytes > 0)) throw new Error('The size must be more than 0 MiB.');
  return {
    name, version, digest: `0x${hex.toLowerCase()}`, sizeBytes,
    spec: { cpuMillicores: whole(f.cpu, 'CPU (millicores)', 1), memoryBytes: whole(f.memoryMib, 'Memory (MiB)', 1) * MIB, storageBytes: 0, bandwidthBps: 0 },
    fee: parseUra(f.fee),
  };
}

function PublishForm({ api, account, known, onDone }: { api: ApiPromise; account: Account | null; known: string[]; onDone: () => void }) {
  const [form, setForm] = useState<Publish>(EMPTY);
  const [problem, setProblem] = useState<string | null>(null);
  const [tx, setTx] = useState<TxState | null>(null);
  const busy = tx !== null && tx.stage !== 'finalized' && tx.stage !== 'failed';
  const set = (k: keyof Publish) => (e: Event) => setForm((f) => ({ ...f, [k]: (e.target as HTMLInputElement).value }));
  const onPublish = async (e: Event) => {
    e.preventDefault();
    if (!account) { setProblem('Choose an account first.'); return; }
    let p;
    try { p = parsePublish(form); } catch (err) { setProblem((err as Error).message); return; }
    if (known.includes(`sha256:${p.digest.slice(2)}`)) { setProblem('An image with this digest is already published (registry.ImageExists).'); return; }
    const deposit = (api.consts.registry.imageDeposit as u128).toBigInt();
    const { data } = await api.query.system.account(account.address);
    if (deposit > data.free.toBigInt()) { setProblem(`Not enough funds for the image deposit of ${formatUra(deposit)}.`); return; }
    setProblem(null);
    const end = await submit(api, account, api.tx.registry.publishImage(p.name, p.version, p.digest, p.sizeBytes, p.spec, p.fee), setTx);
    if (end.stage === 'finalized') onDone();
  };
  const field = (k: keyof Publish, label: string, size = 10) => (
    <label>{label} <input data-testid={`publish-${k}`} value={form[k]} onInput={set(k)} size={size} /></label>
  );
  return (
    <section>
      <h2>Publish an image</h2>
      <p class="muted">The image must be in an OCI registry the providers can pull from; the digest is its manifest's sha256. It can be leased once governance verifies it. A deposit is held while it is listed.</p>
      <form class="row" onSubmit={onPublish}>
        {field('name', 'Name (registry/repository)', 28)}
        {field('version', 'Version', 8)}
        {field('digest', 'Digest', 30)}
        {field('sizeMib', 'Size (MiB)', 6)}
        {field('cpu', 'Min CPU (millicores)', 6)}
        {field('memoryMib', 'Min memory (MiB)', 6)}
        {field('fee', 'Fee per lease (URA)', 8)}
        <button type="submit" disabled={busy} data-testid="publish-submit">Publish</button>
      </form>
      {problem && <p class="error" data-testid="publish-problem">{problem}</p>}
      <TxStatus state={tx} />
    </section>
  );
}

/** The app store page. */
export function AppsPage({ account }: { account: Account | null }) {
  const api = useApi();
  const [tick, setTick] = useState(0);
  const [list, error] = useFinalized(api, () => images(), [tick]);
  return (
    <>
      <section>
        <h2>Images</h2>
        {error && <p class="error">{error}</p>}
        {list && list.length === 0 && <p class="muted">No images published yet.</p>}
        <table data-testid="images">
          <thead><tr><th>Image</th><th>Version</th><th>Publisher</th><th>State</th><th class="num">Size</th><th class="num">Fee per lease</th><th>Digest</th></tr></thead>
          <tbody>
            {(list ?? []).map((i) => (
              <tr key={i.digest} data-digest={i.digest}>
                <td>{i.name}</td>
                <td>{i.version}</td>
                <td class="mono" title={i.publisher}>{shortAddress(i.publisher)}</td>
                <td data-col="status">{i.status}</td>
                <td class="num">{(i.sizeBytes / MIB).toFixed(1)} MiB</td>
                <td class="num" data-col="fee" data-planck={String(i.fee)}>{formatUra(BigInt(i.fee), 6)}</td>
                <td class="mono" title={i.digest}>{i.digest.slice(0, 19)}…</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <PublishForm api={api} account={account} known={(list ?? []).map((i) => i.digest)} onDone={() => setTick((t) => t + 1)} />
    </>
  );
}
