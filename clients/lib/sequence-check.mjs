// Pure checking logic for the integer stream, kept free of sockets and clocks so
// it can be unit-tested with plain rows (tests/e2e/sequence-check.test.mjs).
//
// Vocabulary:
//   sample   {v, t}: an integer value v received at time t (milliseconds).
//   segment  {start, end, samples, resumes, replayed}: one session, from
//            `connect` to `disconnect` (end is null while still connected).
//            With connection state recovery a reconnect that resumed the
//            session (socket.recovered) continues the same segment: resumes
//            counts those reconnects, replayed the values they brought back.
//   client   {name, segments}: everything one Socket.IO client saw.
//
// Within one segment the producer's values must arrive as consecutive
// integers: a gap across a recovered reconnect is a failure. A jump between
// two segments (a fresh session: recovery off, or its window expired) is
// expected and is only reported for information.

/**
 * Checks one continuous run of values.
 * - gap: the next value is larger than the previous one plus one;
 * - duplicate: a value that was already seen in this run;
 * - reordering: a value smaller than the previous one that was not seen before.
 * @param {number[]} values
 */
export function checkRun(values) {
  const gaps = [];
  const duplicates = [];
  const reorderings = [];
  const seen = new Set();
  let prev = null;
  for (const [index, v] of values.entries()) {
    if (prev !== null) {
      if (seen.has(v)) {
        duplicates.push({ index, value: v });
      } else if (v < prev) {
        reorderings.push({ index, value: v, after: prev });
      } else if (v > prev + 1) {
        gaps.push({ index, after: prev, next: v, missing: v - prev - 1 });
      }
    }
    seen.add(v);
    // A duplicate or a late value does not move the expected position back.
    if (prev === null || v > prev) prev = v;
  }
  return { count: values.length, gaps, duplicates, reorderings };
}

/** Number of problems in a checkRun() result. */
export function problemCount(run) {
  return run.gaps.length + run.duplicates.length + run.reorderings.length;
}

/**
 * Checks one client: each segment on its own, plus informational jumps
 * between the last value of a segment and the first value of the next one.
 * @param {{name: string, segments: {start: number, end: number|null, samples: {v: number, t: number}[]}[]}} client
 */
export function checkClient(client) {
  const segments = client.segments.map((seg) => checkRun(seg.samples.map((s) => s.v)));
  const received = segments.reduce((n, r) => n + r.count, 0);
  const acrossReconnects = [];
  let last = null;
  for (const seg of client.segments) {
    if (seg.samples.length === 0) continue;
    const first = seg.samples[0].v;
    if (last !== null && first !== last + 1) acrossReconnects.push({ after: last, next: first });
    last = seg.samples[seg.samples.length - 1].v;
  }
  const sum = (key) => segments.reduce((n, r) => n + r[key].length, 0);
  const resumes = client.segments.reduce((n, s) => n + (s.resumes ?? 0), 0);
  return {
    name: client.name,
    connections: client.segments.length + resumes,
    recovered: resumes,
    replayed: client.segments.reduce((n, s) => n + (s.replayed ?? 0), 0),
    received,
    gaps: sum('gaps'),
    duplicates: sum('duplicates'),
    reorderings: sum('reorderings'),
    acrossReconnects,
    segments,
    ok: received > 0 && segments.every((r) => problemCount(r) === 0),
  };
}

/**
 * Cross-client agreement: two clients connected over the same time interval
 * must have seen the same values. For every pair of segments (of different
 * clients) that overlap in time, each value one of them received well inside
 * the overlap (more than skewMs away from its edges, to allow for delivery
 * differences) must also have been received by the other one.
 * @returns {{a: string, b: string, value: number, t: number}[]} mismatches:
 *   `a` received `value` at `t` while `b` was connected, but `b` never got it.
 */
export function compareClients(clients, { skewMs = 500, now = Infinity, limit = 100 } = {}) {
  const segs = [];
  for (const c of clients) {
    for (const s of c.segments) {
      segs.push({ name: c.name, start: s.start, end: s.end ?? now, samples: s.samples, values: new Set(s.samples.map((x) => x.v)) });
    }
  }
  const mismatches = [];
  for (let i = 0; i < segs.length; i++) {
    for (let j = i + 1; j < segs.length; j++) {
      const A = segs[i];
      const B = segs[j];
      if (A.name === B.name) continue;
      const lo = Math.max(A.start, B.start) + skewMs;
      const hi = Math.min(A.end, B.end) - skewMs;
      if (!(lo < hi)) continue;
      for (const [x, y] of [[A, B], [B, A]]) {
        for (const s of x.samples) {
          if (s.t > lo && s.t < hi && !y.values.has(s.v)) {
            if (mismatches.length < limit) mismatches.push({ a: x.name, b: y.name, value: s.v, t: s.t });
            else return mismatches;
          }
        }
      }
    }
  }
  return mismatches;
}

