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
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { AMANI_EVENTS } from '../lambda/core/amani-events';
import { listen, readBody, ScheduledFaults, type FaultSchedule } from './loopback-server';

export { AMANI_EVENTS };
export type { FaultSchedule };

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
  /** The next request to `route` gets `fault` (one by default; see `FaultSchedule`). */
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

const MAX_BODY_BYTES = 64 * 1024;
const GENERIC_401 = { detail: 'Authentication credentials were not provided or are invalid.' };

/**
 * Starts the simulator: its state (from `statePath` when it exists), Amani's routes over it, and
 * the server that runs each request through `serve`.
 */
export async function startAmaniSimulator(options: AmaniSimulatorOptions = {}): Promise<AmaniSimulator> {
  const amani = new SimulatedAmani(options);
  const requests: RecordedRequest[] = [];
  const faults = new ScheduledFaults<SimulatorRoute, SimulatorFault>(1);
  const later = new Timers();
  const server = createServer((request, response) => serve(request, response, { amani, requests, faults, later, log: options.log }));
  const sockets = trackSockets(server);
  const address = await listen(server, options.port ?? 0, options.host ?? '127.0.0.1');
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return controls(`http://${host}:${address.port}`, { amani, requests, faults, later, server, sockets });
}

// ---------------------------------------------------------------------------------------------
// One request: serve = record -> route -> readBody -> parse -> its fault -> answer

interface Answer {
  readonly status: number;
  readonly body: unknown;
}

interface Simulation {
  readonly amani: SimulatedAmani;
  readonly requests: RecordedRequest[];
  readonly faults: ScheduledFaults<SimulatorRoute, SimulatorFault>;
  readonly later: Timers;
  readonly log: ((line: string) => void) | undefined;
}

/** Writes an answer once, recording its status (never a body or header value). */
type Send = (answer: Answer, raw?: string, headers?: Record<string, string>) => void;

function serve(request: IncomingMessage, response: ServerResponse, simulation: Simulation): void {
  const method = request.method ?? 'GET';
  const path = ((request.url ?? '/').split('?')[0] as string).replace(/(.)\/+$/, '$1');
  const route = routeOf(path, method);
  const record: RecordedRequest = { method, path, route, authorization: request.headers.authorization !== undefined, fault: undefined };
  simulation.requests.push(record);
  const send = sender(response, record, simulation.log);
  if (!route) {
    send(notRouted(path, method));
    return;
  }
  readBody(request, MAX_BODY_BYTES).then(
    (text) => {
      const body = parseBody(text);
      if (body === INVALID_JSON) return send({ status: 400, body: { detail: 'JSON parse error' } });
      const fault = simulation.faults.take(route);
      record.fault = fault?.kind;
      // Authentication comes before everything but injected faults (a proxy answers first).
      const apply = (): Answer => simulation.amani.answer(route, body, request.headers.authorization);
      return fault ? answerWithFault(fault, apply, send, request, simulation.later) : send(apply());
    },
    () => send({ status: 413, body: { detail: 'Request body too large' } }),
  );
}

