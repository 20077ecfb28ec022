/**
 * A small, fast, seedable random source (sfc32, seeded through splitmix32).
 * Same seed, same sequence, on every platform: the generator's `--seed` promise
 * rests on it. Never use `Math.random` in generation code.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.uint32();
  }

  /** A uniformly distributed unsigned 32-bit integer. */
  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.uint32() / 4294967296;
  }

  /** Uniform integer in [min, max] (both inclusive). */
  int(min: number, max: number): number {
    return min + Math.floor(this.float() * (max - min + 1));
  }

  /** Uniform real in [min, max). */
  uniform(min: number, max: number): number {
    return min + this.float() * (max - min);
  }

  /** Normally distributed (Box-Muller), optionally clamped to [min, max]. */
  normal(mean: number, stddev: number, min = -Infinity, max = Infinity): number {
    const u = 1 - this.float();
    const v = this.float();
    const x = mean + stddev * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    return Math.min(max, Math.max(min, x));
  }

  /** Exponentially distributed with the given mean (inter-arrival times of a Poisson process). */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.float());
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return p > 0 && this.float() < p;
  }

  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.float() * items.length)] as T;
  }

  /** A random (version 4) UUID, lower-case with dashes. */
  uuid(): string {
    const h = (n: number, len: number): string => n.toString(16).padStart(len, '0');
    const a = this.uint32();
    const b = this.uint32();
    const c = this.uint32();
    const d = this.uint32();
    return (
      h(a, 8) +
      '-' +
      h(b >>> 16, 4) +
      '-' +
      h(((b & 0x0fff) | 0x4000) >>> 0, 4) +
      '-' +
      h(((c >>> 16) & 0x3fff) | 0x8000, 4) +
      '-' +
      h(c & 0xffff, 4) +
      h(d, 8)
    );
  }

  /** A UUID without dashes (notigen's `XUUID`). */
  xuuid(): string {
    return this.uuid().replace(/-/g, '');
  }

  /** A dotted IPv4 address in 10.0.0.0/8 or 192.168.0.0/16 style ranges (never contacted). */
  ipv4(): string {
    return `10.${this.int(0, 255)}.${this.int(0, 255)}.${this.int(1, 254)}`;
  }

  /** An IPv6 address in the documentation prefix 2001:db8::/32. */
  ipv6(): string {
    const g = (): string => this.int(0, 0xffff).toString(16);
    return `2001:db8:${g()}:${g()}:${g()}:${g()}:${g()}:${g()}`;
  }

  /** An independent generator derived from this one (for sub-streams that must not shift each other). */
  fork(): Rng {
    return new Rng(this.uint32());
  }
}
