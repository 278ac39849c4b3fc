import { startShell } from './main.js';

// Bundled to CommonJS, where __dirname is the folder of the built main script.
startShell(__dirname);
