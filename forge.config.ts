import { execFileSync } from 'node:child_process';
import type { ForgeConfig } from '@electron-forge/shared-types';
import { VitePlugin } from '@electron-forge/plugin-vite';
import { FusesPlugin } from '@electron-forge/plugin-fuses';
import { FuseV1Options, FuseVersion } from '@electron/fuses';

/**
 * Electron Forge drives development (`npm start` → `electron-forge start`) and can package.
 * Distributables (AppImage, deb, dmg, nsis) are electron-builder's job: see electron-builder.yml.
 */
const config: ForgeConfig = {
  packagerConfig: {
    name: 'Headroom',
    executableName: 'headroom',
    appBundleId: 'invalid.headroom.workbench',
    // better-sqlite3 and other native modules must live outside the asar archive.
    asar: { unpack: '**/*.node' },
  },
  rebuildConfig: { onlyModules: ['better-sqlite3'], force: true },
  hooks: {
    // The engine runs as a utilityProcess from compiled JavaScript; compile it before Forge starts.
    generateAssets: async () => {
      execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
    },
  },
  makers: [],
  plugins: [
    new VitePlugin({
      build: [
        { entry: 'electron/entry-main.ts', config: 'vite.main.config.ts', target: 'main' },
        { entry: 'electron/preload.ts', config: 'vite.preload.config.ts', target: 'preload' },
      ],
      renderer: [{ name: 'main_window', config: 'vite.renderer.config.ts' }],
    }),
    // As in Forge's templates: fuses are flipped at package time, before signing.
    new FusesPlugin({
      version: FuseVersion.V1,
      [FuseV1Options.RunAsNode]: false,
      [FuseV1Options.EnableCookieEncryption]: true,
      [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
      [FuseV1Options.EnableNodeCliInspectArguments]: false,
      [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
      [FuseV1Options.OnlyLoadAppFromAsar]: true,
      // Pages come from app://, never file://, so file:// needs no powers beyond a browser's.
      [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
    }),
  ],
};

export default config;
