/**
 * A per-container cache of one value (the webhook token secret) with:
 * - a TTL, after which the next read reloads;
 * - single flight: concurrent readers on a cold or expired cache share one load;
 * - stale-if-error on TTL reloads: a token that was valid a moment ago is better than a 503 for
 *   every delivery while Secrets Manager has a blip;
 * - `refreshSince(generation)`: after an authentication failure, a value from a load that
 *   started after the caller took `generation` - so a delivery signed with a just-rotated token
 *   is checked against a secret read after it arrived. Forced loads happen at most once per
 *   `minForcedRefreshIntervalMs`; a caller that comes too early WAITS for the next allowed load
 *   (shared by everyone waiting) instead of being refused. Forged requests therefore cost at most
 *   one Secrets Manager call per interval, and cannot starve genuine deliveries of a refresh
 *   right after a rotation. A failed forced load rejects: the caller cannot then tell a forged
 *   delivery from one signed with a newer token, and must answer 503.
 *
 * Powertools' parameters cache was considered; it has neither single flight across concurrent
 * callers nor a rate-limited forced refresh, which are the point here.
 */
export type LoadKind = 'initial' | 'expired' | 'forced';

export interface RefreshingCacheOptions<T> {
  readonly load: () => Promise<T>;
  readonly ttlMs: number;
  readonly minForcedRefreshIntervalMs: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly onLoad?: (kind: LoadKind) => void;
  readonly onStaleServed?: (error: unknown) => void;
}

export class RefreshingCache<T> {
  private value: { readonly data: T } | undefined;
  private expiresAt = 0;
  private inFlight: Promise<T> | undefined;
  /** The most recent load (settled or not) and its sequence number. */
  private lastLoad: Promise<T> | undefined;
  private loadsStarted = 0;
  private lastForcedRefreshAt = Number.NEGATIVE_INFINITY;
  private scheduledRefresh: Promise<T> | undefined;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: RefreshingCacheOptions<T>) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Sequence number of the newest load started so far; take it before `get()`. */
  generation(): number {
    return this.loadsStarted;
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

  /** A value from a load started after `generation` was taken (see the class comment). */
  refreshSince(generation: number): Promise<T> {
    if (this.loadsStarted > generation && this.lastLoad) return this.lastLoad;
    if (this.scheduledRefresh) return this.scheduledRefresh;
    const wait = this.lastForcedRefreshAt + this.options.minForcedRefreshIntervalMs - this.now();
    if (wait <= 0) return this.forcedLoad();
    const scheduled = this.sleep(wait).then(() => {
      this.scheduledRefresh = undefined;
      return this.forcedLoad();
    });
    this.scheduledRefresh = scheduled;
    return scheduled;
  }

  /** Always a new load: one already in flight may have started before the caller's generation. */
  private forcedLoad(): Promise<T> {
    this.lastForcedRefreshAt = this.now();
    return this.startLoad('forced');
  }

  private startLoad(kind: LoadKind): Promise<T> {
    this.loadsStarted++;
    this.options.onLoad?.(kind);
    const load = this.options.load().then((data) => {
      this.value = { data };
      this.expiresAt = this.now() + this.options.ttlMs;
      return data;
    });
    this.inFlight = load;
    this.lastLoad = load;
    const clear = () => {
      if (this.inFlight === load) this.inFlight = undefined;
    };
    load.then(clear, clear);
    return load;
  }
}
