import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The installed package's root (recipes/ and templates/ ship with it). */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
