/**
 * One Amani account per stage. Amani has one webhook and one token per account, so two stacks
 * using the same account fight: each deploy re-points the webhook, each rotation replaces the
 * token the other stack's receiver checks. A stack therefore claims the account before it
 * registers, and refuses to register an account another stack has claimed.
 *
 * A claim lives in a store shared by every stack of one AWS account and region (the adapter is
 * an SSM parameter under ACCOUNT_CLAIM_PATH), keyed by a hash of the Amani base URL and user,
 * and names the owning stack; no secret and no username is in it. Pure logic over a port: no
 * AWS here.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import { SafeError } from './errors';

/** Where claims live (SSM parameter hierarchy); IAM grants name exactly this path. */
export const ACCOUNT_CLAIM_PATH = '/amani-webhooks/account-claims';

/**
 * The registration custom resource's property that carries ACCOUNT_CLAIM_PATH: every template
 * with account claims has it, so an Update without it is a rollback to an older template.
 */
export const ACCOUNT_CLAIM_PROPERTY = 'AccountClaimPath';

/** What identifies an Amani account: the user the credentials secret logs in as, or its user token. */
export interface AmaniAccountIdentity {
  readonly username?: string;
  readonly userToken?: string;
}

/** The stack that holds (or asks for) a claim. Stack names are unique among live stacks of an account and region. */
export interface ClaimHolder {
  readonly stackName: string;
  /** CloudFormation's StackId: unique per incarnation of a stack name. */
  readonly stackId: string;
}

export const accountClaimSchema = z.object({
  version: z.literal(1),
  stackName: z.string().min(1),
  stackId: z.string().min(1),
  amaniBaseUrl: z.string().min(1),
  claimedAt: z.string().min(1),
});

export type AccountClaim = z.infer<typeof accountClaimSchema>;

/** A claim as stored; `claim` is undefined when the stored value is not a claim this code wrote. */
export interface StoredClaim {
  readonly key: string;
  readonly claim: AccountClaim | undefined;
}

/** Port: the shared claim store. Every method may throw (store unavailable); messages carry no secret. */
export interface AccountClaimStore {
  /** Writes the claim if the key holds none; false (and nothing written) when one exists. Atomic. */
  createIfAbsent(key: string, claim: AccountClaim): Promise<boolean>;
  read(key: string): Promise<StoredClaim | undefined>;
  overwrite(key: string, claim: AccountClaim): Promise<void>;
  /** Deleting a key that holds nothing is not an error. */
  delete(key: string): Promise<void>;
  list(): Promise<StoredClaim[]>;
}

/** Read access only (the rotator checks a claim, never takes one). */
export type AccountClaimReader = Pick<AccountClaimStore, 'read'>;

/**
 * The claim key of an Amani account: SHA-256 over a fixed label, the base URL's origin and the
 * user (trimmed, lower case: a login name differing only in case is the same person at Amani),
 * or, for `{"userToken"}` credentials, the SHA-256 of that token. Neither the username nor the
 * token can be read back from the key.
 */
export function amaniAccountKey(amaniBaseUrl: string, identity: AmaniAccountIdentity): string {
  const origin = new URL(amaniBaseUrl).origin;
  let user: string;
  if (identity.username !== undefined && identity.username.trim() !== '') user = `user:${identity.username.trim().toLowerCase()}`;
  else if (identity.userToken !== undefined && identity.userToken !== '') user = `user-token:${sha256(identity.userToken)}`;
  else
    throw new SafeError('An Amani account is identified by a username or a user token; the credentials have neither', {
      failure: 'client',
    });
  return sha256(`amani-webhooks account claim v1\n${origin}\n${user}`);
}

/** The store key (SSM parameter name) of an account key. */
export function claimName(accountKey: string): string {
  return `${ACCOUNT_CLAIM_PATH}/${accountKey}`;
}

export function parseAccountClaim(value: string | undefined): AccountClaim | undefined {
  if (value === undefined) return undefined;
  try {
    const parsed = accountClaimSchema.safeParse(JSON.parse(value));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whose claim it is, seen from `me`:
 * - `ours`: this very stack;
 * - `replaced`: a stack of the same name that no longer exists (a stack name is unique among
 *   live stacks, so another StackId under our name is an earlier incarnation whose deletion did
 *   not release its claim): ours to take over;
 * - `other`: another stack, or a value nobody can attribute (never taken over silently).
 */
export type Ownership = 'ours' | 'replaced' | 'other';

export function ownershipOf(claim: AccountClaim | undefined, me: ClaimHolder): Ownership {
  if (!claim) return 'other';
  if (claim.stackId === me.stackId) return 'ours';
  return claim.stackName === me.stackName ? 'replaced' : 'other';
}

export type ClaimResult =
  | { readonly ok: true; readonly outcome: 'claimed' | 'already-ours' | 'taken-over' }
  /** `owner` undefined: the stored value is not a readable claim. */
  | { readonly ok: false; readonly owner: AccountClaim | undefined };

/**
 * Takes the claim on `accountKey` for `me`, or reports who holds it. Two stacks racing for a free
 * account: the store's atomic create lets exactly one win.
 */
export async function claimAccount(
  store: AccountClaimStore,
  accountKey: string,
  me: ClaimHolder & { readonly amaniBaseUrl: string },
  now: Date,
): Promise<ClaimResult> {
  const claim: AccountClaim = {
    version: 1,
    stackName: me.stackName,
    stackId: me.stackId,
    amaniBaseUrl: me.amaniBaseUrl,
    claimedAt: now.toISOString(),
  };
  // Twice at most: a claim released between our create and our read leaves the key free again.
  for (let attempt = 0; attempt < 2; attempt++) {
    if (await store.createIfAbsent(accountKey, claim)) return { ok: true, outcome: 'claimed' };
    const existing = await store.read(accountKey);
    if (!existing) continue;
    const ownership = ownershipOf(existing.claim, me);
    if (ownership === 'ours') return { ok: true, outcome: 'already-ours' };
    if (ownership === 'replaced') {
      await store.overwrite(accountKey, claim);
      return { ok: true, outcome: 'taken-over' };
    }
    return { ok: false, owner: existing.claim };
  }
  return { ok: false, owner: undefined };
}

/** Deletes every claim `me` holds except `keep`; returns the keys released. */
export async function releaseClaims(store: AccountClaimStore, me: ClaimHolder, keep?: string): Promise<string[]> {
  const held = (await store.list()).filter((entry) => entry.key !== keep && entry.claim?.stackId === me.stackId);
  for (const entry of held) await store.delete(entry.key);
  return held.map((entry) => entry.key);
}

/** "stack AmaniWebhooks-prod (claimed 2026-...)" or a description of an unreadable claim. */
export function describeOwner(owner: AccountClaim | undefined): string {
  return owner ? `stack ${owner.stackName} (${owner.stackId}, claimed ${owner.claimedAt})` : 'a claim this code cannot read';
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
