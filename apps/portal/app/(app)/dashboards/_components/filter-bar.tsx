'use client';

import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useEffect, useId, useState } from 'react';
import { runOperation } from '@/app/_client/graphql-client';
import { narrowingText, ORGANISATIONS_NARROWED_FROM, reachSentence, useOrganisations, type Organisation, type Reader } from '@/app/_client/organisations';
import type { Dashboard, Reach } from './analytics.types';
import { rowsOf } from './analytics.types';
import { AnalyticsRowsQuery } from './dashboard.operations';
import { DayRangeInputs, isBackwards, type DayRange } from './day-range-inputs';
import { formatAsOf, formatPeriod } from './format.util';
import { EARLIEST, INACTIVE_PARAM, isCalendarDay, LATEST, PERIOD_PRESETS, periodRange, REACH_PARAM, TREE_MEMBER, type ParamValue, type PeriodContext } from './dashboard-url.util';

/** Filters with a value list; the boolean and tree-path ones are set another way (or not from here). */
const LISTED = /\.(organisationName|positionName|managerName|department|country|courseName|courseType|status|certificationName|state|rag|programName|scormName|seminarName|source)$/;

/** The "Organisation" filter (one organisation alone), which names organisations as the hierarchy does. */
const ORGANISATION_NAME = /\.organisationName$/;

/** Yes-or-no filters set by a list of their own: All, only those, none of those. */
const FLAG = /\.(isOverdue)$/;

const TITLES: Record<string, string> = {
  isOverdue: 'Overdue',
  isActive: 'Active',
  organisationTree: 'Organisation and below',
  organisationName: 'Organisation',
  positionName: 'Position',
  managerName: 'Manager',
  department: 'Department',
  country: 'Country',
  courseName: 'Course',
  courseType: 'Course type',
  status: 'Status',
  certificationName: 'Certification',
  state: 'State',
  rag: 'Red, amber, green',
  programName: 'Program',
  scormName: 'SCORM package',
  seminarName: 'Seminar',
  source: 'Source',
};

/** A measure of each cube to group its values by (not every cube has a plain count). */
const COUNTED_BY: Record<string, string> = {
  Scorm: 'Scorm.attempts',
  SeminarSignup: 'SeminarSignup.signups',
  LearningTime: 'LearningTime.hours',
};

/** How the filter bar names a member's filter ("SCORM package"). */
export function titleOf(member: string): string {
  const name = member.slice(member.indexOf('.') + 1);
  return TITLES[name] ?? name;
}

type Period = Dashboard['periods'][number];

interface FilterBarProps {
  members: string[];
  /** The dashboard's date ranges ('Completed'), each a control setting all of its members. */
  periods: Period[];
  params: URLSearchParams;
  reach: Reach;
  /** Whose dashboard: a manager chooses their reach (direct reports or all); a viewer's and a manager's organisations are limited. */
  reader: Reader;
  /** What today and the fiscal year are, for the periods. */
  today: PeriodContext;
  /** The day the data is as of ('YYYY-MM-DD'), which the measures "in the next N days" count from. */
  dataDay: string;
  locale: string;
  /** Parameters set at once: one filter's values, or each member of a period (none: cleared). */
  onChange: (changes: readonly (readonly [string, ParamValue])[]) => void;
}

/**
 * The dashboard's filters. On a phone they fold behind a "Filters" button that says how many are
 * set, so the figures come first on the screen (globals.css, `.filter-panel`); wider screens show
 * them open and never the button. Each field that is set carries `data-set`: a printed dashboard
 * shows those and only those, as what its figures are cut by (globals.css, `@media print`).
 */
