// The integration tests' server: the shared fixture (tests/lib/fixture.mjs)
// with short timers, so that heartbeat and connect-timeout tests finish in
// about a second. A test's own flags replace these (null removes one);
// defaults: false starts the server with none of them.
import * as fixture from '../../lib/fixture.mjs';

export { SANITIZED, chatBinary, freePort, runToExit, sleep, waitUntil } from '../../lib/fixture.mjs';

export const DEFAULT_FLAGS = {
  '--ping-interval-ms': '300',
  '--ping-timeout-ms': '200',
  '--connect-timeout-ms': '1000',
  '--tick-ms': '50',
};

const withDefaults = ({ defaults = true, ...opts } = {}) => ({ ...opts, defaults: defaults ? DEFAULT_FLAGS : {} });

export const startServer = (opts) => fixture.startServer(withDefaults(opts));
export const withServer = (t, opts) => fixture.withServer(t, withDefaults(opts));
