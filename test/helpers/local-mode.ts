/** The local mode's options for a test: every service on a free port, its state in `dataDir`. */
export function localModeArguments(dataDir: string): string[] {
  return ['--port', '0', '--amani-port', '0', '--aws-port', '0', '--dynamodb-port', '0', '--data-dir', dataDir];
}