export function FilterBar({ members, periods, params, reach, reader, today, dataDay, locale, onChange: change }: FilterBarProps) {
  const showReach = reader === 'manager';
  const listed = members.filter((m) => LISTED.test(m));
  const flags = members.filter((m) => FLAG.test(m));
  const [open, setOpen] = useState(false);
  const formId = useId();
  const tree = members.includes(TREE_MEMBER);
  const onChange = (key: string, value: ParamValue) => change([[key, value]]);
  // A filter the dashboard takes from the URL that no control above sets (a hand-edited or an older
  // link: "Learner.isActive=false"): it cuts every figure, so it is shown, and can be taken off.
  const periodMembers = new Set(periods.flatMap((p) => p.members));
  const others = [...new Set(params.keys())].filter(
    (key) => members.includes(key) && !LISTED.test(key) && !FLAG.test(key) && key !== TREE_MEMBER && !periodMembers.has(key) && params.get(key),
  );
  const set =
    [...listed, ...flags, ...others, ...(tree ? [TREE_MEMBER] : [])].filter((m) => params.get(m)).length +
    periods.filter((p) => periodRange(params.get(p.members[0]) ?? '', today)).length +
    (params.get(INACTIVE_PARAM) === 'include' ? 1 : 0) +
    (showReach && reach === 'direct' ? 1 : 0);
  return (
    <div className="filter-panel" data-open={open}>
      <button type="button" className="button filters-toggle" aria-expanded={open} aria-controls={formId} onClick={() => setOpen(!open)}>
        {set ? `Filters · ${set} set` : 'Filters'}
      </button>
      <form id={formId} className="filters" aria-label="Filters" onSubmit={(e) => e.preventDefault()}>
        {set === 0 ? (
          <p className="print-only" data-testid="print-no-filters">
            No filters: {members.includes('Learner.isActive') ? 'every active learner' : 'everything'}{showReach ? ' below you' : ''}.
          </p>
        ) : null}
        {periods.map((period) => (
          <PeriodField
            key={period.title}
            period={period}
            value={params.get(period.members[0]) ?? ''}
            today={today}
            dataDay={dataDay}
            locale={locale}
            onChange={(value) => change(period.members.map((m) => [m, value] as const))}
          />
        ))}
        {tree ? <OrganisationTreeSelect chosen={params.getAll(TREE_MEMBER)} reach={reach} reader={reader} onChange={(values) => onChange(TREE_MEMBER, values)} /> : null}
        {listed.map((member) =>
          ORGANISATION_NAME.test(member) ? (
            <OrganisationSelect key={member} member={member} chosen={params.getAll(member)} reach={reach} reader={reader} onChange={(values) => onChange(member, values)} />
          ) : (
            <FilterSelect key={member} member={member} chosen={params.getAll(member)} reach={reach} onChange={(values) => onChange(member, values)} />
          ),
        )}
        {flags.map((member) => (
          <FlagSelect key={member} member={member} value={params.get(member)} onChange={(value) => onChange(member, value)} />
        ))}
        {others.length ? <OtherFilters members={others} params={params} onChange={onChange} /> : null}
        {members.includes('Learner.isActive') ? (
          <label className="check" data-set={params.get(INACTIVE_PARAM) === 'include' ? '' : undefined}>
            <input type="checkbox" checked={params.get(INACTIVE_PARAM) === 'include'} onChange={(e) => onChange(INACTIVE_PARAM, e.target.checked ? 'include' : null)} />
            Include inactive learners
          </label>
        ) : null}
        {showReach ? (
          <div className="field" data-set={reach === 'direct' ? '' : undefined}>
            <label htmlFor="filter-reach">Reports</label>
            <select id="filter-reach" value={reach} onChange={(e) => onChange(REACH_PARAM, e.target.value === 'direct' ? 'direct' : null)}>
              <option value="all">Everyone below me</option>
              <option value="direct">Direct reports only</option>
            </select>
            <span className="print-only">Direct reports only</span>
          </div>
        ) : null}
      </form>
    </div>
  );
}

/** A yes-or-no filter ("Overdue"): all, only those that are, or only those that are not. */
function FlagSelect({ member, value, onChange }: { member: string; value: string | null; onChange: (value: string | null) => void }) {
  const id = `filter-${member.replace(/\W/g, '-')}`;
  const title = titleOf(member);
  const words: Record<string, string> = { true: `${title} only`, false: `Not ${title.toLowerCase()}` };
  const chosen = value === 'true' || value === 'false' ? value : '';
  return (
    <div className="field" data-set={value ? '' : undefined}>
      <label htmlFor={id}>{title}</label>
      <select id={id} value={chosen} onChange={(e) => onChange(e.target.value || null)}>
        <option value="">All</option>
        <option value="true">{words.true}</option>
        <option value="false">{words.false}</option>
      </select>
      {/* On paper the list does not print: its choice does. */}
      {value ? <span className="print-only">{words[value] ?? value}</span> : null}
    </div>
  );
}

/** A yes-or-no member's value as a word ("Active: no"); any other value as it is. */
const flagWord = (member: string, value: string) => (/\.is[A-Z]/.test(member) ? ({ true: 'yes', false: 'no' }[value] ?? value) : value);

