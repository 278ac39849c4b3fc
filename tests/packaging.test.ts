import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import AjvModule from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const Ajv = AjvModule.default;

describe('packaging configuration', () => {
  const builderConfig = parse(readFileSync(path.join(root, 'electron-builder.yml'), 'utf8')) as Record<string, unknown>;

  it("electron-builder.yml is valid against electron-builder's own schema", () => {
    const schema = JSON.parse(readFileSync(path.join(root, 'node_modules/app-builder-lib/scheme.json'), 'utf8')) as object;
    const ajv = new Ajv({ allErrors: true, strict: false, validateSchema: false });
    const validate = ajv.compile(schema);
    const ok = validate(builderConfig);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('builds AppImage and deb on Linux, dmg and nsis, unpacking native modules and rebuilding them for Electron', () => {
    expect((builderConfig.linux as { target: string[] }).target).toEqual(['AppImage', 'deb']);
    expect((builderConfig.mac as { target: string }).target).toBe('dmg');
    expect((builderConfig.win as { target: string }).target).toBe('nsis');
    expect(builderConfig.asarUnpack).toContain('**/*.node');
    expect(builderConfig.npmRebuild).toBe(true);
    expect((builderConfig.extraMetadata as { main: string }).main).toBe('dist/electron/main.cjs');
    expect(builderConfig.electronFuses).toMatchObject({ runAsNode: false, onlyLoadAppFromAsar: true, enableNodeCliInspectArguments: false, grantFileProtocolExtraPrivileges: false });
  });

  it('Forge drives development with the Vite plugin and sets the fuses of its template', async () => {
    const { default: config } = await import('../forge.config.js');
    const names = (config.plugins ?? []).map((p) => (p as { name: string }).name);
    expect(names).toEqual(expect.arrayContaining(['vite', 'fuses']));
    const fuses = (config.plugins ?? []).find((p) => (p as { name: string }).name === 'fuses') as unknown as { fusesConfig: Record<string, unknown> };
    const values = Object.values(fuses.fusesConfig);
    // RunAsNode, NodeOptions, inspect arguments and file:// extra privileges off; cookie encryption, asar integrity and asar-only on.
    expect(values.filter((v) => v === false)).toHaveLength(4);
    const { FuseV1Options } = await import('@electron/fuses');
    expect(fuses.fusesConfig[FuseV1Options.GrantFileProtocolExtraPrivileges]).toBe(false);
    expect(values.filter((v) => v === true)).toHaveLength(3);
    expect(config.packagerConfig?.asar).toMatchObject({ unpack: '**/*.node' });
  });

  it('package.json scripts name both tools and never need the Electron binary to test', () => {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.dist).toContain('electron-builder');
    expect(pkg.scripts.make).toContain('electron-forge');
    expect(pkg.scripts.test).not.toMatch(/electron(?!-)/);
  });
});
