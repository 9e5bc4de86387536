/** Amounts: the chain counts in planck, 10^12 planck = 1 URA. */

/** Decimals of URA. */
export const DECIMALS = 12;
const UNIT = 10n ** BigInt(DECIMALS);

/** `planck` as URA with up to `digits` decimals and thousands separators, e.g. "1,234.5 URA". */
export function formatUra(planck: bigint, digits = 4): string {
  const negative = planck < 0n;
  const abs = negative ? -planck : planck;
  const whole = abs / UNIT;
  const frac = (abs % UNIT).toString().padStart(DECIMALS, '0').slice(0, digits).replace(/0+$/, '');
  const text = whole.toLocaleString('en-US') + (frac ? `.${frac}` : '');
  return `${negative ? '-' : ''}${text} URA`;
}

/** Parses a URA amount typed by a user ("12", "0.5", "1,000") into planck. */
export function parseUra(text: string): bigint {
  const clean = text.replace(/[,_\s]/g, '').replace(/URA$/i, '');
  if (!/^\d+(\.\d+)?$/.test(clean)) throw new Error(`"${text}" is not an amount of URA`);
  const [whole, frac = ''] = clean.split('.');
  if (frac.length > DECIMALS) throw new Error(`at most ${DECIMALS} decimals`);
  return BigInt(whole) * UNIT + BigInt(frac.padEnd(DECIMALS, '0'));
}

/** A shortened account address for tables. */
export function shortAddress(address: string): string {
  return address.length > 14 ? `${address.slice(0, 6)}…${address.slice(-6)}` : address;
}
