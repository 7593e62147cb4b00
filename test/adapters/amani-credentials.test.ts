import { afterAll, beforeEach, describe, expect, it } from '@jest/globals';
import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { AmaniCredentialsMissingError, readAmaniCredentials } from '../../lambda/adapters/amani-credentials';
import { SecretUnavailableError } from '../../lambda/adapters/token-secret-store';

const SECRET_ID = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:amani-api-credentials-AbCdEf';
const PASSWORD = 'hunter2-sentinel-password';
const USER_TOKEN = 'user-token-sentinel-0123';

const sm = mockClient(SecretsManagerClient);
const client = new SecretsManagerClient({ region: 'eu-west-1' });

beforeEach(() => {
  sm.reset();
});
afterAll(() => {
  sm.restore();
});

async function refusal(secretString: string | undefined): Promise<Error> {
  sm.on(GetSecretValueCommand, { SecretId: SECRET_ID }).resolves(
    secretString === undefined ? { SecretBinary: new Uint8Array([1]) } : { SecretString: secretString },
  );
  const error = await readAmaniCredentials(client, SECRET_ID).then(
    () => {
      throw new Error('expected a rejection');
    },
    (rejection: unknown) => rejection as Error,
  );
  expect(error.message).not.toContain(PASSWORD);
  expect(error.message).not.toContain(USER_TOKEN);
  expect(error.message).not.toContain(SECRET_ID);
  return error;
}

describe('readAmaniCredentials', () => {
  it('reads username/password', async () => {
    sm.on(GetSecretValueCommand, { SecretId: SECRET_ID }).resolves({
      SecretString: JSON.stringify({ username: 'rotator', password: PASSWORD }),
    });
    await expect(readAmaniCredentials(client, SECRET_ID)).resolves.toEqual({ username: 'rotator', password: PASSWORD });
  });

  it('reads a userToken', async () => {
    sm.on(GetSecretValueCommand, { SecretId: SECRET_ID }).resolves({ SecretString: JSON.stringify({ userToken: USER_TOKEN }) });
    await expect(readAmaniCredentials(client, SECRET_ID)).resolves.toEqual({ userToken: USER_TOKEN });
  });

  it('prefers username/password when both shapes are present, and keeps values as stored', async () => {
    sm.on(GetSecretValueCommand).resolves({
      SecretString: JSON.stringify({ username: ' rotator ', password: ` ${PASSWORD}`, userToken: USER_TOKEN }),
    });
    await expect(readAmaniCredentials(client, SECRET_ID)).resolves.toEqual({ username: ' rotator ', password: ` ${PASSWORD}` });
  });

  it.each([
    ['an empty SecretString', '', /is empty/],
    ['a blank SecretString', '  \n', /is empty/],
    ['binary content only', undefined, /has no SecretString/],
    ['text that is not JSON', `password=${PASSWORD}`, /is not JSON/],
    ['a JSON array', JSON.stringify([PASSWORD]), /has neither shape/],
    ['JSON null', 'null', /has neither shape/],
    ['other fields', JSON.stringify({ user: 'rotator', pass: PASSWORD }), /has neither shape/],
    ['a username without password', JSON.stringify({ username: 'rotator' }), /has "username" but not a complete/],
    ['a password without username', JSON.stringify({ password: PASSWORD }), /has "password" but not a complete/],
    ['an empty password', JSON.stringify({ username: 'rotator', password: '' }), /not a complete/],
    ['a blank userToken', JSON.stringify({ userToken: '   ' }), /has "userToken" but not a complete/],
    ['a numeric userToken', JSON.stringify({ userToken: 12345 }), /not a complete/],
  ])('refuses %s with AmaniCredentialsMissingError', async (_, secretString, message) => {
    const error = await refusal(secretString);
    expect(error).toBeInstanceOf(AmaniCredentialsMissingError);
    expect(error.message).toMatch(message);
    expect(error.message).toMatch(/\{"username": "\.\.\.", "password": "\.\.\."\} or \{"userToken": "\.\.\."\}/);
  });

  it('reports a missing secret (or one without a value) as AmaniCredentialsMissingError', async () => {
    sm.on(GetSecretValueCommand).rejects(
      new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", $metadata: {} }),
    );
    const error = await readAmaniCredentials(client, SECRET_ID).catch((rejection: unknown) => rejection as Error);
    expect(error).toBeInstanceOf(AmaniCredentialsMissingError);
    expect((error as Error).message).toMatch(/does not exist or has no value yet/);
  });

  it('reports an unreadable secret as SecretUnavailableError naming the AWS error only', async () => {
    sm.on(GetSecretValueCommand).rejects(
      Object.assign(new Error(`User is not authorized (${PASSWORD})`), {
        name: 'AccessDeniedException',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const error = await readAmaniCredentials(client, SECRET_ID).catch((rejection: unknown) => rejection as Error);
    expect(error).toBeInstanceOf(SecretUnavailableError);
    expect((error as Error).message).toBe('Secrets Manager GetSecretValue (Amani API credentials) failed: AccessDeniedException HTTP 400');
  });
});
