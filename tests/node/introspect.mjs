// Sends graphql-js's standard introspection query to a running Atelier, with no
// credentials and no CSRF header (as GraphiQL, graphql-codegen and Apollo's
// tools do), builds the client schema from the answer and prints it as one JSON
// line: root type names and each type's members and description.
// Usage: node introspect.mjs GRAPHQL_URL [every-option|defaults]
import {
  buildClientSchema,
  getIntrospectionQuery,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isUnionType,
} from 'graphql';

const [url, mode = 'every-option'] = process.argv.slice(2);
const options =
  mode === 'defaults'
    ? {}
    : {
        descriptions: true,
        specifiedByUrl: true,
        directiveIsRepeatable: true,
        schemaDescription: true,
        inputValueDeprecation: true,
        oneOf: true,
      };

const response = await fetch(url, {
  method: 'POST',
  headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
  body: JSON.stringify({ query: getIntrospectionQuery(options), operationName: 'IntrospectionQuery' }),
});
const body = await response.json();
if (response.status !== 200 || body.errors) {
  console.error(JSON.stringify({ status: response.status, errors: body.errors }));
  process.exit(1);
}

const schema = buildClientSchema(body.data);
const types = {};
for (const type of Object.values(schema.getTypeMap())) {
  if (type.name.startsWith('__')) continue;
  let members = [];
  if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
    members = Object.keys(type.getFields());
  } else if (isEnumType(type)) {
    members = type.getValues().map((value) => value.name);
  } else if (isUnionType(type)) {
    members = type.getTypes().map((member) => member.name);
  }
  types[type.name] = { members: members.sort(), description: type.description ?? null };
}
console.log(
  JSON.stringify({
    query: schema.getQueryType()?.name,
    mutation: schema.getMutationType()?.name,
    subscription: schema.getSubscriptionType()?.name,
    types,
  }),
);
