/**
 * A reader that goes away (`| head`, a pasted pipeline whose next command does not read stdin)
 * closes our stdout: the next write fails with EPIPE, emitted as an 'error' event that, without
 * a listener, crashes the process with a stack trace. Output nobody reads is dropped instead;
 * the program finishes what it was doing (a delivery sent, a rotation stored) and exits with
 * its own code.
 */
export function tolerateClosedOutput(streams: readonly NodeJS.WriteStream[] = [process.stdout, process.stderr]): void {
  for (const stream of streams) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') return;
      throw error;
    });
  }
}
