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

export function compileSchema<S extends TSchema>(schema: S): ValidateFunction<Static<S>> {
  return ajv.compile<Static<S>>(schema);
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
