/**
 * An event as the receiver publishes it (envelope, metadata of contract version 1, Amani's data),
 * for tests of what consumers do with one. `metadata` overrides or removes (undefined) fields.
 */
export function productEvent(detailType: string, data: Record<string, unknown>, metadata: Record<string, unknown> = {}) {
  return {
    version: '0',
    id: '6f1c3a9e-0000-4000-8000-000000000001',
    'detail-type': detailType,
    source: 'amani',
    account: '123456789012',
    time: '2026-11-30T10:00:00Z',
    region: 'eu-west-1',
    resources: [] as string[],
    detail: {
      metadata: {
        version: '1',
        deliveryId: `dlv-${detailType}`,
        receivedAt: '2026-11-30T10:00:00.123Z',
        authMode: 'signature',
        signatureForm: 'raw',
        tokenGeneration: 'current',
        bodySha256: 'ab'.repeat(32),
        ...metadata,
      },
      data,
    },
  };
}
