export { generateExport } from './generate';
export { fiscalDay, FISCAL_CALENDAR_FIRST_DAY, FISCAL_CALENDAR_LAST_DAY, type FiscalDay } from './fiscal-calendar';
export { MIN_USERS, NULL_DATE_VALUES } from './generator.settings';
export { CASE_SAMPLE_LIMIT } from './learner-files';
export type {
  CertificationUserCase,
  FileReport,
  GenerateCases,
  GenerateOptions,
  GenerateProgress,
  GenerateReport,
  ProgramUserCase,
  SentinelDateCase,
  TimeFormat,
} from './generator.types';
