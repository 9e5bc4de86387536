/**
 * Uranus Console: connects to a node (`?rpc=ws://…`, default ws://127.0.0.1:9944), offers the
 * accounts that can sign, and routes between pages by the URL hash.
 */
import type { ApiPromise } from '@polkadot/api';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiContext, connect, endpoint } from './chain';
import { shortAddress } from './format';
import { AppsPage } from './pages/apps';
import { LeasePage } from './pages/lease';
import { MarketPage } from './pages/market';
import { NetworkPage } from './pages/network';
import { ProvidersPage } from './pages/providers';
import { type Account, devAccounts, extensionAccounts } from './wallet';

const PAGES: Record<string, string> = { network: 'Network', providers: 'Providers', apps: 'App store', market: 'Market' };

/** The URL hash's path segments, e.g. ["lease", "3"]; ["network"] when empty. */
function useRoute(): string[] {
  const read = () => {
    const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean);
    return parts.length ? parts : ['network'];
  };
  const [route, setRoute] = useState<string[]>(read);
  useEffect(() => {
    const on = () => setRoute(read());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

function AccountPicker({ accounts, account, onChange }: { accounts: Account[]; account: Account | null; onChange: (a: Account | null) => void }) {
  if (accounts.length === 0) return <span class="muted">no accounts (install the polkadot.js extension)</span>;
  return (
    <select data-testid="account" value={account?.address ?? ''} onChange={(e) => onChange(accounts.find((a) => a.address === (e.target as HTMLSelectElement).value) ?? null)}>
      <option value="">choose an account</option>
      {accounts.map((a) => <option key={a.address} value={a.address}>{a.name} {shortAddress(a.address)}</option>)}
    </select>
  );
}

function App() {
  const [api, setApi] = useState<ApiPromise | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  const [accounts, setAccounts] = useState<Account[]>([]);
  const [account, setAccount] = useState<Account | null>(null);
  const [chain, setChain] = useState('');
  const [route, arg] = useRoute();

  useEffect(() => {
    connect(endpoint()).then(async (a) => {
      setApi(a);
      setChain(`${(await a.rpc.system.chain()).toString()} · spec ${a.runtimeVersion.specVersion.toNumber()}`);
      const dev = await devAccounts(a);
      setAccounts(dev);
      extensionAccounts(a).then((ext) => setAccounts([...ext, ...dev])).catch(() => {});
    }, (e) => setFailed(`Cannot reach the node at ${endpoint()}: ${e?.message ?? e}`));
  }, []);

  if (failed) return <main><p class="error">{failed}</p></main>;
  if (!api) return <main><p class="muted">Connecting to {endpoint()}…</p></main>;
  return (
    <ApiContext.Provider value={api}>
      <header>
        <h1>Uranus Console</h1>
        <nav>
          {Object.entries(PAGES).map(([id, name]) => <a key={id} href={`#/${id}`} class={route === id ? 'active' : ''}>{name}</a>)}
        </nav>
        <span class="chain" data-testid="chain">{chain}</span>
        <AccountPicker accounts={accounts} account={account} onChange={setAccount} />
      </header>
      <main>
        {route === 'network' && <NetworkPage account={account} />}
        {route === 'providers' && <ProvidersPage account={account} />}
        {route === 'apps' && <AppsPage account={account} />}
        {route === 'market' && <MarketPage account={account} />}
        {route === 'lease' && <LeasePage id={Number(arg)} account={account} />}
        {!(route in PAGES) && route !== 'lease' && <p class="error">No page "{route}".</p>}
      </main>
    </ApiContext.Provider>
  );
}

const root = document.getElementById('app')!;
root.textContent = '';
render(<App />, root);
