// Small command-line helpers shared by the example clients (no dependency).

/**
 * Parses argv against a spec { name: {type: 'string'|'number'|'boolean', default} }.
 * Accepts `--name value`, `--name=value` and bare positionals.
 * Throws an Error with a readable message on anything else.
 */
export function parseCommandLine(argv, spec) {
  const options = {};
  const positionals = [];
  for (const [name, s] of Object.entries(spec)) options[name] = s.default ?? (s.type === 'boolean' ? false : undefined);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--') || arg === '--') {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    const s = spec[name];
    if (!s) throw new Error(`unknown option --${name}`);
    if (s.type === 'boolean') {
      if (eq >= 0) throw new Error(`--${name} takes no value`);
      options[name] = true;
      continue;
    }
    let value;
    if (eq >= 0) value = arg.slice(eq + 1);
    else if (i + 1 < argv.length) value = argv[++i];
    else throw new Error(`--${name} needs a value`);
    if (s.type === 'number') {
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n) || n < (s.min ?? -Infinity)) {
        throw new Error(`--${name} expects a number${s.min !== undefined ? ` >= ${s.min}` : ''}, got "${value}"`);
      }
      options[name] = n;
    } else {
      options[name] = value;
    }
  }
  return { options, positionals };
}

/** Wall-clock time of day with milliseconds, for log lines. */
export function timestamp(date = new Date()) {
  return date.toISOString().slice(11, 23);
}

/**
 * Extracts the server's explanation from a socket.io-client connect_error
 * caused by the polling refusal (HTTP 400 with a JSON body carrying `hint`).
 * Returns null for any other error.
 */
export function pollingRefusalHint(err) {
  const ctx = err && err.context;
  if (!ctx || ctx.status !== 400 || typeof ctx.responseText !== 'string') return null;
  try {
    const body = JSON.parse(ctx.responseText);
    if (body && body.message === 'Transport unknown') return body.hint || body.message;
  } catch {
    // not JSON: not the refusal we know
  }
  return null;
}
