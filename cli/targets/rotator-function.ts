/** The deployed rotator, invoked synchronously: its summary, or its error message as a thrown Error. */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';

export async function invokeDeployedRotator(functionName: string, region: string, payload: Record<string, unknown>): Promise<unknown> {
  const lambda = new LambdaClient({ region });
  const answer = await lambda.send(
    new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', Payload: Buffer.from(JSON.stringify(payload)) }),
  );
  const text = answer.Payload ? Buffer.from(answer.Payload).toString('utf8') : 'null';
  if (answer.FunctionError) {
    const error = parseJson(text) as { errorMessage?: string } | undefined;
    throw new Error(`the rotator failed: ${error?.errorMessage ?? answer.FunctionError}`);
  }
  return parseJson(text);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