/** The filters of the link that no control sets, each a chip that takes it off. */
function OtherFilters({ members, params, onChange }: { members: string[]; params: URLSearchParams; onChange: (key: string, value: ParamValue) => void }) {
  const id = useId();
  return (
    <div className="field" data-set="">
      <span className="field-title" id={id}>
        Also filtered by
      </span>
      <ul className="chosen" aria-labelledby={id}>
        {members.flatMap((member) =>
          params.getAll(member).map((value) => (
            <li key={`${member}=${value}`}>
              {titleOf(member)}: {flagWord(member, value)}
              <button
                type="button"
                className="chip-remove"
                aria-label={`Remove ${titleOf(member)}: ${flagWord(member, value)}`}
                onClick={() => onChange(member, params.getAll(member).filter((v) => v !== value))}
              >
                ×
              </button>
            </li>
          )),
        )}
      </ul>
    </div>
  );
}

/** One value a filter offers: the code it sends and how it reads. */
export interface MemberValue {
  value: string;
  label: string;
}

/** How many values a filter lists at once: past it, the list says so and is searched. */
export const LISTED_VALUES = 500;

/**
 * The values of a text member the caller can see, from the same scope as the dashboard (at most
 * 500, in order), each with its label: what a filter offers to choose from. With `search`, only
 * those that contain it (any case); `hasMore` says there were more than were listed.
 */
export function useMemberValues(member: string, reach: Reach, enabled = true, search = '', only: string[] = []) {
  const cube = member.slice(0, member.indexOf('.'));
  const { data, isPending, isError } = useQuery({
    queryKey: ['filter-values', member, reach, search, only],
    queryFn: () =>
      runOperation(AnalyticsRowsQuery, {
        query: {
          measures: [COUNTED_BY[cube] ?? `${cube}.count`],
          dimensions: [member],
          // Those of `only` that exist, or those that contain what was typed, or the first 500.
          ...(only.length > 0 ? { filters: [{ member, operator: 'in', values: only }] } : search ? { filters: [{ member, operator: 'contains', values: [search] }] } : {}),
          order: [{ member, direction: 'asc' }],
          limit: LISTED_VALUES,
        },
        reach,
      }),
    staleTime: 5 * 60_000,
    enabled: enabled && member.includes('.'),
    // While the next search answers, the last one's values stay listed.
    placeholderData: search ? keepPreviousData : undefined,
  });
  const column = data?.analytics.columns.find((c) => c.member === member);
  const key = column?.key ?? member;
  const codes = [...new Set(rowsOf(data?.analytics.rows).map((r) => r[key]).filter((v): v is string | number => v !== null && v !== ''))].map(String);
  const values: MemberValue[] = codes.map((value) => ({ value, label: column?.values?.find((coded) => coded.value === value)?.label ?? value }));
  return { values, isPending, isError, hasMore: Boolean(data?.analytics.hasMore) };
}

/** What a search box beside a cut list needs: what was typed, and what the list it gave holds. */
export interface ValueSearch {
  typed: string;
  setTyped: (typed: string) => void;
  /** The trimmed text the list was asked for ('' while nothing is typed). */
  searched: string;
  /** The list shown (the first 500, or those containing what was typed) has more than it lists. */
  hasMore: boolean;
  /** Set when the whole list is in the browser (the organisation tree) and only narrowed by what is typed: how many it holds. */
  whole?: number;
}

/**
 * A member's values, searchable when there are more than one list holds (a tenant's 3,000 managers):
 * the first 500 in order, and once something is typed (a quarter of a second after the last key)
 * those that contain it. A short list is never searched.
 */
export function useSearchableValues(member: string, reach: Reach, enabled = true) {
  const first = useMemberValues(member, reach, enabled);
  const [typed, setTyped] = useState('');
  const [searched, setSearched] = useState('');
  useEffect(() => {
    const next = typed.trim();
    const timer = setTimeout(() => setSearched(next), next ? 250 : 0);
    return () => clearTimeout(timer);
  }, [typed]);
  useEffect(() => setTyped(''), [member]);
  const searching = first.hasMore && searched !== '';
  const found = useMemberValues(member, reach, enabled && searching, searched);
  const shown = searching ? found : first;
  const search: ValueSearch | undefined = first.hasMore ? { typed, setTyped, searched: searching ? searched : '', hasMore: shown.hasMore } : undefined;
  return { ...shown, search };
}