/** The whole check: per-client results, cross-client mismatches and a verdict. */
export function checkAll(clients, options = {}) {
  const results = clients.map(checkClient);
  const mismatches = compareClients(clients, options);
  return { clients: results, mismatches, ok: results.every((r) => r.ok) && mismatches.length === 0 };
}

/** Human-readable summary lines for a checkAll() result. */
export function formatSummary(report) {
  const lines = [];
  for (const r of report.clients) {
    const problems = [];
    if (r.received === 0) problems.push('received nothing');
    for (const [i, seg] of r.segments.entries()) {
      for (const g of seg.gaps) problems.push(`connection ${i + 1}: gap after ${g.after} (next ${g.next}, ${g.missing} missing)`);
      for (const d of seg.duplicates) problems.push(`connection ${i + 1}: duplicate ${d.value}`);
      for (const o of seg.reorderings) problems.push(`connection ${i + 1}: ${o.value} arrived after ${o.after}`);
    }
    const recovered = r.recovered ? `, ${r.recovered} recovered reconnect(s) (${r.replayed} replayed)` : '';
    const jumps = r.acrossReconnects.length
      ? `, ${r.acrossReconnects.length} jump(s) across fresh sessions (expected: ${r.acrossReconnects.map((j) => `${j.after} -> ${j.next}`).slice(0, 3).join(', ')})`
      : '';
    lines.push(`${r.name}: ${r.ok ? 'ok' : 'FAIL'}: ${r.received} integers over ${r.connections} connection(s)${recovered}${jumps}`);
    for (const p of problems.slice(0, 10)) lines.push(`  ${p}`);
    if (problems.length > 10) lines.push(`  ... ${problems.length - 10} more`);
  }
  for (const m of report.mismatches.slice(0, 10)) {
    lines.push(`mismatch: ${m.a} received ${m.value} while ${m.b} was connected, but ${m.b} never did`);
  }
  if (report.mismatches.length > 10) lines.push(`... ${report.mismatches.length - 10} more mismatches`);
  const failed = report.clients.filter((r) => !r.ok).length;
  const total = report.clients.reduce((n, r) => n + r.received, 0);
  lines.push(
    `check: ${report.ok ? 'PASS' : 'FAIL'}: ${report.clients.length} client(s), ${failed} failed, ` +
      `${total} integers, ${report.mismatches.length} cross-client mismatch(es)`,
  );
  return lines;
}

/**
 * Records what one client sees, turning connect / value / disconnect events
 * into segments. Values that arrive while not connected are what a resumed
 * session replays (socket.io-client emits them just before `connect`): they
 * are held until connect() says whether the session was recovered, and
 * dropped otherwise.
 */
export class SequenceRecorder {
  constructor(name) {
    this.name = name;
    this.segments = [];
    this.current = null;
    this.pending = [];
  }
  /** Returns {replayed}: how many values the reconnect brought back. */
  connect(t, { recovered = false } = {}) {
    if (this.current) this.disconnect(t);
    // Only a resumed session replays; anything else held is not part of one.
    const replayed = recovered ? this.pending.length : 0;
    const last = this.segments[this.segments.length - 1];
    if (recovered && last) {
      this.current = last;
      last.end = null;
      last.resumes = (last.resumes ?? 0) + 1;
      last.replayed = (last.replayed ?? 0) + replayed;
    } else {
      this.current = { start: t, end: null, samples: [], resumes: 0, replayed: 0 };
      this.segments.push(this.current);
    }
    if (recovered) this.current.samples.push(...this.pending);
    this.pending = [];
    return { replayed };
  }
  value(v, t) {
    if (this.current) this.current.samples.push({ v, t });
    else this.pending.push({ v, t });
  }
  disconnect(t) {
    if (this.current) this.current.end = t;
    this.current = null;
  }
  get connected() {
    return this.current !== null;
  }
}
