/** The node's market and registry views (`market_*`, `registry_*` JSON-RPC); balances are decimal strings. */
import { rpc } from './chain';

/** Resources of one replica. */
export interface ResourceSpec {
  cpuMillicores: number;
  memoryBytes: number;
  storageBytes: number;
  bandwidthBps: number;
}

/** Prices per unit (planck): CPU core-second, memory GiB-second, network MiB, storage GiB-second. */
export interface Prices {
  cpuCoreSecond: string;
  memoryGibSecond: string;
  networkMib: string;
  storageGibSecond: string;
}

/** A published image. */
export interface ImageView {
  digest: string;
  publisher: string;
  name: string;
  version: string;
  sizeBytes: number;
  minResources: ResourceSpec;
  fee: string;
  status: 'pending' | 'verified' | 'rejected' | string;
}

/** What an order would hold now and at which prices it would lease. */
export interface QuoteView {
  prices: Prices;
  withinCaps: boolean;
  imageFee: string;
  escrowPerReplica: string;
  escrow: string;
  perBlockAtPrices: string;
}

/** An order. */
export interface OrderView {
  id: number;
  owner: string;
  image: string;
  spec: ResourceSpec;
  replicas: number;
  maxBlocks: number;
  prepaidBlocks: number;
  held: string;
  waiting: number;
  leases: number[];
}

/** A lease's dispute: none, open (amount held from the provider), resolved or lapsed. */
export type DisputeView =
  | { state: 'none' }
  | { state: 'open'; amount: string; at: number }
  | { state: 'resolved'; refunded: string; slashed: string }
  | { state: 'lapsed'; released: string };

/** A lease with its metering. */
export interface LeaseView {
  id: number;
  order: number;
  user: string;
  provider: string;
  machine: number;
  state: string;
  prices: Prices;
  imageFee: string;
  assignedAt: number;
  startedAt: number | null;
  endsAt: number | null;
  endedAt: number | null;
  exitCode: number | null;
  /** Why it failed, when it did (e.g. `imagePull`). */
  endCause: string | null;
  result: string;
  /** The user's 1–5 stars, once rated. */
  rating: number | null;
  /** The user's dispute. */
  dispute: DisputeView;
  usage: {
    seq: number;
    counters: { cpuMicros: number; memoryByteSeconds: number; netBytes: number; wallMillis: number };
    charged: string;
    cap: string;
    allotment: string;
    left: string;
  };
}

/** The first 100 images in digest order. */
export const images = () => rpc<ImageView[]>('registry_images', [null, 100]);

/** A quote for `replicas` × `spec` of `image`, prepaying `prepaid` blocks at `caps` (numbers). */
export const quote = (image: string, spec: ResourceSpec, replicas: number, prepaid: number, caps: Record<keyof Prices, number>) =>
  rpc<QuoteView | null>('market_quote', [image, spec, replicas, prepaid, caps]);

/** `owner`'s orders, newest last (up to 100). */
export const ordersOf = (owner: string) => rpc<OrderView[]>('market_orders', [owner, null, 100]);

/** One lease, at the best block or at block `at` (a hash). */
export const lease = (id: number, at?: string) => rpc<LeaseView | null>('market_lease', at ? [id, at] : [id]);

/** The leases of `order`. */
export const leasesOf = (order: number) => rpc<LeaseView[]>('market_leases', [order, null, null, 100]);

/** A registered provider. */
export interface ProviderView {
  account: string;
  name: string;
  region: string;
  machines: number;
}

/** A container a machine offers. */
export interface ContainerView {
  id: number;
  machine: number;
  spec: ResourceSpec;
}

/** A registered machine with its containers. */
export interface MachineView {
  id: number;
  owner: string;
  cpuModel: string;
  arch: string;
  logicalCores: number;
  cpuMhz: number;
  memoryBytes: number;
  storageBytes: number;
  uplinkBps: number;
  lastHeartbeat: number;
  online: boolean;
  containers: ContainerView[];
}

/** A container's PoC score, decayed to the block (numbers or decimal strings). */
export interface ScoreView {
  owner: string;
  basic: string | number;
  service: string | number;
  chain: string | number;
  total: string | number;
  tier: number | null;
}

/** σ of one resource (value 1,000,000 = 1). */
export interface SigmaView {
  resource: string;
  sigma: { value: number | string; min: number | string; max: number | string };
  supply: string | number;
}

/** A provider's PoC rewards. */
export interface PendingRewards {
  claimable: string | number;
  period: number;
  accruingScoreBlocks: string | number;
  periodScoreBlocks: string | number;
  periodPool: string | number;
}

/** The first 100 providers. */
export const providers = () => rpc<ProviderView[]>('registry_providers', [null, 100]);
/** The first 100 machines. */
export const machines = () => rpc<MachineView[]>('registry_machines', [null, null, 100]);
/** A container's PoC score. */
export const score = (container: number, at?: string) => rpc<ScoreView | null>('poc_score', at ? [container, at] : [container]);
/** σ of every resource. */
export const sigmas = (at?: string) => rpc<SigmaView[]>('poc_sigmas', at ? [at] : []);
/** `who`'s PoC rewards. */
export const pendingRewards = (who: string) => rpc<PendingRewards>('poc_pendingRewards', [who]);
