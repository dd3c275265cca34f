/**
 * Seeded randomness. Everything the generator writes comes from these, never from Math.random, so one
 * seed gives byte-identical files on every machine. Per-user streams are seeded from (seed, user, salt),
 * which lets a user's rows be produced without having produced anyone else's.
 */

/** A 32-bit avalanche hash of up to three integers (murmur3's finaliser applied per part). */
export function mix(a: number, b = 0, c = 0): number {
  let h = Math.imul((a ^ 0x9e3779b9) >>> 0, 0x85ebca6b);
  h ^= h >>> 16;
  h = Math.imul(h ^ b, 0xc2b2ae35);
  h ^= h >>> 13;
  h = Math.imul(h ^ c, 0x85ebca6b);
  h ^= h >>> 16;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 13;
  return h >>> 0;
}

/** mulberry32: one 32-bit word of state, fast, and plenty for synthetic data. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  reseed(seed: number): this {
    this.state = seed >>> 0;
    return this;
  }

  uint32(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.uint32() / 4294967296;
  }

  /** Uniform integer in [lo, hi], both included. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** Uniform integer in [lo, hi); lo when the range is empty. */
  between(lo: number, hi: number): number {
    return hi <= lo ? lo : lo + Math.floor(this.next() * (hi - lo));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** Index into `weights`, chosen in proportion to them. */
  weighted(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    let r = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i];
      if (r < 0) return i;
    }
    return weights.length - 1;
  }
}

/** Salts keep the streams of different concerns apart, so adding draws to one never shifts another. */
export const SALT = {
  workforce: 0x57f0,
  catalogue: 0xca7a,
  sessions: 0x5e55,
  user: 0x05e2,
  mixedTime: 0x7153,
} as const;
