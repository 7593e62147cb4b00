/**
 * Counts every external effect of a rotator run (each HTTP exchange with Amani, each Secrets
 * Manager call, failed attempts included) and can "crash" the process right after the n-th one:
 * that effect lands, its answer is lost, and from then on nothing reaches the outside world,
 * exactly as if the Lambda had died there.
 */
export class EffectLog {
  readonly effects: string[] = [];
  /** Called after each effect landed (tests use it to act "between" two steps). */
  afterEffect: ((label: string) => void) | undefined;
  private crashAfter: number | undefined;
  private dead = false;

  crashAfterEffect(n: number | undefined): void {
    this.crashAfter = n;
    this.dead = false;
    this.effects.length = 0;
  }

  get crashed(): boolean {
    return this.dead;
  }

  async effect<T>(label: string, perform: () => Promise<T>, crashError: () => Error): Promise<T> {
    if (this.dead) throw crashError();
    let value: T;
    try {
      value = await perform();
    } catch (error) {
      this.count(label);
      if (this.dead) throw crashError();
      throw error;
    }
    this.count(label);
    if (this.dead) throw crashError();
    return value;
  }

  /** Node's fetch, with every exchange counted as one effect. */
  readonly fetch: typeof fetch = (input, init) =>
    this.effect(
      `${init?.method ?? 'GET'} ${new URL(String(input instanceof Request ? input.url : input)).pathname}`,
      async () => {
        const response = await fetch(input, init);
        // The whole answer is part of the exchange: read it here so that a crash loses all of it.
        const body = await response.arrayBuffer();
        return new Response([101, 204, 205, 304].includes(response.status) ? null : body, {
          status: response.status,
          statusText: response.statusText,
          headers: response.headers,
        });
      },
      () => new TypeError('fetch failed'),
    );

  private count(label: string): void {
    this.effects.push(label);
    this.afterEffect?.(label);
    if (this.crashAfter !== undefined && this.effects.length >= this.crashAfter) this.dead = true;
  }
}
