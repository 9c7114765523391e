/** simgate's version, as package.json gives it (a constant, so that no runtime reads a file for it; test/docs.test.ts keeps the two equal). */
export const VERSION = '0.1.0';
