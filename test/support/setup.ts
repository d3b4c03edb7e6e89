// Runs before every test file (vitest.config.ts setupFiles).
import { afterAll } from 'vitest';
import { removeTempDirs } from './temp-dirs.js';

afterAll(removeTempDirs);
