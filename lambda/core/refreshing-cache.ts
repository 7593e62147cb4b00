/**
 * A per-container cache of one value (the webhook token secret) with:
 * - a TTL, after which the next read reloads;
 * - single flight: concurrent readers on a cold or expired cache share one load;
 * - forced refresh (after an authentication failure, to pick up a rotation at once), at most
 *   once per `minForcedRefreshIntervalMs`, so forged requests cannot turn into one Secrets
 *   Manager call each;
 * - stale-if-error on TTL reloads: a token that was valid a moment ago is better than a 503 for
 *   every delivery while Secrets Manager has a blip. A forced refresh that fails does throw,
 *   because then the caller cannot tell a forged delivery from one signed with a newer token.
 *
 * Powertools' parameters cache was considered; it has no single flight across concurrent
 * callers nor a rate-limited forced refresh, which are the point here.
 */
export type LoadKind = 'initial' | 'expired' | 'forced';

export interface RefreshingCacheOptions<T> {
  readonly load: () => Promise<T>;
  readonly ttlMs: number;
  readonly minForcedRefreshIntervalMs: number;
  readonly now?: () => number;
  readonly onLoad?: (kind: LoadKind) => void;
  readonly onStaleServed?: (error: unknown) => void;
}

export class RefreshingCache<T> {
  private value: { readonly data: T } | undefined;
  private expiresAt = 0;
  private inFlight: Promise<T> | undefined;
  private lastForcedRefreshAt = Number.NEGATIVE_INFINITY;
  private readonly now: () => number;

  constructor(private readonly options: RefreshingCacheOptions<T>) {
    this.now = options.now ?? Date.now;
  }

  /** The cached value while fresh; otherwise one shared reload (stale value if that reload fails). */
  async get(): Promise<T> {
    if (this.value && this.now() < this.expiresAt) return this.value.data;
    const stale = this.value;
    const load = this.inFlight ?? this.startLoad(stale ? 'expired' : 'initial');
    try {
      return await load;
    } catch (error) {
      if (!stale) throw error;
      // Try again after the forced-refresh interval rather than on every request meanwhile.
      this.expiresAt = this.now() + this.options.minForcedRefreshIntervalMs;
      this.options.onStaleServed?.(error);
      return stale.data;
    }
  }

  /**
   * Reloads unless a forced refresh started less than `minForcedRefreshIntervalMs` ago; joins a
   * load in flight. Resolves `refreshed: false` (and the cached value) when rate-limited.
   */
  async refresh(): Promise<{ readonly refreshed: boolean; readonly value: T | undefined }> {
    if (this.inFlight) return { refreshed: true, value: await this.inFlight };
    if (this.now() - this.lastForcedRefreshAt < this.options.minForcedRefreshIntervalMs) {
      return { refreshed: false, value: this.value?.data };
    }
    this.lastForcedRefreshAt = this.now();
    return { refreshed: true, value: await this.startLoad('forced') };
  }

  private startLoad(kind: LoadKind): Promise<T> {
    this.options.onLoad?.(kind);
    const load = this.options.load().then(
      (data) => {
        this.value = { data };
        this.expiresAt = this.now() + this.options.ttlMs;
        return data;
      },
    );
    this.inFlight = load;
    const clear = () => {
      if (this.inFlight === load) this.inFlight = undefined;
    };
    load.then(clear, clear);
    return load;
  }
}
