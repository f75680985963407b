// Exports: dtype conversion, renormalization, cutouts, filename placeholders and file formats.
export {};
