import {
  DeleteParameterCommand,
  GetParameterCommand,
  GetParametersByPathCommand,
  PutParameterCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import {
  ACCOUNT_CLAIM_PATH,
  claimName,
  parseAccountClaim,
  type AccountClaim,
  type AccountClaimStore,
  type StoredClaim,
} from '../core/account-claim';
import { SafeError } from '../core/errors';
import { classifyAwsError, describeAwsError, isAwsError } from './aws-clients';

/** An SSM call failed; classified, named by the AWS error's name and status only. */
export class ClaimStoreUnavailableError extends SafeError {
  constructor(operation: string, cause: unknown) {
    super(`SSM ${operation} (Amani account claim) failed: ${describeAwsError(cause)}`, { cause, failure: classifyAwsError(cause) });
    this.name = 'ClaimStoreUnavailableError';
  }
}

/**
 * Account claims as SSM Parameter Store parameters, `/amani-webhooks/account-claims/<key>`.
 *
 * Why SSM: the claim must be shared by every stack of an AWS account and region without a
 * resource any one of them owns (a table created by one stack would vanish with it, and a
 * stack cannot refuse a deploy based on a resource it has yet to create). Parameter names are
 * exactly that account- and region-wide namespace; `PutParameter` with `Overwrite: false` is an
 * atomic create-if-absent (ParameterAlreadyExists), standard parameters cost nothing, IAM can be
 * scoped to the path, and operators can see and remove a claim with the AWS CLI.
 */
export class SsmAccountClaimStore implements AccountClaimStore {
  constructor(private readonly client: SSMClient) {}

  async createIfAbsent(key: string, claim: AccountClaim): Promise<boolean> {
    try {
      await this.client.send(
        new PutParameterCommand({
          Name: claimName(key),
          Value: JSON.stringify(claim),
          Type: 'String',
          Overwrite: false,
          Description: `Amani account claimed by ${claim.stackName} (amani-webhooks: one Amani account per stage)`,
        }),
      );
      return true;
    } catch (error) {
      if (isAwsError(error, 'ParameterAlreadyExists')) return false;
      throw new ClaimStoreUnavailableError('PutParameter', error);
    }
  }

  async read(key: string): Promise<StoredClaim | undefined> {
    try {
      const answer = await this.client.send(new GetParameterCommand({ Name: claimName(key) }));
      return { key, claim: parseAccountClaim(answer.Parameter?.Value) };
    } catch (error) {
      if (isAwsError(error, 'ParameterNotFound')) return undefined;
      throw new ClaimStoreUnavailableError('GetParameter', error);
    }
  }

  async overwrite(key: string, claim: AccountClaim): Promise<void> {
    try {
      await this.client.send(
        new PutParameterCommand({ Name: claimName(key), Value: JSON.stringify(claim), Type: 'String', Overwrite: true }),
      );
    } catch (error) {
      throw new ClaimStoreUnavailableError('PutParameter', error);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteParameterCommand({ Name: claimName(key) }));
    } catch (error) {
      if (isAwsError(error, 'ParameterNotFound')) return;
      throw new ClaimStoreUnavailableError('DeleteParameter', error);
    }
  }

  async list(): Promise<StoredClaim[]> {
    const claims: StoredClaim[] = [];
    let nextToken: string | undefined;
    try {
      do {
        const page = await this.client.send(
          new GetParametersByPathCommand({ Path: ACCOUNT_CLAIM_PATH, Recursive: false, MaxResults: 10, NextToken: nextToken }),
        );
        for (const parameter of page.Parameters ?? []) {
          if (!parameter.Name) continue;
          claims.push({ key: parameter.Name.slice(ACCOUNT_CLAIM_PATH.length + 1), claim: parseAccountClaim(parameter.Value) });
        }
        nextToken = page.NextToken;
      } while (nextToken);
    } catch (error) {
      throw new ClaimStoreUnavailableError('GetParametersByPath', error);
    }
    return claims;
  }
}