function sender(response: ServerResponse, record: RecordedRequest, log: Simulation['log']): Send {
  return (answer, raw, headers = {}) => {
    if (response.destroyed || response.writableEnded) return;
    record.status = answer.status;
    log?.(`amani-simulator ${record.method} ${record.path} -> ${answer.status}${record.fault ? ` (fault: ${record.fault})` : ''}`);
    const text = raw ?? JSON.stringify(answer.body);
    response.writeHead(answer.status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
    response.end(text);
  };
}

function routeOf(path: string, method: string): SimulatorRoute | undefined {
  for (const [name, candidate] of Object.entries(SIMULATOR_ROUTES) as [SimulatorRoute, { method: string; path: string }][]) {
    if (candidate.path === path && candidate.method === method) return name;
  }
  return undefined;
}

/** A known path with another method is 405, anything else 404, as Amani's framework answers. */
function notRouted(path: string, method: string): Answer {
  const known = Object.values(SIMULATOR_ROUTES).some((candidate) => candidate.path === path);
  return known ? { status: 405, body: { detail: `Method "${method}" not allowed.` } } : { status: 404, body: { detail: 'Not found.' } };
}

const INVALID_JSON = Symbol('invalid JSON');

function parseBody(text: string): unknown {
  if (text.length === 0) return {};
  try {
    return JSON.parse(text);
  } catch {
    return INVALID_JSON;
  }
}

/** What each fault does to the request: answer instead of applying, apply then misbehave, or cut the connection. */
function answerWithFault(fault: SimulatorFault, apply: () => Answer, send: Send, request: IncomingMessage, later: Timers): void {
  switch (fault.kind) {
    case 'fail-before':
      send(
        { status: fault.status, body: { detail: `simulated ${fault.status}` } },
        undefined,
        fault.retryAfter !== undefined ? { 'Retry-After': fault.retryAfter } : {},
      );
      break;
    case 'fail-after':
      apply();
      send({ status: fault.status, body: { detail: `simulated ${fault.status}` } });
      break;
    case 'hang-after': {
      const answer = apply();
      later.run(fault.delayMs, () => send(answer));
      break;
    }
    case 'delay':
      later.run(fault.delayMs, () => send(apply()));
      break;
    case 'malformed-json': {
      // A truncated answer: the status and most of the body (secrets included) arrive.
      const answer = apply();
      send(answer, JSON.stringify(answer.body).slice(0, -1));
      break;
    }
    case 'respond':
      send({ status: fault.status, body: undefined }, fault.body);
      break;
    case 'reset':
      if (fault.when === 'after') apply();
      request.socket.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// Amani's state and routes

/** Users, issued tokens, the webhook token and the registration; what each route does with them. */
class SimulatedAmani {
  readonly events: string[];
  readonly users: Map<string, string>;
  readonly userTokens: Set<string>;
  readonly accessTokens = new Map<string, { expired: boolean }>();
  readonly refreshTokens = new Set<string>();
  readonly tokenHistory: string[] = [];
  webhookToken: string | undefined;
  registration: WebhookRegistrationState | undefined;
  private readonly routes: Record<SimulatorRoute, (body: unknown) => Answer>;

  constructor(private readonly options: AmaniSimulatorOptions) {
    this.events = [...(options.events ?? AMANI_EVENTS)];
    this.users = new Map((options.users ?? []).map((user) => [user.username, user.password]));
    this.userTokens = new Set(options.userTokens ?? []);
    const persisted = loadState(options.statePath);
    if (persisted) {
      this.webhookToken = persisted.webhookToken;
      this.registration = persisted.registration;
      if (this.webhookToken) this.tokenHistory.push(this.webhookToken);
    } else if (options.initialToken !== undefined) {
      this.webhookToken = options.initialToken;
      this.tokenHistory.push(this.webhookToken);
      this.registration = {
        id: randomUUID(),
        url: '',
        signature_enabled: true,
        events: Object.fromEntries(this.events.map((event) => [event, false])),
      };
    }
    this.routes = {
      login: (body) => this.login(body),
      refresh: (body) => this.refresh(body),
      listEvents: () => ({ status: 200, body: this.events }),
      registerWebhook: (body) => this.registerWebhook(body),
      getToken: () => (this.webhookToken === undefined ? NOT_FOUND : { status: 200, body: { token: this.webhookToken } }),
      rotateToken: () => {
        if (this.webhookToken === undefined) return NOT_FOUND;
        return { status: 200, body: { token: this.setWebhookToken(this.generateToken()) } };
      },
    };
  }

  /** What `route` answers; every route but login and refresh needs a valid bearer token. */
  answer(route: SimulatorRoute, body: unknown, authorization: string | undefined): Answer {
    const needsAuth = route !== 'login' && route !== 'refresh';
    return needsAuth && !this.authenticated(authorization) ? { status: 401, body: GENERIC_401 } : this.routes[route](body);
  }

  generateToken(): string {
    return (this.options.generateToken ?? (() => randomBytes(20).toString('hex')))();
  }

  setWebhookToken(token: string): string {
    this.webhookToken = token;
    this.tokenHistory.push(token);
    this.save();
    return token;
  }

  private authenticated(header: string | undefined): boolean {
    const match = typeof header === 'string' ? /^Bearer (.+)$/.exec(header) : null;
    if (!match?.[1]) return false;
    const bearer = match[1];
    if (this.userTokens.has(bearer)) return true;
    const access = this.accessTokens.get(bearer);
    return access !== undefined && !access.expired;
  }

  private login(body: unknown): Answer {
    const { username, password } = asObject(body);
    if (typeof username !== 'string' || typeof password !== 'string' || this.users.get(username) !== password) {
      return { status: 401, body: { detail: 'No active account found with the given credentials' } };
    }
    const access = this.generateToken();
    const refresh = this.generateToken();
    this.accessTokens.set(access, { expired: false });
    this.refreshTokens.add(refresh);
    return { status: 200, body: { access, refresh } };
  }

  private refresh(body: unknown): Answer {
    const { refresh } = asObject(body);
    if (typeof refresh !== 'string' || !this.refreshTokens.has(refresh))
      return { status: 401, body: { detail: 'Token is invalid or expired' } };
    const access = this.generateToken();
    this.accessTokens.set(access, { expired: false });
    return { status: 200, body: { access } };
  }

  /** Create: unspecified events are disabled and a webhook token is generated; update: they keep their state, the token is kept. */
  private registerWebhook(body: unknown): Answer {
    const input = asObject(body);
    const problems = this.registrationProblems(input);
    if (problems.length > 0) return { status: 400, body: { errors: problems } };
    const previous = this.registration;
    this.registration = {
      id: previous?.id ?? randomUUID(),
      url: input.url as string,
      signature_enabled: typeof input.signature_enabled === 'boolean' ? input.signature_enabled : (previous?.signature_enabled ?? false),
      events: Object.fromEntries(
        this.events.map((event) => [
          event,
          typeof input[event] === 'boolean' ? (input[event] as boolean) : (previous?.events[event] ?? false),
        ]),
      ),
    };
    if (this.webhookToken === undefined) this.setWebhookToken(this.generateToken());
    this.save();
    return { status: 200, body: registrationView(this.registration) };
  }

  private registrationProblems(input: Record<string, unknown>): string[] {
    const problems: string[] = [];
    if (typeof input.url !== 'string' || input.url === '') problems.push('url: a non-empty string is required');
    if (input.signature_enabled !== undefined && typeof input.signature_enabled !== 'boolean')
      problems.push('signature_enabled: must be a boolean');
    if (this.registration === undefined && typeof input.signature_enabled !== 'boolean')
      problems.push('signature_enabled: required on create');
    for (const [key, value] of Object.entries(input)) {
      if (key === 'url' || key === 'signature_enabled') continue;
      if (!this.events.includes(key)) problems.push(`${key}: unknown event`);
      else if (typeof value !== 'boolean') problems.push(`${key}: must be a boolean`);
    }
    return problems;
  }

  private save(): void {
    if (this.options.statePath)
      writeFileSync(this.options.statePath, JSON.stringify({ webhookToken: this.webhookToken, registration: this.registration }, null, 2));
  }
}

const NOT_FOUND: Answer = { status: 404, body: { detail: 'Not found.' } };

/** Answers held back by `hang-after` and `delay`; cancelled on close. */
class Timers {
  private readonly pending = new Set<NodeJS.Timeout>();

  run(ms: number, action: () => void): void {
    const timer = setTimeout(() => {
      this.pending.delete(timer);
      action();
    }, ms);
    this.pending.add(timer);
  }

  cancelAll(): void {
    for (const timer of this.pending) clearTimeout(timer);
    this.pending.clear();
  }
}

function trackSockets(server: Server): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return sockets;
}

/** What tests and the local mode see of a running simulator. */
function controls(
  url: string,
  parts: Pick<Simulation, 'amani' | 'requests' | 'faults' | 'later'> & { readonly server: Server; readonly sockets: Set<Socket> },
): AmaniSimulator {
  const { amani, requests, faults, later, server, sockets } = parts;
  return {
    url,
    requests,
    currentToken: () => amani.webhookToken,
    tokenHistory: () => [...amani.tokenHistory],
    registration: () => amani.registration,
    sensitiveValues: () => [
      ...amani.tokenHistory,
      ...amani.users.values(),
      ...amani.userTokens,
      ...amani.accessTokens.keys(),
      ...amani.refreshTokens,
    ],
    injectFault: (route, fault, schedule) => faults.add(route, fault, schedule),
    clearFaults: () => faults.clear(),
    rotateOutOfBand: () => amani.setWebhookToken(amani.generateToken()),
    expireAccessTokens: () => {
      for (const access of amani.accessTokens.values()) access.expired = true;
    },
    requestsTo: (route) => requests.filter((request) => route === undefined || request.route === route),
    clearRequests: () => {
      requests.length = 0;
    },
    close: async () => {
      later.cancelAll();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

function registrationView(registration: WebhookRegistrationState): Record<string, unknown> {
  return { id: registration.id, url: registration.url, ...registration.events, signature_enabled: registration.signature_enabled };
}

function asObject(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
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
