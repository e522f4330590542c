/**
 * The model's stand-in for the kernel's random numbers (get_random_u32_below(),
 * include/linux/random.h): xorshift32 from a seed, so every run of a scenario repeats.
 */
export class Xorshift32 {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0 || 1;
  }

  /** a number in [0, n) */
  below(n: number): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state % n;
  }
}
