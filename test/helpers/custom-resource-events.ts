import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { ACCOUNT_CLAIM_PATH, ACCOUNT_CLAIM_PROPERTY } from '../../lambda/core/account-claim';
import { PHYSICAL_RESOURCE_ID } from '../../lambda/registration/handler';

/** What the CDK provider framework hands the registration function for the stack's custom resource. */
export function registrationEvent(
  requestType: 'Create' | 'Update' | 'Delete',
  stack: { readonly stackId: string; readonly webhookUrl: string; readonly requestId?: string },
  /** The properties of a template from before account claims (a rollback of the upgrade). */
  options: { readonly preClaimProperties?: boolean } = {},
): CloudFormationCustomResourceEvent {
  const properties = { ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:provider', WebhookUrl: stack.webhookUrl };
  const base = {
    ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:provider',
    ResponseURL: 'https://cloudformation-custom-resource-response.example/',
    StackId: stack.stackId,
    RequestId: stack.requestId ?? 'request-1',
    LogicalResourceId: 'AmaniRegistration3973FAEC',
    ResourceType: 'Custom::AmaniWebhookRegistration',
    ResourceProperties: options.preClaimProperties ? properties : { ...properties, [ACCOUNT_CLAIM_PROPERTY]: ACCOUNT_CLAIM_PATH },
  };
  if (requestType === 'Create') return { ...base, RequestType: 'Create' };
  if (requestType === 'Update')
    return {
      ...base,
      RequestType: 'Update',
      PhysicalResourceId: PHYSICAL_RESOURCE_ID,
      OldResourceProperties: { ...properties, [ACCOUNT_CLAIM_PROPERTY]: ACCOUNT_CLAIM_PATH },
    };
  return { ...base, RequestType: 'Delete', PhysicalResourceId: PHYSICAL_RESOURCE_ID };
}
