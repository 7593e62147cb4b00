import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ACCOUNT_CLAIM_PATH } from '../../lambda/core/account-claim';

/**
 * SSM permissions on the account claims: `actions` on any claim parameter (its name is a hash
 * of the credentials, known only at run time), and listing the claim path itself when
 * `list` (releasing every claim of a stack).
 */
export function grantAccountClaims(role: iam.Role, actions: string[], list: boolean): void {
  const stack = Stack.of(role);
  const path = ACCOUNT_CLAIM_PATH.replace(/^\//, '');
  const claims = stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: `${path}/*` });
  role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'AmaniAccountClaims', actions, resources: [claims] }));
  if (list) {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ListAmaniAccountClaims',
        actions: ['ssm:GetParametersByPath'],
        resources: [stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: path })],
      }),
    );
  }
  Validations.of(role).acknowledge({
    id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:parameter/${path}/*]`,
    reason:
      'Amani account claims (one Amani account per stage): a claim parameter is named by a hash of the Amani base URL and user, which is only known when the function reads the credentials secret at run time. The wildcard covers that one parameter path, which holds nothing but claims (stack names and ids, no secret).',
  });
}
