import { GetSecretValueCommand, PutSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SafeError } from '../core/errors';
import type { TokenSecretReader, TokenSecretWriter } from '../core/ports';
import { parseTokenSecret, type TokenSecret } from '../core/token-secret';
import { classifyAwsError, describeAwsError, isAwsError } from './aws-clients';

/** A Secrets Manager call failed; classified, named by the AWS error's name and status only. */
export class SecretUnavailableError extends SafeError {
  constructor(operation: string, cause: unknown) {
    super(`Secrets Manager ${operation} failed: ${describeAwsError(cause)}`, { cause, failure: classifyAwsError(cause) });
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
      if (isAwsError(error, 'ResourceNotFoundException') && /value|version|staging/i.test((error as Error).message)) return {};
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
