/**
 * Finds a deployed stack `AmaniWebhooks-<stage>` and its outputs through CloudFormation and the
 * default AWS credential chain. Used by the CLI's `--stage` and by `npm start -- --stage`.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';

/** The outputs the CLI and the local endpoint need; the stack test asserts the stack has them. */
export const STACK_OUTPUTS = [
  'WebhookUrl',
  'EventBusName',
  'TokenSecretArn',
  'CredentialsSecretArn',
  'FallbackQueueUrl',
  'RotatorFunctionName',
  'AmaniBaseUrl',
  'AuthMode',
] as const;

export type StackOutputs = Record<(typeof STACK_OUTPUTS)[number], string> & Partial<Record<string, string>>;

/** A stack that does not exist or lacks outputs: the message says what to do. Any other failure (credentials, region, network) is an Error whose `cause` says why. */
export class StackNotFoundError extends Error {
  override name = 'StackNotFoundError';
}

export function stackName(stage: string): string {
  return `AmaniWebhooks-${stage}`;
}

export async function describeDeployedStack(
  stage: string,
  region: string | undefined,
  client: CloudFormationClient = new CloudFormationClient(region ? { region } : {}),
): Promise<{ readonly name: string; readonly region: string; readonly outputs: StackOutputs }> {
  const name = stackName(stage);
  let outputs: Record<string, string>;
  try {
    const answer = await client.send(new DescribeStacksCommand({ StackName: name }));
    const stack = answer.Stacks?.[0];
    if (!stack) throw new StackNotFoundError(`Stack ${name} was not found.`);
    outputs = Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
  } catch (error) {
    if (error instanceof StackNotFoundError) throw error;
    const e = error as Error;
    if (/does not exist/i.test(e.message)) {
      throw new StackNotFoundError(
        `Stack ${name} does not exist in ${await client.config.region()}. Deploy it with \`npx cdk deploy -c stage=${stage}\`.`,
      );
    }
    // Credentials, region or network: not a missing stack; the cause says which.
    throw new Error(`Could not describe stack ${name}`, { cause: error });
  }
  const missing = STACK_OUTPUTS.filter((key) => !outputs[key]);
  if (missing.length > 0)
    throw new StackNotFoundError(`Stack ${name} lacks the outputs ${missing.join(', ')}; redeploy it with this version.`);
  return { name, region: await client.config.region(), outputs: outputs as StackOutputs };
}
