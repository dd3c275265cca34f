// The data a suite loads, made the way production makes it: an LMS export from the generator, and
// a load's bronze rows from the pipeline's ingest. Suites of the gateway take them from here, since
// the gateway itself must never depend on the generator or the pipeline (its boundary rule).
export { generateExport, type GenerateOptions } from '@kineo/generator';
export { ingestFiles } from '@kineo/pipeline';
