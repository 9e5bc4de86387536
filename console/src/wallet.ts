/**
 * Accounts that can sign: the polkadot.js browser extension's, and on development chains only
 * the well-known dev accounts (their keys are public: never offered on a live chain).
 */
import type { ApiPromise } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import type { KeyringPair } from '@polkadot/keyring/types';
import type { Signer } from '@polkadot/types/types';
import { cryptoWaitReady } from '@polkadot/util-crypto';

/** An account the console can sign with. */
export interface Account {
  /** SS58 address. */
  address: string;
  /** What the user calls it. */
  name: string;
  /** Where its key lives. */
  source: 'dev' | 'extension';
  /** The key pair of a dev account. */
  pair?: KeyringPair;
  /** The key's signature scheme (`sr25519`, `ed25519`), where the extension tells. */
  scheme?: string;
}

const DEV_NAMES = ['Alice', 'Bob', 'Charlie', 'Dave', 'Eve', 'Ferdie'];

/** The dev accounts, if the chain is a development or local chain; none otherwise. */
export async function devAccounts(api: ApiPromise): Promise<Account[]> {
  const type = await api.rpc.system.chainType();
  if (!type.isDevelopment && !type.isLocal) return [];
  await cryptoWaitReady();
  const keyring = new Keyring({ type: 'sr25519', ss58Format: api.registry.chainSS58 });
  return DEV_NAMES.map((name) => {
    const pair = keyring.addFromUri(`//${name}`, { name });
    return { address: pair.address, name: `${name} (dev)`, source: 'dev' as const, pair };
  });
}

/** The accounts the polkadot.js extension shares with this page (none without it). */
export async function extensionAccounts(api: ApiPromise): Promise<Account[]> {
  const { web3Enable, web3Accounts } = await import('@polkadot/extension-dapp');
  const extensions = await web3Enable('Uranus Console');
  if (extensions.length === 0) return [];
  const accounts = await web3Accounts({ ss58Format: api.registry.chainSS58 ?? 42 });
  return accounts.map((a) => ({ address: a.address, name: a.meta.name ?? a.address, source: 'extension' as const, scheme: a.type }));
}

/** What `signAndSend` takes for `account`: its pair, or its address and the extension's signer. */
export async function signingFor(account: Account): Promise<{ signer: KeyringPair | string; options: { signer?: Signer } }> {
  if (account.pair) return { signer: account.pair, options: {} };
  const { web3FromAddress } = await import('@polkadot/extension-dapp');
  const injected = await web3FromAddress(account.address);
  return { signer: account.address, options: { signer: injected.signer } };
}
