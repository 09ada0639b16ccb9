#!/usr/bin/env node
// An OTLP/HTTP trace receiver on loopback, for tests: what an OpenTelemetry
// Collector's otlp receiver does with POST /v1/traces, decoding with the
// OpenTelemetry project's own generated protobuf code (opentelemetry-proto's
// collector/trace/v1, as shipped by @opentelemetry/otlp-transformer 0.57).
// No collector runs here (FACTS.md), so this one follows the protocol spec:
// Content-Type application/x-protobuf, an ExportTraceServiceResponse back.
//
//   otlp_receiver.mjs --out FILE [--port PORT] [--mode ok|slow|error|discard] [--delay-ms N]
//
// prints "listening PORT" once it serves, and appends one JSON line per span to
// FILE: {traceId, spanId, parentSpanId, name, kind, startTimeUnixNano,
// endTimeUnixNano, attributes: {key: value}, status: {code, message}, flags,
// resource: {key: value}, scope}. A request that does not decode is answered
// 400 and written as {"invalid": "why"}. MODE misbehaves: slow answers after
// --delay-ms (default 10000), error answers 503; discard answers 200 without
// decoding and writes {"bytes": N} per request (for benchmarks: a collector
// runs on another machine, its CPU is not the service's).
import { createRequire } from 'node:module';
import { appendFileSync } from 'node:fs';
import http from 'node:http';

const require = createRequire(import.meta.url);
const root = require('../player/node_modules/@opentelemetry/otlp-transformer/build/src/generated/root.js');
const { ExportTraceServiceRequest, ExportTraceServiceResponse } = root.opentelemetry.proto.collector.trace.v1;

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const out = option('out');
const mode = option('mode', 'ok');
const delayMs = Number(option('delay-ms', '10000'));
const maxBytes = 16 * 1024 * 1024;
if (!out) {
  console.error('usage: otlp_receiver.mjs --out FILE [--port PORT] [--mode ok|slow|error]');
  process.exit(2);
}

const hex = (bytes) => Buffer.from(bytes ?? []).toString('hex');
const valueOf = (any) => {
  if (!any) return null;
  if (any.stringValue !== undefined && any.stringValue !== null && any.value === 'stringValue') return any.stringValue;
  for (const key of ['stringValue', 'boolValue', 'intValue', 'doubleValue']) {
    if (any[key] !== undefined && any[key] !== null) {
      const v = any[key];
      return typeof v === 'object' && typeof v.toNumber === 'function' ? v.toNumber() : v;
    }
  }
  return null;
};
const attributes = (list) => Object.fromEntries((list ?? []).map((kv) => [kv.key, valueOf(kv.value)]));
const nanos = (v) => (typeof v === 'object' && v !== null ? BigInt(v.toString()).toString() : String(v));

function record(request) {
  const lines = [];
  for (const resourceSpans of request.resourceSpans ?? []) {
    const resource = attributes(resourceSpans.resource?.attributes);
    for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
      for (const span of scopeSpans.spans ?? []) {
        lines.push(JSON.stringify({
          traceId: hex(span.traceId),
          spanId: hex(span.spanId),
          parentSpanId: hex(span.parentSpanId),
          name: span.name,
          kind: span.kind,
          startTimeUnixNano: nanos(span.startTimeUnixNano),
          endTimeUnixNano: nanos(span.endTimeUnixNano),
          attributes: attributes(span.attributes),
          status: { code: span.status?.code ?? 0, message: span.status?.message ?? '' },
          flags: span.flags ?? 0,
          resource,
          scope: scopeSpans.scope?.name ?? '',
        }));
      }
    }
  }
  if (lines.length > 0) appendFileSync(out, lines.join('\n') + '\n');
}

const server = http.createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/v1/traces') {
    res.writeHead(404).end();
    return;
  }
  const chunks = [];
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size > maxBytes) req.destroy();
    else chunks.push(chunk);
  });
  req.on('end', () => {
    const answer = () => {
      if (mode === 'discard') {
        appendFileSync(out, JSON.stringify({ bytes: size }) + '\n');
        res.writeHead(200, { 'Content-Type': 'application/x-protobuf' }).end();
        return;
      }
      if (mode === 'error') {
        res.writeHead(503).end();
        return;
      }
      if (req.headers['content-type'] !== 'application/x-protobuf') {
        appendFileSync(out, JSON.stringify({ invalid: `content-type ${req.headers['content-type']}` }) + '\n');
        res.writeHead(415).end();
        return;
      }
      try {
        const body = Buffer.concat(chunks);
        const decoded = ExportTraceServiceRequest.decode(body);
        const problem = ExportTraceServiceRequest.verify(decoded);
        if (problem) throw new Error(problem);
        record(decoded);
        const reply = ExportTraceServiceResponse.encode(ExportTraceServiceResponse.create({})).finish();
        res.writeHead(200, { 'Content-Type': 'application/x-protobuf' }).end(Buffer.from(reply));
      } catch (error) {
        appendFileSync(out, JSON.stringify({ invalid: String(error.message ?? error) }) + '\n');
        res.writeHead(400).end();
      }
    };
    if (mode === 'slow') setTimeout(answer, delayMs);
    else answer();
  });
});
server.listen(Number(option('port', '0')), '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`);
});
