/**
 * Market: place an order with a live `market_quote` (the cost is shown before signing), and the
 * account's orders with their leases.
 */
import type { ApiPromise } from '@polkadot/api';
import type { u128 } from '@polkadot/types';
import { useEffect, useState } from 'preact/hooks';
import { useApi, useFinalized, useHeads } from '../chain';
import { TxStatus } from '../components/TxStatus';
import { formatUra } from '../format';
import { images, ordersOf, leasesOf, quote, type ImageView, type Prices, type QuoteView, type ResourceSpec } from '../market';
import { submit, type TxState } from '../tx';
import type { Account } from '../wallet';

const MIB = 1 << 20;

/** The order form's fields, as typed. */
interface Form {
  image: string;
  cpu: string;
  memoryMib: string;
  storageMib: string;
  maxBlocks: string;
  prepaid: string;
  script: string;
  capFactor: string;
}

const START: Form = { image: '', cpu: '500', memoryMib: '64', storageMib: '16', maxBlocks: '200', prepaid: '100', script: '', capFactor: '2' };

/** A whole number ≥ `min` typed in field `name`, or an error. */
function whole(text: string, name: string, min = 0): number {
  if (!/^\d+$/.test(text.trim())) throw new Error(`${name}: "${text}" is not a whole number`);
  const n = Number(text);
  if (n < min) throw new Error(`${name} must be at least ${min}`);
  return n;
}

/** The order the form describes, or why it is not one yet. */
function parseForm(f: Form): { spec: ResourceSpec; maxBlocks: number; prepaid: number; capFactor: number; command: string[] } {
  const spec = {
    cpuMillicores: whole(f.cpu, 'CPU (millicores)', 1),
    memoryBytes: whole(f.memoryMib, 'Memory (MiB)', 1) * MIB,
    storageBytes: whole(f.storageMib, 'Storage (MiB)') * MIB,
    bandwidthBps: 0,
  };
  const maxBlocks = whole(f.maxBlocks, 'Blocks', 1);
  const prepaid = whole(f.prepaid, 'Prepaid blocks', 1);
  if (prepaid > maxBlocks) throw new Error('Prepaid blocks cannot exceed the blocks the job may run.');
  const capFactor = whole(f.capFactor, 'Price cap (× current prices)', 1);
  return { spec, maxBlocks, prepaid, capFactor, command: f.script.trim() ? ['/bin/sh', '-c', f.script] : [] };
}

/** Caps at `factor` × the current prices. */
function capsAt(prices: Prices, factor: number): Record<keyof Prices, number> {
  const f = BigInt(factor);
  const cap = (p: string) => Number(BigInt(p) * f);
  return { cpuCoreSecond: cap(prices.cpuCoreSecond), memoryGibSecond: cap(prices.memoryGibSecond), networkMib: cap(prices.networkMib), storageGibSecond: cap(prices.storageGibSecond) };
}

/** The current prices for `spec` of `image` (quoted against caps no price reaches). */
async function currentPrices(api: ApiPromise, image: string, spec: ResourceSpec): Promise<Prices | null> {
  const base = (await api.query.market.basePrices()).toJSON() as Record<keyof Prices, number>;
  const loose = Object.fromEntries(Object.entries(base).map(([k, v]) => [k, Number(v) * 1000])) as Record<keyof Prices, number>;
  const q = await quote(image, spec, 1, 1, loose);
  return q ? q.prices : null;
}

/** The quote of the form's order, or why there is none. */
async function quoteForm(api: ApiPromise, f: Form): Promise<{ quote: QuoteView; caps: Record<keyof Prices, number> } | { problem: string }> {
  if (!f.image) return { problem: 'Choose an image.' };
  let order;
  try { order = parseForm(f); } catch (e) { return { problem: (e as Error).message }; }
  const prices = await currentPrices(api, f.image, order.spec);
  if (!prices) return { problem: 'No such image on chain.' };
  const caps = capsAt(prices, order.capFactor);
  const q = await quote(f.image, order.spec, 1, order.prepaid, caps);
  return q ? { quote: q, caps } : { problem: 'No such image on chain.' };
}

/** Why the order cannot be placed by `account`, or null. */
async function checkOrder(api: ApiPromise, account: Account, image: ImageView | undefined, q: QuoteView): Promise<string | null> {
  if (!image) return 'Choose an image.';
  if (image.status !== 'verified') {
    return `The image ${image.name}:${image.version} is ${image.status === 'pending' ? 'not verified yet' : 'rejected'}: the market runs verified images only (market.ImageNotVerified).`;
  }
  if (!q.withinCaps) return 'The current prices are above your price cap: raise the cap.';
  const { data } = await api.query.system.account(account.address);
  const deposit = (api.consts.market.orderDeposit as u128).toBigInt();
  const needed = BigInt(q.escrow) + BigInt(q.imageFee) + deposit;
  if (needed > data.free.toBigInt()) {
    return `Not enough funds: the order holds ${formatUra(needed)} (escrow, image fee and the order deposit), and this account has ${formatUra(data.free.toBigInt())} free.`;
  }
  return null;
}

function Field({ label, id, value, onInput }: { label: string; id: keyof Form; value: string; onInput: (id: keyof Form, v: string) => void }) {
  return (
    <label>
      {label}{' '}
      <input data-testid={`order-${id}`} value={value} onInput={(e) => onInput(id, (e.target as HTMLInputElement).value)} size={id === 'script' ? 40 : 8} />
    </label>
  );
}

