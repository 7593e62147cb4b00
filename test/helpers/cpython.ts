import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * CPython 3's own `json.dumps(json.loads(...))`, for tests that compare the canonicaliser with
 * the real thing. One python3 process answers a whole batch of texts.
 */

/** CPython's answers for one text: from the str, and from its UTF-8 bytes (null = raised). */
export interface CPythonAnswer {
  readonly fromText: string | null;
  readonly fromBytes: string | null;
}

const PYTHON_BATCH = `
import json, sys
def canonical(data):
    try:
        return json.dumps(json.loads(data))
    except (ValueError, RecursionError):
        return None
with open(sys.argv[1], encoding="utf-8") as handle:
    texts = json.load(handle)
answers = [[canonical(text), canonical(text.encode("utf-8"))] for text in texts]
with open(sys.argv[2], "w", encoding="ascii") as handle:
    json.dump(answers, handle)
`;

/** Runs python3 once over all texts. Throws (failing the test) when python3 is unavailable. */
export function askCPython(texts: readonly string[]): CPythonAnswer[] {
  const directory = mkdtempSync(join(tmpdir(), 'python-json-property-'));
  try {
    const inputFile = join(directory, 'texts.json');
    const outputFile = join(directory, 'answers.json');
    // JSON.stringify writes any text exactly; generated texts hold no raw lone surrogates.
    writeFileSync(inputFile, JSON.stringify(texts), 'utf8');
    const python = spawnSync('python3', ['-c', PYTHON_BATCH, inputFile, outputFile], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (python.error !== undefined || python.status !== 0) {
      throw new Error(
        'python3 is required for this test (CI provides it) and did not run cleanly: ' +
          (python.error?.message ?? `exit ${python.status}, signal ${python.signal}: ${python.stderr}`),
      );
    }
    const answers = JSON.parse(readFileSync(outputFile, 'utf8')) as [string | null, string | null][];
    if (answers.length !== texts.length) throw new Error('python3 answered a different number of texts');
    return answers.map(([fromText, fromBytes]) => ({ fromText, fromBytes }));
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}