function FilterSelect({ member, chosen, reach, onChange, limits, waiting = false }: { member: string; chosen: string[]; reach: Reach; onChange: (values: string[]) => void; limits?: Limits; waiting?: boolean }) {
  // The values a filter offers are the ones the caller can see, from the same scope as the dashboard.
  const { values, isPending: valuesPending, isError, search } = useSearchableValues(member, reach);
  const isPending = valuesPending || waiting;
  // On a cut list, chosen values it does not show (from a link) are asked for by name: which of them exist.
  const unlisted = search ? chosen.filter((v) => !values.some((c) => c.value === v)) : [];
  const check = useMemberValues(member, reach, unlisted.length > 0, '', unlisted);
  const confirmed = unlisted.length > 0 && !check.isPending && !check.isError ? new Set(check.values.map((v) => v.value)) : undefined;
  return (
    <ChoiceField
      id={`filter-${member.replace(/\W/g, '-')}`}
      label={titleOf(member)}
      chosen={chosen}
      choices={values}
      isPending={isPending}
      isError={isError}
      search={search}
      confirmed={confirmed}
      limits={limits}
      onChange={onChange}
    />
  );
}

/**
 * "Organisation": learners of one organisation alone. Its values are those the caller's learners sit
 * in; one from a link that is outside the caller's reach is said to be, with what they do see.
 */
function OrganisationSelect(props: { member: string; chosen: string[]; reach: Reach; reader: Reader; onChange: (values: string[]) => void }) {
  const organisations = useOrganisations(props.reach);
  const limits = limitsOf(organisations.data, props.reader, (o) => o.name);
  return <FilterSelect {...props} limits={limits} waiting={props.chosen.length > 0 && organisations.isPending} />;
}

/** What a caller who sees less than the whole tenant may choose of a filter's values, and that in words. */
interface Limits {
  within: (value: string) => boolean;
  sentence: string;
}

/** The caller's limits from the organisations listed for them (each named as the filter's values are); none for one who may choose any. */
function limitsOf(organisations: readonly Organisation[] | undefined, reader: Reader, valueOf: (o: Organisation) => string): Limits | undefined {
  const sentence = organisations ? reachSentence(organisations, reader) : undefined;
  if (!organisations || !sentence) return undefined;
  const within = new Set(organisations.filter((o) => o.selectable).map(valueOf));
  return { within: (value) => within.has(value), sentence };
}

/**
 * The box that finds a value a cut list does not hold, and (`ValueSearchNote`, under the list) what
 * the list holds: "The first 500 are listed: type to find others", "More than 500 contain "smi":
 * type more", "None contains "xq"".
 */
export function ValueSearchBox({ id, label, search }: { id: string; label: string; search: ValueSearch }) {
  return (
    <input
      id={`${id}-search`}
      type="search"
      className="value-search"
      value={search.typed}
      onChange={(e) => search.setTyped(e.target.value)}
      placeholder="Type to find…"
      aria-label={`Find ${label}`}
      aria-describedby={`${id}-search-note`}
      autoComplete="off"
    />
  );
}

export function ValueSearchNote({ id, search, found }: { id: string; search: ValueSearch; found: number }) {
  const { searched, hasMore } = search;
  const quoted = `\u201c${searched}\u201d`;
  const note = !searched
    ? search.whole !== undefined
      ? `All ${search.whole.toLocaleString()} are listed: type to narrow them.`
      : `The first ${LISTED_VALUES} are listed: type to find others.`
    : found === 0
      ? `None contains ${quoted}.`
      : hasMore
        ? `More than ${LISTED_VALUES} contain ${quoted}: type more.`
        : `${found} contain${found === 1 ? 's' : ''} ${quoted}.`;
  return (
    <p id={`${id}-search-note`} className="hint value-search-note" aria-live="polite">
      {note}
    </p>
  );
}

/**
 * "Organisation and below": an organisation of the hierarchy with everything under it (the
 * Organisation filter beside it takes learners of that one organisation only). Listed in hierarchy
 * order, indented by depth; the value sent is its id as a path segment (`/5/`).
 */
