/**
 * A stand-in for Amani's management API (docs/amani-protocol.md) on a
 * real node:http server, 127.0.0.1 and a free port by default. It backs the rotator's and the
 * client's tests and, under `npm start`, plays the local Amani.
 *
 * Routes (a trailing slash is accepted):
 * - `POST /api/v2/user/login` `{username, password}` -> `{access, refresh}` (401 on bad credentials)
 * - `POST /api/v2/token/refresh/` `{refresh}` -> `{access}`
 * - `GET /api/v2/webhook/events` -> the event names
 * - `PUT /api/v2/webhook` `{url, signature_enabled, <event>: bool...}` -> the registration
 *   (create: unspecified events are disabled and a webhook token is generated; update: unspecified
 *   events keep their state and the token is kept)
 * - `GET /api/v2/webhook/token` -> `{token}`; `PATCH /api/v2/webhook/token` -> `{token}` (a new one;
 *   the old one stops being current at once). 404 while no webhook exists.
 * Every route but login and refresh needs `Authorization: Bearer <access or static user token>`.
 *
 * State: users, issued access tokens (expire them with `expireAccessTokens()`), the current
 * webhook token, the registration. Optionally persisted to a JSON file (`statePath`).
 *
 * Observability without secrets: `requests` records method, path, route, whether an
 * Authorization header was present and the fault applied, never a body or header value.
 *
 * Faults, per route, consumed one per matching request (`times`, after `skip` clean requests):
 * - `fail-before`: answer a status without applying (401 on login, 500 before rotating, 429 with
 *   `retryAfter`);
 * - `fail-after`: apply, then answer a status (500 after actually rotating);
 * - `hang-after`: apply, then answer normally only after `delayMs` (past the client's timeout);
 * - `delay`: wait `delayMs`, then apply and answer normally;
 * - `malformed-json`: apply, then answer with the body truncated by its last character (not JSON);
 * - `respond`: answer this status and raw body without applying (a contract change);
 * - `reset`: destroy the connection without an answer, `before` or `after` applying.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { AMANI_EVENTS } from '../lambda/core/amani-events';

export { AMANI_EVENTS };

export type SimulatorRoute = 'login' | 'refresh' | 'listEvents' | 'registerWebhook' | 'getToken' | 'rotateToken';

export const SIMULATOR_ROUTES: Readonly<Record<SimulatorRoute, { readonly method: string; readonly path: string }>> = {
  login: { method: 'POST', path: '/api/v2/user/login' },
  refresh: { method: 'POST', path: '/api/v2/token/refresh' },
  listEvents: { method: 'GET', path: '/api/v2/webhook/events' },
  registerWebhook: { method: 'PUT', path: '/api/v2/webhook' },
  getToken: { method: 'GET', path: '/api/v2/webhook/token' },
  rotateToken: { method: 'PATCH', path: '/api/v2/webhook/token' },
};

export type SimulatorFault =
  | { readonly kind: 'fail-before'; readonly status: number; readonly retryAfter?: string }
  | { readonly kind: 'fail-after'; readonly status: number }
  | { readonly kind: 'hang-after'; readonly delayMs: number }
  | { readonly kind: 'delay'; readonly delayMs: number }
  | { readonly kind: 'malformed-json' }
  | { readonly kind: 'respond'; readonly status: number; readonly body: string }
  | { readonly kind: 'reset'; readonly when: 'before' | 'after' };

export interface FaultSchedule {
  /** How many matching requests get the fault (default 1; `Infinity` for all). */
  readonly times?: number;
  /** Matching requests served normally before the fault starts (default 0). */
  readonly skip?: number;
}

export interface SimulatorUser {
  readonly username: string;
  readonly password: string;
}

export interface WebhookRegistrationState {
  readonly id: string;
  readonly url: string;
  readonly signature_enabled: boolean;
  readonly events: Readonly<Record<string, boolean>>;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly route: SimulatorRoute | undefined;
  /** Whether an Authorization header was sent (its value is not kept). */
  readonly authorization: boolean;
  /** The fault applied to this request, if any. */
  fault: SimulatorFault['kind'] | undefined;
  /** The status answered; `undefined` while hanging or when the connection was reset. */
  status?: number;
}

