import { Ajv, type ValidateFunction, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { TSchema, Static } from '@sinclair/typebox';

// ajv-formats ships CommonJS whose default export NodeNext sees as a namespace member, and a
// bundler sees as the function itself; this module is type-checked both ways.
type FormatsPlugin = (ajv: Ajv) => Ajv;
const formatsExport = addFormatsModule as unknown as FormatsPlugin & { default?: FormatsPlugin };
const addFormats: FormatsPlugin = formatsExport.default ?? formatsExport;

/** One validator for every schema in the engine (workspace, RPC params, scenarios, policies). */
const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: false });
addFormats(ajv);

/**
 * A validator compiled on its first use. Modules declare their validators at load time, and
 * compiling them all costs tens of MB that a process which never validates that kind of
 * document (the daemon's shards, the gateway, the fleet) should not pay.
 */
export function compileSchema<S extends TSchema>(schema: S): ValidateFunction<Static<S>> {
  let compiled: ValidateFunction<Static<S>> | undefined;
  const validate = function (this: unknown, data: unknown): data is Static<S> {
    compiled ??= ajv.compile<Static<S>>(schema);
    const ok = compiled(data);
    validate.errors = compiled.errors;
    return ok;
  } as ValidateFunction<Static<S>>;
  validate.errors = null;
  validate.schema = schema;
  return validate;
}

/** `$.notes[0].title` from a JSON pointer such as ajv's `/notes/0/title`. */
export function jsonPathOf(pointer: string): string {
  if (pointer === '') return '$';
  return '$' + pointer.split('/').slice(1).map((raw) => {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    return /^\d+$/.test(seg) ? `[${seg}]` : /^[A-Za-z_$][\w$]*$/.test(seg) ? `.${seg}` : `[${JSON.stringify(seg)}]`;
  }).join('');
}

/** A readable sentence for one schema violation, naming the JSON path. */
export function describeSchemaError(error: ErrorObject): string {
  const at = jsonPathOf(error.instancePath);
  if (error.keyword === 'additionalProperties') {
    return `${at}: unknown property "${String((error.params as { additionalProperty: string }).additionalProperty)}"`;
  }
  if (error.keyword === 'required') {
    return `${at}: missing property "${String((error.params as { missingProperty: string }).missingProperty)}"`;
  }
  return `${at}: ${error.message ?? error.keyword}`;
}

export type { ErrorObject, ValidateFunction };