function OrganisationTreeSelect({ chosen, reach, reader, onChange }: { chosen: string[]; reach: Reach; reader: Reader; onChange: (values: string[]) => void }) {
  // Of the learners the dashboard shows: a manager's direct reports only when "Reports" says so.
  const organisations = useOrganisations(reach);
  const valueOf = (o: Organisation) => `/${o.id}/`;
  // Those above the caller's reach are headings: there so the tree reads, not to be chosen (the figures would be the caller's part alone).
  const choices = (organisations.data ?? []).map((o) => ({ value: valueOf(o), label: o.name, indent: o.depth - 1, disabled: !o.selectable }));
  const selectable = choices.filter((c) => !c.disabled).length;
  // A long hierarchy is narrowed in the browser (it is all there): the organisations whose name holds what is typed, unindented.
  const [typed, setTyped] = useState('');
  const needle = narrowingText(selectable, typed);
  const long = selectable > ORGANISATIONS_NARROWED_FROM;
  const shown = needle ? choices.filter((c) => !c.disabled && c.label.toLowerCase().includes(needle)).map((c) => ({ ...c, indent: 0 })) : choices;
  return (
    <ChoiceField
      id="filter-organisation-tree"
      label="Organisation and below"
      chosen={chosen}
      choices={shown}
      allChoices={choices}
      isPending={organisations.isPending}
      isError={organisations.isError}
      search={long ? { typed, setTyped, searched: needle ? typed.trim() : '', hasMore: false, whole: selectable } : undefined}
      limits={limitsOf(organisations.data, reader, valueOf)}
      onChange={onChange}
    />
  );
}

/** A value a filter lists: indented under its parent in a hierarchy, or there only as a heading (`disabled`). */
type Choice = MemberValue & { indent?: number; disabled?: boolean };

/**
 * One filter: its values chosen so far, each with a button that takes it off, and a list that adds
 * another ("All" while none is chosen). Several values of one filter are any of them; a value from the
 * URL that is not among the choices is kept, shown as it is, and "(not found)" when the data does not hold it,
 * or, for a caller who sees part of the tenant, "(outside what you see)" with what they do see.
 */