function OrderForm({ api, account, onPlaced }: { api: ApiPromise; account: Account | null; onPlaced: () => void }) {
  const [form, setForm] = useState<Form>(START);
  const [imageList] = useFinalized(api, () => images(), []);
  const [quoted, setQuoted] = useState<Awaited<ReturnType<typeof quoteForm>> | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [tx, setTx] = useState<TxState | null>(null);
  const busy = tx !== null && tx.stage !== 'finalized' && tx.stage !== 'failed';
  // Re-quoted at every finalized block: σ and so the prices move.
  const { finalized } = useHeads(api);

  useEffect(() => {
    let alive = true;
    quoteForm(api, form).then((q) => { if (alive) setQuoted(q); }, (e) => { if (alive) setQuoted({ problem: String(e?.message ?? e) }); });
    return () => { alive = false; };
  }, [api, form, finalized]);

  const set = (id: keyof Form, v: string) => setForm((f) => ({ ...f, [id]: v }));
  const onPlace = async (e: Event) => {
    e.preventDefault();
    if (!account) { setProblem('Choose an account first.'); return; }
    const q = await quoteForm(api, form);
    if ('problem' in q) { setProblem(q.problem); return; }
    const image = imageList?.find((i) => i.digest === form.image);
    const why = await checkOrder(api, account, image, q.quote);
    setProblem(why);
    if (why) return;
    const order = parseForm(form);
    const digest = `0x${form.image.replace(/^sha256:/, '')}`;
    const call = api.tx.market.placeOrder(digest, order.spec, order.command, 1, order.maxBlocks, order.prepaid, q.caps, [], false);
    const end = await submit(api, account, call, setTx);
    if (end.stage === 'finalized') onPlaced();
  };

  return (
    <section>
      <h2>Place an order</h2>
      <form class="row" onSubmit={onPlace}>
        <label>
          Image{' '}
          <select data-testid="order-image" value={form.image} onChange={(e) => set('image', (e.target as HTMLSelectElement).value)}>
            <option value="">choose an image</option>
            {(imageList ?? []).map((i) => (
              <option key={i.digest} value={i.digest}>
                {i.name}:{i.version}{i.status !== 'verified' ? ` (${i.status})` : ''} · fee {formatUra(BigInt(i.fee), 6)}
              </option>
            ))}
          </select>
        </label>
        <Field label="CPU (millicores)" id="cpu" value={form.cpu} onInput={set} />
        <Field label="Memory (MiB)" id="memoryMib" value={form.memoryMib} onInput={set} />
        <Field label="Storage (MiB)" id="storageMib" value={form.storageMib} onInput={set} />
        <Field label="Blocks" id="maxBlocks" value={form.maxBlocks} onInput={set} />
        <Field label="Prepaid blocks" id="prepaid" value={form.prepaid} onInput={set} />
        <Field label="Price cap (×)" id="capFactor" value={form.capFactor} onInput={set} />
        <Field label="Command (sh -c)" id="script" value={form.script} onInput={set} />
        <button type="submit" disabled={busy} data-testid="order-submit">Place order</button>
      </form>
      <Quote quoted={quoted} />
      {problem && <p class="error" data-testid="order-problem">{problem}</p>}
      <TxStatus state={tx} />
    </section>
  );
}

function Quote({ quoted }: { quoted: Awaited<ReturnType<typeof quoteForm>> | null }) {
  if (!quoted) return <p class="muted">Quoting…</p>;
  if ('problem' in quoted) return <p class="muted" data-testid="quote-problem">{quoted.problem}</p>;
  const q = quoted.quote;
  const total = BigInt(q.escrow) + BigInt(q.imageFee);
  return (
    <p data-testid="quote" data-escrow={q.escrow}>
      Holds <b>{formatUra(total, 6)}</b> now: escrow {formatUra(BigInt(q.escrow), 6)} + image fee {formatUra(BigInt(q.imageFee), 6)};
      up to {formatUra(BigInt(q.perBlockAtPrices), 8)} per block at today's prices
      {q.withinCaps ? '' : ' — above your price cap'}. Unused escrow comes back when the lease ends.
    </p>
  );
}

function Orders({ api, account, tick }: { api: ApiPromise; account: Account; tick: number }) {
  const [orders, error] = useFinalized(api, async () => {
    const list = await ordersOf(account.address);
    return Promise.all(list.map(async (o) => ({ order: o, leases: await leasesOf(o.id) })));
  }, [account.address, tick]);
  return (
    <section>
      <h2>Your orders</h2>
      {error && <p class="error">{error}</p>}
      {orders && orders.length === 0 && <p class="muted">No orders yet.</p>}
      <table data-testid="orders">
        <thead><tr><th>Order</th><th>Image</th><th>Lease</th><th>State</th><th class="num">Charged</th></tr></thead>
        <tbody>
          {(orders ?? []).flatMap(({ order, leases }) =>
            (leases.length ? leases : [null]).map((l) => (
              <tr key={`${order.id}-${l?.id ?? 'waiting'}`} data-order={order.id}>
                <td>#{order.id}</td>
                <td class="mono">{order.image.slice(0, 19)}…</td>
                <td>{l ? <a href={`#/lease/${l.id}`} data-testid={`lease-link-${l.id}`}>#{l.id}</a> : 'waiting for a machine'}</td>
                <td>{l?.state ?? '–'}</td>
                <td class="num">{l ? formatUra(BigInt(l.usage.charged), 6) : '–'}</td>
              </tr>
            )))}
        </tbody>
      </table>
    </section>
  );
}

/** The market page. */
export function MarketPage({ account }: { account: Account | null }) {
  const api = useApi();
  const [tick, setTick] = useState(0);
  return (
    <>
      <OrderForm api={api} account={account} onPlaced={() => setTick((t) => t + 1)} />
      {account ? <Orders api={api} account={account} tick={tick} /> : <section><p class="muted">Choose an account to see its orders.</p></section>}
    </>
  );
}
