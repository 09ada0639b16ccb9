// Checks every API response the integration tests recorded (one JSON line
// each, see tests/integration/service_process.hpp) against docs/openapi.yaml:
// the operation must be documented, the status documented (or `default`),
// the content type the documented one, and a JSON body valid against its
// schema (JSON Schema 2020-12, as OpenAPI 3.1 uses it, checked by ajv).
//
//   node validate_responses.mjs <openapi.yaml> <recordings dir>
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const [documentPath, directory] = process.argv.slice(2);
const document = YAML.parse(fs.readFileSync(documentPath, 'utf8'));
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ $id: 'openapi', components: document.components }, 'openapi');

// "#/components/..." references resolve inside the registered document.
function resolve(node) {
  if (node && node.$ref) {
    const parts = node.$ref.replace(/^#\//, '').split('/');
    let target = document;
    for (const part of parts) target = target[part];
    return resolve(target);
  }
  return node;
}
function rebase(schema) {
  return JSON.parse(JSON.stringify(schema).replaceAll('"$ref":"#/', '"$ref":"openapi#/'));
}

const templates = Object.keys(document.paths).map((template) => ({
  template,
  segments: template.split('/').filter(Boolean),
}));
function operationOf(method, requestPath) {
  const segments = requestPath.split('?')[0].split('/').filter(Boolean);
  // Literal segments win over parameters, as in the server's router.
  const matches = templates.filter(
    (t) => t.segments.length === segments.length &&
      t.segments.every((s, i) => s.startsWith('{') || s === segments[i]));
  matches.sort((a, b) => a.segments.filter((s) => s.startsWith('{')).length -
    b.segments.filter((s) => s.startsWith('{')).length);
  for (const match of matches) {
    const operation = document.paths[match.template][method.toLowerCase()];
    if (operation) return { template: match.template, operation };
  }
  return null;
}

const validators = new Map();
function validatorFor(key, schema) {
  if (!validators.has(key)) validators.set(key, ajv.compile(rebase(schema)));
  return validators.get(key);
}

let checked = 0;
let skipped = 0;
const failures = [];
const covered = new Set();
const files = fs.existsSync(directory) ? fs.readdirSync(directory).filter((f) => f.endsWith('.ndjson')) : [];
for (const file of files) {
  for (const line of fs.readFileSync(path.join(directory, file), 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const reply = JSON.parse(line);
    const found = operationOf(reply.method, reply.path);
    if (!found) {
      skipped += 1;  // not an API path (a probe of the hostile-input tests)
      continue;
    }
    const where = `${reply.method} ${reply.path} -> ${reply.status}`;
    const responses = found.operation.responses;
    const response = resolve(responses[String(reply.status)] ?? responses.default);
    covered.add(`${reply.method} ${found.template} ${reply.status}`);
    checked += 1;
    if (!response) {
      failures.push(`${where}: status not documented`);
      continue;
    }
    const type = (reply.contentType || '').split(';')[0].trim();
    const content = response.content ?? {};
    if (!content[type]) {
      failures.push(`${where}: content type '${type}' not documented (${Object.keys(content).join(', ')})`);
      continue;
    }
    if (!type.endsWith('json')) continue;
    let body;
    try {
      body = JSON.parse(reply.body);
    } catch {
      failures.push(`${where}: the body is not JSON`);
      continue;
    }
    const validate = validatorFor(`${found.template} ${reply.method} ${reply.status} ${type}`, content[type].schema);
    if (!validate(body)) {
      failures.push(`${where}: ${ajv.errorsText(validate.errors)}\n    ${reply.body.slice(0, 300)}`);
    }
  }
}

console.log(`${checked} responses checked against ${documentPath} (${skipped} outside the API skipped)`);
for (const entry of [...covered].sort()) console.log(`  covered: ${entry}`);
if (checked === 0) {
  console.error('no recorded API response: did the integration tests run with ST_TEST_API_RECORD_DIR?');
  process.exit(1);
}
if (failures.length > 0) {
  console.error(`${failures.length} responses do not match the document:`);
  for (const failure of failures.slice(0, 50)) console.error(`  ${failure}`);
  process.exit(1);
}
for (const file of files) fs.rmSync(path.join(directory, file));