function ChoiceField(props: {
  id: string;
  label: string;
  chosen: string[];
  choices: Choice[];
  isPending: boolean;
  isError: boolean;
  /** Every value when `choices` are some of them (narrowed by what was typed): what chosen values are named by. */
  allChoices?: Choice[];
  /** Present when the list is cut or long: a box that finds the values it does not hold, or narrows it. */
  search?: ValueSearch;
  /** On a cut list, which of the chosen values it does not show were found when asked for by name. */
  confirmed?: ReadonlySet<string>;
  /** Set when the caller sees part of the tenant: which values are theirs, and what they see. */
  limits?: Limits;
  onChange: (values: string[]) => void;
}) {
  const { id, label, chosen, choices, allChoices = choices, isPending, isError, search, confirmed, limits, onChange } = props;
  const labelOf = (value: string) => allChoices.find((c) => c.value === value)?.label ?? value;
  // A value from a link that the data does not hold (renamed in the LMS since, or told apart from a namesake): said, not hidden.
  // Known from the whole list when it is all there, else from asking for the value by name.
  const wholeList = !search || search.whole !== undefined;
  const notListed = (value: string) =>
    !isPending && !isError && !allChoices.some((c) => c.value === value && !c.disabled) && (wholeList || (confirmed !== undefined && !confirmed.has(value)));
  // For a caller who sees part of the tenant, one outside it (the company above a viewer's grant, from an old or a
  // hand-edited link) is not what the figures cover: they are of the caller's part alone, which is said under it.
  const outside = (value: string) => limits !== undefined && notListed(value) && !limits.within(value);
  const notFound = (value: string) => limits === undefined && notListed(value);
  const anyOutside = chosen.some(outside);
  return (
    <div className="field" data-set={chosen.length ? '' : undefined}>
      <label htmlFor={id}>{label}</label>
      {search ? <ValueSearchBox id={id} label={label} search={search} /> : null}
      <select id={id} value="" onChange={(e) => e.target.value && onChange([...chosen, e.target.value])} aria-busy={isPending || undefined}>
        <option value="">{isError ? 'All (values unavailable)' : chosen.length ? 'Add another…' : 'All'}</option>
        {choices
          // A heading stays where it is (even chosen by a link) so the organisations under it read as its.
          .filter((c) => c.disabled || !chosen.includes(c.value))
          .map((c) => (
            <option key={c.value} value={c.value} disabled={c.disabled}>
              {`${'\u00a0\u00a0'.repeat(c.indent ?? 0)}${c.label}`}
            </option>
          ))}
      </select>
      {search ? <ValueSearchNote id={id} search={search} found={choices.length} /> : null}
      {chosen.length ? (
        <ul className="chosen" aria-label={`${label}: chosen`}>
          {chosen.map((value) => (
            <li key={value}>
              {labelOf(value)}
              {notFound(value) ? <span className="chip-note"> (not found)</span> : null}
              {outside(value) ? <span className="chip-note"> (outside what you see)</span> : null}
              <button type="button" className="chip-remove" aria-label={`Remove ${labelOf(value)} from ${label}`} onClick={() => onChange(chosen.filter((v) => v !== value))}>
                ×
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      {anyOutside ? (
        <p className="hint reach-note" role="status">
          {limits?.sentence}
        </p>
      ) : null}
    </div>
  );
}

const CUSTOM = 'custom';

/**
 * A period: "Any time", a preset counted from today ("Last 30 days", "This fiscal year") or a range
 * of days, with the days it means written under it. The URL keeps a preset as its name, so a link
 * saved today means the same words tomorrow; a range as 'YYYY-MM-DD..YYYY-MM-DD'.
 */
function PeriodField({
  period,
  value,
  today,
  dataDay,
  locale,
  onChange,
}: {
  period: Period;
  value: string;
  today: PeriodContext;
  dataDay: string;
  locale: string;
  onChange: (value: string | null) => void;
}) {
  const id = useId();
  const range = periodRange(value, today);
  const preset = PERIOD_PRESETS.find((p) => p.id === value);
  // "Next 30 days" counts from today; "Due in 30 days" and "Expiring in 30 days" from the data's day:
  // on a due or expiry date's period, said when the two days differ.
  const ahead = period.members.some((m) => /\.(dueDate|expiresDate)$/.test(m)) ? /^next-(\d+)-days$/.exec(preset?.id ?? '')?.[1] : undefined;
  const [customChosen, setCustomChosen] = useState(false);
  const custom = customChosen || (range !== null && !preset);
  // A custom range being typed: its ends as entered, applied once they make a range.
  const [draft, setDraft] = useState<DayRange | null>(null);
  const ends = draft ?? { from: range && !preset && range[0] !== EARLIEST ? range[0] : '', to: range && !preset && range[1] !== LATEST ? range[1] : '' };
  const backwards = isBackwards(ends);

  const choose = (choice: string) => {
    setDraft(null);
    if (choice === CUSTOM) {
      setCustomChosen(true);
      // Start from the days the preset meant, so "Last 90 days" can be moved a little.
      if (range) onChange(`${range[0]}..${range[1]}`);
      return;
    }
    setCustomChosen(false);
    onChange(choice || null);
  };
  const typed = (end: keyof DayRange, day: string) => {
    const next = { ...ends, [end]: day };
    setDraft(next);
    const valid = (d: string) => d === '' || isCalendarDay(d);
    if (!valid(next.from) || !valid(next.to) || (next.from && next.to && next.from > next.to)) return;
    onChange(next.from || next.to ? `${next.from}..${next.to}` : null);
  };

  return (
    <div className="field period" data-set={range ? '' : undefined}>
      <label htmlFor={id}>{period.title}</label>
      <select id={id} value={custom ? CUSTOM : preset ? preset.id : ''} onChange={(e) => choose(e.target.value)} aria-describedby={`${id}-about`}>
        <option value="">Any time</option>
        {PERIOD_PRESETS.map((p) => (
          <option key={p.id} value={p.id} title={p.caption}>
            {p.label}
          </option>
        ))}
        <option value={CUSTOM}>Custom range…</option>
      </select>
      {custom ? <DayRangeInputs name={period.title} what="period" ends={ends} onChange={typed} /> : null}
      {range && !backwards ? (
        <p className="period-days" data-testid={`period-days-${period.title}`}>
          {formatPeriod(range, locale)}
        </p>
      ) : null}
      {ahead && isCalendarDay(dataDay) && dataDay !== today.today ? (
        <p className="period-note" data-testid={`period-data-day-${period.title}`}>
          Counted from today. The data is as of {formatAsOf(dataDay, locale)}: its figures &ldquo;in {ahead} days&rdquo; count from that day.
        </p>
      ) : null}
      {/* What the period keeps, said once it is set (a list's description before). */}
      <p id={`${id}-about`} className={range && !backwards ? 'period-note' : 'visually-hidden'}>
        {period.description}
      </p>
    </div>
  );
}
