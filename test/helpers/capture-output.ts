/**
 * Captures everything written to stdout/stderr (Powertools' logger and EMF metrics write there)
 * so tests can assert on log lines and prove that secrets and personal data never appear.
 */
export interface CapturedOutput {
  readonly lines: string[];
  /** Lines parsed as JSON (log records and EMF blobs); non-JSON lines are skipped. */
  records(): Record<string, unknown>[];
  logs(): Record<string, unknown>[];
  /** EMF metric values by name, summed across blobs; optionally only those with a dimension value. */
  metric(name: string, dimension?: { name: string; value: string }): number;
  text(): string;
  restore(): void;
}

export function captureOutput(): CapturedOutput {
  const lines: string[] = [];
  const originalOut = process.stdout.write.bind(process.stdout);
  const originalErr = process.stderr.write.bind(process.stderr);
  const sink = (chunk: unknown, ...rest: unknown[]) => {
    lines.push(
      ...String(chunk)
        .split('\n')
        .filter((line) => line.trim() !== ''),
    );
    const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
    callback?.();
    return true;
  };
  process.stdout.write = sink as typeof process.stdout.write;
  process.stderr.write = sink as typeof process.stderr.write;

  const records = () =>
    lines.flatMap((line) => {
      try {
        const parsed: unknown = JSON.parse(line);
        return parsed && typeof parsed === 'object' ? [parsed as Record<string, unknown>] : [];
      } catch {
        return [];
      }
    });
  return {
    lines,
    records,
    logs: () => records().filter((record) => '_aws' in record === false),
    metric: (name, dimension) =>
      records()
        .filter((record) => '_aws' in record && name in record)
        .filter((record) => !dimension || record[dimension.name] === dimension.value)
        .reduce((sum, record) => sum + toNumber(record[name]), 0),
    text: () => lines.join('\n'),
    restore: () => {
      process.stdout.write = originalOut;
      process.stderr.write = originalErr;
    },
  };
}

function toNumber(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((sum: number, item) => sum + Number(item), 0);
  return Number(value);
}
