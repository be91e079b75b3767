import { randomBytes } from 'node:crypto';

/** A uniform number in (0, 1) from the OS's CSPRNG: DP noise must not be predictable from Math.random's state. */
function uniform(): number {
  const bits = randomBytes(6).readUIntBE(0, 6) / 2 ** 48;
  return bits === 0 ? Number.MIN_VALUE : bits;
}

/** A sample of Laplace(0, scale) by inverse CDF. */
export function laplace(scale: number, random: () => number = uniform): number {
  const u = random() - 0.5;
  return -scale * Math.sign(u) * Math.log(1 - 2 * Math.abs(u));
}