export interface AmaniSimulatorOptions {
  readonly users?: readonly SimulatorUser[];
  /** Bearer tokens accepted as they are (the credentials secret's `userToken` mode). */
  readonly userTokens?: readonly string[];
  /** The webhook token; when set, a webhook counts as registered (with no events enabled). */
  readonly initialToken?: string;
  readonly events?: readonly string[];
  readonly host?: string;
  /** 0 (default) picks a free port. */
  readonly port?: number;
  /** Makes new webhook, access and refresh tokens; 40 random hex characters by default. */
  readonly generateToken?: () => string;
  /** Keeps the webhook token and registration across restarts (local runs). */
  readonly statePath?: string;
  /** One line per request (method, path, status), never a secret. */
  readonly log?: (line: string) => void;
}

export interface AmaniSimulator {
  /** `http://127.0.0.1:<port>`: the base URL to configure. */
  readonly url: string;
  readonly requests: readonly RecordedRequest[];
  currentToken(): string | undefined;
  /** Every webhook token this simulator ever had, oldest first. */
  tokenHistory(): readonly string[];
  registration(): WebhookRegistrationState | undefined;
  /** Every secret it knows (webhook tokens, passwords, user/access/refresh tokens), for leak checks. */
  sensitiveValues(): string[];
  injectFault(route: SimulatorRoute, fault: SimulatorFault, schedule?: FaultSchedule): void;
  clearFaults(): void;
  /** Rotates as if someone used Amani's dashboard. */
  rotateOutOfBand(): string;
  /** Every issued access token now answers 401 (a login is needed). */
  expireAccessTokens(): void;
  /** Requests to one route (all when omitted). */
  requestsTo(route?: SimulatorRoute): RecordedRequest[];
  clearRequests(): void;
  close(): Promise<void>;
}

interface Answer {
  readonly status: number;
  readonly body: unknown;
}

interface QueuedFault {
  readonly fault: SimulatorFault;
  skip: number;
  remaining: number;
}

const MAX_BODY_BYTES = 64 * 1024;
const GENERIC_401 = { detail: 'Authentication credentials were not provided or are invalid.' };

