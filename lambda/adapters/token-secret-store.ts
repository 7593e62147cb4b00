import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { parseTokenSecret, type TokenSecret } from '../core/token-secret';
import { describeAwsError } from './aws-clients';

/** Port: where the webhook token secret lives. The receiver only reads; the rotator also writes. */
export interface TokenSecretReader {
  read(): Promise<TokenSecret>;
}

export interface TokenSecretWriter {
  /**
   * Stores a new version. `idempotencyKey` becomes Secrets Manager's ClientRequestToken, so a
   * retried write of the same rotation creates no second version.
   */
  write(secret: TokenSecret, idempotencyKey: string): Promise<void>;
}

export class SecretUnavailableError extends Error {
  constructor(operation: string, cause: unknown) {
    super(`Secrets Manager ${operation} failed: ${describeAwsError(cause)}`, { cause });
    this.name = 'SecretUnavailableError';
  }
}

export class SecretsManagerTokenStore implements TokenSecretReader, TokenSecretWriter {
  constructor(
    private readonly client: SecretsManagerClient,
    private readonly secretId: string,
  ) {}

  async read(): Promise<TokenSecret> {
    let secretString: string | undefined;
    try {
      const answer = await this.client.send(new GetSecretValueCommand({ SecretId: this.secretId }));
      secretString = answer.SecretString;
    } catch (error) {
      // A secret created without a value has no AWSCURRENT version yet: not bootstrapped.
      if (error instanceof ResourceNotFoundException && /value|version|staging/i.test(error.message)) return {};
      throw new SecretUnavailableError('GetSecretValue', error);
    }
    return parseTokenSecret(secretString);
  }

  async write(secret: TokenSecret, idempotencyKey: string): Promise<void> {
    try {
      await this.client.send(
        new PutSecretValueCommand({
          SecretId: this.secretId,
          SecretString: JSON.stringify(secret),
          ClientRequestToken: idempotencyKey,
        }),
      );
    } catch (error) {
      throw new SecretUnavailableError('PutSecretValue', error);
    }
  }
}
