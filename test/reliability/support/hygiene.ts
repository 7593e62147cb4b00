/**
 * Log and error hygiene: everything a suite prints (captured with `captureOutput`), every error
 * message it saw, every HTTP answer and every metric dimension must be free of the values
 * registered here: webhook tokens, signatures, passwords, Amani access tokens, and sentinel
 * personal data planted in payloads. A leak is reported by kind and length, never by value.
 */
import { randomBytes } from 'node:crypto';
import type { CapturedOutput } from '../../helpers/capture-output';

export type SensitiveKind = 'token' | 'signature' | 'password' | 'access-token' | 'personal-data' | 'secret';

/** Dimension values the product may emit (EMF): service names and rejection reasons. */
const SAFE_DIMENSION_VALUE = /^[A-Za-z0-9_.:-]{1,64}$/;
/** Dimension names the product may use. */
const ALLOWED_DIMENSIONS = new Set(['service', 'Reason', 'function_name', 'ColdStart', 'Operation']);

export class LeakWatch {
  private readonly values = new Map<string, SensitiveKind>();
  private readonly texts: string[] = [];

  /** Registers values that must never appear (shorter than 8 characters: too common to check). */
  add(kind: SensitiveKind, ...values: Array<string | undefined>): void {
    for (const value of values) if (value !== undefined && value.length >= 8) this.values.set(value, kind);
  }

  /** A sentinel personal value, unique to this run, to plant in a payload. */
  sentinel(label: string): string {
    const value = `SENTINEL-${label}-${randomBytes(6).toString('hex')}`;
    this.add('personal-data', value);
    return value;
  }

  /** Text to check later: an error's name, message, stack and serialisation, an HTTP answer. */
  addText(text: string): void {
    this.texts.push(text);
  }

  addError(error: unknown): void {
    if (error instanceof Error) {
      let json = '';
      try {
        json = JSON.stringify(error);
      } catch {
        json = '';
      }
      this.texts.push(`${error.name} ${error.message} ${error.stack ?? ''} ${json} ${String((error as { cause?: unknown }).cause ?? '')}`);
    } else this.texts.push(String(error));
  }

  get size(): number {
    return this.values.size;
  }

  /**
   * Leaks in the given texts plus everything added, as secret-free sentences. One pass over the
   * text per 8-character window (not one search per value): the load suite registers thousands
   * of values and captures megabytes of logs.
   */
  leaks(extraTexts: readonly string[] = [], options: { withAddedTexts?: boolean } = {}): string[] {
    const byPrefix = this.index();
    const seen = new Set<string>();
    const texts = options.withAddedTexts === false ? extraTexts : [...extraTexts, ...this.texts];
    for (const text of texts) {
      for (let i = 0; i + 8 <= text.length; i++) {
        const candidates = byPrefix.get(text.slice(i, i + 8));
        if (!candidates) continue;
        for (const value of candidates) if (text.startsWith(value, i)) seen.add(value);
      }
    }
    return [...seen].map((value) => `a ${this.values.get(value)} value (${value.length} chars) appears in output, an error or an answer`);
  }

  private indexed: { size: number; byPrefix: Map<string, string[]> } | undefined;

  private index(): Map<string, string[]> {
    if (this.indexed?.size === this.values.size) return this.indexed.byPrefix;
    const byPrefix = new Map<string, string[]>();
    for (const value of this.values.keys()) {
      const prefix = value.slice(0, 8);
      byPrefix.set(prefix, [...(byPrefix.get(prefix) ?? []), value]);
    }
    this.indexed = { size: this.values.size, byPrefix };
    return byPrefix;
  }
}

/** Metric dimensions (names and values) of every EMF blob in the output that break the rules. */
export function dimensionProblems(output: CapturedOutput, watch: LeakWatch): string[] {
  const problems: string[] = [];
  for (const record of output.records()) {
    const aws = record._aws as { CloudWatchMetrics?: Array<{ Dimensions?: string[][] }> } | undefined;
    if (!aws?.CloudWatchMetrics) continue;
    for (const directive of aws.CloudWatchMetrics) {
      for (const name of (directive.Dimensions ?? []).flat()) {
        const value = String(record[name]);
        if (!ALLOWED_DIMENSIONS.has(name)) problems.push(`unexpected metric dimension ${name}`);
        if (!SAFE_DIMENSION_VALUE.test(value)) problems.push(`metric dimension ${name} has an unexpected value (${value.length} chars)`);
        if (watch.leaks([value], { withAddedTexts: false }).length > 0) problems.push(`metric dimension ${name} carries a sensitive value`);
      }
    }
  }
  return problems;
}

/** Everything in one list: leaks in the output, in errors and answers, and bad dimensions. */
export function hygieneProblems(output: CapturedOutput, watch: LeakWatch): string[] {
  return [...watch.leaks([output.text()]), ...dimensionProblems(output, watch)];
}