export async function startAmaniSimulator(options: AmaniSimulatorOptions = {}): Promise<AmaniSimulator> {
  const generateToken = options.generateToken ?? (() => randomBytes(20).toString('hex'));
  const events = [...(options.events ?? AMANI_EVENTS)];
  const users = new Map((options.users ?? []).map((user) => [user.username, user.password]));
  const userTokens = new Set(options.userTokens ?? []);
  const accessTokens = new Map<string, { expired: boolean }>();
  const refreshTokens = new Set<string>();
  const tokenHistory: string[] = [];
  const faults = new Map<SimulatorRoute, QueuedFault[]>();
  const requests: RecordedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const sockets = new Set<Socket>();

  let webhookToken: string | undefined;
  let registration: WebhookRegistrationState | undefined;

  const persisted = loadState(options.statePath);
  if (persisted) {
    webhookToken = persisted.webhookToken;
    registration = persisted.registration;
    if (webhookToken) tokenHistory.push(webhookToken);
  } else if (options.initialToken !== undefined) {
    webhookToken = options.initialToken;
    tokenHistory.push(webhookToken);
    registration = { id: randomUUID(), url: '', signature_enabled: true, events: Object.fromEntries(events.map((event) => [event, false])) };
  }

  const save = () => {
    if (options.statePath) writeFileSync(options.statePath, JSON.stringify({ webhookToken, registration }, null, 2));
  };
  const setWebhookToken = (token: string) => {
    webhookToken = token;
    tokenHistory.push(token);
    save();
  };

  const authenticated = (request: IncomingMessage): boolean => {
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer (.+)$/.exec(header) : null;
    if (!match?.[1]) return false;
    const bearer = match[1];
    if (userTokens.has(bearer)) return true;
    const access = accessTokens.get(bearer);
    return access !== undefined && !access.expired;
  };

  /** What a route does; `undefined` means "answer 401". */
  const routes: Record<SimulatorRoute, (body: unknown) => Answer> = {
    login: (body) => {
      const { username, password } = asObject(body);
      if (typeof username !== 'string' || typeof password !== 'string' || users.get(username) !== password) {
        return { status: 401, body: { detail: 'No active account found with the given credentials' } };
      }
      const access = generateToken();
      const refresh = generateToken();
      accessTokens.set(access, { expired: false });
      refreshTokens.add(refresh);
      return { status: 200, body: { access, refresh } };
    },
    refresh: (body) => {
      const { refresh } = asObject(body);
      if (typeof refresh !== 'string' || !refreshTokens.has(refresh)) return { status: 401, body: { detail: 'Token is invalid or expired' } };
      const access = generateToken();
      accessTokens.set(access, { expired: false });
      return { status: 200, body: { access } };
    },
    listEvents: () => ({ status: 200, body: events }),
    registerWebhook: (body) => {
      const input = asObject(body);
      const problems: string[] = [];
      if (typeof input.url !== 'string' || input.url === '') problems.push('url: a non-empty string is required');
      if (input.signature_enabled !== undefined && typeof input.signature_enabled !== 'boolean') problems.push('signature_enabled: must be a boolean');
      if (registration === undefined && typeof input.signature_enabled !== 'boolean') problems.push('signature_enabled: required on create');
      for (const [key, value] of Object.entries(input)) {
        if (key === 'url' || key === 'signature_enabled') continue;
        if (!events.includes(key)) problems.push(`${key}: unknown event`);
        else if (typeof value !== 'boolean') problems.push(`${key}: must be a boolean`);
      }
      if (problems.length > 0) return { status: 400, body: { errors: problems } };
      const previous = registration;
      registration = {
        id: previous?.id ?? randomUUID(),
        url: input.url as string,
        signature_enabled: typeof input.signature_enabled === 'boolean' ? input.signature_enabled : (previous?.signature_enabled ?? false),
        events: Object.fromEntries(
          events.map((event) => [event, typeof input[event] === 'boolean' ? (input[event] as boolean) : (previous?.events[event] ?? false)]),
        ),
      };
      if (webhookToken === undefined) setWebhookToken(generateToken());
      save();
      return { status: 200, body: registrationView(registration) };
    },
    getToken: () => (webhookToken === undefined ? { status: 404, body: { detail: 'Not found.' } } : { status: 200, body: { token: webhookToken } }),
    rotateToken: () => {
      if (webhookToken === undefined) return { status: 404, body: { detail: 'Not found.' } };
      setWebhookToken(generateToken());
      return { status: 200, body: { token: webhookToken } };
    },
  };

  const takeFault = (route: SimulatorRoute): SimulatorFault | undefined => {
    const queue = faults.get(route);
    const head = queue?.[0];
    if (!queue || !head) return undefined;
    if (head.skip > 0) {
      head.skip--;
      return undefined;
    }
    head.remaining--;
    if (head.remaining <= 0) queue.shift();
    return head.fault;
  };

  const later = (ms: number, action: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      action();
    }, ms);
    timers.add(timer);
  };

  const server = createServer((request, response) => {
    const method = request.method ?? 'GET';
    const path = (request.url ?? '/').split('?')[0]!.replace(/(.)\/+$/, '$1');
    const route = routeOf(path, method);
    const record: RecordedRequest = { method, path, route: route?.name, authorization: request.headers.authorization !== undefined, fault: undefined };
    requests.push(record);

    const send = (answer: Answer, raw?: string, headers: Record<string, string> = {}) => {
      if (response.destroyed || response.writableEnded) return;
      record.status = answer.status;
      options.log?.(`amani-simulator ${method} ${path} -> ${answer.status}${record.fault ? ` (fault: ${record.fault})` : ''}`);
      const text = raw ?? JSON.stringify(answer.body);
      response.writeHead(answer.status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
      response.end(text);
    };

    if (!route) {
      const known = Object.values(SIMULATOR_ROUTES).some((candidate) => candidate.path === path);
      send(known ? { status: 405, body: { detail: `Method "${method}" not allowed.` } } : { status: 404, body: { detail: 'Not found.' } });
      return;
    }

    readBody(request).then(
      (text) => {
        let body: unknown = {};
        if (text.length > 0) {
          try {
            body = JSON.parse(text);
          } catch {
            send({ status: 400, body: { detail: 'JSON parse error' } });
            return;
          }
        }
        const needsAuth = route.name !== 'login' && route.name !== 'refresh';
        const fault = takeFault(route.name);
        if (fault) record.fault = fault.kind;
        // Authentication comes before everything but injected faults (a proxy answers first).
        const apply = (): Answer => (needsAuth && !authenticated(request) ? { status: 401, body: GENERIC_401 } : routes[route.name](body));

        if (!fault) return send(apply());
        switch (fault.kind) {
          case 'fail-before':
            return send(
              { status: fault.status, body: { detail: `simulated ${fault.status}` } },
              undefined,
              fault.retryAfter !== undefined ? { 'Retry-After': fault.retryAfter } : {},
            );
          case 'fail-after':
            apply();
            return send({ status: fault.status, body: { detail: `simulated ${fault.status}` } });
          case 'hang-after': {
            const answer = apply();
            return later(fault.delayMs, () => send(answer));
          }
          case 'delay':
            return later(fault.delayMs, () => send(apply()));
          case 'malformed-json': {
            // A truncated answer: the status and most of the body (secrets included) arrive.
            const answer = apply();
            return send(answer, JSON.stringify(answer.body).slice(0, -1));
          }
          case 'respond':
            return send({ status: fault.status, body: undefined }, fault.body);
          case 'reset':
            if (fault.when === 'after') apply();
            request.socket.destroy();
            return undefined;
        }
      },
      () => send({ status: 413, body: { detail: 'Request body too large' } }),
    );
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${host}:${address.port}`,
    requests,
    currentToken: () => webhookToken,
    tokenHistory: () => [...tokenHistory],
    registration: () => registration,
    sensitiveValues: () => [
      ...tokenHistory,
      ...[...users.values()],
      ...userTokens,
      ...accessTokens.keys(),
      ...refreshTokens,
    ],
    injectFault: (route, fault, schedule = {}) => {
      const queue = faults.get(route) ?? [];
      queue.push({ fault, skip: schedule.skip ?? 0, remaining: schedule.times ?? 1 });
      faults.set(route, queue);
    },
    clearFaults: () => faults.clear(),
    rotateOutOfBand: () => {
      const token = generateToken();
      setWebhookToken(token);
      return token;
    },
    expireAccessTokens: () => {
      for (const access of accessTokens.values()) access.expired = true;
    },
    requestsTo: (route) => requests.filter((request) => route === undefined || request.route === route),
    clearRequests: () => {
      requests.length = 0;
    },
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };

  function routeOf(path: string, method: string): { name: SimulatorRoute } | undefined {
    for (const [name, candidate] of Object.entries(SIMULATOR_ROUTES) as [SimulatorRoute, { method: string; path: string }][]) {
      if (candidate.path === path && candidate.method === method) return { name };
    }
    return undefined;
  }
}

function registrationView(registration: WebhookRegistrationState): Record<string, unknown> {
  return { id: registration.id, url: registration.url, ...registration.events, signature_enabled: registration.signature_enabled };
}

function asObject(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('too large'));
        request.resume();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

interface PersistedState {
  readonly webhookToken?: string;
  readonly registration?: WebhookRegistrationState;
}

function loadState(path: string | undefined): PersistedState | undefined {
  if (!path || !existsSync(path)) return undefined;
  const state = JSON.parse(readFileSync(path, 'utf8')) as PersistedState;
  return state && typeof state === 'object' ? state : undefined;
}
