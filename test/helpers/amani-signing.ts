import { createHmac } from 'node:crypto';

/** What Amani puts in `Webhook-Signature`: base64(HMAC-SHA256(token as UTF-8, message)). */
export function amaniSignature(token: string, message: string | Buffer): string {
  return createHmac('sha256', Buffer.from(token, 'utf8')).update(message).digest('base64');
}
