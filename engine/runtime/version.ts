import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from './paths.js';

interface PackageJson { version: string; name: string }

export const headroomVersion: string = (
  JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as PackageJson
).version;
