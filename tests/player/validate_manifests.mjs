// Validates rendered Kubernetes manifests (a multi-document YAML file) against
// the Kubernetes API schemas (npm kubernetes-models) and KEDA's CRD schemas
// (npm @kubernetes-models/keda). Every object must be of a known kind, valid,
// and nothing may be left unvalidated. Prints one line per object.
//   node validate_manifests.mjs RENDERED.yaml
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';

const file = process.argv[2];
const documents = parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS()).filter(Boolean);

// apiVersion -> the module that holds its models.
function modulePath(apiVersion) {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  if (group === 'keda.sh') return `@kubernetes-models/keda/keda.sh/${version}`;
  return group ? `kubernetes-models/${group}/${version}` : `kubernetes-models/${version}`;
}

let failures = 0;
for (const object of documents) {
  const name = `${object.kind}/${object.metadata?.name}`;
  try {
    const models = await import(modulePath(object.apiVersion));
    const Model = models[object.kind];
    if (!Model) throw new Error(`no ${object.kind} in ${object.apiVersion}`);
    new Model(object).validate();
    console.log(`ok   ${object.apiVersion} ${name}`);
  } catch (error) {
    failures += 1;
    console.log(`FAIL ${object.apiVersion} ${name}: ${error.message}`);
  }
}
if (documents.length === 0) {
  console.log('FAIL no objects');
  failures += 1;
}
console.log(`${documents.length - failures} passed, ${failures} failed`);
process.exit(failures ? 1 : 0);
